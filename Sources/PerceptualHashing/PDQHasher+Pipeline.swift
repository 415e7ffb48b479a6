extension PDQHasher {
    /// Pointers to the stages of one hashed image, valid only inside `withDCT`'s body.
    struct Stages {
        /// The 64×64 downsample, row-major.
        let buffer64: UnsafePointer<Float>
        /// The 16×16 DCT output, row-major (row = vertical frequency).
        let dct: UnsafePointer<Float>
        /// 256 floats the body may use.
        let scratch: UnsafeMutablePointer<Float>
        /// The quality score.
        let quality: Int
    }

    /// Runs the reference's pipeline (optional CLI resize, luma, Jarosz blur, decimation, quality, DCT)
    /// in this hasher's buffers and hands the stages to `body`; nil when a side is under 5 pixels.
    ///
    /// - Parameter dihedral: blur even a 64×64 image, as the reference's dihedral entry point does.
    mutating func withDCT<R>(
        of source: LumaSource,
        mode: PDQMode,
        dihedral: Bool,
        _ body: (Stages) -> R
    ) -> R? {
        let resized = mode == .cli512 && (source.width > 512 || source.height > 512)
        let width = resized ? 512 : source.width
        let height = resized ? 512 : source.height
        guard width >= 5, height >= 5 else { return nil }
        let blurCount = JaroszBlur.Scratch.count(width: width, height: height)
        let total = blurCount + 64 * 64 + 16 * 64 + 256 + 256
        if storage.count < total {
            storage = [Float](repeating: 0, count: total)
        }
        return storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            let scratch = JaroszBlur.Scratch(base, width: width, height: height)
            let buffer64 = base + blurCount
            let t16x64 = buffer64 + 64 * 64
            let dct = t16x64 + 16 * 64
            let aux = dct + 256

            // Luma, row-major: straight from the caller's buffer when it is already luma at this size.
            var luma = UnsafePointer(scratch.b)
            var stride = JaroszBlur.padded(width)
            switch source {
            case .bytes(let pixels, let sourceWidth, let sourceHeight, let channels):
                PDQLuma.fill(
                    pixels: pixels,
                    width: sourceWidth,
                    height: sourceHeight,
                    channels: channels,
                    outputWidth: width,
                    outputHeight: height,
                    into: scratch.b,
                    stride: stride
                )
            case .floats(let values, let sourceWidth, let sourceHeight):
                if resized {
                    PDQLuma.resample(
                        luma: values,
                        width: sourceWidth,
                        height: sourceHeight,
                        outputWidth: width,
                        outputHeight: height,
                        into: scratch.b,
                        stride: stride
                    )
                } else {
                    luma = values
                    stride = sourceWidth
                }
            }

            if width == 64 && height == 64 && !dihedral {
                // The reference takes a 64×64 input as already downsampled.
                for row in 0..<64 {
                    (buffer64 + row * 64).update(from: luma + row * stride, count: 64)
                }
            } else {
                JaroszBlur.downsample(
                    luma,
                    stride: stride,
                    width: width,
                    height: height,
                    scratch: scratch,
                    into: buffer64
                )
            }
            let quality = PDQDCT.quality(buffer64)
            PDQDCT.dct64To16(buffer64, scratch: t16x64, into: dct)
            return body(Stages(buffer64: buffer64, dct: dct, scratch: aux, quality: quality))
        }
    }
}

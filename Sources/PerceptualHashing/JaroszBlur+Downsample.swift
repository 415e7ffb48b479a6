extension JaroszBlur {
    /// Scratch a `downsample` of a `width × height` image needs, in floats, with row strides
    /// padded to whole SIMD vectors.
    struct Scratch {
        let a: UnsafeMutablePointer<Float>
        let b: UnsafeMutablePointer<Float>
        let narrow: UnsafeMutablePointer<Float>
        let narrowTransposed: UnsafeMutablePointer<Float>

        /// Floats needed: two full planes plus two 64-wide strips.
        static func count(width: Int, height: Int) -> Int {
            let plane = padded(width) * padded(height)
            return 2 * plane + 2 * 64 * padded(height)
        }

        init(_ base: UnsafeMutablePointer<Float>, width: Int, height: Int) {
            let plane = padded(width) * padded(height)
            a = base
            b = base + plane
            narrow = base + 2 * plane
            narrowTransposed = base + 2 * plane + 64 * padded(height)
        }
    }

    /// A row stride for `n` floats: whole SIMD vectors, and an odd number of them, because strides of
    /// many cache lines that are powers of two (512 floats) make transposes thrash the cache (6× slower).
    static func padded(_ n: Int) -> Int { ((n + 15) & ~15) | 16 }

    /// Two rows-then-columns box passes and the 64×64 decimation, as the reference's `jaroszFilterFloat`
    /// followed by `decimateFloat`, writing the 64×64 result row-major into `output`.
    ///
    /// The last two passes keep only the outputs the decimation samples (their running sums still
    /// visit every input), so they cost a fraction of a full pass.
    static func downsample(
        _ luma: UnsafePointer<Float>,
        stride: Int,
        width: Int,
        height: Int,
        scratch: Scratch,
        into output: UnsafeMutablePointer<Float>
    ) {
        let paddedWidth = padded(width)
        let paddedHeight = padded(height)
        let alongRows = windowSize(width)
        let alongColumns = windowSize(height)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 128) { targets in
            let columnTargets = targets.baseAddress!
            let rowTargets = columnTargets + 64
            for n in 0..<64 {
                columnTargets[n] = sampleIndex(n, of: width)
                rowTargets[n] = sampleIndex(n, of: height)
            }
            // Image rows are the columns of the transposed image (width rows, paddedHeight stride).
            transpose(
                luma,
                rows: height,
                columns: width,
                sourceStride: stride,
                into: scratch.a,
                destinationStride: paddedHeight
            )
            // First rows pass, written back transposed: `b` holds the image row-major again.
            var rowsSink = TransposingSink(base: scratch.b, stride: paddedWidth)
            boxDown(
                scratch.a,
                stride: paddedHeight,
                length: width,
                lanes: paddedHeight,
                window: alongRows,
                into: &rowsSink
            )
            // First columns pass, written transposed for the second rows pass.
            var columnsSink = TransposingSink(base: scratch.a, stride: paddedHeight)
            boxDown(
                scratch.b,
                stride: paddedWidth,
                length: height,
                lanes: paddedWidth,
                window: alongColumns,
                into: &columnsSink
            )
            // Second rows pass: keep the 64 sampled columns (as rows of `narrow`, 64 × paddedHeight).
            var columnSink = DecimatingSink(base: scratch.narrow, stride: paddedHeight, targets: columnTargets)
            boxDown(
                scratch.a,
                stride: paddedHeight,
                length: width,
                lanes: paddedHeight,
                window: alongRows,
                into: &columnSink
            )
            // Second columns pass on those 64 columns only, keeping the 64 sampled rows.
            transpose(
                scratch.narrow,
                rows: 64,
                columns: height,
                sourceStride: paddedHeight,
                into: scratch.narrowTransposed,
                destinationStride: 64
            )
            var rowSink = DecimatingSink(base: output, stride: 64, targets: rowTargets)
            boxDown(
                scratch.narrowTransposed,
                stride: 64,
                length: height,
                lanes: 64,
                window: alongColumns,
                into: &rowSink
            )
        }
    }

    /// The full blurred image (both passes, every output), row-major `height × width`: the reference's
    /// intermediate, for tests; hashing uses `downsample`.
    static func blurred(_ luma: [Float], width: Int, height: Int) -> [Float] {
        let paddedWidth = padded(width)
        let paddedHeight = padded(height)
        var a = [Float](repeating: 0, count: paddedWidth * paddedHeight)
        var b = a
        a.withUnsafeMutableBufferPointer { a in
            b.withUnsafeMutableBufferPointer { b in
                let a = a.baseAddress!
                let b = b.baseAddress!
                luma.withUnsafeBufferPointer { luma in
                    transpose(
                        luma.baseAddress!,
                        rows: height,
                        columns: width,
                        sourceStride: width,
                        into: a,
                        destinationStride: paddedHeight
                    )
                }
                for _ in 0..<2 {
                    var rowsSink = DenseSink(base: b, stride: paddedHeight)
                    boxDown(
                        a,
                        stride: paddedHeight,
                        length: width,
                        lanes: paddedHeight,
                        window: windowSize(width),
                        into: &rowsSink
                    )
                    transpose(
                        b,
                        rows: width,
                        columns: height,
                        sourceStride: paddedHeight,
                        into: a,
                        destinationStride: paddedWidth
                    )
                    var columnsSink = DenseSink(base: b, stride: paddedWidth)
                    boxDown(
                        a,
                        stride: paddedWidth,
                        length: height,
                        lanes: paddedWidth,
                        window: windowSize(height),
                        into: &columnsSink
                    )
                    transpose(
                        b,
                        rows: height,
                        columns: width,
                        sourceStride: paddedWidth,
                        into: a,
                        destinationStride: paddedHeight
                    )
                }
                transpose(
                    a,
                    rows: width,
                    columns: height,
                    sourceStride: paddedHeight,
                    into: b,
                    destinationStride: width
                )
            }
        }
        return Array(b[0..<(width * height)])
    }
}

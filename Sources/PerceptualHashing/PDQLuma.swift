/// Luma as Meta's PDQ reference computes it, with the CLI's optional nearest-neighbour resampling.
enum PDQLuma {
    /// `(float)0.299`, `(float)0.587`, `(float)0.114`: the reference's coefficients, a double literal
    /// rounded to float (spelled as bit patterns so no literal-conversion path can differ).
    static let red = Float(bitPattern: 0x3E99_1687)
    static let green = Float(bitPattern: 0x3F16_45A2)
    static let blue = Float(bitPattern: 0x3DE9_78D5)

    /// One pixel's luma: `(0.299·R + 0.587·G) + 0.114·B` in Float; one channel is used as is.
    @inline(__always) static func luma(_ pixel: UnsafePointer<UInt8>, channels: Int) -> Float {
        channels == 1 ? Float(pixel[0]) : (red * Float(pixel[0]) + green * Float(pixel[1])) + blue * Float(pixel[2])
    }

    /// Writes the luma of an `outputWidth × outputHeight` nearest-neighbour resampling of the image
    /// (source row `⌊y·height/outputHeight⌋`, column `⌊x·width/outputWidth⌋`) row by row into
    /// `destination`, rows `stride` floats apart. Equal sizes copy every pixel.
    static func fill(
        pixels: UnsafePointer<UInt8>,
        width: Int,
        height: Int,
        channels: Int,
        outputWidth: Int,
        outputHeight: Int,
        into destination: UnsafeMutablePointer<Float>,
        stride: Int
    ) {
        if outputWidth == width && outputHeight == height {
            for y in 0..<height {
                let source = pixels + y * width * channels
                let row = destination + y * stride
                switch channels {
                case 1:
                    for x in 0..<width { row[x] = Float(source[x]) }
                case 3:
                    for x in 0..<width { row[x] = luma(source + 3 * x, channels: 3) }
                default:
                    for x in 0..<width { row[x] = luma(source + 4 * x, channels: 4) }
                }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: outputWidth) { offsets in
            for x in 0..<outputWidth { offsets[x] = x * width / outputWidth * channels }
            for y in 0..<outputHeight {
                let source = pixels + y * height / outputHeight * width * channels
                let row = destination + y * stride
                for x in 0..<outputWidth { row[x] = luma(source + offsets[x], channels: channels) }
            }
        }
    }

    /// As `fill(pixels:…)` for an image that is already luma.
    static func resample(
        luma: UnsafePointer<Float>,
        width: Int,
        height: Int,
        outputWidth: Int,
        outputHeight: Int,
        into destination: UnsafeMutablePointer<Float>,
        stride: Int
    ) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: outputWidth) { offsets in
            for x in 0..<outputWidth { offsets[x] = x * width / outputWidth }
            for y in 0..<outputHeight {
                let source = luma + y * height / outputHeight * width
                let row = destination + y * stride
                for x in 0..<outputWidth { row[x] = source[offsets[x]] }
            }
        }
    }
}

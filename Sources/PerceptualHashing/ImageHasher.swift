/// Computes aHash, pHash and dHash exactly as Python `imagehash` 4.3 does on Pillow 13.
///
/// Every hash starts from the same greyscale image (Pillow's `convert('L')`), computed once per
/// call and shared; each is then shrunk with Pillow's LANCZOS filter (``PillowLanczos``) to its own
/// thumbnail:
///
/// - aHash (`average_hash`): 8×8; a bit is set where the pixel is above the mean of the 64.
/// - dHash (`dhash`): 9 wide × 8 high; a bit is set where a pixel is brighter than its left neighbour.
/// - pHash (`phash`): 32×32; SciPy's unnormalised DCT-II down the columns, then along the rows; a
///   bit is set where one of the 8×8 lowest-frequency coefficients (DC included) is above their median.
///
/// Bits are taken row-major, the first becoming the most significant (see ``Hash64``).
///
/// Other image modes must reach this type the way Pillow's `convert('L')` would see them:
/// palette images expanded to RGB (or to grey with ``greyLevel(red:green:blue:)``), grey + alpha
/// as grey, 16-bit grey **clamped** to 255 (Pillow's `I;16 → L` clamps rather than scales), and
/// CMYK converted to RGB as Pillow's `cmyk2rgb` does.
///
/// The hasher keeps its greyscale image, thumbnails and filter tables between calls, so hashing a
/// stream of images allocates only when an image is larger than any before it. It is a value type
/// with mutating methods: give each thread (or task) its own.
public struct ImageHasher: Sendable {
    private var resampler = PillowLanczos()
    private var grey: [UInt8] = []
    private var thumbnail = [UInt8](repeating: 0, count: 32 * 32)
    private var coefficients = [Double](repeating: 0, count: 32 * 32)
    private var lowFrequencies = [Double](repeating: 0, count: 64)
    private var sortedFrequencies = [Double](repeating: 0, count: 64)
    private var line = [Double](repeating: 0, count: 2 * ScipyDCT32.count)

    /// Creates a hasher with empty buffers.
    public init() {}

    /// Pillow's `convert('L')` of one RGB pixel: `(R·19595 + G·38470 + B·7471 + 0x8000) >> 16`.
    ///
    /// Decoders use it to turn palette entries into grey levels the way Pillow would.
    @inline(__always)
    public static func greyLevel(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (UInt32(red) * 19595 + UInt32(green) * 38470 + UInt32(blue) * 7471 + 0x8000) >> 16)
    }

    /// Hashes an 8-bit image.
    ///
    /// - Parameters:
    ///   - pixels: `width × height × channels` bytes, row-major, rows packed without padding.
    ///   - width: Width in pixels, at least 1.
    ///   - height: Height in pixels, at least 1.
    ///   - channels: 1 (grey), 3 (RGB) or 4 (RGBA; alpha is ignored, as Pillow's `convert('L')` does).
    ///   - algorithms: Which hashes to compute; the others are nil in the result.
    /// - Returns: The requested hashes.
    /// - Complexity: O(`width · height`) for the greyscale conversion and for each thumbnail.
    public mutating func hashes(
        pixels: UnsafeBufferPointer<UInt8>,
        width: Int,
        height: Int,
        channels: Int,
        algorithms: ImageHashKinds = .all
    ) -> ImageHashes {
        precondition(width >= 1 && height >= 1, "image sizes must be positive")
        precondition(channels == 1 || channels == 3 || channels == 4, "channels must be 1, 3 or 4")
        let (area, areaOverflows) = width.multipliedReportingOverflow(by: height)
        let (bytes, bytesOverflow) = area.multipliedReportingOverflow(by: channels)
        precondition(
            !areaOverflows && !bytesOverflow && bytes == pixels.count,
            "pixels must hold width × height × channels bytes"
        )
        guard !algorithms.isEmpty else { return ImageHashes() }
        if channels == 1 {
            return hashes(grey: pixels, width: width, height: height, algorithms: algorithms)
        }
        var grey = self.grey
        self.grey = []
        defer { self.grey = grey }
        if grey.count < area { grey = [UInt8](repeating: 0, count: area) }
        grey.withUnsafeMutableBufferPointer { grey in
            Self.convertToGrey(pixels, channels: channels, into: grey)
        }
        return grey.withUnsafeBufferPointer { grey in
            hashes(
                grey: UnsafeBufferPointer(rebasing: grey[..<area]),
                width: width,
                height: height,
                algorithms: algorithms
            )
        }
    }

    /// Hashes an 8-bit image held in an array; see ``hashes(pixels:width:height:channels:algorithms:)``.
    ///
    /// - Parameters:
    ///   - pixels: `width × height × channels` bytes, row-major.
    ///   - width: Width in pixels, at least 1.
    ///   - height: Height in pixels, at least 1.
    ///   - channels: 1 (grey), 3 (RGB) or 4 (RGBA, alpha ignored).
    ///   - algorithms: Which hashes to compute.
    /// - Returns: The requested hashes.
    public mutating func hashes(
        pixels: [UInt8],
        width: Int,
        height: Int,
        channels: Int,
        algorithms: ImageHashKinds = .all
    ) -> ImageHashes {
        pixels.withUnsafeBufferPointer { pixels in
            hashes(pixels: pixels, width: width, height: height, channels: channels, algorithms: algorithms)
        }
    }

    private static func convertToGrey(
        _ pixels: UnsafeBufferPointer<UInt8>,
        channels: Int,
        into grey: UnsafeMutableBufferPointer<UInt8>
    ) {
        // A loop per channel count, so the stride is a constant the compiler vectorises (de-interleaving shuffles
        // instead of one pixel at a time: 0.85 → 0.2 ms for a 1024×768 RGB image under `perf` over `hashmatch bench`).
        if channels == 3 {
            convertToGrey(pixels, stride: 3, into: grey)
        } else {
            convertToGrey(pixels, stride: 4, into: grey)
        }
    }

    @inline(__always)
    private static func convertToGrey(
        _ pixels: UnsafeBufferPointer<UInt8>,
        stride: Int,
        into grey: UnsafeMutableBufferPointer<UInt8>
    ) {
        let source = pixels.baseAddress!
        let out = grey.baseAddress!
        for index in 0..<(pixels.count / stride) {
            let pixel = source + index &* stride
            out[index] = greyLevel(red: pixel[0], green: pixel[1], blue: pixel[2])
        }
    }

    private mutating func hashes(
        grey: UnsafeBufferPointer<UInt8>,
        width: Int,
        height: Int,
        algorithms: ImageHashKinds
    ) -> ImageHashes {
        var result = ImageHashes()
        // Bits are gathered by plain loops over the thumbnail buffer: a lazy map's closure, or a slice of the
        // thumbnail held across the next shrink, each cost an allocation per image (Benchmarks: 3 → 0 mallocs).
        if algorithms.contains(.ahash) {
            shrink(grey, width: width, height: height, toWidth: 8, toHeight: 8)
            result.ahash = thumbnail.withUnsafeBufferPointer { pixels in
                // numpy's float64 mean of 64 bytes is exact, so `pixel > mean` is `64·pixel > sum`.
                var sum = 0
                for cell in 0..<64 { sum += Int(pixels[cell]) }
                var bits: UInt64 = 0
                for cell in 0..<64 { bits = bits << 1 | (Int(pixels[cell]) * 64 > sum ? 1 : 0) }
                return Hash64(bits)
            }
        }
        if algorithms.contains(.dhash) {
            shrink(grey, width: width, height: height, toWidth: 9, toHeight: 8)
            result.dhash = thumbnail.withUnsafeBufferPointer { pixels in
                var bits: UInt64 = 0
                for cell in 0..<64 {
                    let left = cell / 8 * 9 + cell % 8
                    bits = bits << 1 | (pixels[left + 1] > pixels[left] ? 1 : 0)
                }
                return Hash64(bits)
            }
        }
        if algorithms.contains(.phash) {
            result.phash = perceptualHash(grey, width: width, height: height)
        }
        return result
    }

    /// Shrinks into the first `toWidth × toHeight` bytes of the shared thumbnail buffer.
    private mutating func shrink(
        _ grey: UnsafeBufferPointer<UInt8>,
        width: Int,
        height: Int,
        toWidth: Int,
        toHeight: Int
    ) {
        let count = toWidth * toHeight
        thumbnail.withUnsafeMutableBufferPointer { thumbnail in
            resampler.resize(
                grey,
                width: width,
                height: height,
                into: UnsafeMutableBufferPointer(rebasing: thumbnail[..<count]),
                toWidth: toWidth,
                toHeight: toHeight
            )
        }
    }

    private mutating func perceptualHash(_ grey: UnsafeBufferPointer<UInt8>, width: Int, height: Int) -> Hash64 {
        let size = ScipyDCT32.count
        shrink(grey, width: width, height: height, toWidth: size, toHeight: size)
        for index in 0..<size * size { coefficients[index] = Double(thumbnail[index]) }
        coefficients.withUnsafeMutableBufferPointer { matrix in
            line.withUnsafeMutableBufferPointer { line in
                let values = line.baseAddress!
                let scratch = values + size
                // scipy.fftpack.dct(axis=0): every column.
                for column in 0..<size {
                    for row in 0..<size { values[row] = matrix[row * size + column] }
                    ScipyDCT32.transform(values, scratch: scratch)
                    for row in 0..<size { matrix[row * size + column] = values[row] }
                }
                // Then axis=1, needed only for the eight rows the hash keeps.
                for row in 0..<8 {
                    ScipyDCT32.transform(matrix.baseAddress! + row * size, scratch: scratch)
                }
            }
        }
        for row in 0..<8 {
            for column in 0..<8 { lowFrequencies[row * 8 + column] = coefficients[row * size + column] }
        }
        for index in 0..<64 { sortedFrequencies[index] = lowFrequencies[index] }
        // Insertion sort in place: the standard library's sort allocates a merge buffer (3 mallocs per pHash).
        sortedFrequencies.withUnsafeMutableBufferPointer { values in
            for i in 1..<values.count {
                let value = values[i]
                var j = i
                while j > 0 && values[j - 1] > value {
                    values[j] = values[j - 1]
                    j -= 1
                }
                values[j] = value
            }
        }
        // numpy.median of an even count: the mean of the two middle values, as (a + b) / 2.
        let median = (sortedFrequencies[31] + sortedFrequencies[32]) / 2
        var bits: UInt64 = 0
        for value in lowFrequencies { bits = bits << 1 | (value > median ? 1 : 0) }
        return Hash64(bits)
    }
}

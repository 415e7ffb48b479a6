/// Computes PDQ hashes bit-exactly as Meta's C++ reference (`pdq/cpp`) does.
///
/// A hasher keeps its scratch buffers between calls, so hashing many images of similar size allocates
/// nothing after the first. It is a value: give each thread or task its own instance.
///
/// ```swift
/// var hasher = PDQHasher()
/// let result = pixels.withUnsafeBufferPointer {
///     hasher.hash(pixels: $0, width: 640, height: 480, channels: 3, mode: .full)
/// }
/// ```
public struct PDQHasher: Sendable {
    /// Every scratch region of one image, carved out of one allocation (see `Layout`).
    var storage: [Float] = []

    /// Creates a hasher; buffers are allocated on first use and grown as needed.
    public init() {}

    /// Hashes 8-bit pixels.
    ///
    /// - Parameters:
    ///   - pixels: `height` rows of `width` pixels, each `channels` bytes, no row padding.
    ///   - width: Pixels per row, at least 1.
    ///   - height: Rows, at least 1.
    ///   - channels: 1 (grey, used directly as luma), 3 (RGB) or 4 (RGBA; alpha is ignored).
    ///   - mode: `.full` hashes at full resolution; `.cli512` first resizes as `pdq-photo-hasher` does.
    /// - Returns: The hash and its quality; all zeros and quality 0 when a side is under 5 pixels.
    public mutating func hash(
        pixels: UnsafeBufferPointer<UInt8>,
        width: Int,
        height: Int,
        channels: Int,
        mode: PDQMode
    ) -> PDQHash {
        Self.check(count: pixels.count, width: width, height: height, channels: channels)
        let source = LumaSource.bytes(pixels.baseAddress!, width: width, height: height, channels: channels)
        return withDCT(of: source, mode: mode, dihedral: false) { stages in
            PDQHash(hash: PDQThreshold.hash(stages.dct), quality: stages.quality)
        } ?? .zero
    }

    /// Hashes 8-bit pixels and the seven other rotations and reflections, all from one DCT.
    ///
    /// As the reference's dihedral path, this always blurs, even a 64×64 image that `hash` takes as
    /// already downsampled; there `orig` can differ from `hash(…)` in a few bits.
    ///
    /// - Parameters: as `hash(pixels:width:height:channels:mode:)`.
    /// - Returns: The eight hashes and the quality of the original.
    public mutating func hashDihedral(
        pixels: UnsafeBufferPointer<UInt8>,
        width: Int,
        height: Int,
        channels: Int,
        mode: PDQMode
    ) -> PDQDihedralHashes {
        Self.check(count: pixels.count, width: width, height: height, channels: channels)
        let source = LumaSource.bytes(pixels.baseAddress!, width: width, height: height, channels: channels)
        return withDCT(of: source, mode: mode, dihedral: true) { stages in
            PDQDihedral.hashes(stages.dct, quality: stages.quality, scratch: stages.scratch)
        } ?? .zero
    }

    /// Hashes an image given as Float luma (the reference's input to its hashing core).
    ///
    /// - Parameters:
    ///   - luma: `height` rows of `width` values, row-major, no padding; 0…255 for 8-bit images.
    ///   - width: Values per row, at least 1.
    ///   - height: Rows, at least 1.
    ///   - mode: `.full` (the default) or `.cli512`.
    /// - Returns: The hash and its quality; all zeros and quality 0 when a side is under 5 pixels.
    public mutating func hash(
        luma: UnsafeBufferPointer<Float>,
        width: Int,
        height: Int,
        mode: PDQMode = .full
    ) -> PDQHash {
        Self.check(count: luma.count, width: width, height: height, channels: 1)
        let source = LumaSource.floats(luma.baseAddress!, width: width, height: height)
        return withDCT(of: source, mode: mode, dihedral: false) { stages in
            PDQHash(hash: PDQThreshold.hash(stages.dct), quality: stages.quality)
        } ?? .zero
    }

    /// Hashes Float luma and its seven other rotations and reflections, all from one DCT.
    ///
    /// - Parameters: as `hash(luma:width:height:mode:)`.
    /// - Returns: The eight hashes and the quality of the original.
    public mutating func hashDihedral(
        luma: UnsafeBufferPointer<Float>,
        width: Int,
        height: Int,
        mode: PDQMode = .full
    ) -> PDQDihedralHashes {
        Self.check(count: luma.count, width: width, height: height, channels: 1)
        let source = LumaSource.floats(luma.baseAddress!, width: width, height: height)
        return withDCT(of: source, mode: mode, dihedral: true) { stages in
            PDQDihedral.hashes(stages.dct, quality: stages.quality, scratch: stages.scratch)
        } ?? .zero
    }

    private static func check(count: Int, width: Int, height: Int, channels: Int) {
        precondition(width >= 1 && height >= 1, "PDQ needs an image of at least 1×1 pixels")
        precondition(channels == 1 || channels == 3 || channels == 4, "PDQ takes 1, 3 or 4 channels")
        let (area, overflow1) = width.multipliedReportingOverflow(by: height)
        let (needed, overflow2) = area.multipliedReportingOverflow(by: channels)
        precondition(!overflow1 && !overflow2 && count >= needed, "pixel buffer smaller than width×height×channels")
    }
}

/// The pixels a hash is computed from.
enum LumaSource {
    case bytes(UnsafePointer<UInt8>, width: Int, height: Int, channels: Int)
    case floats(UnsafePointer<Float>, width: Int, height: Int)

    var width: Int {
        switch self {
        case .bytes(_, let width, _, _), .floats(_, let width, _): width
        }
    }

    var height: Int {
        switch self {
        case .bytes(_, _, let height, _), .floats(_, _, let height): height
        }
    }
}

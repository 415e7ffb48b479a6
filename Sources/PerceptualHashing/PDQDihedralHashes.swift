/// One of the eight rotations and reflections PDQ can hash from a single DCT.
public enum PDQDihedralVariant: String, CaseIterable, Sendable {
    /// The image as given.
    case orig
    /// Rotated 90° counter-clockwise.
    case rot90
    /// Rotated 180°.
    case rot180
    /// Rotated 270° counter-clockwise.
    case rot270
    /// Mirrored top to bottom.
    case flipX = "flipx"
    /// Mirrored left to right.
    case flipY = "flipy"
    /// Reflected about the main diagonal (transposed).
    case flipPlus1 = "flipplus1"
    /// Reflected about the anti-diagonal.
    case flipMinus1 = "flipminus1"
}

/// The PDQ hashes of the eight dihedral variants of one image, as the reference's `--pdqdih` prints them.
///
/// All eight come from one DCT of the original image, so they share one quality score.
public struct PDQDihedralHashes: Hashable, Sendable {
    /// The image as given.
    public var orig: Hash256
    /// Rotated 90°.
    public var rot90: Hash256
    /// Rotated 180°.
    public var rot180: Hash256
    /// Rotated 270°.
    public var rot270: Hash256
    /// Mirrored top to bottom.
    public var flipX: Hash256
    /// Mirrored left to right.
    public var flipY: Hash256
    /// Reflected about the main diagonal.
    public var flipPlus1: Hash256
    /// Reflected about the anti-diagonal.
    public var flipMinus1: Hash256
    /// Quality of the original image, 0…100.
    public var quality: Int

    /// Creates the set from the eight hashes in reference order and the quality.
    public init(
        orig: Hash256,
        rot90: Hash256,
        rot180: Hash256,
        rot270: Hash256,
        flipX: Hash256,
        flipY: Hash256,
        flipPlus1: Hash256,
        flipMinus1: Hash256,
        quality: Int
    ) {
        self.orig = orig
        self.rot90 = rot90
        self.rot180 = rot180
        self.rot270 = rot270
        self.flipX = flipX
        self.flipY = flipY
        self.flipPlus1 = flipPlus1
        self.flipMinus1 = flipMinus1
        self.quality = quality
    }

    /// All zeros, quality 0: what the reference gives for images under 5 pixels on a side.
    public static let zero = PDQDihedralHashes(
        orig: .zero,
        rot90: .zero,
        rot180: .zero,
        rot270: .zero,
        flipX: .zero,
        flipY: .zero,
        flipPlus1: .zero,
        flipMinus1: .zero,
        quality: 0
    )

    /// The hash of one variant.
    public subscript(variant: PDQDihedralVariant) -> Hash256 {
        switch variant {
        case .orig: orig
        case .rot90: rot90
        case .rot180: rot180
        case .rot270: rot270
        case .flipX: flipX
        case .flipY: flipY
        case .flipPlus1: flipPlus1
        case .flipMinus1: flipMinus1
        }
    }

    /// The eight hashes in reference order (orig, rot90, rot180, rot270, flipx, flipy, flipplus1, flipminus1).
    public var hashes: [Hash256] {
        PDQDihedralVariant.allCases.map { self[$0] }
    }

    /// The eight hashes in reference order, each with its variant name ("orig", "rot90", …, "flipminus1").
    public var named: [(name: String, hash: Hash256)] {
        PDQDihedralVariant.allCases.map { (name: $0.rawValue, hash: self[$0]) }
    }
}

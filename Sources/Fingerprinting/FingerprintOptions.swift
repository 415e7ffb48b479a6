import ImageDecoding
import PerceptualHashing

/// How PDQ sees the image: which reference it reproduces, or the fast approximation.
public enum PDQHashingMode: String, Sendable, CaseIterable {
    /// Full resolution, bit-exact with `pdqhash`, python-threatexchange and HMA.
    case full
    /// Bit-exact with Meta's C++ `pdq-photo-hasher` (larger images pre-resized to 512×512 by nearest neighbour).
    case cli512
    /// JPEG luma decoded at a reduced DCT scale: several times faster, within a few bits of `full`
    /// (see docs/BENCHMARKS.md for the measured distribution). Other formats hash as `full`.
    case fast
}

/// What to compute for each input.
public struct FingerprintOptions: Sendable {
    /// The hashes to compute; digests need no decoding.
    public var algorithms: Set<HashAlgorithm> = Set(HashAlgorithm.allCases)
    /// The PDQ path.
    public var pdqMode: PDQHashingMode = .full
    /// Also compute the 8 dihedral PDQ variants (rotations and mirror images), from the same DCT.
    public var dihedral: Bool = false
    /// Rotate/mirror the pixels as the EXIF orientation says before hashing. The references do not, so
    /// hashes made this way match lists made by them only for images without an orientation tag.
    public var applyEXIFOrientation: Bool = false
    /// Limits and colour handling for decoding.
    public var decoding: DecodeOptions = DecodeOptions()
    /// In `fast` mode, the smallest side a DCT-scaled JPEG decode may have.
    public var fastMinimumSide: Int = 256

    /// Every algorithm, PDQ `full`, no dihedral variants, EXIF ignored, default decode limits.
    public init() {}

    /// Whether any requested hash needs the pixels.
    public var needsPixels: Bool { !algorithms.isDisjoint(with: HashAlgorithm.perceptual) }
}

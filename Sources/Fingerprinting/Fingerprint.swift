import ImageDecoding
import PerceptualHashing

/// Everything hashmatch computed for one input.
///
/// The digests are present even when decoding failed: a file that is no valid image can still be
/// on an MD5 or SHA list, and moderation teams need that match.
public struct Fingerprint: Sendable {
    /// Declared width, when the header could be read.
    public var width: Int?
    /// Declared height, when the header could be read.
    public var height: Int?
    /// JPEG or PNG, when decoding got that far.
    public var format: ImageFormat?
    /// EXIF orientation (1…8) when the file carries one.
    public var exifOrientation: Int?
    /// PDQ hash and quality.
    public var pdq: PDQHash?
    /// The 8 PDQ dihedral variants, when asked for.
    public var pdqDihedral: PDQDihedralHashes?
    /// imagehash-compatible 64-bit hashes.
    public var phash: Hash64?
    /// imagehash-compatible difference hash.
    public var dhash: Hash64?
    /// imagehash-compatible average hash.
    public var ahash: Hash64?
    /// Exact digests of the bytes.
    public var md5: ExactDigest?
    /// SHA-1 of the bytes.
    public var sha1: ExactDigest?
    /// SHA-256 of the bytes.
    public var sha256: ExactDigest?
    /// Why the perceptual hashes are missing, when decoding failed.
    public var decodeError: DecodeError?
    /// Problems the decoder recovered from (lenient mode).
    public var warnings: [String] = []

    /// An empty fingerprint, filled in by `Fingerprinter`.
    public init() {}

    /// The value computed for `algorithm`, or nil.
    public func value(for algorithm: HashAlgorithm) -> HashValue? {
        switch algorithm {
        case .pdq: pdq.map { .hash256($0.hash) }
        case .phash: phash.map { .hash64($0) }
        case .dhash: dhash.map { .hash64($0) }
        case .ahash: ahash.map { .hash64($0) }
        case .md5: md5.map { .digest($0) }
        case .sha1: sha1.map { .digest($0) }
        case .sha256: sha256.map { .digest($0) }
        }
    }
}

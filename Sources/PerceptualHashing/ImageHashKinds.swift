/// Which of the 64-bit `imagehash` hashes to compute for an image.
public struct ImageHashKinds: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    /// Creates a set from its raw bits.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// `imagehash.average_hash`: 8×8 thumbnail, bit = pixel above the mean.
    public static let ahash = ImageHashKinds(rawValue: 1 << 0)
    /// `imagehash.phash`: 32×32 thumbnail, DCT, bit = low-frequency coefficient above the median.
    public static let phash = ImageHashKinds(rawValue: 1 << 1)
    /// `imagehash.dhash`: 9×8 thumbnail, bit = pixel brighter than its left neighbour.
    public static let dhash = ImageHashKinds(rawValue: 1 << 2)
    /// All three.
    public static let all: ImageHashKinds = [.ahash, .phash, .dhash]

    /// The image hashes among `algorithms`; PDQ and the exact digests are ignored.
    public init(_ algorithms: some Sequence<HashAlgorithm>) {
        self = []
        for algorithm in algorithms {
            switch algorithm {
            case .ahash: insert(.ahash)
            case .phash: insert(.phash)
            case .dhash: insert(.dhash)
            case .pdq, .md5, .sha1, .sha256: break
            }
        }
    }
}

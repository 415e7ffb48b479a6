import PerceptualHashing

/// One hash in a hash set: what to match, under which id, with which labels.
///
/// The id is unique within its set; it is what a match reports and what a removal names.
/// Labels are free-form tags (a category, a source's classification) reported with every match.
public struct HashSetEntry: Hashable, Sendable {
    /// Unique within the set. Never empty.
    public var id: String
    /// The kind of hash in `value`.
    public var algorithm: HashAlgorithm
    /// The hash itself.
    public var value: HashValue
    /// Labels specific to this entry (the set's default labels are added at match time).
    public var labels: [String]

    /// Creates an entry.
    ///
    /// - Precondition: `id` is not empty and `value` has the width of `algorithm`
    ///   (what `algorithm.parse(_:)` returns guarantees both widths agree).
    public init(id: String, algorithm: HashAlgorithm, value: HashValue, labels: [String] = []) {
        precondition(!id.isEmpty, "a hash-set entry needs an id")
        precondition(Self.fits(value, algorithm), "hash value does not match its algorithm")
        self.id = id
        self.algorithm = algorithm
        self.value = value
        self.labels = labels
    }

    private static func fits(_ value: HashValue, _ algorithm: HashAlgorithm) -> Bool {
        switch (value, algorithm) {
        case (.hash256, .pdq), (.hash64, .phash), (.hash64, .dhash), (.hash64, .ahash): true
        case (.digest(let digest), .md5), (.digest(let digest), .sha1), (.digest(let digest), .sha256):
            digest.bytes.count * 8 == algorithm.bitCount
        default: false
        }
    }

    /// The id importers give an entry whose source has none: `<algorithm>-<hex>`.
    ///
    /// Deriving the id from the hash makes re-importing the same list idempotent.
    public static func derivedID(algorithm: HashAlgorithm, value: HashValue) -> String {
        "\(algorithm.rawValue)-\(value.hex)"
    }
}

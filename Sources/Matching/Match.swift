import PerceptualHashing

/// One hash-set entry an input matched.
public struct Match: Sendable, Hashable {
    /// The hash set's name.
    public var set: String
    /// The entry's id within its set.
    public var id: String
    /// The entry's labels, with the set's default labels when it has none of its own.
    public var labels: [String]
    /// Which hash matched.
    public var algorithm: HashAlgorithm
    /// Hamming distance (0 for digests).
    public var distance: Int
    /// For PDQ dihedral matching: which rotation/mirror image of the input matched (`orig`, `rot90`, …).
    public var variant: String?

    /// Creates a match record.
    public init(set: String, id: String, labels: [String], algorithm: HashAlgorithm, distance: Int, variant: String?) {
        self.set = set
        self.id = id
        self.labels = labels
        self.algorithm = algorithm
        self.distance = distance
        self.variant = variant
    }

    /// Best first: exact digests, then by distance as a fraction of the hash length, then set and id.
    public static func bestFirst(_ a: Match, _ b: Match) -> Bool {
        let left = Double(a.distance) / Double(a.algorithm.bitCount)
        let right = Double(b.distance) / Double(b.algorithm.bitCount)
        if a.algorithm.isPerceptual != b.algorithm.isPerceptual { return !a.algorithm.isPerceptual }
        if left != right { return left < right }
        return (a.set, a.id, a.algorithm.rawValue) < (b.set, b.id, b.algorithm.rawValue)
    }
}

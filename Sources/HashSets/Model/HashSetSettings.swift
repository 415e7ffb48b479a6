import PerceptualHashing

/// Per-set settings, written as `#set key=value` lines in the native format.
public struct HashSetSettings: Hashable, Sendable {
    /// Free text describing the set (its source, how it was built).
    public var description: String?
    /// Per-algorithm maximum Hamming distance overriding the matcher's default.
    ///
    /// Only perceptual algorithms take a threshold; exact digests always match by equality.
    public var maxDistance: [HashAlgorithm: Int]
    /// The algorithms matched against this set; nil means every algorithm the set holds.
    ///
    /// Entries of other algorithms stay in the file and in the loaded set; the matcher skips them.
    public var enabledAlgorithms: Set<HashAlgorithm>?
    /// Labels reported with every match in this set, before the entry's own labels.
    public var defaultLabels: [String]

    /// Creates settings; every field defaults to "not set".
    public init(
        description: String? = nil,
        maxDistance: [HashAlgorithm: Int] = [:],
        enabledAlgorithms: Set<HashAlgorithm>? = nil,
        defaultLabels: [String] = []
    ) {
        self.description = description
        self.maxDistance = maxDistance
        self.enabledAlgorithms = enabledAlgorithms
        self.defaultLabels = defaultLabels
    }

    /// The labels a match on `entry` reports: the default labels, then the entry's own, without repeats.
    public func labels(for entry: HashSetEntry) -> [String] {
        var seen = Set<String>()
        return (defaultLabels + entry.labels).filter { seen.insert($0).inserted }
    }

    /// Whether entries of `algorithm` are matched against this set.
    public func isEnabled(_ algorithm: HashAlgorithm) -> Bool {
        enabledAlgorithms?.contains(algorithm) ?? true
    }
}

import PerceptualHashing

/// One match, as the match log records it (one JSON object per line).
///
/// Keys are snake_case and stable: moderation teams keep these logs for review and for legally
/// required reports, and other tools read them.
public struct MatchLogRecord: Codable, Hashable, Sendable {
    /// When the match happened, ISO 8601 in UTC with milliseconds (`2024-05-01T12:00:00.123Z`).
    public var timestamp: String
    /// Where the matched input came from: a path, an upload id, a socket client's name.
    public var source: String
    /// Every hash computed for the input, hex by algorithm name (`{"pdq": "…", "md5": "…"}`).
    public var hashes: [String: String]
    /// The set that matched.
    public var set: String
    /// The id of the entry that matched.
    public var entryID: String
    /// The set's and the entry's labels.
    public var labels: [String]
    /// The algorithm that matched.
    public var algorithm: HashAlgorithm
    /// Hamming distance (0 for exact digests).
    public var distance: Int
    /// Which dihedral variant of the input matched (`rot90`, `flipx`, …); nil for the image as is.
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case timestamp, source, hashes, set
        case entryID = "entry_id"
        case labels, algorithm, distance, variant
    }

    /// Creates a record; `timestamp` defaults to now.
    public init(
        timestamp: String = MatchLog.timestamp(),
        source: String,
        hashes: [HashAlgorithm: HashValue],
        set: String,
        entryID: String,
        labels: [String],
        algorithm: HashAlgorithm,
        distance: Int,
        variant: String? = nil
    ) {
        self.timestamp = timestamp
        self.source = source
        self.hashes = Dictionary(uniqueKeysWithValues: hashes.map { ($0.key.rawValue, $0.value.hex) })
        self.set = set
        self.entryID = entryID
        self.labels = labels
        self.algorithm = algorithm
        self.distance = distance
        self.variant = variant
    }
}

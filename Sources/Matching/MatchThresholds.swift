import PerceptualHashing

/// The largest Hamming distance that counts as a match, per perceptual algorithm, and the PDQ quality gate.
///
/// Defaults: PDQ 31 of 256 bits (Meta's recommendation, used by ThreatExchange and HMA); pHash and dHash 8 of
/// 64 and aHash 6 of 64 (aHash is the least discriminating of the three, so it gets the tightest radius).
/// A hash set may lower or raise these for its own entries (`HashSetSettings.maxDistance`).
public struct MatchThresholds: Sendable, Equatable {
    /// Maximum distance per algorithm; digests always need equality.
    public var maxDistance: [HashAlgorithm: Int] = [.pdq: 31, .phash: 8, .dhash: 8, .ahash: 6]
    /// PDQ hashes of lower quality are reported but never matched ("do not trust this hash").
    public var minimumPDQQuality: Int = 50

    /// The defaults above.
    public init() {}

    /// The threshold for `algorithm`: 0 for digests (equality).
    public func distance(for algorithm: HashAlgorithm) -> Int {
        algorithm.isPerceptual ? maxDistance[algorithm] ?? 0 : 0
    }
}

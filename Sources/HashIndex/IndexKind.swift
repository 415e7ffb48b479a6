/// The index implementations, and the choice among them for a workload.
public enum IndexKind: String, Sendable, CaseIterable {
    /// `LinearScan`.
    case linearScan
    /// `BKTree`.
    case bkTree
    /// `MultiIndexHashing` with 16-bit slots.
    case multiIndexHashing

    /// The kind that searches fastest for `count` hashes of `bits` bits at `radius`, from measurements.
    ///
    /// Measured on a 2-core AMD EPYC with hardware popcount (release, `-Xcc -mpopcnt`), ms per query, random and
    /// clustered data (1k centres, members 0–20 bits away) giving the same ordering:
    ///
    /// | hashes | radius | 3k | 10k | 30k | 100k | 1M |
    /// |---|---|---|---|---|---|---|
    /// | 64-bit linear | 8 | 0.0008 | 0.0025 | 0.0077 | 0.025 | 0.25 |
    /// | 64-bit MIH 4×16 | 8 | 0.0015 | 0.0021 | 0.0034 | 0.0067 | 0.063 |
    /// | 64-bit linear | 10 | 0.0008 | 0.0025 | 0.0078 | 0.025 | 0.25 |
    /// | 64-bit MIH 4×16 | 10 | 0.0031 | 0.0047 | 0.0073 | 0.013 | 0.11 |
    /// | 256-bit linear | 31 | 0.0025 | 0.0081 | 0.025 | 0.084 | 1.0 |
    /// | 256-bit MIH 16×16 | 31 | 0.0051 | 0.0106 | 0.013 | 0.031 | 0.16 (0.38 clustered) |
    ///
    /// The crossovers (≈ 10k entries at 64-bit r 8, ≈ 30k at r 10, ≈ 16k at 256-bit r 31) all sit near
    /// `64 × L`, where `L` is the number of slot buckets multi-index hashing looks up at that radius (188, 428 and
    /// 272 respectively), so that is the rule: multi-index hashing from `64 × L` entries on, as long as `L` stays
    /// below the 65 536 buckets of one slot (beyond that it degenerates to a scan). The BK-tree is never chosen: it
    /// was the slowest of the three at every size and radius measured (e.g. 1M 64-bit r 8: 0.9 ms, 256-bit r 31:
    /// 2.4 ms), since at these radii each query still reaches most leaves.
    ///
    /// - Parameters:
    ///   - bits: the hash width (64 or 256; any multiple of 16).
    ///   - count: the number of entries.
    ///   - radius: the search radius.
    /// - Complexity: O(1).
    public static func recommended(bits: Int, count: Int, radius: Int) -> IndexKind {
        guard bits >= 16, bits % 16 == 0, radius >= 0 else { return .linearScan }
        let lookups = multiIndexLookups(bits: bits, radius: radius)
        return lookups < 65_536 && count >= 64 * lookups ? .multiIndexHashing : .linearScan
    }

    /// Slot buckets a 16-bit-slot multi-index search visits at `radius` (Norouzi's split: the first `b + 1` slots
    /// at radius `a`, the rest at `a − 1`, for `radius = a·m + b`).
    static func multiIndexLookups(bits: Int, radius: Int) -> Int {
        let m = bits / 16
        let (a, b) = (radius / m, radius % m)
        func ball(_ r: Int) -> Int {
            guard r >= 0 else { return 0 }
            var total = 0
            var term = 1
            for i in 0...min(r, 16) {
                total += term
                term = term * (16 - i) / (i + 1)
            }
            return total
        }
        return (b + 1) * ball(a) + (m - b - 1) * ball(a - 1)
    }
}

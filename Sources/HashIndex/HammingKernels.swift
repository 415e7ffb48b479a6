import CKernels

/// The distance loops every index runs, over limbs packed `limbCount` to a row (the one place in the module that
/// uses unsafe pointers: bounds are checked once per call, not once per limb).
///
/// Only widths of 1 and 4 limbs exist; each gets its own loop so the compiler unrolls the popcounts. Built with
/// hardware popcount (`-mpopcnt` or `-target-cpu x86-64-v3`) a 4-limb row costs about 4 XOR + 4 POPCNT + 3 ADD;
/// without it, `nonzeroBitCount` becomes a ~12-instruction bit trick per limb.
enum HammingKernels {
    /// Calls `onHit(row, distance)` for every row in `rows` whose distance to `query` is at most `radius`.
    ///
    /// - Precondition: `rows` lies within `limbs.count / limbCount`; `query.count == limbCount`.
    /// - Complexity: O(`rows.count` × `limbCount`).
    static func scan(
        _ limbs: [UInt64],
        limbCount: Int,
        rows: Range<Int>,
        query: [UInt64],
        radius: Int,
        onHit: (Int, Int) -> Void
    ) {
        precondition(rows.lowerBound >= 0 && rows.upperBound * limbCount <= limbs.count && query.count == limbCount)
        guard !rows.isEmpty else { return }
        limbs.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress!
            if limbCount == 4 {
                let (q0, q1, q2, q3) = (query[0], query[1], query[2], query[3])
                var offset = rows.lowerBound &* 4
                for row in rows {
                    let d =
                        (p[offset] ^ q0).nonzeroBitCount &+ (p[offset &+ 1] ^ q1).nonzeroBitCount
                        &+ (p[offset &+ 2] ^ q2).nonzeroBitCount &+ (p[offset &+ 3] ^ q3).nonzeroBitCount
                    if d <= radius { onHit(row, d) }
                    offset &+= 4
                }
            } else if limbCount == 1 {
                let q0 = query[0]
                for row in rows {
                    let d = (p[row] ^ q0).nonzeroBitCount
                    if d <= radius { onHit(row, d) }
                }
            } else {
                for row in rows {
                    let d = distance(p + row &* limbCount, query, limbCount)
                    if d <= radius { onHit(row, d) }
                }
            }
        }
    }

    /// How many candidates ahead `verify` prefetches a row: enough to cover a miss, few enough to stay in L1
    /// (1M PDQ, cold, IndexBench: 0.14 ms a search without; 16 beat 8, 12, 24 and 32).
    static let prefetchDistance = 16

    /// Like `scan`, but for the rows listed in `positions` (an index's candidate list), in that order, prefetching
    /// each row `prefetchDistance` candidates before it is compared.
    ///
    /// - Precondition: every position is a valid row.
    /// - Complexity: O(`positions.count` × `limbCount`).
    static func verify(
        _ limbs: [UInt64],
        limbCount: Int,
        positions: UnsafeBufferPointer<UInt32>,
        query: [UInt64],
        radius: Int,
        onHit: (Int, Int) -> Void
    ) {
        let rowCount = limbs.count / limbCount
        precondition(query.count == limbCount)
        limbs.withUnsafeBufferPointer { buffer in
            guard let p = buffer.baseAddress else { return }
            if limbCount == 4 {
                let (q0, q1, q2, q3) = (query[0], query[1], query[2], query[3])
                for (i, position) in positions.enumerated() {
                    if i &+ prefetchDistance < positions.count {
                        hm_prefetch(p + Int(positions[i &+ prefetchDistance]) &* 4)
                    }
                    let row = Int(position)
                    precondition(row < rowCount)
                    let r = p + row &* 4
                    let d =
                        (r[0] ^ q0).nonzeroBitCount &+ (r[1] ^ q1).nonzeroBitCount
                        &+ (r[2] ^ q2).nonzeroBitCount &+ (r[3] ^ q3).nonzeroBitCount
                    if d <= radius { onHit(row, d) }
                }
            } else {
                for (i, position) in positions.enumerated() {
                    if i &+ prefetchDistance < positions.count {
                        hm_prefetch(p + Int(positions[i &+ prefetchDistance]) &* limbCount)
                    }
                    let row = Int(position)
                    precondition(row < rowCount)
                    let d = distance(p + row &* limbCount, query, limbCount)
                    if d <= radius { onHit(row, d) }
                }
            }
        }
    }

    /// One pass over `rows` for several queries (`queries` holds them back to back, `limbCount` limbs each):
    /// calls `onHit(row, distance, query)` once per row whose nearest query is within `radius`, with the
    /// smallest distance and the first query attaining it.
    ///
    /// - Precondition: `queries.count` is a multiple of `limbCount`.
    /// - Complexity: O(`rows.count` × `queries.count`).
    static func scanMulti(
        _ limbs: [UInt64],
        limbCount: Int,
        rows: Range<Int>,
        queries: [UInt64],
        radius: Int,
        onHit: (Int, Int, Int) -> Void
    ) {
        precondition(rows.lowerBound >= 0 && rows.upperBound * limbCount <= limbs.count)
        precondition(queries.count % limbCount == 0)
        guard !rows.isEmpty, !queries.isEmpty else { return }
        let queryCount = queries.count / limbCount
        limbs.withUnsafeBufferPointer { buffer in
            queries.withUnsafeBufferPointer { qBuffer in
                let p = buffer.baseAddress!
                let q = qBuffer.baseAddress!
                if limbCount == 4 {
                    var offset = rows.lowerBound &* 4
                    for row in rows {
                        let (r0, r1, r2, r3) = (p[offset], p[offset &+ 1], p[offset &+ 2], p[offset &+ 3])
                        var best = Int.max
                        var bestQuery = 0
                        var qOffset = 0
                        for k in 0..<queryCount {
                            let d =
                                (r0 ^ q[qOffset]).nonzeroBitCount &+ (r1 ^ q[qOffset &+ 1]).nonzeroBitCount
                                &+ (r2 ^ q[qOffset &+ 2]).nonzeroBitCount &+ (r3 ^ q[qOffset &+ 3]).nonzeroBitCount
                            if d < best {
                                best = d
                                bestQuery = k
                            }
                            qOffset &+= 4
                        }
                        if best <= radius { onHit(row, best, bestQuery) }
                        offset &+= 4
                    }
                } else {
                    for row in rows {
                        let r = p + row &* limbCount
                        var best = Int.max
                        var bestQuery = 0
                        for k in 0..<queryCount {
                            let d = distance(r, q + k &* limbCount, limbCount)
                            if d < best {
                                best = d
                                bestQuery = k
                            }
                        }
                        if best <= radius { onHit(row, best, bestQuery) }
                    }
                }
            }
        }
    }

    /// Bits `start ..< start + width` (counted from the most significant bit of limb 0) of every row: the slot
    /// values multi-index hashing buckets by.
    ///
    /// - Precondition: `1 ≤ width ≤ 32` and the slot lies within a row.
    /// - Complexity: O(n).
    static func slotValues(_ limbs: [UInt64], limbCount: Int, start: Int, width: Int) -> [UInt32] {
        precondition(width >= 1 && width <= 32 && start >= 0 && start + width <= limbCount * 64)
        let n = limbs.count / limbCount
        let first = start >> 6
        let offset = start & 63
        let spills = offset + width > 64
        return [UInt32](unsafeUninitializedCapacity: n) { values, initialised in
            limbs.withUnsafeBufferPointer { p in
                for row in 0..<n {
                    let base = row &* limbCount &+ first
                    var bits = p[base] << UInt64(offset)
                    if spills { bits |= p[base &+ 1] >> UInt64(64 &- offset) }
                    values[row] = UInt32(truncatingIfNeeded: bits >> UInt64(64 &- width))
                }
            }
            initialised = n
        }
    }

    /// Distance between one row of `limbs` and the query hash, both given by limbs.
    static func distance(_ limbs: [UInt64], limbCount: Int, row: Int, to query: [UInt64]) -> Int {
        var d = 0
        for k in 0..<limbCount { d &+= (limbs[row &* limbCount &+ k] ^ query[k]).nonzeroBitCount }
        return d
    }

    private static func distance(_ a: UnsafePointer<UInt64>, _ b: [UInt64], _ count: Int) -> Int {
        var d = 0
        for k in 0..<count { d &+= (a[k] ^ b[k]).nonzeroBitCount }
        return d
    }

    private static func distance(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, _ count: Int) -> Int {
        var d = 0
        for k in 0..<count { d &+= (a[k] ^ b[k]).nonzeroBitCount }
        return d
    }
}

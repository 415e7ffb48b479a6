import CKernels

/// The search: which buckets each slot probes for a radius, and the pass over buckets, member lists and rows that
/// finds every live row within the radius once. (The layout it reads and the changes that keep it are in
/// `MultiIndexHashing.swift`.)
extension MultiIndexHashing {
    /// The radius searched in slot `k` for a full radius `radius` (negative: the slot is skipped).
    private func slotRadius(_ k: Int, radius: Int) -> Int {
        Self.slotRadius(k, radius: radius, slots: slotCount)
    }

    static func slotRadius(_ k: Int, radius: Int, slots: Int) -> Int {
        let (a, b) = (radius / slots, radius % slots)
        return k <= b ? a : a - 1
    }

    func forEachHit(_ query: Hash, radius: Int, _ onHit: (Int, Int) -> Void) {
        guard radius >= 0, count > 0 else { return }
        let queryLimbs = EntryTable<Hash>.limbs(of: query)
        // Estimated rows touched: neighbours enumerated × average bucket size.
        var lookups = 0
        var expectedRows = 0.0
        for k in 0..<slotCount {
            let n = Self.neighbourCount(width: tables.widths[k], radius: slotRadius(k, radius: radius))
            lookups += n
            expectedRows += Double(n) * Double(rowCount) / Double(1 << tables.widths[k])
        }
        if expectedRows >= Double(rowCount) || lookups >= rowCount {
            for (rows, first) in [(limbs, 0), (recentLimbs, ids.count)] {
                HammingKernels.scan(
                    rows,
                    limbCount: Hash.limbCount,
                    rows: 0..<rows.count / Hash.limbCount,
                    query: queryLimbs,
                    radius: radius
                ) { row, distance in
                    if isLive(first + row) { onHit(first + row, distance) }
                }
            }
            return
        }
        let querySlots = (0..<slotCount).map { query.slot(start: tables.starts[$0], count: tables.widths[$0]) }
        /// Whether slot `k` is the first that finds `row` (a hit is reported from that slot only, so once).
        func isFirstFinder(_ row: Int, slot k: Int) -> Bool {
            guard k > 0 else { return true }
            let entry = hash(row: row)
            for j in 0..<k {
                let rj = slotRadius(j, radius: radius)
                let s = entry.slot(start: tables.starts[j], count: tables.widths[j])
                if rj >= 0 && (s ^ querySlots[j]).nonzeroBitCount <= rj { return false }
            }
            return true
        }
        // A cold search is a few thousand cache misses (bucket offsets, member lists, candidate rows), each
        // depending on the one before. Taken bucket by bucket they barely overlap. In passes, each pass prefetching
        // what the next one reads, many are in flight at once: 1M PDQ 0.14 → 0.075 ms, 10M 0.39 → 0.18 ms (cold,
        // IndexBench). The lists are temporary allocations: on the stack up to 1 KiB, else one malloc each (~0.1 µs).
        // Recent rows (inserted since the last build, a few at most 1/16 of the rows) are verified one by one.
        var recentCandidates: [(row: UInt32, slot: Int)] = []
        withUnsafeTemporaryAllocation(of: Int.self, capacity: lookups + 2 * slotCount) { scratch in
            let probes = UnsafeMutableBufferPointer(rebasing: scratch[0..<lookups])
            let probeEnds = UnsafeMutableBufferPointer(rebasing: scratch[lookups..<lookups + slotCount])
            let slotEnds = UnsafeMutableBufferPointer(rebasing: scratch[(lookups + slotCount)...])
            var probeCount = 0
            var candidateCount = 0
            let indexed = tables.rowCount > 0
            tables.offsets.withView { offsets in
                tables.withMembers { members in
                    // 1. The buckets within each slot's radius, slot by slot; prefetch their positions.
                    for k in 0..<slotCount {
                        let r = slotRadius(k, radius: radius)
                        if r >= 0 {
                            let base = tables.bases[k]
                            Self.forEachNeighbour(of: querySlots[k], width: tables.widths[k], radius: r) { value in
                                let bucket = base + Int(value)
                                if indexed { hm_prefetch(offsets.address(of: bucket)) }
                                probes[probeCount] = bucket
                                probeCount += 1
                            }
                        }
                        probeEnds[k] = probeCount
                    }
                    // 2. Prefetch each bucket's member list (both ends: it may straddle two cache lines), and count
                    // the candidates; collect the recent rows.
                    var start = 0
                    for k in 0..<slotCount {
                        for bucket in probes[start..<probeEnds[k]] {
                            if indexed {
                                let start = offsets.position(bucket)
                                let end = offsets.position(bucket + 1)
                                hm_prefetch(members.address(of: start))
                                if end > start + 1 { hm_prefetch(members.address(of: end - 1)) }
                                candidateCount += end - start
                            }
                            if !recent.isEmpty, let rows = recent[bucket] {
                                recentCandidates += rows.lazy.map { ($0, k) }
                            }
                        }
                        start = probeEnds[k]
                    }
                }
            }
            guard indexed else { return }
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: candidateCount) { candidates in
                // 3. The candidate rows, slot by slot (`verify` prefetches the rows as it goes).
                var filled = 0
                tables.offsets.withView { offsets in
                    tables.withMembers { members in
                        var start = 0
                        for k in 0..<slotCount {
                            for bucket in probes[start..<probeEnds[k]] {
                                let positions = offsets.position(bucket)..<offsets.position(bucket + 1)
                                if !positions.isEmpty {
                                    members.copy(positions, to: candidates.baseAddress! + filled)
                                    filled += positions.count
                                }
                            }
                            start = probeEnds[k]
                            slotEnds[k] = filled
                        }
                    }
                }
                // 4. Verify, reporting each row from the first slot that finds it.
                var start = 0
                for k in 0..<slotCount {
                    HammingKernels.verify(
                        limbs,
                        limbCount: Hash.limbCount,
                        positions: UnsafeBufferPointer(rebasing: candidates[start..<slotEnds[k]]),
                        query: queryLimbs,
                        radius: radius
                    ) { row, distance in
                        if isFirstFinder(row, slot: k) && isLive(row) { onHit(row, distance) }
                    }
                    start = slotEnds[k]
                }
            }
        }
        for (row, k) in recentCandidates {
            let distance = hash(row: Int(row)).distance(to: query)
            if distance <= radius && isFirstFinder(Int(row), slot: k) && isLive(Int(row)) { onHit(Int(row), distance) }
        }
    }

    /// Σ_{i ≤ radius} C(width, i).
    static func neighbourCount(width: Int, radius: Int) -> Int {
        guard radius >= 0 else { return 0 }
        var total = 0
        var term = 1
        for i in 0...min(radius, width) {
            total += term
            term = term * (width - i) / (i + 1)
        }
        return total
    }

    /// Calls `body` with every `width`-bit value within `radius` bits of `value`, each once.
    private static func forEachNeighbour(of value: UInt32, width: Int, radius: Int, _ body: (UInt32) -> Void) {
        func flip(_ v: UInt32, from bit: Int, remaining: Int) {
            body(v)
            guard remaining > 0 else { return }
            for b in bit..<width { flip(v ^ (1 << UInt32(b)), from: b + 1, remaining: remaining - 1) }
        }
        flip(value, from: 0, remaining: radius)
    }
}

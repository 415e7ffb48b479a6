/// Multi-index hashing (Norouzi, Punjani & Fleet, "Fast Exact Search in Hamming Space with Multi-Index Hashing",
/// 2014): the hash is cut into `m` slots, each with a table from slot value to the rows holding it.
///
/// By pigeonhole, an entry within distance `r = a·m + b` (0 ≤ b < m) of the query is within `a` bits of it in one of
/// the first `b + 1` slots, or within `a − 1` bits in one of the others. A search enumerates those slot neighbours,
/// verifies the full distance of each row found, and reports a row only from the first slot that can find it, so no
/// deduplication state is needed. Slots are at most 16 bits wide and their tables are addressed directly
/// (`2^width` buckets per slot), which is why `m ≥ bits / 16`; the default is 16-bit slots (4 for 64-bit hashes,
/// 16 for PDQ, as in Meta's PDQ index).
///
/// Memory: the packed entries plus 4 bytes per entry per slot (PDQ, 16 slots: 32 + 64 = 96 bytes per entry, plus
/// array headers for non-empty buckets). When the enumeration would touch more rows than the set holds (large radius
/// for the slot width), the search falls back to a linear scan, so it is never much slower than `LinearScan`.
public struct MultiIndexHashing<Hash: HammingHash>: HammingIndex {
    private var table: EntryTable<Hash>
    /// First bit (from the most significant) and width of each slot.
    private let slotStarts: [Int]
    private let slotWidths: [Int]
    /// Where slot k's buckets begin in `buckets`.
    private let bucketBases: [Int]
    /// Rows of `table`, bucketed per slot by slot value.
    private var buckets: [[UInt32]]

    /// The number of slots.
    public var slotCount: Int { slotWidths.count }

    /// An empty index with 16-bit slots.
    public init() { self.init(slotCount: Hash.bitWidth / 16) }

    /// An empty index with `slotCount` slots of (nearly) equal width.
    ///
    /// - Precondition: `bits / 16 ≤ slotCount ≤ bits`, so every slot is 1–16 bits wide.
    public init(slotCount: Int) {
        precondition(slotCount >= (Hash.bitWidth + 15) / 16 && slotCount <= Hash.bitWidth, "slots must be 1-16 bits")
        let narrow = Hash.bitWidth / slotCount
        let wide = Hash.bitWidth % slotCount
        let widths = (0..<slotCount).map { $0 < wide ? narrow + 1 : narrow }
        var starts: [Int] = []
        var bases: [Int] = []
        var bit = 0
        var base = 0
        for width in widths {
            starts.append(bit)
            bases.append(base)
            bit += width
            base += 1 << width
        }
        table = EntryTable()
        slotStarts = starts
        slotWidths = widths
        bucketBases = bases
        buckets = Array(repeating: [], count: base)
    }

    /// An index of `entries` with 16-bit slots.
    ///
    /// - Complexity: O(n × m).
    public init(entries: some Sequence<(hash: Hash, id: UInt32)>) {
        self.init(entries: entries, slotCount: Hash.bitWidth / 16)
    }

    /// An index of `entries` with `slotCount` slots; the last entry wins when an id repeats.
    ///
    /// - Complexity: O(n × m).
    public init(entries: some Sequence<(hash: Hash, id: UInt32)>, slotCount: Int) {
        self.init(slotCount: slotCount)
        table = EntryTable(entries: entries)
        rebuildBuckets()
    }

    /// Loads a snapshot written by any index of this hash width, with 16-bit slots.
    ///
    /// - Throws: `SnapshotError`.
    /// - Complexity: O(n × m).
    public init(snapshot: [UInt8]) throws(SnapshotError) {
        try self.init(snapshot: snapshot, slotCount: Hash.bitWidth / 16)
    }

    /// Loads a snapshot with `slotCount` slots.
    ///
    /// - Throws: `SnapshotError`.
    /// - Complexity: O(n × m).
    public init(snapshot: [UInt8], slotCount: Int) throws(SnapshotError) {
        self.init(table: try EntryTable(snapshot: snapshot), slotCount: slotCount)
    }

    /// An index over an already decoded table.
    init(table: EntryTable<Hash>, slotCount: Int) {
        self.init(slotCount: slotCount)
        self.table = table
        rebuildBuckets()
    }

    /// The number of entries.
    public var count: Int { table.count }

    /// The hash stored under `id`.
    ///
    /// - Complexity: O(1).
    public func hash(id: UInt32) -> Hash? { table.row(of: id).map { table.hash(row: $0) } }

    /// Adds or replaces an entry.
    ///
    /// - Complexity: amortised O(m), plus O(m × bucket size) when it replaces one.
    public mutating func insert(_ hash: Hash, id: UInt32) {
        if table.row(of: id) != nil { remove(id: id) }
        let row = UInt32(table.insert(hash, id: id).row)
        for k in 0..<slotCount { buckets[bucket(of: hash, slot: k)].append(row) }
    }

    /// Removes an entry; the last row moves into its place and its bucket entries are renumbered.
    ///
    /// - Complexity: O(m × bucket size), about m × (n / 2^16) for random hashes.
    @discardableResult
    public mutating func remove(id: UInt32) -> Bool {
        guard let row = table.row(of: id) else { return false }
        let removed = table.hash(row: row)
        let last = table.count - 1
        let lastHash = table.hash(row: last)
        for k in 0..<slotCount {
            let b = bucket(of: removed, slot: k)
            if let i = buckets[b].firstIndex(of: UInt32(row)) {
                buckets[b].swapAt(i, buckets[b].count - 1)
                buckets[b].removeLast()
            }
        }
        if row != last {
            for k in 0..<slotCount {
                let b = bucket(of: lastHash, slot: k)
                if let i = buckets[b].firstIndex(of: UInt32(last)) { buckets[b][i] = UInt32(row) }
            }
        }
        _ = table.remove(id: id)
        return true
    }

    /// Appends every entry within `radius` of `query`.
    ///
    /// - Complexity: O(Σ_k C(w_k, ≤ r_k) + candidates) where `r_k` is about `radius / m`; candidates are about
    ///   that many lookups × n / 2^16 for random hashes, far more on clustered data. Falls back to O(n) when
    ///   that estimate exceeds n.
    public func search(_ query: Hash, radius: Int, into results: inout [IndexHit]) {
        let ids = table.ids
        forEachHit(query, radius: radius) { row, distance in
            results.append(IndexHit(id: ids[row], distance: distance))
        }
    }

    /// Appends every entry within `radius` of any query: each query is searched in turn and the hits merged,
    /// keeping each entry's nearest query.
    ///
    /// - Complexity: the sum of the single-query searches, plus sorting the hits.
    public func searchAny(_ queries: [Hash], radius: Int, into results: inout [MultiQueryHit]) {
        var hits: [MultiQueryHit] = []
        for (q, query) in queries.enumerated() {
            forEachHit(query, radius: radius) { row, distance in
                hits.append(MultiQueryHit(id: UInt32(row), distance: distance, query: q))
            }
        }
        mergeMultiHits(&hits, ids: table.ids, into: &results)
    }

    /// The entries as snapshot bytes (the slot tables are rebuilt on load).
    ///
    /// - Complexity: O(n).
    public func serialize() -> [UInt8] { table.serialize() }

    // MARK: - Internals

    private func bucket(of hash: Hash, slot k: Int) -> Int {
        bucketBases[k] + Int(hash.slot(start: slotStarts[k], count: slotWidths[k]))
    }

    /// The radius searched in slot `k` for a full radius `radius` (negative: the slot is skipped).
    private func slotRadius(_ k: Int, radius: Int) -> Int {
        let a = radius / slotCount
        let b = radius % slotCount
        return k <= b ? a : a - 1
    }

    /// Fills the buckets from the table by a counting sort per slot, so each bucket is allocated once at its final
    /// size (appending row by row costs a uniqueness check and regrowth per entry: 5 s instead of ~1 s at 10M).
    private mutating func rebuildBuckets() {
        var filled: [[UInt32]] = []
        filled.reserveCapacity(buckets.count)
        for k in 0..<slotCount {
            let values = HammingKernels.slotValues(
                table.limbs,
                limbCount: Hash.limbCount,
                start: slotStarts[k],
                width: slotWidths[k]
            )
            var starts = [Int](repeating: 0, count: (1 << slotWidths[k]) + 1)
            for value in values { starts[Int(value) + 1] += 1 }
            for v in 1..<starts.count { starts[v] += starts[v - 1] }
            var next = starts
            var rows = [UInt32](repeating: 0, count: values.count)
            for (row, value) in values.enumerated() {
                rows[next[Int(value)]] = UInt32(row)
                next[Int(value)] += 1
            }
            for v in 0..<starts.count - 1 {
                filled.append(starts[v] == starts[v + 1] ? [] : Array(rows[starts[v]..<starts[v + 1]]))
            }
        }
        buckets = filled
    }

    private func forEachHit(_ query: Hash, radius: Int, _ onHit: (Int, Int) -> Void) {
        guard radius >= 0, table.count > 0 else { return }
        let queryLimbs = EntryTable<Hash>.limbs(of: query)
        // Estimated rows touched: neighbours enumerated × average bucket size.
        var lookups = 0
        var expectedRows = 0.0
        for k in 0..<slotCount {
            let n = neighbourCount(width: slotWidths[k], radius: slotRadius(k, radius: radius))
            lookups += n
            expectedRows += Double(n) * Double(table.count) / Double(1 << slotWidths[k])
        }
        if expectedRows >= Double(table.count) || lookups >= table.count {
            HammingKernels.scan(
                table.limbs,
                limbCount: Hash.limbCount,
                rows: 0..<table.count,
                query: queryLimbs,
                radius: radius,
                onHit: onHit
            )
            return
        }
        let querySlots = (0..<slotCount).map { query.slot(start: slotStarts[$0], count: slotWidths[$0]) }
        for k in 0..<slotCount {
            let r = slotRadius(k, radius: radius)
            guard r >= 0 else { continue }
            let base = bucketBases[k]
            Self.forEachNeighbour(of: querySlots[k], width: slotWidths[k], radius: r) { value in
                let rows = buckets[base + Int(value)]
                guard !rows.isEmpty else { return }
                HammingKernels.verify(
                    table.limbs,
                    limbCount: Hash.limbCount,
                    positions: rows,
                    query: queryLimbs,
                    radius: radius
                ) { row, distance in
                    // Report from the first slot that finds the row, so each row is reported once.
                    if k > 0 {
                        let entry = table.hash(row: row)
                        for j in 0..<k {
                            let rj = slotRadius(j, radius: radius)
                            let s = entry.slot(start: slotStarts[j], count: slotWidths[j])
                            if rj >= 0 && (s ^ querySlots[j]).nonzeroBitCount <= rj { return }
                        }
                    }
                    onHit(row, distance)
                }
            }
        }
    }

    /// Σ_{i ≤ radius} C(width, i).
    private func neighbourCount(width: Int, radius: Int) -> Int {
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

import CKernels

/// Multi-index hashing (Norouzi, Punjani & Fleet, "Fast Exact Search in Hamming Space with Multi-Index Hashing",
/// 2014): the hash is cut into `m` slots, each with a table from slot value to the rows holding it.
///
/// By pigeonhole, an entry within distance `r = a·m + b` (0 ≤ b < m) of the query is within `a` bits of it in one of
/// the first `b + 1` slots, or within `a − 1` bits in one of the others. A search enumerates those slot neighbours,
/// verifies the full distance of each row found, and reports a row only from the first slot that can find it, so no
/// deduplication state is needed. Slot tables are addressed directly (`2^width` buckets per slot), so slots are at
/// most 22 bits wide. The default is 16-bit slots (4 for 64-bit hashes, 16 for PDQ, as in Meta's PDQ index);
/// `recommendedSlotCount(count:radius:)` picks wider ones for large sets (12 for 10M PDQ), which `AutoIndex` uses.
///
/// Layout: rows (packed limbs and ids) in insertion order, and `SlotTables` (two flat arrays) over the rows present
/// at the last build. Rows inserted since then sit in arrays of their own and in small per-bucket lists, verified one
/// by one after the tables' candidates, so the built rows and tables are never written between builds: a change to a
/// copy that readers still hold (an admin change in the service) copies the recent rows, the dead-row bitset and the
/// id map if there is one, not 360 MB of limbs and ids at 10M entries. A removed row stays where it is, dead (marked in a bitset), and is skipped. While ids rise with the rows, as the `Matcher`
/// assigns them, a row is found by binary search over the ids and no id map is kept (4 bytes per id up to the
/// largest, grown by doubling: 64 MiB at 10M, more when another algorithm's rows take every other id). Once the
/// recent rows pass 1/16 of the indexed ones, or dead rows pass a quarter, the tables are rebuilt from the live rows
/// (a counting sort per slot: 0.2 s for 1M PDQ entries, 2.4 s for 10M, IndexBench), so a change costs amortised
/// O(m).
///
/// Memory: the packed entries plus 3 bytes per entry per slot below 16.7M rows, 4 above (PDQ, 16 slots: 36 + 48 =
/// 84 bytes per entry), plus about 2 bytes per bucket (2 MiB for 16-bit PDQ slots), and the id map once ids stop
/// rising with the rows. The snapshot holds the tables, so loading is a copy. When the enumeration would touch more
/// rows than the set holds (large radius for the slot width), the search falls back to a linear scan, so it is never
/// much slower than `LinearScan`. The search itself is in `MultiIndexHashing+Search.swift`.
public struct MultiIndexHashing<Hash: HammingHash>: HammingIndex {
    /// `Hash.limbCount` limbs per row, most significant first, of the rows under the tables (`0 ..< ids.count`,
    /// which is `tables.rowCount` once built). Never written between rebuilds, so a change made to a copy that a
    /// reader holds (an admin change in the service) does not copy them: 320 MB at 10M PDQ rows.
    private(set) var limbs: [UInt64] = []
    /// The id of each of those rows, live or dead.
    private(set) var ids: [UInt32] = []
    /// The limbs and ids of the rows inserted since the last build, rows `ids.count ..< rowCount`.
    private(set) var recentLimbs: [UInt64] = []
    private var recentIDs: [UInt32] = []
    /// The row of each live id; nil while the ids (`ids`, then `recentIDs`) rise strictly, when a binary search finds
    /// it.
    private var rowOfID: IDMap?
    /// One bit per row, set when the row is dead; empty until a row dies.
    private var dead: [UInt64] = []
    private var deadRows = 0
    /// The tables over rows `0 ..< tables.rowCount`.
    private(set) var tables: SlotTables
    /// The recent rows by bucket. A dictionary, not an array over all buckets: an admin change made
    /// while a reader holds the index copies this (copy-on-write), and a million-bucket array made every such
    /// copy, and the first insert after a build, cost a million elements.
    private(set) var recent: [Int: [UInt32]] = [:]

    /// The number of slots.
    public var slotCount: Int { tables.slotCount }

    /// An empty index with 16-bit slots.
    public init() { self.init(slotCount: Hash.bitWidth / 16) }

    /// An empty index with `slotCount` slots of (nearly) equal width.
    ///
    /// - Precondition: `bits / 22 ≤ slotCount ≤ bits`, so every slot is 1–22 bits wide.
    public init(slotCount: Int) {
        precondition(
            slotCount >= (Hash.bitWidth + SlotTables.maximumWidth - 1) / SlotTables.maximumWidth
                && slotCount <= Hash.bitWidth,
            "slots must be 1-\(SlotTables.maximumWidth) bits"
        )
        tables = SlotTables(widths: SlotTables.widths(bits: Hash.bitWidth, slotCount: slotCount))
    }

    /// The slot count that touches the least memory per search of `count` random entries at `radius`.
    ///
    /// The cost is estimated in cache misses on random queries: per slot neighbour enumerated, its bucket offset
    /// (a miss once the offsets outgrow the caches: 4 MiB for 16-bit PDQ slots stays cached, 46 MiB for 20-bit ones
    /// does not) and, when the bucket is not empty, its member list; per candidate, its row. 16-bit slots
    /// enumerate few neighbours but their buckets fill up as the set grows (10M PDQ: 272 neighbours, 41.5k
    /// candidates); wider slots trade more neighbours for far fewer candidates (12 slots of 21–22 bits: 2k
    /// neighbours, 7.3k candidates). Measured on random queries (`IndexBench --repeat 1`): 1M PDQ, 16 slots
    /// 0.14 ms, 13 slots 0.18 ms, so 16 stay there. Slot widths go up to 22 bits, as long as the bucket offsets take
    /// no more memory than the rows they index, and a wider layout must promise at least a fifth less work. (The
    /// model counts 4 bytes a bucket, as when it was measured; `BucketOffsets` now takes about 2.)
    ///
    /// - Complexity: O(bits).
    public static func recommendedSlotCount(count: Int, radius: Int) -> Int {
        let bits = Hash.bitWidth
        let sixteen = bits / 16
        guard radius >= 0, count > 0 else { return sixteen }
        func cost(_ m: Int) -> Double {
            let widths = SlotTables.widths(bits: bits, slotCount: m)
            let offsetBytes = 4 * SlotTables.bucketCount(widths: widths)
            let offsetMiss = offsetBytes > 8 << 20 ? 1.0 : 0.1
            var total = 0.0
            for (k, width) in widths.enumerated() {
                let neighbours = Double(neighbourCount(width: width, radius: slotRadius(k, radius: radius, slots: m)))
                let perBucket = Double(count) / Double(1 << width)
                total += neighbours * (offsetMiss + min(1, perBucket) + perBucket)
            }
            return total
        }
        var best = sixteen
        var bestCost = cost(sixteen) * 0.8
        for m in (bits + SlotTables.maximumWidth - 1) / SlotTables.maximumWidth..<sixteen {
            let buckets = SlotTables.bucketCount(widths: SlotTables.widths(bits: bits, slotCount: m))
            guard buckets <= m * count else { continue }
            let c = cost(m)
            if c < bestCost {
                best = m
                bestCost = c
            }
        }
        return best
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
        let table = EntryTable(entries: entries)
        let rowOfID = Self.rise(table.ids) ? nil : table.rowOfID
        self.init(limbs: table.limbs, ids: table.ids, rowOfID: rowOfID, tables: nil, slotCount: slotCount)
    }

    /// Loads a snapshot written by any index of this hash width, with 16-bit slots.
    ///
    /// - Throws: `SnapshotError`.
    /// - Complexity: a copy when the snapshot holds 16-bit slot tables, else O(n × m).
    public init(snapshot: [UInt8]) throws(SnapshotError) {
        try self.init(snapshot: snapshot, slotCount: Hash.bitWidth / 16)
    }

    /// Loads a snapshot with `slotCount` slots.
    ///
    /// - Throws: `SnapshotError`.
    /// - Complexity: a copy when the snapshot holds tables with that many slots, else O(n × m).
    public init(snapshot: [UInt8], slotCount: Int) throws(SnapshotError) {
        let contents = try IndexSnapshot.decode(snapshot[...], limbCount: Hash.limbCount)
        try self.init(limbs: contents.limbs, ids: contents.ids, tables: contents.tables, slotCount: slotCount)
    }

    /// An index over decoded snapshot columns, reusing `tables` when they have `slotCount` slots. Rising ids are
    /// unique as they stand and need no map, so only others go through `EntryTable`'s duplicate check (whose map
    /// takes 40–80 MB at 10M entries).
    ///
    /// - Throws: `.duplicateID` when an id repeats.
    init(limbs: [UInt64], ids: [UInt32], tables: SlotTables?, slotCount: Int) throws(SnapshotError) {
        let rowOfID = Self.rise(ids) ? nil : try EntryTable<Hash>.uniqueIDMap(ids)
        self.init(limbs: limbs, ids: ids, rowOfID: rowOfID, tables: tables, slotCount: slotCount)
    }

    private init(limbs: [UInt64], ids: [UInt32], rowOfID: IDMap?, tables: SlotTables?, slotCount: Int) {
        precondition(limbs.count == ids.count * Hash.limbCount)
        self.init(slotCount: slotCount)
        self.limbs = limbs
        self.ids = ids
        self.rowOfID = rowOfID
        if let tables, tables.widths == self.tables.widths, tables.rowCount == ids.count {
            self.tables = tables
        } else {
            rebuild()
        }
    }

    /// The number of entries.
    public var count: Int { rowCount - deadRows }

    /// Rows, live or dead.
    var rowCount: Int { ids.count + recentIDs.count }

    /// The hash stored under `id`.
    ///
    /// - Complexity: O(log n) while ids rise with the rows, else O(1).
    public func hash(id: UInt32) -> Hash? { row(of: id).map { hash(row: $0) } }

    /// Calls `body` with every entry once, in row order.
    ///
    /// - Complexity: O(n).
    public func forEachEntry(_ body: (_ id: UInt32, _ hash: Hash) -> Void) {
        for row in 0..<rowCount where isLive(row) { body(id(ofRow: row), hash(row: row)) }
    }

    /// Adds or replaces an entry.
    ///
    /// - Complexity: amortised O(m); plus O(log n) to find an id at or below the highest while ids rise, and O(n)
    ///   when that id builds the id map (again after a rebuild that dropped it).
    public mutating func insert(_ hash: Hash, id: UInt32) {
        precondition(rowCount < Int(UInt32.max) - 1, "an index holds at most 2^32 - 2 rows")
        // An id above every other is new and keeps the ids rising: no lookup, no map.
        let rising = rowOfID == nil && (recentIDs.last ?? ids.last).map { $0 < id } ?? true
        if !rising, let old = self.row(of: id) { markDead(old) }
        let row = rowCount
        for k in 0..<Hash.limbCount { recentLimbs.append(hash.limb(k)) }
        recentIDs.append(id)
        if !rising && rowOfID == nil { rowOfID = liveMap() }
        let total = rowCount
        rowOfID?.set(id, UInt32(row), count: total)
        for k in 0..<slotCount { recent[bucket(of: hash, slot: k), default: []].append(UInt32(row)) }
        if recentIDs.count > max(1024, tables.rowCount / 16) { rebuild() }
    }

    /// Removes an entry (its row stays, dead, until the next rebuild).
    ///
    /// - Complexity: amortised O(m), plus O(log n) to find the row while ids rise.
    @discardableResult
    public mutating func remove(id: UInt32) -> Bool {
        guard let row = self.row(of: id) else { return false }
        rowOfID?.remove(id)
        markDead(row)
        if deadRows > max(1024, rowCount / 4) { rebuild() }
        return true
    }

    /// Appends every entry within `radius` of `query`.
    ///
    /// - Complexity: O(Σ_k C(w_k, ≤ r_k) + candidates) where `r_k` is about `radius / m`; candidates are about
    ///   that many lookups × n / 2^16 for random hashes, far more on clustered data. Falls back to O(n) when
    ///   that estimate exceeds n.
    public func search(_ query: Hash, radius: Int, into results: inout [IndexHit]) {
        forEachHit(query, radius: radius) { row, distance in
            results.append(IndexHit(id: id(ofRow: row), distance: distance))
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
        mergeMultiHits(&hits, into: &results) { id(ofRow: $0) }
    }

    /// The live entries and their slot tables as snapshot bytes (a compacted copy when rows changed since the
    /// last build).
    ///
    /// - Complexity: O(n) for a freshly built index, O(n × m) otherwise.
    public func serialize() -> [UInt8] {
        var current = self
        if current.deadRows > 0 || !current.recentIDs.isEmpty { current.rebuild() }
        return IndexSnapshot.encode(
            limbs: current.limbs,
            ids: current.ids,
            limbCount: Hash.limbCount,
            tables: current.tables
        )
    }

    // MARK: - Internals

    func hash(row: Int) -> Hash {
        if row < ids.count {
            let base = row * Hash.limbCount
            return Hash(limbs: { limbs[base + $0] })
        }
        let base = (row - ids.count) * Hash.limbCount
        return Hash(limbs: { recentLimbs[base + $0] })
    }

    private func id(ofRow row: Int) -> UInt32 { row < ids.count ? ids[row] : recentIDs[row - ids.count] }

    private func bucket(of hash: Hash, slot k: Int) -> Int {
        tables.bases[k] + Int(hash.slot(start: tables.starts[k], count: tables.widths[k]))
    }

    /// The live row holding `id`.
    private func row(of id: UInt32) -> Int? {
        if let rowOfID { return rowOfID[id].map(Int.init) }
        var (low, high) = (0, rowCount)
        while low < high {
            let middle = (low + high) / 2
            if self.id(ofRow: middle) < id { low = middle + 1 } else { high = middle }
        }
        return low < rowCount && self.id(ofRow: low) == id && isLive(low) ? low : nil
    }

    /// Whether `row` still holds a live entry.
    @inline(__always)
    func isLive(_ row: Int) -> Bool {
        deadRows == 0 || row >> 6 >= dead.count || dead[row >> 6] & (1 << UInt64(row & 63)) == 0
    }

    private mutating func markDead(_ row: Int) {
        if dead.count <= row >> 6 { dead += repeatElement(0, count: max(rowCount + 63, row + 64) / 64 - dead.count) }
        dead[row >> 6] |= 1 << UInt64(row & 63)
        deadRows += 1
    }

    /// The id → row map of the live rows.
    private func liveMap() -> IDMap {
        var map = IDMap()
        for row in 0..<rowCount where isLive(row) { map.set(id(ofRow: row), UInt32(row), count: rowCount) }
        return map
    }

    /// Whether `ids` rise strictly.
    private static func rise(_ ids: [UInt32]) -> Bool {
        zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }
    }

    /// Drops dead rows and rebuilds the tables over every row.
    private mutating func rebuild() {
        if deadRows > 0 {
            var liveLimbs: [UInt64] = []
            var liveIDs: [UInt32] = []
            liveLimbs.reserveCapacity(count * Hash.limbCount)
            liveIDs.reserveCapacity(count)
            for row in 0..<rowCount where isLive(row) {
                let hash = hash(row: row)
                for k in 0..<Hash.limbCount { liveLimbs.append(hash.limb(k)) }
                liveIDs.append(id(ofRow: row))
            }
            limbs = liveLimbs
            ids = liveIDs
            // Every id is live, so each appears once.
            rowOfID = Self.rise(ids) ? nil : IDMap(locations: ids)!
            dead = []
            deadRows = 0
        } else if !recentIDs.isEmpty {
            limbs += recentLimbs
            ids += recentIDs
        }
        recentLimbs = []
        recentIDs = []
        tables = SlotTables(widths: tables.widths, limbs: limbs, limbCount: Hash.limbCount)
        recent = [:]
    }
}

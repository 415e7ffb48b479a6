/// Entries as packed limb rows plus ids, rows kept dense (a removal moves the last row into the hole), with an id
/// → row map. `LinearScan` is this table alone; `MultiIndexHashing` indexes its rows.
struct EntryTable<Hash: HammingHash>: Sendable {
    /// `Hash.limbCount` limbs per row, most significant first.
    private(set) var limbs: [UInt64] = []
    /// The id of each row.
    private(set) var ids: [UInt32] = []
    private(set) var rowOfID = IDMap()

    init() {}

    /// A table of `entries`, the last one winning when an id repeats.
    ///
    /// - Complexity: O(n).
    init(entries: some Sequence<(hash: Hash, id: UInt32)>) {
        for entry in entries { insert(entry.hash, id: entry.id) }
    }

    /// A table of unpacked snapshot columns.
    ///
    /// - Throws: `.duplicateID` when an id repeats.
    /// - Complexity: O(n).
    init(limbs: [UInt64], ids: [UInt32]) throws(SnapshotError) {
        precondition(limbs.count == ids.count * Hash.limbCount)
        let map = try Self.uniqueIDMap(ids)
        self.limbs = limbs
        self.ids = ids
        self.rowOfID = map
    }

    /// The id → row map of snapshot ids.
    ///
    /// - Throws: `.duplicateID` naming the first id that repeats.
    static func uniqueIDMap(_ ids: [UInt32]) throws(SnapshotError) -> IDMap {
        guard let map = IDMap(locations: ids) else {
            var seen = Set<UInt32>()
            throw .duplicateID(ids.first { !seen.insert($0).inserted } ?? 0)
        }
        return map
    }

    /// Decodes snapshot bytes.
    ///
    /// - Throws: `SnapshotError`.
    init(snapshot: [UInt8]) throws(SnapshotError) {
        let contents = try IndexSnapshot.decode(snapshot[...], limbCount: Hash.limbCount)
        try self.init(limbs: contents.limbs, ids: contents.ids)
    }

    var count: Int { ids.count }

    /// The row holding `id`.
    func row(of id: UInt32) -> Int? { rowOfID[id].map(Int.init) }

    /// The hash in `row`.
    func hash(row: Int) -> Hash {
        let base = row * Hash.limbCount
        return Hash(limbs: { limbs[base + $0] })
    }

    /// Appends a row, or overwrites the row of an id already present.
    ///
    /// - Returns: the row written and, when it replaced one, the hash it held.
    /// - Complexity: amortised O(1).
    @discardableResult
    mutating func insert(_ hash: Hash, id: UInt32) -> (row: Int, replaced: Hash?) {
        if let row = row(of: id) {
            let old = self.hash(row: row)
            for k in 0..<Hash.limbCount { limbs[row * Hash.limbCount + k] = hash.limb(k) }
            return (row, old)
        }
        precondition(ids.count < Int(UInt32.max) - 1, "an index holds at most 2^32 - 2 entries")
        for k in 0..<Hash.limbCount { limbs.append(hash.limb(k)) }
        ids.append(id)
        rowOfID.set(id, UInt32(ids.count - 1), count: ids.count)
        return (ids.count - 1, nil)
    }

    /// Removes the row of `id` by moving the last row into it.
    ///
    /// - Returns: the row removed and the row that moved into it (nil when the removed row was the last),
    ///   or nil when `id` is absent.
    /// - Complexity: O(1).
    mutating func remove(id: UInt32) -> (row: Int, movedFrom: Int?)? {
        guard let row = row(of: id) else { return nil }
        let last = ids.count - 1
        rowOfID.remove(id)
        if row != last {
            for k in 0..<Hash.limbCount { limbs[row * Hash.limbCount + k] = limbs[last * Hash.limbCount + k] }
            ids[row] = ids[last]
            rowOfID.set(ids[row], UInt32(row), count: last)
        }
        limbs.removeLast(Hash.limbCount)
        ids.removeLast()
        return (row, row != last ? last : nil)
    }

    /// The limbs of `hash`, for the kernels.
    static func limbs(of hash: Hash) -> [UInt64] { (0..<Hash.limbCount).map { hash.limb($0) } }

    /// The snapshot bytes of the table.
    func serialize() -> [UInt8] { IndexSnapshot.encode(limbs: limbs, ids: ids, limbCount: Hash.limbCount) }
}

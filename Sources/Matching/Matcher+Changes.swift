import HashIndex
import HashSets
import PerceptualHashing

/// Small changes made in place: an admin adding or removing entries, and lines appended to a set file replayed onto
/// a snapshot.
///
/// A change finds the rows of its ids by one pass over the rows, not through an id → row dictionary. Kept for every
/// row, that dictionary cost ~50 bytes a row (500 MB at 10M entries), seconds to build at the first change, and a
/// copy of itself at every change while readers held the previous index; the pass (`RowIDs.rows(withIDs:where:)`)
/// compares an id only when its length and last eight bytes match one asked for. What a change needs besides is the
/// algorithm of each row (one byte, so the right index is changed) and the digest of each digest row.
extension Matcher {
    static let deadRow = UInt8.max

    /// Adds entries to the set named `name` (created with `settings` when the matcher has no such set), updating the
    /// indexes in place. An entry whose id the set already holds replaces it; entries of algorithms the set does not
    /// enable are skipped.
    ///
    /// - Returns: the number of entries indexed.
    /// - Complexity: O(n) to find the rows of the ids, plus per entry that of the index's `insert`.
    @discardableResult
    public mutating func insert(_ entries: [HashSetEntry], intoSet name: String, settings: HashSetSettings) -> Int {
        let setIndex: Int
        if let existing = sets.firstIndex(where: { $0.name == name }) {
            setIndex = existing
        } else {
            setIndex = sets.count
            sets.append((name, settings))
            for algorithm in HashAlgorithm.perceptual where settings.isEnabled(algorithm) {
                searchRadius[algorithm] = max(searchRadius[algorithm] ?? 0, threshold(algorithm, setIndex: setIndex))
            }
        }
        let enabled = entries.filter { sets[setIndex].settings.isEnabled($0.algorithm) }
        var live = liveRows(ids: Set(enabled.map(\.id)), setIndex: setIndex)
        for entry in enabled {
            if let row = live[entry.id] { removeRow(row) }
            live[entry.id] = appendRow(entry, setIndex: setIndex)
        }
        return enabled.count
    }

    /// Removes the entries with these ids from the set named `name`, updating the indexes in place.
    ///
    /// - Returns: the number of entries that were indexed and are now gone.
    /// - Complexity: O(n) to find the rows of the ids, plus per entry that of the index's `remove`.
    @discardableResult
    public mutating func remove(ids: [String], fromSet name: String) -> Int {
        guard let setIndex = sets.firstIndex(where: { $0.name == name }) else { return 0 }
        var live = liveRows(ids: Set(ids), setIndex: setIndex)
        var removed = 0
        for id in ids {
            guard let row = live.removeValue(forKey: id) else { continue }
            removeRow(row)
            removed += 1
        }
        return removed
    }

    /// Replays changes appended to the file of the set named `name` after this matcher was built from it, by the
    /// file's rules (`HashSet.apply`): an entry whose id the set already holds is skipped, since a file keeps the
    /// first; a removal by id removes.
    ///
    /// - Returns: false, having changed nothing, when the changes cannot be replayed exactly: the matcher has no such
    ///   set, the set enables only some algorithms (the entries of the others, which the matcher lacks, would still
    ///   hold their ids in the file), or a change removes by hash. Load the sets instead.
    /// - Complexity: O(n) to find the rows of the ids, plus per change that of the index's `insert` or `remove`.
    public mutating func replay(_ changes: [HashSetChange], onSet name: String) -> Bool {
        guard let setIndex = sets.firstIndex(where: { $0.name == name }),
            sets[setIndex].settings.enabledAlgorithms == nil
        else { return false }
        var ids = Set<String>()
        for change in changes {
            switch change {
            case .add(let entry): ids.insert(entry.id)
            case .remove(.id(let id)): ids.insert(id)
            case .remove(.hash): return false
            }
        }
        var live = liveRows(ids: ids, setIndex: setIndex)
        for change in changes {
            switch change {
            case .add(let entry) where live[entry.id] == nil:
                live[entry.id] = appendRow(entry, setIndex: setIndex)
            case .remove(.id(let id)):
                if let row = live.removeValue(forKey: id) { removeRow(row) }
            case .add, .remove(.hash):
                continue
            }
        }
        return true
    }

    /// The live row of each of these ids in the set, by one pass over the rows (mapping their algorithms first if no
    /// change has yet).
    private mutating func liveRows(ids: Set<String>, setIndex: Int) -> [String: UInt32] {
        if rowAlgorithm.count != rows.count { mapAlgorithms() }
        guard !ids.isEmpty else { return [:] }
        let set = Int32(setIndex)
        return self.ids.rows(withIDs: ids) { rows[$0].set == set && rowAlgorithm[$0] != Self.deadRow }
    }

    /// Appends a row for `entry` to the set and indexes it.
    private mutating func appendRow(_ entry: HashSetEntry, setIndex: Int) -> UInt32 {
        let row = UInt32(rows.count)
        let labels = sets[setIndex].settings.labels(for: entry)
        rows.append(Row(set: Int32(setIndex), labels: labelLists.index(of: labels)))
        ids.append(entry.id)
        rowAlgorithm.append(Self.code(entry.algorithm))
        switch entry.value {
        case .hash256(let hash): pdq.insert(hash, id: row)
        case .hash64(let hash): sixtyFour[entry.algorithm, default: AutoIndex()].insert(hash, id: row)
        case .digest(let digest):
            let key = DigestTable.Key(digest)
            digests[entry.algorithm, default: DigestTable(width: digest.bytes.count)].append(row, for: key)
            rowDigest[row] = key
        }
        return row
    }

    /// Takes a live row out of its index.
    private mutating func removeRow(_ row: UInt32) {
        let algorithm = HashAlgorithm.allCases[Int(rowAlgorithm[Int(row)])]
        rowAlgorithm[Int(row)] = Self.deadRow
        switch algorithm {
        case .pdq: pdq.remove(id: row)
        case _ where algorithm.isPerceptual: sixtyFour[algorithm]?.remove(id: row)
        default:
            guard let key = rowDigest[row] else { return }
            rowDigest[row] = nil
            digests[algorithm]?.remove(row, for: key)
        }
    }

    private static func code(_ algorithm: HashAlgorithm) -> UInt8 {
        UInt8(HashAlgorithm.allCases.firstIndex(of: algorithm)!)
    }

    /// Records the algorithm of every live row (one some index holds; the others are dead) and the digest of every
    /// digest row, from the indexes.
    private mutating func mapAlgorithms() {
        var algorithms = ChunkedColumn<UInt8>(repeating: Self.deadRow, count: rows.count)
        // Ids come from indexes that may have been loaded from a snapshot: only rows that exist.
        let pdqCode = Self.code(.pdq)
        pdq.forEachEntry { row, _ in if Int(row) < algorithms.count { algorithms[Int(row)] = pdqCode } }
        for (algorithm, index) in sixtyFour {
            let code = Self.code(algorithm)
            index.forEachEntry { row, _ in if Int(row) < algorithms.count { algorithms[Int(row)] = code } }
        }
        var digestOfRow = RowDigests()
        for (algorithm, table) in digests {
            let code = Self.code(algorithm)
            table.forEach { key, row in
                guard Int(row) < algorithms.count else { return }
                algorithms[Int(row)] = code
                digestOfRow[row] = key
            }
        }
        rowAlgorithm = algorithms
        rowDigest = digestOfRow
    }
}

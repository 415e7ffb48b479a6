import Fingerprinting
import HashIndex
import HashSets
import PerceptualHashing

/// The loaded hash sets, indexed for lookup: one Hamming index per perceptual algorithm over every set,
/// a hash table per digest.
///
/// A value: build a new one aside (e.g. on reload) and swap it in; searches never mutate. Small changes (an admin
/// adding or removing a few entries) go through `insert(_:intoSet:settings:)` and `remove(_:fromSet:)`, which update
/// the indexes in place instead of rebuilding them; copy-on-write keeps copies held by readers unchanged.
public struct Matcher: Sendable {
    /// What an index row points back to.
    struct Row: Sendable {
        var set: Int32
        var id: String
        var labels: [String]
    }

    /// A row's identity: its set and entry id (unique within the set).
    struct RowKey: Hashable, Sendable {
        var set: Int32
        var id: String
    }

    /// The thresholds every set starts from.
    public let thresholds: MatchThresholds
    // Internal rather than private: `Matcher+Snapshot.swift` writes and reads them.
    var sets: [(name: String, settings: HashSetSettings)]
    var rows: [Row] = []
    /// Row of each live entry, built on the first `insert` or `remove` (searches never need it).
    private var rowByKey: [RowKey: UInt32]?
    /// The algorithm and hash of each live row, built with `rowByKey`.
    private var rowAlgorithm: [UInt32: (HashAlgorithm, HashValue)] = [:]
    var pdq = AutoIndex<Hash256>()
    var sixtyFour: [HashAlgorithm: AutoIndex<Hash64>] = [:]
    var digests: [HashAlgorithm: [ExactDigest: [UInt32]]] = [:]
    /// Per algorithm, the largest threshold of any set: the radius the index is searched with.
    var searchRadius: [HashAlgorithm: Int] = [:]

    /// Indexes every entry of `sets` whose algorithm its set enables.
    ///
    /// - Complexity: O(n) to collect the entries plus the index builds.
    public init(sets: [HashSet], thresholds: MatchThresholds = MatchThresholds()) {
        self.thresholds = thresholds
        self.sets = sets.map { ($0.name, $0.settings) }
        var pdqEntries: [(hash: Hash256, id: UInt32)] = []
        var sixtyFourEntries: [HashAlgorithm: [(hash: Hash64, id: UInt32)]] = [:]
        var labelLists = LabelLists()
        for (setIndex, set) in sets.enumerated() {
            for entry in set.entries where set.settings.isEnabled(entry.algorithm) {
                let row = UInt32(rows.count)
                rows.append(Row(set: Int32(setIndex), id: entry.id, labels: labelLists.shared(set.labels(for: entry))))
                switch entry.value {
                case .hash256(let hash): pdqEntries.append((hash, row))
                case .hash64(let hash): sixtyFourEntries[entry.algorithm, default: []].append((hash, row))
                case .digest(let digest): digests[entry.algorithm, default: [:]][digest, default: []].append(row)
                }
            }
            for algorithm in HashAlgorithm.perceptual where set.settings.isEnabled(algorithm) {
                searchRadius[algorithm] = max(searchRadius[algorithm] ?? 0, threshold(algorithm, setIndex: setIndex))
            }
        }
        pdq = AutoIndex(entries: pdqEntries, radius: searchRadius[.pdq] ?? thresholds.distance(for: .pdq))
        for (algorithm, entries) in sixtyFourEntries {
            sixtyFour[algorithm] = AutoIndex(entries: entries, radius: searchRadius[algorithm] ?? 0)
        }
    }

    /// The number of indexed entries per algorithm.
    public var counts: [HashAlgorithm: Int] {
        var counts: [HashAlgorithm: Int] = [:]
        if pdq.count > 0 { counts[.pdq] = pdq.count }
        for (algorithm, index) in sixtyFour { counts[algorithm] = index.count }
        for (algorithm, table) in digests { counts[algorithm] = table.values.reduce(0) { $0 + $1.count } }
        return counts
    }

    /// The entries one lookup of a perceptual hash of `algorithm` may have to compare against (0 for digests, which
    /// are one table probe): a cost estimate the service uses to keep long lookups off its event loops.
    ///
    /// - Complexity: O(1).
    public func comparisonBound(_ algorithm: HashAlgorithm) -> Int {
        algorithm == .pdq ? pdq.count : sixtyFour[algorithm]?.count ?? 0
    }

    /// The names of the loaded sets.
    public var setNames: [String] { sets.map(\.name) }

    /// Every entry `fingerprint` matches, best first, and why any hash it carries was not matched.
    public func match(_ fingerprint: Fingerprint) -> MatchOutcome {
        var outcome = MatchOutcome()
        for algorithm in HashAlgorithm.allCases {
            if algorithm == .pdq, let pdq = fingerprint.pdq, pdq.quality < thresholds.minimumPDQQuality {
                outcome.notes.append(
                    "pdq quality \(pdq.quality) is below \(thresholds.minimumPDQQuality): hash reported, not matched"
                )
                continue
            }
            if case .hash64(let hash) = fingerprint.value(for: algorithm), hash.value.nonzeroBitCount <= 1 {
                // A flat (or nearly flat) image: every such image gets this hash, so a match would mean nothing.
                outcome.notes.append(
                    "\(algorithm.rawValue) \(hash.hex) carries no structure (flat image): hash reported, not matched"
                )
                continue
            }
            if algorithm == .pdq, let variants = fingerprint.pdqDihedral {
                outcome.matches += lookupDihedral(variants)
            } else if let value = fingerprint.value(for: algorithm) {
                outcome.matches += lookup(value, algorithm: algorithm)
            }
        }
        outcome.matches.sort(by: Match.bestFirst)
        return outcome
    }

    /// Every entry within its set's threshold of `value` (equal to it, for digests), best first.
    public func lookup(_ value: HashValue, algorithm: HashAlgorithm) -> [Match] {
        var hits: [IndexHit] = []
        switch value {
        case .hash256(let hash) where algorithm == .pdq:
            pdq.search(hash, radius: searchRadius[.pdq] ?? -1, into: &hits)
        case .hash64(let hash):
            sixtyFour[algorithm]?.search(hash, radius: searchRadius[algorithm] ?? -1, into: &hits)
        case .digest(let digest):
            hits = (digests[algorithm]?[digest] ?? []).map { IndexHit(id: $0, distance: 0) }
        default:
            return []
        }
        return hits.compactMap { makeMatch(row: $0.id, algorithm: algorithm, distance: $0.distance, variant: nil) }
            .sorted(by: Match.bestFirst)
    }

    /// All 8 dihedral variants searched in one pass; each entry reported once, with its closest variant.
    private func lookupDihedral(_ variants: PDQDihedralHashes) -> [Match] {
        var hits: [MultiQueryHit] = []
        pdq.searchAny(variants.hashes, radius: searchRadius[.pdq] ?? -1, into: &hits)
        let names = variants.named.map(\.name)
        return hits.compactMap {
            makeMatch(row: $0.id, algorithm: .pdq, distance: $0.distance, variant: names[$0.query])
        }
    }

    /// Adds entries to the set named `name` (created with `settings` when the matcher has no such set), updating the
    /// indexes in place. An entry whose id the set already holds replaces it; entries of algorithms the set does not
    /// enable are skipped.
    ///
    /// - Returns: the number of entries indexed.
    /// - Complexity: per entry, that of the index's `insert`; the first call also maps every row, O(n).
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
        let setSettings = sets[setIndex].settings
        var indexed = 0
        for entry in entries where setSettings.isEnabled(entry.algorithm) {
            removeRow(RowKey(set: Int32(setIndex), id: entry.id))
            let row = UInt32(rows.count)
            var seen = Set<String>()
            let labels = (setSettings.defaultLabels + entry.labels).filter { seen.insert($0).inserted }
            rows.append(Row(set: Int32(setIndex), id: entry.id, labels: labels))
            switch entry.value {
            case .hash256(let hash): pdq.insert(hash, id: row)
            case .hash64(let hash): sixtyFour[entry.algorithm, default: AutoIndex()].insert(hash, id: row)
            case .digest(let digest): digests[entry.algorithm, default: [:]][digest, default: []].append(row)
            }
            rowByKey![RowKey(set: Int32(setIndex), id: entry.id)] = row
            rowAlgorithm[row] = (entry.algorithm, entry.value)
            indexed += 1
        }
        return indexed
    }

    /// Removes the entries with these ids from the set named `name`, updating the indexes in place.
    ///
    /// - Returns: the number of entries that were indexed and are now gone.
    /// - Complexity: per entry, that of the index's `remove`; the first call also maps every row, O(n).
    @discardableResult
    public mutating func remove(ids: [String], fromSet name: String) -> Int {
        guard let setIndex = sets.firstIndex(where: { $0.name == name }) else { return 0 }
        var removed = 0
        for id in ids where removeRow(RowKey(set: Int32(setIndex), id: id)) { removed += 1 }
        return removed
    }

    @discardableResult
    private mutating func removeRow(_ key: RowKey) -> Bool {
        if rowByKey == nil { mapRows() }
        guard let row = rowByKey![key], let (algorithm, value) = rowAlgorithm[row] else { return false }
        rowByKey![key] = nil
        rowAlgorithm[row] = nil
        switch value {
        case .hash256: pdq.remove(id: row)
        case .hash64: sixtyFour[algorithm]?.remove(id: row)
        case .digest(let digest):
            digests[algorithm]?[digest]?.removeAll { $0 == row }
            if digests[algorithm]?[digest]?.isEmpty == true { digests[algorithm]?[digest] = nil }
        }
        return true
    }

    /// Maps every row to its key and hash, which the indexes alone cannot give back for digests.
    private mutating func mapRows() {
        var map: [RowKey: UInt32] = [:]
        map.reserveCapacity(rows.count)
        var hashes: [UInt32: (HashAlgorithm, HashValue)] = [:]
        for (row, info) in rows.enumerated() {
            map[RowKey(set: info.set, id: info.id)] = UInt32(row)
        }
        // Ids come from indexes that may have been loaded from a snapshot: only rows that exist.
        pdq.forEachEntry { row, hash in if Int(row) < rows.count { hashes[row] = (.pdq, .hash256(hash)) } }
        for (algorithm, index) in sixtyFour {
            index.forEachEntry { row, hash in if Int(row) < rows.count { hashes[row] = (algorithm, .hash64(hash)) } }
        }
        for (algorithm, table) in digests {
            for (digest, tableRows) in table { for row in tableRows { hashes[row] = (algorithm, .digest(digest)) } }
        }
        rowByKey = map.filter { hashes[$0.value] != nil }
        rowAlgorithm = hashes
    }

    private func makeMatch(row: UInt32, algorithm: HashAlgorithm, distance: Int, variant: String?) -> Match? {
        // Ids come from indexes that may have been loaded from a snapshot: check before indexing.
        guard Int(row) < rows.count else { return nil }
        let row = rows[Int(row)]
        guard distance <= threshold(algorithm, setIndex: Int(row.set)) else { return nil }
        return Match(
            set: sets[Int(row.set)].name,
            id: row.id,
            labels: row.labels,
            algorithm: algorithm,
            distance: distance,
            variant: variant
        )
    }

    func threshold(_ algorithm: HashAlgorithm, setIndex: Int) -> Int {
        guard algorithm.isPerceptual else { return 0 }
        return sets[setIndex].settings.maxDistance[algorithm] ?? thresholds.distance(for: algorithm)
    }
}

/// What matching one input found.
public struct MatchOutcome: Sendable {
    /// Matching entries, best first.
    public var matches: [Match] = []
    /// Hashes that were computed but deliberately not matched, and why (e.g. PDQ quality below the gate).
    public var notes: [String] = []

    /// No matches, no notes.
    public init() {}
}

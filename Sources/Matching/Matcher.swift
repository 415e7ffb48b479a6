import Fingerprinting
import HashIndex
import HashSets
import PerceptualHashing

/// The loaded hash sets, indexed for lookup: one Hamming index per perceptual algorithm over every set,
/// a hash table per digest.
///
/// A value: build a new one aside (e.g. on reload) and swap it in; searches never mutate. Small changes (an admin
/// adding or removing a few entries, appended lines replayed onto a snapshot) update the indexes in place instead of
/// rebuilding them (`Matcher+Changes.swift`); copy-on-write keeps copies held by readers unchanged. The stores that
/// grow with the entries are cut into chunks or shards (`ChunkedColumn`, `RowIDs`, `DigestTable`) or, in multi-index
/// hashing, keep their built rows apart from the recent ones, so such a change copies what it touches rather than
/// the whole index. (The small-set indexes, `LinearScan` and `BKTree`, are still single arrays.)
public struct Matcher: Sendable {
    /// What an index row points back to, besides its id (`ids`): 8 bytes, with nothing to retain or release.
    struct Row: Sendable {
        var set: Int32
        /// Index into `labelLists`.
        var labels: UInt32
    }

    /// The thresholds every set starts from.
    public let thresholds: MatchThresholds
    // Internal rather than private: `Matcher+Snapshot.swift` writes and reads them, `Matcher+Changes.swift` changes
    // them.
    var sets: [(name: String, settings: HashSetSettings)]
    var rows = ChunkedColumn<Row>()
    /// The entry id of each row.
    var ids = RowIDs()
    /// The label lists rows point to.
    var labelLists = LabelLists()
    /// The algorithm of each row (its index in `HashAlgorithm.allCases`; `deadRow` once it is gone), built by the
    /// first change from the indexes and kept by every change after (`Matcher+Changes.swift`); empty until then.
    var rowAlgorithm = ChunkedColumn<UInt8>()
    /// The digest of each live digest row, built with `rowAlgorithm` (a digest table is found by its digest).
    var rowDigest = RowDigests()
    var pdq = AutoIndex<Hash256>()
    var sixtyFour: [HashAlgorithm: AutoIndex<Hash64>] = [:]
    var digests: [HashAlgorithm: DigestTable] = [:]
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
        for (setIndex, set) in sets.enumerated() {
            for entry in set.entries where set.settings.isEnabled(entry.algorithm) {
                let row = UInt32(rows.count)
                rows.append(Row(set: Int32(setIndex), labels: labelLists.index(of: set.labels(for: entry))))
                ids.append(entry.id)
                switch entry.value {
                case .hash256(let hash): pdqEntries.append((hash, row))
                case .hash64(let hash): sixtyFourEntries[entry.algorithm, default: []].append((hash, row))
                case .digest(let digest):
                    digests[entry.algorithm, default: DigestTable(width: digest.bytes.count)]
                        .append(row, for: DigestTable.Key(digest))
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
        for (algorithm, table) in digests { counts[algorithm] = table.count }
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
            hits = (digests[algorithm]?.rows(digest) ?? []).map { IndexHit(id: $0, distance: 0) }
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

    private func makeMatch(row: UInt32, algorithm: HashAlgorithm, distance: Int, variant: String?) -> Match? {
        // Ids come from indexes that may have been loaded from a snapshot: check before indexing.
        guard Int(row) < rows.count else { return nil }
        let index = row
        let row = rows[Int(index)]
        guard distance <= threshold(algorithm, setIndex: Int(row.set)) else { return nil }
        return Match(
            set: sets[Int(row.set)].name,
            id: ids[Int(index)],
            labels: labelLists[row.labels],
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

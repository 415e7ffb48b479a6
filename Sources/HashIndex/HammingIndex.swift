/// An exact Hamming-radius index over `(hash, id)` entries: every search returns every entry within the radius,
/// no approximation.
///
/// Ids are the caller's row numbers (`UInt32`); each id is present at most once, and inserting an id already
/// present replaces its hash. Indexes are values (copy-on-write) and `Sendable`: build one aside, then hand it to
/// readers; searches never mutate.
public protocol HammingIndex<Hash>: Sendable {
    /// The hash type stored (`Hash64`, `Hash256`).
    associatedtype Hash: HammingHash

    /// An empty index.
    init()

    /// An index holding `entries`, built in bulk (faster than inserting one by one). When an id repeats, the
    /// last entry with that id wins.
    ///
    /// - Parameter entries: the hashes and their ids.
    init(entries: some Sequence<(hash: Hash, id: UInt32)>)

    /// Loads entries written by `serialize()` of any index kind of the same hash width.
    ///
    /// - Parameter snapshot: untrusted bytes; every defect is reported, none traps.
    /// - Throws: `SnapshotError` for bad magic, version, width, size, checksum or a repeated id.
    init(snapshot: [UInt8]) throws(SnapshotError)

    /// The number of entries.
    var count: Int { get }

    /// The hash stored under `id`, nil when absent.
    func hash(id: UInt32) -> Hash?

    /// Calls `body` with every entry once, in no particular order.
    func forEachEntry(_ body: (_ id: UInt32, _ hash: Hash) -> Void)

    /// Adds an entry, or replaces the hash of `id` when it is already present.
    mutating func insert(_ hash: Hash, id: UInt32)

    /// Removes the entry with this id.
    ///
    /// - Returns: whether it was present.
    @discardableResult
    mutating func remove(id: UInt32) -> Bool

    /// Appends to `results` every entry within `radius` bits of `query`, in no particular order.
    ///
    /// - Parameters:
    ///   - query: the hash to look up.
    ///   - radius: the largest distance reported (inclusive); negative finds nothing.
    ///   - results: hits are appended; existing contents are kept.
    func search(_ query: Hash, radius: Int, into results: inout [IndexHit])

    /// Searches several queries at once (e.g. the 8 dihedral PDQ variants of one image): appends every entry within
    /// `radius` of at least one query, once, with its smallest distance and the first query attaining it.
    ///
    /// - Parameters:
    ///   - queries: the hashes to look up.
    ///   - radius: the largest distance reported (inclusive).
    ///   - results: hits are appended; existing contents are kept.
    func searchAny(_ queries: [Hash], radius: Int, into results: inout [MultiQueryHit])

    /// The entries as snapshot bytes (see `init(snapshot:)`).
    func serialize() -> [UInt8]
}

extension HammingIndex {
    /// Every entry within `radius` of `query`, in no particular order.
    ///
    /// - Complexity: as `search(_:radius:into:)`.
    public func search(_ query: Hash, radius: Int) -> [IndexHit] {
        var results: [IndexHit] = []
        search(query, radius: radius, into: &results)
        return results
    }

    /// Every entry within `radius` of at least one of `queries` (see `searchAny(_:radius:into:)`).
    ///
    /// - Complexity: as `searchAny(_:radius:into:)`.
    public func searchAny(_ queries: [Hash], radius: Int) -> [MultiQueryHit] {
        var results: [MultiQueryHit] = []
        searchAny(queries, radius: radius, into: &results)
        return results
    }
}

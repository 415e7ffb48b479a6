/// The index `IndexKind.recommended` picks for the set size and the radius the caller will search with, behind the
/// one `HammingIndex` interface. The kind is chosen when the index is built (bulk or from a snapshot) and kept
/// through later inserts and removes; rebuild aside when the set has grown by an order of magnitude.
public struct AutoIndex<Hash: HammingHash>: HammingIndex {
    private var linear: LinearScan<Hash>?
    private var tree: BKTree<Hash>?
    private var mih: MultiIndexHashing<Hash>?

    /// The implementation in use.
    public let kind: IndexKind

    /// The radius searches are expected to use: 10 for 64-bit hashes, 31 for 256-bit (PDQ's usual threshold).
    public static var defaultRadius: Int { Hash.bitWidth <= 64 ? 10 : 31 }

    /// An empty index of the given kind.
    public init(kind: IndexKind) {
        self.kind = kind
        switch kind {
        case .linearScan: linear = LinearScan()
        case .bkTree: tree = BKTree()
        case .multiIndexHashing: mih = MultiIndexHashing()
        }
    }

    /// An empty index, chosen for a small set at the default radius.
    public init() { self.init(kind: IndexKind.recommended(bits: Hash.bitWidth, count: 0, radius: Self.defaultRadius)) }

    /// An index of `entries` for searches at the default radius.
    ///
    /// - Complexity: that of the kind chosen.
    public init(entries: some Sequence<(hash: Hash, id: UInt32)>) {
        self.init(entries: entries, radius: Self.defaultRadius)
    }

    /// An index of `entries` for searches at `radius`.
    ///
    /// - Complexity: that of the kind chosen.
    public init(entries: some Sequence<(hash: Hash, id: UInt32)>, radius: Int) {
        let all = Array(entries)
        self.init(kind: IndexKind.recommended(bits: Hash.bitWidth, count: all.count, radius: radius))
        switch kind {
        case .linearScan: linear = LinearScan(entries: all)
        case .bkTree: tree = BKTree(entries: all)
        case .multiIndexHashing:
            mih = MultiIndexHashing(
                entries: all,
                slotCount: MultiIndexHashing<Hash>.recommendedSlotCount(count: all.count, radius: radius)
            )
        }
    }

    /// Loads a snapshot for searches at the default radius.
    ///
    /// - Throws: `SnapshotError`.
    public init(snapshot: [UInt8]) throws(SnapshotError) {
        try self.init(snapshot: snapshot, radius: Self.defaultRadius)
    }

    /// Loads a snapshot for searches at `radius` (decoded once, then built as the chosen kind; multi-index tables
    /// stored in the snapshot are used as they are).
    ///
    /// - Throws: `SnapshotError`.
    /// - Complexity: that of the kind chosen.
    public init(snapshot: [UInt8], radius: Int) throws(SnapshotError) {
        try self.init(contents: IndexSnapshot.decode(snapshot[...], limbCount: Hash.limbCount), radius: radius)
    }

    /// Loads a snapshot from bytes in place (part of a mapped matcher snapshot), valid for the call.
    ///
    /// - Throws: `SnapshotError`.
    /// - Complexity: that of the kind chosen.
    public init(snapshot: UnsafeRawBufferPointer, radius: Int) throws(SnapshotError) {
        try self.init(contents: IndexSnapshot.decode(snapshot, limbCount: Hash.limbCount), radius: radius)
    }

    private init(contents: IndexSnapshot.Contents, radius: Int) throws(SnapshotError) {
        let count = contents.ids.count
        self.init(kind: IndexKind.recommended(bits: Hash.bitWidth, count: count, radius: radius))
        switch kind {
        case .linearScan: linear = LinearScan(table: try EntryTable(limbs: contents.limbs, ids: contents.ids))
        case .bkTree: tree = BKTree(table: try EntryTable(limbs: contents.limbs, ids: contents.ids))
        case .multiIndexHashing:
            mih = try MultiIndexHashing(
                limbs: contents.limbs,
                ids: contents.ids,
                tables: contents.tables,
                slotCount: MultiIndexHashing<Hash>.recommendedSlotCount(count: count, radius: radius)
            )
        }
    }

    private var index: any HammingIndex<Hash> {
        if let linear { return linear }
        if let tree { return tree }
        return mih!
    }

    /// The number of entries.
    public var count: Int { linear?.count ?? tree?.count ?? mih!.count }

    /// The hash stored under `id`.
    ///
    /// - Complexity: that of the kind chosen.
    public func hash(id: UInt32) -> Hash? { index.hash(id: id) }

    /// Calls `body` with every entry once.
    ///
    /// - Complexity: O(n).
    public func forEachEntry(_ body: (_ id: UInt32, _ hash: Hash) -> Void) { index.forEachEntry(body) }

    /// Adds or replaces an entry.
    ///
    /// - Complexity: that of the kind chosen.
    public mutating func insert(_ hash: Hash, id: UInt32) {
        linear?.insert(hash, id: id)
        tree?.insert(hash, id: id)
        mih?.insert(hash, id: id)
    }

    /// Removes an entry.
    ///
    /// - Complexity: that of the kind chosen.
    @discardableResult
    public mutating func remove(id: UInt32) -> Bool {
        (linear?.remove(id: id) ?? false) || (tree?.remove(id: id) ?? false) || (mih?.remove(id: id) ?? false)
    }

    /// Appends every entry within `radius` of `query`.
    ///
    /// - Complexity: that of the kind chosen.
    public func search(_ query: Hash, radius: Int, into results: inout [IndexHit]) {
        if let linear { linear.search(query, radius: radius, into: &results) }
        if let tree { tree.search(query, radius: radius, into: &results) }
        if let mih { mih.search(query, radius: radius, into: &results) }
    }

    /// Appends every entry within `radius` of any query.
    ///
    /// - Complexity: that of the kind chosen.
    public func searchAny(_ queries: [Hash], radius: Int, into results: inout [MultiQueryHit]) {
        if let linear { linear.searchAny(queries, radius: radius, into: &results) }
        if let tree { tree.searchAny(queries, radius: radius, into: &results) }
        if let mih { mih.searchAny(queries, radius: radius, into: &results) }
    }

    /// The entries as snapshot bytes.
    ///
    /// - Complexity: O(n).
    public func serialize() -> [UInt8] { index.serialize() }
}

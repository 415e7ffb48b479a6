/// A Burkhard–Keller tree laid out flat: nodes, edges and entries live in a handful of arrays (no object per node),
/// and leaves hold buckets of up to `leafCapacity` entries scanned with the linear kernel.
///
/// An internal node has a pivot hash (a copy; not itself an entry) and children keyed by distance to it. A search
/// at radius `r` with distance `d` to a pivot descends only into children whose key lies in `d − r … d + r`
/// (triangle inequality). That prunes well at small radii and hardly at all at PDQ radius 31 of 256 bits, where
/// nearly every leaf is within reach of every query (see `IndexKind.recommended` for the measured crossover).
///
/// Leaves are ranges of the entry arrays; a full leaf is split around its first entry, or, when all its entries
/// sit at one distance from every candidate pivot (exact duplicates), moved to the end of the arrays with twice the
/// room. Removal moves the leaf's last entry into the hole; space left behind by moved leaves is reclaimed by an
/// occasional compaction, never by rebuilding the tree.
public struct BKTree<Hash: HammingHash>: HammingIndex {
    struct Node: Sendable {
        /// Row in `pivotLimbs`, or `leafMarker` for a leaf.
        var pivot: UInt32
        /// Leaf: first entry slot. Internal: first edge.
        var start: UInt32
        /// Leaf: entries. Internal: edges.
        var count: UInt32
        /// Slots (or edges) reserved from `start`.
        var capacity: UInt32
        var isLeaf: Bool { pivot == BKTree.leafMarker }
    }

    /// A child holding the entries whose distance to the pivot lies in `low…high`; a node's edges are sorted and
    /// disjoint.
    struct Edge: Sendable {
        var low: UInt16
        var high: UInt16
        var child: UInt32
    }

    static var leafMarker: UInt32 { UInt32.max }

    /// Entries per leaf before it splits.
    public let leafCapacity: Int
    var nodes: [Node] = []
    var edges: [Edge] = []
    var pivotLimbs: [UInt64] = []
    /// Entry slots: `Hash.limbCount` limbs, an id and the owning leaf per slot.
    var slotLimbs: [UInt64] = []
    var slotIDs: [UInt32] = []
    var slotLeaf: [UInt32] = []
    var slotOfID = IDMap()
    /// Live entries; the remaining slots are reserved room or left behind by moved leaves.
    public internal(set) var count = 0

    /// An empty tree with leaves of 48 entries.
    public init() { self.init(leafCapacity: 48) }

    /// An empty tree.
    ///
    /// - Parameter leafCapacity: entries per leaf before it splits (at least 2).
    public init(leafCapacity: Int) {
        precondition(leafCapacity >= 2)
        self.leafCapacity = leafCapacity
        nodes = [Node(pivot: Self.leafMarker, start: 0, count: 0, capacity: 0)]
    }

    /// A tree of `entries` built in bulk; the last entry wins when an id repeats.
    ///
    /// - Complexity: O(n × depth) distance computations.
    public init(entries: some Sequence<(hash: Hash, id: UInt32)>) {
        self.init(table: EntryTable(entries: entries))
    }

    /// Loads a snapshot written by any index of this hash width and builds the tree from it.
    ///
    /// - Throws: `SnapshotError`.
    /// - Complexity: O(n × depth).
    public init(snapshot: [UInt8]) throws(SnapshotError) {
        self.init(table: try EntryTable(snapshot: snapshot))
    }

    /// A tree over an already decoded table.
    init(table: EntryTable<Hash>) {
        self.init(leafCapacity: 48)
        build(limbs: table.limbs, ids: table.ids)
    }

    /// The hash stored under `id`.
    ///
    /// - Complexity: O(1).
    public func hash(id: UInt32) -> Hash? {
        guard let slot = slotOfID[id] else { return nil }
        let base = Int(slot) * Hash.limbCount
        return Hash(limbs: { slotLimbs[base + $0] })
    }

    /// Calls `body` with every entry once, in slot order.
    ///
    /// - Complexity: O(slots).
    public func forEachEntry(_ body: (_ id: UInt32, _ hash: Hash) -> Void) {
        for (slot, id) in slotIDs.enumerated() where slotOfID[id] == UInt32(slot) {
            let base = slot * Hash.limbCount
            body(id, Hash(limbs: { slotLimbs[base + $0] }))
        }
    }

    /// Adds or replaces an entry: descends to its leaf, splitting the leaf when full.
    ///
    /// - Complexity: O(depth) distance computations, plus O(`leafCapacity`) when a leaf splits or moves.
    public mutating func insert(_ hash: Hash, id: UInt32) {
        remove(id: id)
        let limbs = EntryTable<Hash>.limbs(of: hash)
        var node = 0
        while !nodes[node].isLeaf {
            let d = HammingKernels.distance(
                pivotLimbs,
                limbCount: Hash.limbCount,
                row: Int(nodes[node].pivot),
                to: limbs
            )
            node = child(of: node, distance: d)
        }
        appendEntry(limbs, id: id, toLeaf: node)
        count += 1
        // Attempts at leafCapacity + 1, + 2, + 3, + 5, + 9, …: a leaf of duplicates that cannot split costs O(1)
        // amortised per insert instead of O(leaf) each time.
        let extra = Int(nodes[node].count) - leafCapacity - 1
        if extra >= 0 && extra & (extra - 1) == 0 { split(node) }
        if slotIDs.count > 2 * count + 4096 { compact() }
    }

    /// Removes an entry by moving the last entry of its leaf into its slot.
    ///
    /// - Complexity: O(1), plus an occasional O(n) compaction of the entry arrays.
    @discardableResult
    public mutating func remove(id: UInt32) -> Bool {
        guard let slot = slotOfID[id].map(Int.init) else { return false }
        let leaf = Int(slotLeaf[slot])
        let last = Int(nodes[leaf].start + nodes[leaf].count) - 1
        slotOfID.remove(id)
        if slot != last { moveSlot(last, to: slot) }
        nodes[leaf].count -= 1
        count -= 1
        if slotIDs.count > 2 * count + 4096 { compact() }
        return true
    }

    /// Appends every entry within `radius` of `query`.
    ///
    /// - Complexity: O(nodes visited + entries in the leaves reached); at small radii a small part of the tree,
    ///   at PDQ radius 31 nearly all of it.
    public func search(_ query: Hash, radius: Int, into results: inout [IndexHit]) {
        guard radius >= 0, count > 0 else { return }
        let q = EntryTable<Hash>.limbs(of: query)
        let ids = slotIDs
        var stack = [0]
        while let node = stack.popLast() {
            let n = nodes[node]
            if n.isLeaf {
                let rows = Int(n.start)..<Int(n.start + n.count)
                HammingKernels.scan(slotLimbs, limbCount: Hash.limbCount, rows: rows, query: q, radius: radius) {
                    results.append(IndexHit(id: ids[$0], distance: $1))
                }
            } else {
                let d = HammingKernels.distance(pivotLimbs, limbCount: Hash.limbCount, row: Int(n.pivot), to: q)
                for e in edges[Int(n.start)..<Int(n.start + n.count)].reversed()
                where Int(e.low) <= d + radius && Int(e.high) >= d - radius {
                    stack.append(Int(e.child))
                }
            }
        }
    }

    /// Appends every entry within `radius` of any query in one traversal: a child is visited when any query can
    /// reach it, and leaves are scanned for all queries at once.
    ///
    /// - Complexity: O(q × (nodes visited + entries in the leaves reached)).
    public func searchAny(_ queries: [Hash], radius: Int, into results: inout [MultiQueryHit]) {
        guard radius >= 0, count > 0, !queries.isEmpty else { return }
        let flat = queries.flatMap { EntryTable<Hash>.limbs(of: $0) }
        let single = queries.map { EntryTable<Hash>.limbs(of: $0) }
        let ids = slotIDs
        var distances = [Int](repeating: 0, count: queries.count)
        var stack = [0]
        while let node = stack.popLast() {
            let n = nodes[node]
            if n.isLeaf {
                let rows = Int(n.start)..<Int(n.start + n.count)
                HammingKernels.scanMulti(
                    slotLimbs,
                    limbCount: Hash.limbCount,
                    rows: rows,
                    queries: flat,
                    radius: radius
                ) {
                    results.append(MultiQueryHit(id: ids[$0], distance: $1, query: $2))
                }
            } else {
                for k in 0..<queries.count {
                    distances[k] = HammingKernels.distance(
                        pivotLimbs,
                        limbCount: Hash.limbCount,
                        row: Int(n.pivot),
                        to: single[k]
                    )
                }
                for e in edges[Int(n.start)..<Int(n.start + n.count)].reversed()
                where distances.contains(where: { Int(e.low) <= $0 + radius && Int(e.high) >= $0 - radius }) {
                    stack.append(Int(e.child))
                }
            }
        }
    }

    /// The entries as snapshot bytes (the tree is rebuilt on load).
    ///
    /// - Complexity: O(n).
    public func serialize() -> [UInt8] {
        let (limbs, ids) = liveEntries()
        return IndexSnapshot.encode(limbs: limbs, ids: ids, limbCount: Hash.limbCount)
    }

    /// The child of internal `node` whose range holds `distance`; when none does, the nearest child's range is
    /// widened to hold it (ranges stay disjoint: no other child lies in between).
    mutating func child(of node: Int, distance: Int) -> Int {
        let n = nodes[node]
        var nearest = Int(n.start)
        var gap = Int.max
        for i in Int(n.start)..<Int(n.start + n.count) {
            let e = edges[i]
            if distance < Int(e.low) {
                if Int(e.low) - distance < gap { (nearest, gap) = (i, Int(e.low) - distance) }
            } else if distance > Int(e.high) {
                if distance - Int(e.high) < gap { (nearest, gap) = (i, distance - Int(e.high)) }
            } else {
                return Int(e.child)
            }
        }
        edges[nearest].low = min(edges[nearest].low, UInt16(distance))
        edges[nearest].high = max(edges[nearest].high, UInt16(distance))
        return Int(edges[nearest].child)
    }
}

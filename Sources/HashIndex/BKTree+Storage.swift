/// Building, splitting and moving leaves: the storage side of `BKTree`.
extension BKTree {
    /// Builds the tree over packed entries (ids already unique) by recursive partition around pivots.
    mutating func build(limbs: [UInt64], ids: [UInt32]) {
        let n = ids.count
        slotLimbs.reserveCapacity(limbs.count)
        slotIDs.reserveCapacity(n)
        slotLeaf.reserveCapacity(n)
        count = n
        nodes = [Node(pivot: Self.leafMarker, start: 0, count: 0, capacity: 0)]
        var rows = Array(0..<UInt32(n))
        var scratch = rows
        buildNode(0, rows: 0..<n, order: &rows, scratch: &scratch, limbs: limbs, ids: ids)
    }

    private mutating func buildNode(
        _ node: Int,
        rows range: Range<Int>,
        order: inout [UInt32],
        scratch: inout [UInt32],
        limbs: [UInt64],
        ids: [UInt32]
    ) {
        let L = Hash.limbCount
        if range.count > leafCapacity {
            // Counting sort of the rows by distance to the first row.
            let pivot = Array(limbs[Int(order[range.lowerBound]) * L..<Int(order[range.lowerBound]) * L + L])
            var histogram = [Int](repeating: 0, count: Hash.bitWidth + 2)
            var distances = [UInt16](repeating: 0, count: range.count)
            for (k, i) in range.enumerated() {
                let d = HammingKernels.distance(limbs, limbCount: L, row: Int(order[i]), to: pivot)
                distances[k] = UInt16(d)
                histogram[d + 1] += 1
            }
            if histogram.filter({ $0 > 0 }).count > 1 {
                let sizes = histogram
                for d in 1..<histogram.count { histogram[d] += histogram[d - 1] }
                let starts = histogram
                for (k, i) in range.enumerated() {
                    scratch[range.lowerBound + histogram[Int(distances[k])]] = order[i]
                    histogram[Int(distances[k])] += 1
                }
                for i in range { order[i] = scratch[i] }
                nodes[node].pivot = UInt32(pivotLimbs.count / L)
                pivotLimbs += pivot
                // Consecutive distances are packed into one child while it stays within a leaf's capacity, so
                // leaves come out nearly full instead of one per distance.
                var children: [(low: Int, high: Int, rows: Range<Int>)] = []
                var low = -1
                for d in 0...Hash.bitWidth where sizes[d + 1] > 0 {
                    if low >= 0 && starts[d + 1] - starts[low] > leafCapacity {
                        children.append(childRange(low: low, upTo: d, starts: starts, base: range.lowerBound))
                        low = -1
                    }
                    if low < 0 { low = d }
                }
                children.append(childRange(low: low, upTo: Hash.bitWidth + 1, starts: starts, base: range.lowerBound))
                nodes[node].start = UInt32(edges.count)
                nodes[node].count = UInt32(children.count)
                nodes[node].capacity = UInt32(children.count)
                for child in children {
                    edges.append(Edge(low: UInt16(child.low), high: UInt16(child.high), child: UInt32(nodes.count)))
                    nodes.append(Node(pivot: Self.leafMarker, start: 0, count: 0, capacity: 0))
                }
                for (k, child) in children.enumerated() {
                    buildNode(
                        Int(edges[Int(nodes[node].start) + k].child),
                        rows: child.rows,
                        order: &order,
                        scratch: &scratch,
                        limbs: limbs,
                        ids: ids
                    )
                }
                return
            }
        }
        // A leaf: all rows fit, or they cannot be told apart by this pivot.
        nodes[node].start = UInt32(slotIDs.count)
        nodes[node].count = UInt32(range.count)
        nodes[node].capacity = UInt32(range.count)
        for i in range {
            let row = Int(order[i])
            slotLimbs += limbs[row * L..<row * L + L]
            slotIDs.append(ids[row])
            slotLeaf.append(UInt32(node))
            slotOfID.set(ids[row], UInt32(slotIDs.count - 1), count: count)
        }
    }

    /// The child covering distances `low ..< upTo` (its range is narrowed to the distances present).
    private func childRange(low: Int, upTo: Int, starts: [Int], base: Int) -> (low: Int, high: Int, rows: Range<Int>) {
        var high = upTo - 1
        while starts[high + 1] == starts[high] { high -= 1 }
        return (low, high, base + starts[low]..<base + starts[upTo])
    }

    /// Appends an entry to a leaf, moving the leaf to the end of the slot arrays with double room when it is full.
    mutating func appendEntry(_ limbs: [UInt64], id: UInt32, toLeaf leaf: Int) {
        if nodes[leaf].count == nodes[leaf].capacity { relocate(leaf, capacity: max(8, Int(nodes[leaf].capacity) * 2)) }
        let slot = Int(nodes[leaf].start + nodes[leaf].count)
        for k in 0..<Hash.limbCount { slotLimbs[slot * Hash.limbCount + k] = limbs[k] }
        slotIDs[slot] = id
        slotLeaf[slot] = UInt32(leaf)
        slotOfID.set(id, UInt32(slot), count: count + 1)
        nodes[leaf].count += 1
    }

    /// Moves a leaf's entries to fresh room at the end of the slot arrays.
    mutating func relocate(_ leaf: Int, capacity: Int) {
        let n = nodes[leaf]
        let newStart = slotIDs.count
        slotLimbs += repeatElement(0, count: capacity * Hash.limbCount)
        slotIDs += repeatElement(0, count: capacity)
        slotLeaf += repeatElement(UInt32(leaf), count: capacity)
        nodes[leaf].start = UInt32(newStart)
        nodes[leaf].capacity = UInt32(capacity)
        for k in 0..<Int(n.count) { moveSlot(Int(n.start) + k, to: newStart + k) }
    }

    /// Copies the entry in slot `from` to slot `to` and points its id there.
    mutating func moveSlot(_ from: Int, to: Int) {
        let L = Hash.limbCount
        for k in 0..<L { slotLimbs[to * L + k] = slotLimbs[from * L + k] }
        slotIDs[to] = slotIDs[from]
        slotLeaf[to] = slotLeaf[from]
        slotOfID.set(slotIDs[to], UInt32(to), count: count)
    }

    /// Splits an over-full leaf by rebuilding just that leaf's entries as a subtree (moved to the end of the slot
    /// arrays; the old room is reclaimed by `compact`). Duplicates that no pivot separates stay one leaf.
    mutating func split(_ leaf: Int) {
        let n = nodes[leaf]
        let L = Hash.limbCount
        let range = Int(n.start)..<Int(n.start + n.count)
        let limbs = Array(slotLimbs[range.lowerBound * L..<range.upperBound * L])
        let ids = Array(slotIDs[range])
        var order = Array(0..<UInt32(ids.count))
        var scratch = order
        buildNode(leaf, rows: 0..<ids.count, order: &order, scratch: &scratch, limbs: limbs, ids: ids)
    }

    /// Packs the live entries leaf by leaf, dropping the room left behind by moved and split leaves; the tree
    /// itself is untouched.
    ///
    /// - Complexity: O(n).
    mutating func compact() {
        let L = Hash.limbCount
        var limbs: [UInt64] = []
        var ids: [UInt32] = []
        var owners: [UInt32] = []
        limbs.reserveCapacity(count * L)
        ids.reserveCapacity(count)
        owners.reserveCapacity(count)
        for node in nodes.indices where nodes[node].isLeaf {
            let n = nodes[node]
            nodes[node].start = UInt32(ids.count)
            nodes[node].capacity = n.count
            let range = Int(n.start)..<Int(n.start + n.count)
            limbs += slotLimbs[range.lowerBound * L..<range.upperBound * L]
            ids += slotIDs[range]
            owners += repeatElement(UInt32(node), count: range.count)
        }
        for (slot, id) in ids.enumerated() { slotOfID.set(id, UInt32(slot), count: count) }
        slotLimbs = limbs
        slotIDs = ids
        slotLeaf = owners
    }

    /// The live entries as packed limbs and ids, leaf by leaf.
    func liveEntries() -> (limbs: [UInt64], ids: [UInt32]) {
        var limbs: [UInt64] = []
        var ids: [UInt32] = []
        limbs.reserveCapacity(count * Hash.limbCount)
        ids.reserveCapacity(count)
        for node in nodes where node.isLeaf && node.count > 0 {
            let range = Int(node.start)..<Int(node.start + node.count)
            limbs += slotLimbs[range.lowerBound * Hash.limbCount..<range.upperBound * Hash.limbCount]
            ids += slotIDs[range]
        }
        return (limbs, ids)
    }
}

/// The bucket tables of multi-index hashing in compressed-sparse-row form: for each slot, every row once, grouped by
/// the row's value in that slot. Two flat arrays instead of an array per bucket, so a table of 10M PDQ entries is
/// two allocations (not a million), is built by one counting sort per slot, and is written to and read from a
/// snapshot as it lies in memory.
///
/// Slot `k` covers bits `starts[k] ..< starts[k] + widths[k]` (from the most significant) and owns the `2^widths[k]`
/// buckets from `bases[k]`; bucket `b` holds the rows `members[offsets[b] ..< offsets[b + 1]]`, in ascending order.
struct SlotTables: Sendable {
    /// The widest slot: 2^22 buckets, 16 MiB of offsets.
    static let maximumWidth = 22

    let starts: [Int]
    let widths: [Int]
    let bases: [Int]
    /// `bucketCount + 1` positions in `members`; empty while no row is indexed.
    private(set) var offsets: [UInt32] = []
    /// `slotCount × rowCount` rows.
    private(set) var members: [UInt32] = []

    /// Tables with no rows, for slots of the given widths.
    init(widths: [Int]) {
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
        self.starts = starts
        self.widths = widths
        self.bases = bases
    }

    /// `slotCount` slot widths covering `bits` bits, the first `bits % slotCount` one bit wider.
    static func widths(bits: Int, slotCount: Int) -> [Int] {
        (0..<slotCount).map { $0 < bits % slotCount ? bits / slotCount + 1 : bits / slotCount }
    }

    var slotCount: Int { widths.count }

    /// Buckets over all slots.
    var bucketCount: Int { Self.bucketCount(widths: widths) }

    /// Buckets over all slots of the given widths: Σ 2^width.
    static func bucketCount(widths: [Int]) -> Int { widths.reduce(0) { $0 + (1 << $1) } }

    /// The rows indexed.
    var rowCount: Int { slotCount == 0 ? 0 : members.count / slotCount }

    /// The positions in `members` of bucket `bucket`.
    @inline(__always)
    func range(ofBucket bucket: Int) -> Range<Int> {
        Int(offsets[bucket])..<Int(offsets[bucket + 1])
    }

    /// Tables over every row of `limbs` (`limbCount` limbs a row), by a counting sort per slot.
    ///
    /// - Precondition: `slotCount × rows < 2^32`.
    /// - Complexity: O(n × m + buckets).
    init(widths: [Int], limbs: [UInt64], limbCount: Int) {
        self.init(widths: widths)
        let n = limbs.count / limbCount
        guard n > 0 else { return }
        precondition(n * widths.count < Int(UInt32.max), "too many rows for 32-bit bucket offsets")
        var offsets = [UInt32](repeating: 0, count: bucketCount + 1)
        var members = [UInt32](repeating: 0, count: n * widths.count)
        offsets.withUnsafeMutableBufferPointer { offsets in
            members.withUnsafeMutableBufferPointer { members in
                for k in 0..<widths.count {
                    let values = HammingKernels.slotValues(
                        limbs,
                        limbCount: limbCount,
                        start: starts[k],
                        width: widths[k]
                    )
                    let base = bases[k]
                    // Count into offsets[b + 1], then prefix-sum from this slot's first member.
                    for value in values { offsets[base + Int(value) + 1] &+= 1 }
                    var position = UInt32(k * n)
                    for b in base..<base + (1 << widths[k]) {
                        let size = offsets[b + 1]
                        offsets[b] = position
                        position &+= size
                    }
                    offsets[base + (1 << widths[k])] = position
                    // Scatter with offsets[b] as the cursor, then restore it from the next bucket's start.
                    for (row, value) in values.enumerated() {
                        let b = base + Int(value)
                        members[Int(offsets[b])] = UInt32(truncatingIfNeeded: row)
                        offsets[b] &+= 1
                    }
                    var start = UInt32(k * n)
                    for b in base..<base + (1 << widths[k]) {
                        let end = offsets[b]
                        offsets[b] = start
                        start = end
                    }
                }
            }
        }
        self.offsets = offsets
        self.members = members
    }

    /// Tables read from a snapshot, checked so that no search can index out of bounds: offsets rise from 0 and each
    /// slot's buckets hold exactly `rowCount` members, every member below `rowCount`. (Whether a row sits in the
    /// right bucket is not checked: that would cost a rebuild; the snapshot's checksum guards against damage.)
    ///
    /// - Throws: `SnapshotError.malformedTables` naming the first defect.
    /// - Complexity: O(n × m + buckets).
    init(widths: [Int], offsets: [UInt32], members: [UInt32], rowCount: Int) throws(SnapshotError) {
        self.init(widths: widths)
        guard offsets.count == bucketCount + 1 else { throw .malformedTables("\(offsets.count) bucket offsets") }
        guard members.count == rowCount * widths.count else { throw .malformedTables("\(members.count) members") }
        var previous: UInt32 = 0
        for k in 0..<widths.count {
            guard offsets[bases[k]] == UInt32(k * rowCount) else { throw .malformedTables("slot \(k) does not start") }
            for b in bases[k]..<bases[k] + (1 << widths[k]) + 1 {
                guard offsets[b] >= previous else { throw .malformedTables("bucket offsets fall at \(b)") }
                previous = offsets[b]
            }
            guard previous == UInt32((k + 1) * rowCount) else { throw .malformedTables("slot \(k) size") }
        }
        let limit = UInt32(truncatingIfNeeded: rowCount)
        guard members.allSatisfy({ $0 < limit }) else { throw .malformedTables("a member beyond the rows") }
        self.offsets = offsets
        self.members = members
    }
}

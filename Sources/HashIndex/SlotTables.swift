/// The bucket tables of multi-index hashing in compressed-sparse-row form: for each slot, every row once, grouped by
/// the row's value in that slot. Flat arrays instead of an array per bucket, so a table of 10M PDQ entries is a few
/// allocations (not a million), is built by one counting sort per slot, and is written to and read from a snapshot
/// as it lies in memory.
///
/// Slot `k` covers bits `starts[k] ..< starts[k] + widths[k]` (from the most significant) and owns the `2^widths[k]`
/// buckets from `bases[k]`; bucket `b` holds the members at positions `offsets[b] ..< offsets[b + 1]`, rows in
/// ascending order. A member is a row number in `memberWidth` little-endian bytes: 3 while every row fits in 24 bits
/// (below 16.7M rows), else 4, so 10M PDQ entries in 12 slots take 360 MB of members instead of 480; the positions
/// take about 2 bytes a bucket (`BucketOffsets`).
struct SlotTables: Sendable {
    /// The widest slot: 2^22 buckets, 8 MiB of positions.
    static let maximumWidth = 22

    let starts: [Int]
    let widths: [Int]
    let bases: [Int]
    /// `bucketCount + 1` positions of members; empty while no row is indexed.
    private(set) var offsets = BucketOffsets()
    /// `slotCount × rowCount` members of `memberWidth` bytes, then one byte more, so that any member can be read as
    /// an unaligned 4-byte word.
    private(set) var members: [UInt8] = []
    /// The rows indexed.
    private(set) var rowCount = 0
    /// Bytes per member: 3 or 4.
    private(set) var memberWidth = 3

    /// The member width for `rowCount` rows.
    static func memberWidth(rowCount: Int) -> Int { rowCount < 1 << 24 ? 3 : 4 }

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

    /// Tables over every row of `limbs` (`limbCount` limbs a row), by a counting sort per slot.
    ///
    /// - Precondition: `slotCount × rows < 2^32`.
    /// - Complexity: O(n × m + buckets).
    init(widths: [Int], limbs: [UInt64], limbCount: Int) {
        self.init(widths: widths)
        let n = limbs.count / limbCount
        guard n > 0 else { return }
        precondition(n * widths.count < Int(UInt32.max), "too many rows for 32-bit bucket offsets")
        rowCount = n
        memberWidth = Self.memberWidth(rowCount: n)
        var offsets = [UInt32](repeating: 0, count: bucketCount + 1)
        var members = [UInt8](repeating: 0, count: n * widths.count * memberWidth + 1)
        // One slot's members as full words, packed into `members` once the slot is sorted.
        var slotMembers = [UInt32](repeating: 0, count: n)
        offsets.withUnsafeMutableBufferPointer { offsets in
            for k in 0..<widths.count {
                let values = HammingKernels.slotValues(limbs, limbCount: limbCount, start: starts[k], width: widths[k])
                let base = bases[k]
                let first = UInt32(k * n)
                // Count into offsets[b + 1], then prefix-sum from this slot's first member.
                for value in values { offsets[base + Int(value) + 1] &+= 1 }
                var position = first
                for b in base..<base + (1 << widths[k]) {
                    let size = offsets[b + 1]
                    offsets[b] = position
                    position &+= size
                }
                offsets[base + (1 << widths[k])] = position
                // Scatter with offsets[b] as the cursor, then restore it from the next bucket's start.
                for (row, value) in values.enumerated() {
                    let b = base + Int(value)
                    slotMembers[Int(offsets[b] &- first)] = UInt32(truncatingIfNeeded: row)
                    offsets[b] &+= 1
                }
                var start = first
                for b in base..<base + (1 << widths[k]) {
                    let end = offsets[b]
                    offsets[b] = start
                    start = end
                }
                Self.pack(slotMembers, width: memberWidth, into: &members, at: k * n)
            }
        }
        self.offsets = BucketOffsets(offsets)
        self.members = members
    }

    /// Writes `values` as members of `width` bytes from member position `position` on, in ascending order: each
    /// 4-byte store overwrites only the next member's bytes, which the next store writes again (the last one
    /// spills into the spare byte).
    private static func pack(_ values: [UInt32], width: Int, into members: inout [UInt8], at position: Int) {
        precondition((position + values.count) * width < members.count)
        members.withUnsafeMutableBytes { raw in
            for (k, value) in values.enumerated() {
                raw.storeBytes(of: value.littleEndian, toByteOffset: (position &+ k) &* width, as: UInt32.self)
            }
        }
    }

    /// The members for direct reading; valid only inside `body`.
    func withMembers<R>(_ body: (Members) -> R) -> R {
        members.withUnsafeBytes { raw in
            body(Members(base: raw.baseAddress, width: memberWidth, mask: memberWidth == 4 ? .max : 0xFF_FFFF))
        }
    }

    /// A read-only view of the packed members.
    struct Members {
        /// Nil while no row is indexed.
        let base: UnsafeRawPointer?
        let width: Int
        let mask: UInt32

        /// The row of the member at `position`.
        @inline(__always)
        subscript(position: Int) -> UInt32 {
            UInt32(littleEndian: base!.loadUnaligned(fromByteOffset: position &* width, as: UInt32.self)) & mask
        }

        /// Copies the rows of the members at `positions` to `destination`.
        @inline(__always)
        func copy(_ positions: Range<Int>, to destination: UnsafeMutablePointer<UInt32>) {
            var source = base! + positions.lowerBound &* width
            if width == 4 {
                #if _endian(little)
                UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: positions.count &* 4)
                return
                #endif
            }
            for k in 0..<positions.count {
                destination[k] = UInt32(littleEndian: source.loadUnaligned(as: UInt32.self)) & mask
                source += width
            }
        }

        /// The address of the member at `position`, for prefetching.
        @inline(__always)
        func address(of position: Int) -> UnsafeRawPointer { base! + position &* width }
    }

    /// Tables read from a snapshot, checked so that no search can index out of bounds: offsets rise from 0 and each
    /// slot's buckets hold exactly `rowCount` members, every member below `rowCount`. (Whether a row sits in the
    /// right bucket is not checked: that would cost a rebuild; the snapshot's checksum guards against damage.)
    ///
    /// `members` comes from `packedMembers(copying:)` or `packedMembers(words:rowCount:)`.
    ///
    /// - Throws: `SnapshotError.malformedTables` naming the first defect.
    /// - Complexity: O(n × m + buckets).
    init(
        widths: [Int],
        offsets: BucketOffsets,
        members: [UInt8],
        memberWidth: Int,
        rowCount: Int
    ) throws(SnapshotError) {
        self.init(widths: widths)
        guard offsets.count == bucketCount + 1 else { throw .malformedTables("\(offsets.count) bucket offsets") }
        guard memberWidth == 3 || memberWidth == 4, memberWidth >= Self.memberWidth(rowCount: rowCount) else {
            throw .malformedTables("\(memberWidth)-byte members for \(rowCount) rows")
        }
        let memberCount = rowCount * widths.count
        guard members.count == memberCount * memberWidth + 1 else {
            throw .malformedTables("\(members.count - 1) member bytes")
        }
        let defect: String? = offsets.withView { offsets in
            var previous = 0
            for k in 0..<widths.count {
                guard offsets.position(bases[k]) == k * rowCount else { return "slot \(k) does not start" }
                for b in bases[k]..<bases[k] + (1 << widths[k]) + 1 {
                    let position = offsets.position(b)
                    guard position >= previous else { return "bucket offsets fall at \(b)" }
                    previous = position
                }
                guard previous == (k + 1) * rowCount else { return "slot \(k) size" }
            }
            return nil
        }
        if let defect { throw .malformedTables(defect) }
        self.members = members
        self.memberWidth = memberWidth
        let limit = UInt32(truncatingIfNeeded: rowCount)
        guard !withMembers({ view in (0..<memberCount).contains { view[$0] >= limit } }) else {
            throw .malformedTables("a member beyond the rows")
        }
        self.offsets = offsets
        self.rowCount = rowCount
    }

    /// Packed members copied from snapshot bytes, with the spare byte.
    static func packedMembers(copying bytes: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count + 1) { buffer, initialised in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
            buffer[bytes.count] = 0
            initialised = bytes.count + 1
        }
    }

    /// Members of a version-2 snapshot (4-byte words) packed at the width for `rowCount` rows, with the spare
    /// byte; a word too large for that width is kept as an out-of-range row, which the check then refuses.
    static func packedMembers(words: [UInt32], rowCount: Int) -> (members: [UInt8], width: Int) {
        let width = memberWidth(rowCount: rowCount)
        let limit = UInt32(truncatingIfNeeded: rowCount)
        var members = [UInt8](repeating: 0, count: words.count * width + 1)
        pack(words.map { min($0, limit) }, width: width, into: &members, at: 0)
        return (members, width)
    }

    /// The members' bytes as a snapshot stores them (without the spare byte).
    var memberBytes: ArraySlice<UInt8> { members.isEmpty ? [] : members[..<(members.count - 1)] }
}

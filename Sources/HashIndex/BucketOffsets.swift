/// Where each bucket of `SlotTables` starts among the members, plus one end position: `count` rising positions.
///
/// Stored compactly as one 4-byte start per block of 256 buckets and a 2-byte offset from it per bucket (2.02 bytes a
/// position instead of 4: 10M PDQ entries in 12 slots have 33.5M buckets, 68 MB of positions instead of 134). A
/// block whose members span 65,536 positions or more (tens of thousands of entries sharing a slot value, as in a
/// set of near-duplicate hashes) cannot be written that way, so then every position is kept as 4 bytes.
struct BucketOffsets: Sendable {
    private static let blockShift = 8
    private static let blockSize = 1 << blockShift

    /// The blocks (and block starts) of `positions` positions in the compact form.
    static func blockCount(positions: Int) -> Int { (positions + blockSize - 1) / blockSize }

    /// The compact form: the position of each block's first bucket, and each position's offset from it.
    private(set) var blockStarts: [UInt32] = []
    private(set) var relative: [UInt16] = []
    /// The plain form, used when the compact one cannot hold the positions.
    private(set) var plain: [UInt32] = []

    /// No positions (tables with no rows).
    init() {}

    /// `positions`, compacted when every block fits.
    ///
    /// - Complexity: O(n).
    init(_ positions: [UInt32]) {
        let blocks = Self.blockCount(positions: positions.count)
        var starts = [UInt32](repeating: 0, count: blocks)
        var relative = [UInt16](repeating: 0, count: positions.count)
        let fits = positions.withUnsafeBufferPointer { positions in
            starts.withUnsafeMutableBufferPointer { starts in
                relative.withUnsafeMutableBufferPointer { relative in
                    for block in 0..<blocks {
                        let first = block << Self.blockShift
                        let start = positions[first]
                        starts[block] = start
                        for b in first..<min(first + Self.blockSize, positions.count) {
                            let offset = positions[b] &- start
                            guard offset <= UInt32(UInt16.max) else { return false }
                            relative[b] = UInt16(truncatingIfNeeded: offset)
                        }
                    }
                    return true
                }
            }
        }
        if fits {
            blockStarts = starts
            self.relative = relative
        } else {
            plain = positions
        }
    }

    /// Positions as a snapshot stores them, unchecked (the caller checks them through `withView`).
    init(blockStarts: [UInt32], relative: [UInt16]) {
        precondition(blockStarts.count == Self.blockCount(positions: relative.count))
        self.blockStarts = blockStarts
        self.relative = relative
    }

    /// Positions as a snapshot stores them in the plain form.
    init(plain: [UInt32]) { self.plain = plain }

    /// Whether the compact form is used (false also when empty).
    var isCompact: Bool { !relative.isEmpty }

    /// The number of positions.
    var count: Int { isCompact ? relative.count : plain.count }

    /// The positions for direct reading; valid only inside `body`.
    func withView<R>(_ body: (View) -> R) -> R {
        blockStarts.withUnsafeBufferPointer { starts in
            relative.withUnsafeBufferPointer { relative in
                plain.withUnsafeBufferPointer { plain in
                    // An empty array's buffer may still have an address: the form decides which is read.
                    isCompact
                        ? body(View(starts: starts.baseAddress, relative: relative.baseAddress, plain: nil))
                        : body(View(starts: nil, relative: nil, plain: plain.baseAddress))
                }
            }
        }
    }

    /// A read-only view of the positions, unchecked: `relative` is nil in the plain form.
    struct View {
        let starts: UnsafePointer<UInt32>?
        let relative: UnsafePointer<UInt16>?
        let plain: UnsafePointer<UInt32>?

        /// Position `b`.
        @inline(__always)
        func position(_ b: Int) -> Int {
            if let relative { return Int(starts![b &>> BucketOffsets.blockShift]) &+ Int(relative[b]) }
            return Int(plain![b])
        }

        /// The address where position `b` is stored, for prefetching (its block start is ~1/128 of the size, and
        /// mostly cached).
        @inline(__always)
        func address(of b: Int) -> UnsafeRawPointer {
            if let relative { return UnsafeRawPointer(relative + b) }
            return UnsafeRawPointer(plain! + b)
        }
    }
}

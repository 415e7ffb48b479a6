/// The binary snapshot of an index's entries, shared by every index kind (any kind loads any snapshot of its width).
///
/// Layout, all integers little-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `HMIX` |
/// | 4 | 2 | version: 1 (entries only) or 2 (entries, then multi-index tables) |
/// | 6 | 2 | hash width in bits (64 or 256) |
/// | 8 | 8 | entry count n |
/// | 16 | 8·L·n | limbs, L = width/64 per entry, most significant first |
/// | … | 4·n | ids |
/// | … | 0 or 4 | zero padding to a multiple of 8 |
/// | … | | version 2 only: the `SlotTables` of `MultiIndexHashing`, below |
/// | … | 8 | checksum of every byte before it |
///
/// The tables: u32 slot count m, u32 zero, m slot widths of one byte each (zero-padded to a multiple of 8), u32
/// bucket offsets (B + 1 of them, B = Σ 2^width), u32 members (m·n), each array zero-padded to a multiple of 8.
/// Loading them is a copy, where rebuilding them is a counting sort per slot (2.3 s of a 10M-entry load before).
///
/// The checksum is `SnapshotChecksum` (FNV-1a-64 over little-endian words in four interleaved lanes).
enum IndexSnapshot {
    static let magic: [UInt8] = Array("HMIX".utf8)
    static let headerSize = 16

    /// What a snapshot holds.
    struct Contents {
        var limbs: [UInt64]
        var ids: [UInt32]
        /// The multi-index tables, when the writer was a `MultiIndexHashing`.
        var tables: SlotTables?
    }

    /// The snapshot bytes for entries stored as packed limbs and ids, with the tables of a multi-index over them.
    ///
    /// - Complexity: O(n), plus the tables' size.
    static func encode(limbs: [UInt64], ids: [UInt32], limbCount: Int, tables: SlotTables? = nil) -> [UInt8] {
        precondition(limbs.count == ids.count * limbCount)
        let tables = tables.flatMap { $0.offsets.isEmpty ? nil : $0 }
        precondition(tables.map { $0.rowCount == ids.count } ?? true)
        var bytes = [UInt8]()
        let tableBytes = tables.map {
            8 + padded($0.slotCount) + padded(4 * $0.offsets.count) + padded(4 * $0.members.count)
        }
        bytes.reserveCapacity(headerSize + limbs.count * 8 + padded(ids.count * 4) + (tableBytes ?? 0) + 8)
        bytes += magic
        append(tables == nil ? 1 : 2, size: 2, to: &bytes)
        append(UInt64(limbCount * 64), size: 2, to: &bytes)
        append(UInt64(ids.count), size: 8, to: &bytes)
        SnapshotBytes.append(limbs, to: &bytes)
        SnapshotBytes.append(ids, to: &bytes)
        pad(&bytes)
        if let tables {
            append(UInt64(tables.slotCount), size: 8, to: &bytes)
            bytes += tables.widths.map { UInt8($0) }
            pad(&bytes)
            SnapshotBytes.append(tables.offsets, to: &bytes)
            pad(&bytes)
            SnapshotBytes.append(tables.members, to: &bytes)
            pad(&bytes)
        }
        append(SnapshotChecksum.of(bytes[...]), size: 8, to: &bytes)
        return bytes
    }

    /// Checks and unpacks snapshot bytes (ids may still repeat: the caller checks).
    ///
    /// - Throws: `SnapshotError` for a wrong magic, version, width, size, checksum or inconsistent tables.
    /// - Complexity: O(n); sizes are checked before anything is allocated.
    static func decode(_ bytes: ArraySlice<UInt8>, limbCount: Int) throws(SnapshotError) -> Contents {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(SnapshotError) -> Contents in try decode(raw, limbCount: limbCount) }
        }
        return try result.get()
    }

    /// Checks and unpacks snapshot bytes in place; see `decode(_:limbCount:)`.
    static func decode(_ bytes: UnsafeRawBufferPointer, limbCount: Int) throws(SnapshotError) -> Contents {
        guard bytes.count >= headerSize + 8 else {
            if bytes.count >= 4, Array(bytes[0..<4]) != magic { throw .badMagic }
            throw .wrongSize(expected: headerSize + 8, found: bytes.count)
        }
        guard Array(bytes[0..<4]) == magic else { throw .badMagic }
        let version = UInt16(read(bytes, at: 4, size: 2))
        guard version == 1 || version == 2 else { throw .unsupportedVersion(version) }
        let width = Int(read(bytes, at: 6, size: 2))
        guard width == limbCount * 64 else { throw .wrongHashWidth(expected: limbCount * 64, found: width) }
        let count = read(bytes, at: 8, size: 8)
        // Locations are UInt32 and the absent marker is UInt32.max; the size bound keeps the arithmetic below exact.
        guard count < UInt64(UInt32.max), count <= UInt64(Int.max / 64) else { throw .implausibleCount(count) }
        let n = Int(count)
        let limbBytes = n * limbCount * 8
        let entriesEnd = headerSize + limbBytes + padded(n * 4)
        var expected = entriesEnd + 8
        var widths: [Int] = []
        var bucketCount = 0
        if version == 2 {
            guard bytes.count >= entriesEnd + 16 else {
                throw .wrongSize(expected: entriesEnd + 16, found: bytes.count)
            }
            let m = read(bytes, at: entriesEnd, size: 8)
            guard m >= 1 && m <= UInt64(width) && bytes.count >= entriesEnd + 8 + padded(Int(m)) + 8 else {
                throw .malformedTables("\(m) slots")
            }
            widths = (0..<Int(m)).map { Int(bytes[entriesEnd + 8 + $0]) }
            guard widths.allSatisfy({ (1...SlotTables.maximumWidth).contains($0) }), widths.reduce(0, +) == width else {
                throw .malformedTables("slot widths \(widths)")
            }
            bucketCount = SlotTables.bucketCount(widths: widths)
            guard UInt64(n) * m < UInt64(UInt32.max) else { throw .implausibleCount(count) }
            expected += 8 + padded(Int(m)) + padded(4 * (bucketCount + 1)) + padded(4 * n * Int(m))
        }
        guard bytes.count == expected else { throw .wrongSize(expected: expected, found: bytes.count) }
        let stored = read(bytes, at: expected - 8, size: 8)
        let computed = SnapshotChecksum.of(UnsafeRawBufferPointer(rebasing: bytes[..<(expected - 8)]))
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        let limbs: [UInt64] = SnapshotBytes.load(bytes, at: headerSize, count: n * limbCount)
        let ids: [UInt32] = SnapshotBytes.load(bytes, at: headerSize + limbBytes, count: n)
        guard !widths.isEmpty else { return Contents(limbs: limbs, ids: ids, tables: nil) }
        let offsetsAt = entriesEnd + 8 + padded(widths.count)
        let offsets: [UInt32] = SnapshotBytes.load(bytes, at: offsetsAt, count: bucketCount + 1)
        let membersAt = offsetsAt + padded(4 * (bucketCount + 1))
        let members: [UInt32] = SnapshotBytes.load(bytes, at: membersAt, count: n * widths.count)
        let tables = try SlotTables(widths: widths, offsets: offsets, members: members, rowCount: n)
        return Contents(limbs: limbs, ids: ids, tables: tables)
    }

    /// `size` rounded up to a multiple of 8.
    private static func padded(_ size: Int) -> Int { (size + 7) & ~7 }

    private static func pad(_ bytes: inout [UInt8]) {
        bytes += repeatElement(0, count: padded(bytes.count) - bytes.count)
    }

    private static func append(_ value: UInt64, size: Int, to bytes: inout [UInt8]) {
        for k in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * k))) }
    }

    private static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for k in 0..<size { value |= UInt64(bytes[offset + k]) << UInt64(8 * k) }
        return value
    }
}

/// The binary snapshot of an index's entries, shared by every index kind (any kind loads any snapshot of its width).
///
/// Layout, all integers little-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `HMIX` |
/// | 4 | 2 | version: 1 (entries only), or 3 (entries, then multi-index tables); 2 (older tables) still loads |
/// | 6 | 2 | hash width in bits (64 or 256) |
/// | 8 | 8 | entry count n |
/// | 16 | 8·L·n | limbs, L = width/64 per entry, most significant first |
/// | … | 4·n | ids |
/// | … | 0 or 4 | zero padding to a multiple of 8 |
/// | … | | versions 2 and 3 only: the `SlotTables` of `MultiIndexHashing`, below |
/// | … | 8 | checksum of every byte before it |
///
/// The tables: u32 slot count m; in version 3 then u8 member width w (3 or 4), u8 position form f, u16 zero (version
/// 2: u32 zero, w = 4, f = 0); m slot widths of one byte each; the `BucketOffsets` of the B + 1 bucket positions (B =
/// Σ 2^width): f = 0, B + 1 u32 positions; f = 1, ⌈(B + 1) / 256⌉ u32 block starts, then B + 1 u16 offsets from them;
/// then the members, m·n row numbers of w little-endian bytes each. Every array is zero-padded to a multiple of 8.
/// Loading the tables is a copy (a version-2 snapshot's members are repacked), where rebuilding them is a counting
/// sort per slot (2.3 s of a 10M-entry load before).
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
        let tables = tables.flatMap { $0.rowCount == 0 ? nil : $0 }
        precondition(tables.map { $0.rowCount == ids.count } ?? true)
        var bytes = [UInt8]()
        let tableBytes = tables.map {
            8 + padded($0.slotCount) + padded(4 * $0.offsets.blockStarts.count) + padded(2 * $0.offsets.relative.count)
                + padded(4 * $0.offsets.plain.count) + padded($0.memberBytes.count)
        }
        bytes.reserveCapacity(headerSize + limbs.count * 8 + padded(ids.count * 4) + (tableBytes ?? 0) + 8)
        bytes += magic
        append(tables == nil ? 1 : 3, size: 2, to: &bytes)
        append(UInt64(limbCount * 64), size: 2, to: &bytes)
        append(UInt64(ids.count), size: 8, to: &bytes)
        SnapshotBytes.append(limbs, to: &bytes)
        SnapshotBytes.append(ids, to: &bytes)
        pad(&bytes)
        if let tables {
            append(UInt64(tables.slotCount), size: 4, to: &bytes)
            append(UInt64(tables.memberWidth), size: 1, to: &bytes)
            append(tables.offsets.isCompact ? 1 : 0, size: 3, to: &bytes)
            bytes += tables.widths.map { UInt8($0) }
            pad(&bytes)
            if tables.offsets.isCompact {
                SnapshotBytes.append(tables.offsets.blockStarts, to: &bytes)
                pad(&bytes)
                SnapshotBytes.append(tables.offsets.relative, to: &bytes)
            } else {
                SnapshotBytes.append(tables.offsets.plain, to: &bytes)
            }
            pad(&bytes)
            bytes += tables.memberBytes
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
        guard (1...3).contains(version) else { throw .unsupportedVersion(version) }
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
        var memberWidth = 4
        var compactOffsets = false
        if version >= 2 {
            guard bytes.count >= entriesEnd + 16 else {
                throw .wrongSize(expected: entriesEnd + 16, found: bytes.count)
            }
            // Version 2 stored m in 8 bytes; version 3 splits them into m, the member width and the position form.
            let m = read(bytes, at: entriesEnd, size: version == 2 ? 8 : 4)
            if version == 3 {
                let stored = read(bytes, at: entriesEnd + 4, size: 1)
                guard stored == 3 || stored == 4 else { throw .malformedTables("\(stored)-byte members") }
                memberWidth = Int(stored)
                let form = read(bytes, at: entriesEnd + 5, size: 3)
                guard form <= 1 else { throw .malformedTables("bucket position form \(form)") }
                compactOffsets = form == 1
            }
            guard m >= 1 && m <= UInt64(width) && bytes.count >= entriesEnd + 8 + padded(Int(m)) + 8 else {
                throw .malformedTables("\(m) slots")
            }
            widths = (0..<Int(m)).map { Int(bytes[entriesEnd + 8 + $0]) }
            guard widths.allSatisfy({ (1...SlotTables.maximumWidth).contains($0) }), widths.reduce(0, +) == width else {
                throw .malformedTables("slot widths \(widths)")
            }
            bucketCount = SlotTables.bucketCount(widths: widths)
            guard UInt64(n) * m < UInt64(UInt32.max) else { throw .implausibleCount(count) }
            expected +=
                8 + padded(Int(m)) + offsetBytes(positions: bucketCount + 1, compact: compactOffsets)
                + padded(memberWidth * n * Int(m))
        }
        guard bytes.count == expected else { throw .wrongSize(expected: expected, found: bytes.count) }
        let stored = read(bytes, at: expected - 8, size: 8)
        let computed = SnapshotChecksum.of(UnsafeRawBufferPointer(rebasing: bytes[..<(expected - 8)]))
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        let limbs: [UInt64] = SnapshotBytes.load(bytes, at: headerSize, count: n * limbCount)
        let ids: [UInt32] = SnapshotBytes.load(bytes, at: headerSize + limbBytes, count: n)
        guard !widths.isEmpty else { return Contents(limbs: limbs, ids: ids, tables: nil) }
        let offsetsAt = entriesEnd + 8 + padded(widths.count)
        let offsets: BucketOffsets
        if compactOffsets {
            let blocks = BucketOffsets.blockCount(positions: bucketCount + 1)
            offsets = BucketOffsets(
                blockStarts: SnapshotBytes.load(bytes, at: offsetsAt, count: blocks),
                relative: SnapshotBytes.load(bytes, at: offsetsAt + padded(4 * blocks), count: bucketCount + 1)
            )
        } else {
            let positions: [UInt32] = SnapshotBytes.load(bytes, at: offsetsAt, count: bucketCount + 1)
            // Version 2 knew only this form: compacted as a build would. Compacting keeps every value (a position
            // below its block's start does not fit and keeps the plain form), so the checks see the same positions.
            offsets = version == 2 ? BucketOffsets(positions) : BucketOffsets(plain: positions)
        }
        let membersAt = offsetsAt + offsetBytes(positions: bucketCount + 1, compact: compactOffsets)
        let memberCount = n * widths.count
        let members: [UInt8]
        if version == 2 {
            (members, memberWidth) = SlotTables.packedMembers(
                words: SnapshotBytes.load(bytes, at: membersAt, count: memberCount),
                rowCount: n
            )
        } else {
            let stored = UnsafeRawBufferPointer(rebasing: bytes[membersAt..<membersAt + memberCount * memberWidth])
            members = SlotTables.packedMembers(copying: stored)
        }
        let tables = try SlotTables(
            widths: widths,
            offsets: offsets,
            members: members,
            memberWidth: memberWidth,
            rowCount: n
        )
        return Contents(limbs: limbs, ids: ids, tables: tables)
    }

    /// The padded size of `positions` bucket positions in the compact or plain form.
    private static func offsetBytes(positions: Int, compact: Bool) -> Int {
        guard compact else { return padded(4 * positions) }
        let blocks = BucketOffsets.blockCount(positions: positions)
        return padded(4 * blocks) + padded(2 * positions)
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

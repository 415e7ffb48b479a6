/// The binary snapshot of an index's entries, shared by every index kind (any kind loads any snapshot of its width).
///
/// Layout, all integers little-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `HMIX` |
/// | 4 | 2 | version, 1 |
/// | 6 | 2 | hash width in bits (64 or 256) |
/// | 8 | 8 | entry count n |
/// | 16 | 8·L·n | limbs, L = width/64 per entry, most significant first |
/// | … | 4·n | ids |
/// | … | 0 or 4 | zero padding to a multiple of 8 |
/// | … | 8 | checksum of every byte before it |
///
/// The checksum is FNV-1a-64 run over 64-bit little-endian words (not bytes: one multiply per 8 bytes) in four
/// interleaved lanes (word k goes to lane k mod 4, each lane starting from the FNV offset basis), and the four lane
/// values are then folded the same way into one FNV-1a-64 state. Loading 10M PDQ entries is a copy of 360 MB plus
/// this checksum.
enum IndexSnapshot {
    static let magic: [UInt8] = Array("HMIX".utf8)
    static let version: UInt16 = 1
    static let headerSize = 16

    /// The snapshot bytes for entries stored as packed limbs and ids.
    ///
    /// - Complexity: O(n).
    static func encode(limbs: [UInt64], ids: [UInt32], limbCount: Int) -> [UInt8] {
        precondition(limbs.count == ids.count * limbCount)
        let idBytes = (ids.count * 4 + 7) & ~7
        var bytes = [UInt8]()
        bytes.reserveCapacity(headerSize + limbs.count * 8 + idBytes + 8)
        bytes += magic
        append(UInt64(version), size: 2, to: &bytes)
        append(UInt64(limbCount * 64), size: 2, to: &bytes)
        append(UInt64(ids.count), size: 8, to: &bytes)
        SnapshotBytes.append(limbs, to: &bytes)
        SnapshotBytes.append(ids, to: &bytes)
        bytes += repeatElement(0, count: headerSize + limbs.count * 8 + idBytes - bytes.count)
        append(SnapshotBytes.checksum(bytes, wordCount: bytes.count / 8), size: 8, to: &bytes)
        return bytes
    }

    /// Checks and unpacks snapshot bytes into packed limbs and ids (ids may still repeat: the caller checks).
    ///
    /// - Throws: `SnapshotError` for a wrong magic, version, width, size or checksum.
    /// - Complexity: O(n); sizes are checked before anything is allocated.
    static func decode(_ bytes: [UInt8], limbCount: Int) throws(SnapshotError) -> (limbs: [UInt64], ids: [UInt32]) {
        guard bytes.count >= headerSize + 8 else {
            if bytes.count >= 4, Array(bytes[0..<4]) != magic { throw .badMagic }
            throw .wrongSize(expected: headerSize + 8, found: bytes.count)
        }
        guard Array(bytes[0..<4]) == magic else { throw .badMagic }
        let version = UInt16(read(bytes, at: 4, size: 2))
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let width = Int(read(bytes, at: 6, size: 2))
        guard width == limbCount * 64 else { throw .wrongHashWidth(expected: limbCount * 64, found: width) }
        let count = read(bytes, at: 8, size: 8)
        // Locations are UInt32 and the absent marker is UInt32.max; the size bound keeps the arithmetic below exact.
        guard count < UInt64(UInt32.max), count <= UInt64(Int.max / 64) else { throw .implausibleCount(count) }
        let n = Int(count)
        let limbBytes = n * limbCount * 8
        let idBytes = (n * 4 + 7) & ~7
        let expected = headerSize + limbBytes + idBytes + 8
        guard bytes.count == expected else { throw .wrongSize(expected: expected, found: bytes.count) }
        let stored = read(bytes, at: expected - 8, size: 8)
        let computed = SnapshotBytes.checksum(bytes, wordCount: (expected - 8) / 8)
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        let limbs: [UInt64] = SnapshotBytes.load(bytes, at: headerSize, count: n * limbCount)
        let ids: [UInt32] = SnapshotBytes.load(bytes, at: headerSize + limbBytes, count: n)
        return (limbs, ids)
    }

    private static func append(_ value: UInt64, size: Int, to bytes: inout [UInt8]) {
        for k in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * k))) }
    }

    private static func read(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for k in 0..<size { value |= UInt64(bytes[offset + k]) << UInt64(8 * k) }
        return value
    }
}

import HashIndex

/// Little-endian writer for `Matcher.snapshot`.
struct SnapshotWriter {
    private var payload: [UInt8] = []

    mutating func u32(_ value: Int) {
        withUnsafeBytes(of: UInt32(value).littleEndian) { payload += $0 }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { payload += $0 }
    }

    mutating func raw(_ bytes: [UInt8]) {
        payload += bytes
    }

    mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        payload += bytes
    }

    mutating func string(_ value: String) {
        u32(value.utf8.count)
        payload += value.utf8
    }

    mutating func bytes(_ value: [UInt8]) {
        u64(UInt64(value.count))
        payload += value
    }

    /// Magic, payload length, payload, checksum.
    func finish(magic: [UInt8]) -> [UInt8] {
        var out = magic
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { out += $0 }
        out += payload
        withUnsafeBytes(of: SnapshotChecksum.of(payload[...]).littleEndian) { out += $0 }
        return out
    }
}

/// Bounds-checked reader for `Matcher.load(snapshot:)`: every read checks what is left first. It reads the bytes in
/// place (a mapped snapshot file is never copied whole); they must outlive the reader.
struct SnapshotReader {
    private let data: UnsafeRawBufferPointer
    private var offset: Int
    private let end: Int

    /// Checks magic, length and checksum before anything is read.
    init(_ bytes: UnsafeRawBufferPointer, magic: [UInt8]) throws(MatcherSnapshotError) {
        guard bytes.count >= magic.count + 16, Array(bytes[0..<magic.count]) == magic else { throw .notASnapshot }
        self.data = bytes
        self.offset = magic.count
        let length = Self.word(bytes, at: magic.count)
        guard length <= UInt64(bytes.count - magic.count - 16) else { throw .truncated }
        self.offset = magic.count + 8
        self.end = offset + Int(length)
        guard end + 8 <= bytes.count else { throw .truncated }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
        guard SnapshotChecksum.of(payload) == Self.word(bytes, at: end) else { throw .checksumMismatch }
    }

    private static func word(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    mutating func raw(_ count: Int) throws(MatcherSnapshotError) -> [UInt8] {
        guard count >= 0, end - offset >= count else { throw .truncated }
        defer { offset += count }
        return Array(data[offset..<offset + count])
    }

    /// `count` bytes, in place.
    mutating func view(_ count: Int) throws(MatcherSnapshotError) -> UnsafeRawBufferPointer {
        guard count >= 0, end - offset >= count else { throw .truncated }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: data[offset..<offset + count])
    }

    mutating func u32() throws(MatcherSnapshotError) -> Int {
        guard end - offset >= 4 else { throw .truncated }
        defer { offset += 4 }
        return Int(data[offset]) | Int(data[offset + 1]) << 8 | Int(data[offset + 2]) << 16 | Int(data[offset + 3])
            << 24
    }

    mutating func u64() throws(MatcherSnapshotError) -> UInt64 {
        guard end - offset >= 8 else { throw .truncated }
        defer { offset += 8 }
        return Self.word(data, at: offset)
    }

    /// An element count, refused when the remaining bytes could not hold that many elements.
    mutating func count(minimumBytesEach: Int) throws(MatcherSnapshotError) -> Int {
        let count = try u32()
        guard count <= (end - offset) / max(minimumBytesEach, 1) else { throw .truncated }
        return count
    }

    mutating func string() throws(MatcherSnapshotError) -> String {
        let count = try u32()
        guard end - offset >= count else { throw .truncated }
        defer { offset += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: data[offset..<offset + count]), as: UTF8.self)
    }

    /// A string's UTF-8 bytes (u32 length prefix), in place.
    mutating func stringBytes() throws(MatcherSnapshotError) -> UnsafeRawBufferPointer {
        let count = try u32()
        guard end - offset >= count else { throw .truncated }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: data[offset..<offset + count])
    }

    /// A length-prefixed block of bytes, in place.
    mutating func blob() throws(MatcherSnapshotError) -> UnsafeRawBufferPointer {
        let count = try u64()
        guard count <= UInt64(end - offset) else { throw .truncated }
        defer { offset += Int(count) }
        return UnsafeRawBufferPointer(rebasing: data[offset..<offset + Int(count)])
    }
}

/// The entry id of every row, as UTF-8 bytes one after another in a single buffer.
///
/// As a `String` in each row, an id took 16 bytes in the row plus, past 15 bytes of UTF-8, a heap object of its
/// own: an id such as `pdq-<64 hex digits>` cost ~127 bytes a row (267 MiB resident for 1M such rows against 140
/// for short ids), one allocation each at load, and a release each when an index generation was freed. Here it
/// costs its bytes and a 4-byte end offset.
struct RowIDs: Sendable {
    /// The ids' bytes, back to back.
    private var bytes: [UInt8] = []
    /// Where each id ends in `bytes`.
    private var ends: [UInt32] = []

    /// The largest total of id bytes (4 GiB: ends are 32-bit).
    static let byteLimit = Int(UInt32.max)

    /// The number of ids.
    var count: Int { ends.count }

    /// Room for `rows` more ids of `bytes` bytes in all.
    mutating func reserve(rows: Int, bytes: Int) {
        ends.reserveCapacity(ends.count + rows)
        self.bytes.reserveCapacity(self.bytes.count + bytes)
    }

    /// Appends an id; false, appending nothing, when the ids would pass `byteLimit`.
    @discardableResult
    mutating func append(utf8 id: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count + id.count <= Self.byteLimit else { return false }
        bytes.append(contentsOf: id)
        ends.append(UInt32(bytes.count))
        return true
    }

    /// Appends an id.
    ///
    /// - Precondition: the ids stay within `byteLimit`.
    mutating func append(_ id: String) {
        var id = id
        let appended = id.withUTF8 { append(utf8: UnsafeRawBufferPointer($0)) }
        precondition(appended, "entry ids past \(Self.byteLimit) bytes in all")
    }

    /// The id of `row`.
    subscript(row: Int) -> String {
        withUTF8(row) { String(decoding: $0, as: UTF8.self) }
    }

    /// The UTF-8 bytes of the id of `row`, valid only inside `body`.
    func withUTF8<R>(_ row: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let start = row == 0 ? 0 : Int(ends[row - 1])
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<Int(ends[row])])) }
    }

    /// Every row whose id is one of `ids` (as Swift strings compare: by canonical equivalence) and for which
    /// `include` holds, by one pass. While every id asked for is ASCII, an ASCII row id is compared only when its
    /// length and last eight bytes match one of them; any other row id is compared as a string, since `cafe\u{301}`
    /// is `café` and the Kelvin sign `\u{212A}` is `K`.
    ///
    /// - Complexity: O(total id bytes), plus a string comparison per row whose id matches on length and ending or
    ///   is not ASCII.
    func rows(withIDs ids: Set<String>, where include: (Int) -> Bool) -> [String: UInt32] {
        let asciiOnly = ids.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        var wanted: [Int: [UInt64: [[UInt8]]]] = [:]
        for id in ids {
            let utf8 = Array(id.utf8)
            wanted[utf8.count, default: [:]][Self.ending(utf8), default: []].append(utf8)
        }
        var found: [String: UInt32] = [:]
        bytes.withUnsafeBytes { bytes in
            ends.withUnsafeBufferPointer { ends in
                var start = 0
                for row in ends.indices {
                    let end = Int(ends[row])
                    defer { start = end }
                    let id = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    if asciiOnly, Self.isASCII(id) {
                        guard let candidates = wanted[id.count]?[Self.ending(id)], include(row),
                            let match = candidates.first(where: { $0.elementsEqual(id) })
                        else { continue }
                        found[String(decoding: match, as: UTF8.self)] = UInt32(row)
                    } else {
                        let text = String(decoding: id, as: UTF8.self)
                        guard let match = ids.firstIndex(of: text), include(row) else { continue }
                        found[ids[match]] = UInt32(row)
                    }
                }
            }
        }
        return found
    }

    /// Whether every byte is below 0x80, eight at a time.
    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index + 8 <= bytes.count {
            guard bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 else {
                return false
            }
            index += 8
        }
        while index < bytes.count {
            guard bytes[index] < 0x80 else { return false }
            index += 1
        }
        return true
    }

    /// The last eight bytes (fewer for a shorter id), as one word.
    private static func ending(_ bytes: some Collection<UInt8>) -> UInt64 {
        bytes.suffix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

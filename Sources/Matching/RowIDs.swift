/// The entry id of every row, as UTF-8 bytes one after another, in chunks of 65,536 ids.
///
/// As a `String` in each row, an id took 16 bytes in the row plus, past 15 bytes of UTF-8, a heap object of its
/// own: an id such as `pdq-<64 hex digits>` cost ~127 bytes a row (267 MiB resident for 1M such rows against 140
/// for short ids), one allocation each at load, and a release each when an index generation was freed. Here it
/// costs its bytes and a 4-byte end offset. In chunks, as `ChunkedColumn` and for the same reason: a change to a
/// copy that readers hold copies the chunk it appends to, not 120 MB of ids at 10M rows.
struct RowIDs: Sendable {
    private struct Chunk: Sendable {
        /// The ids' bytes, back to back.
        var bytes: [UInt8] = []
        /// Where each id ends in `bytes`.
        var ends: [UInt32] = []
    }

    private var chunks: [Chunk] = []

    /// The largest total of id bytes in one chunk (4 GiB: ends are 32-bit).
    static let chunkByteLimit = Int(UInt32.max)

    /// The number of ids.
    private(set) var count = 0

    /// Appends an id; false, appending nothing, when its chunk's ids would pass `chunkByteLimit`.
    @discardableResult
    mutating func append(utf8 id: UnsafeRawBufferPointer) -> Bool {
        let opensChunk = count & (ChunkedColumn<UInt32>.chunkSize - 1) == 0
        guard (opensChunk ? 0 : chunks[chunks.count - 1].bytes.count) + id.count <= Self.chunkByteLimit else {
            return false
        }
        if opensChunk {
            chunks.append(Chunk())
            chunks[chunks.count - 1].ends.reserveCapacity(ChunkedColumn<UInt32>.chunkSize)
        }
        let last = chunks.count - 1
        chunks[last].bytes.append(contentsOf: id)
        chunks[last].ends.append(UInt32(chunks[last].bytes.count))
        count += 1
        return true
    }

    /// Appends an id.
    ///
    /// - Precondition: the id's chunk stays within `chunkByteLimit`.
    mutating func append(_ id: String) {
        var id = id
        let appended = id.withUTF8 { append(utf8: UnsafeRawBufferPointer($0)) }
        precondition(appended, "entry ids past \(Self.chunkByteLimit) bytes in one chunk")
    }

    /// The id of `row`.
    subscript(row: Int) -> String {
        withUTF8(row) { String(decoding: $0, as: UTF8.self) }
    }

    /// The UTF-8 bytes of the id of `row`, valid only inside `body`.
    func withUTF8<R>(_ row: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let chunk = chunks[row &>> ChunkedColumn<UInt32>.chunkShift]
        let local = row & (ChunkedColumn<UInt32>.chunkSize - 1)
        let start = local == 0 ? 0 : Int(chunk.ends[local - 1])
        return chunk.bytes.withUnsafeBytes {
            body(UnsafeRawBufferPointer(rebasing: $0[start..<Int(chunk.ends[local])]))
        }
    }

    /// Every row whose id is one of `ids` (as Swift strings compare: by canonical equivalence) and for which
    /// `include` holds, by one pass. While every id asked for is ASCII, an ASCII row id is compared only when its
    /// length and last eight bytes match one of them; any other row id is compared as a string, since `cafe\u{301}`
    /// is `café` and the Kelvin sign `\u{212A}` is `K`.
    ///
    /// The lengths are looked up in a table and the endings first in a 65,536-bit filter, so a row whose id does not
    /// match costs no hashing: hashing every row's length and ending was most of a change's pass over 10M rows.
    ///
    /// - Complexity: O(total id bytes), plus a string comparison per row whose id matches on length and ending or
    ///   is not ASCII.
    func rows(withIDs ids: Set<String>, where include: (Int) -> Bool) -> [String: UInt32] {
        let asciiOnly = ids.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        // By length (an index, not a hash), then by ending.
        var wanted = [[UInt64: [[UInt8]]]](repeating: [:], count: (ids.map(\.utf8.count).max() ?? 0) + 1)
        var endingFilter = [UInt64](repeating: 0, count: 1 << 10)
        for id in ids {
            let utf8 = Array(id.utf8)
            let ending = utf8.withUnsafeBytes { Self.ending($0) }
            wanted[utf8.count][ending, default: []].append(utf8)
            let bit = Self.filterBit(ending)
            endingFilter[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        var found: [String: UInt32] = [:]
        for (c, chunk) in chunks.enumerated() {
            let first = c << ChunkedColumn<UInt32>.chunkShift
            chunk.bytes.withUnsafeBytes { bytes in
                chunk.ends.withUnsafeBufferPointer { ends in
                    var start = 0
                    for local in ends.indices {
                        let row = first + local
                        let end = Int(ends[local])
                        defer { start = end }
                        let id = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                        if asciiOnly, Self.isASCII(id) {
                            guard id.count < wanted.count, !wanted[id.count].isEmpty else { continue }
                            let ending = Self.ending(id)
                            let bit = Self.filterBit(ending)
                            guard endingFilter[bit >> 6] & (1 << UInt64(bit & 63)) != 0,
                                let candidates = wanted[id.count][ending], include(row),
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
        }
        return found
    }

    /// Where an ending falls in the 65,536-bit filter (Fibonacci hashing: the top 16 bits of a multiplication).
    private static func filterBit(_ ending: UInt64) -> Int {
        Int(truncatingIfNeeded: (ending &* 0x9E37_79B9_7F4A_7C15) >> 48)
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
    private static func ending(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard bytes.count >= 8 else { return bytes.reduce(0) { $0 << 8 | UInt64($1) } }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self))
    }
}

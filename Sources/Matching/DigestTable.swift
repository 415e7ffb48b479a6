import PerceptualHashing

/// The rows of one digest algorithm's entries (MD5, SHA-1 or SHA-256), by digest.
///
/// Keys are held inline (`Key`, four words) and a digest's first row as a plain value, so an entry allocates nothing:
/// keyed by `ExactDigest` (an array) with an array of rows each, every entry was two heap objects, ~130 bytes a
/// digest. Further rows of a digest (the same file listed in two sets) sit beside, in `more`.
///
/// The table is cut into 256 shards by the digest's first byte, so a change to a copy that readers still hold (an
/// admin change in the service) copies 1/256 of it, not the whole table.
///
/// `RowDigests` holds the other direction, for changes: the digest of each digest row.
struct DigestTable: Sendable {
    /// A digest of up to 32 bytes, zero-padded, as four words.
    struct Key: Hashable, Sendable {
        private var words: SIMD4<UInt64> = .zero

        init(_ digest: ExactDigest) {
            self = digest.bytes.withUnsafeBytes { Key(bytes: $0) }
        }

        init(bytes: UnsafeRawBufferPointer) {
            precondition(bytes.count <= 32, "digests of up to 32 bytes")
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        }

        /// The first `count` bytes (the digest's), valid only inside `body`.
        func withBytes<R>(count: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
            withUnsafeBytes(of: words) { body(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }

        /// The digest's first byte: its shard.
        var shard: Int { withUnsafeBytes(of: words) { Int($0[0]) } }
    }

    private struct Shard: Sendable {
        var first: [Key: UInt32] = [:]
        var more: [Key: [UInt32]] = [:]
    }

    private var shards = [Shard](repeating: Shard(), count: 256)
    /// The digest length in bytes.
    let width: Int
    /// The rows held.
    private(set) var count = 0

    /// An empty table of `width`-byte digests.
    init(width: Int) { self.width = width }

    /// The rows of `digest`, in the order they were added.
    func rows(_ digest: ExactDigest) -> [UInt32] {
        guard digest.bytes.count == width else { return [] }
        let key = Key(digest)
        let shard = shards[key.shard]
        guard let first = shard.first[key] else { return [] }
        return [first] + (shard.more[key] ?? [])
    }

    /// Adds a row of a digest.
    mutating func append(_ row: UInt32, for key: Key) {
        count += 1
        if shards[key.shard].first[key] == nil {
            shards[key.shard].first[key] = row
        } else {
            shards[key.shard].more[key, default: []].append(row)
        }
    }

    /// Removes a row of a digest; false when it is not there.
    @discardableResult
    mutating func remove(_ row: UInt32, for key: Key) -> Bool {
        let s = key.shard
        guard let first = shards[s].first[key] else { return false }
        if first == row {
            if var more = shards[s].more.removeValue(forKey: key) {
                shards[s].first[key] = more.removeFirst()
                if !more.isEmpty { shards[s].more[key] = more }
            } else {
                shards[s].first[key] = nil
            }
        } else {
            guard var more = shards[s].more[key], let at = more.firstIndex(of: row) else { return false }
            more.remove(at: at)
            shards[s].more[key] = more.isEmpty ? nil : more
        }
        count -= 1
        return true
    }

    /// Calls `body` with every (digest, row).
    func forEach(_ body: (Key, UInt32) -> Void) {
        for shard in shards {
            for (key, row) in shard.first {
                body(key, row)
                for more in shard.more[key] ?? [] { body(key, more) }
            }
        }
    }
}

/// The digest of each live digest row, for removing it from its `DigestTable`, in shards of 65,536 rows (a change
/// copies the shards it touches; see `ChunkedColumn`).
struct RowDigests: Sendable {
    private var shards: [[UInt32: DigestTable.Key]] = []

    subscript(row: UInt32) -> DigestTable.Key? {
        get {
            let s = Int(row) >> ChunkedColumn<UInt8>.chunkShift
            return s < shards.count ? shards[s][row] : nil
        }
        set {
            let s = Int(row) >> ChunkedColumn<UInt8>.chunkShift
            if s >= shards.count {
                guard newValue != nil else { return }
                shards += repeatElement([:], count: s + 1 - shards.count)
            }
            shards[s][row] = newValue
        }
    }
}

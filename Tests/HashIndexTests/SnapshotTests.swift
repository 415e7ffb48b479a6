import HashIndex
import PerceptualHashing
import Testing

@Suite("Snapshots round-trip, and damaged ones are refused without trapping")
struct SnapshotTests {
    private static func sample(count: Int) -> [(hash: Hash256, id: UInt32)] {
        var data = TestData<Hash256>(seed: 42)
        return (0..<count).map { (data.randomHash(), UInt32($0 * 2 + 1)) }
    }

    @Test func roundTripEveryKind() throws {
        let entries = Self.sample(count: 500)
        let sources: [any HammingIndex<Hash256>] = [
            LinearScan(entries: entries), BKTree(entries: entries), MultiIndexHashing(entries: entries),
        ]
        for source in sources {
            let bytes = source.serialize()
            // Header + 32 bytes of limbs and 4 of id per entry + checksum; multi-index hashing adds its tables:
            // slot count, member width and position form, 16 one-byte widths, the bucket positions, 16 rows of 3
            // bytes per entry.
            let tables = source is MultiIndexHashing<Hash256> ? Self.TableLayout(rows: 500).size : 0
            #expect(bytes.count == 16 + 500 * 36 + tables + 8)
            #expect(bytes[4] == (tables > 0 ? 3 : 1))
            let loaded: [any HammingIndex<Hash256>] = [
                try LinearScan<Hash256>(snapshot: bytes), try BKTree<Hash256>(snapshot: bytes),
                try MultiIndexHashing<Hash256>(snapshot: bytes), try AutoIndex<Hash256>(snapshot: bytes),
            ]
            for index in loaded {
                #expect(index.count == 500)
                for entry in entries { #expect(index.hash(id: entry.id) == entry.hash) }
            }
        }
    }

    @Test func layoutIsTheDocumentedOne() {
        let bytes = LinearScan(entries: [(hash: Hash64(0x0102_0304_0506_0708), id: UInt32(9))]).serialize()
        #expect(Array(bytes[0..<4]) == Array("HMIX".utf8))
        #expect(Array(bytes[4..<8]) == [1, 0, 64, 0])
        #expect(Array(bytes[8..<16]) == [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[16..<24]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(Array(bytes[24..<32]) == [9, 0, 0, 0, 0, 0, 0, 0])
        #expect(bytes.count == 40)
    }

    @Test func emptyIndexRoundTrips() throws {
        let bytes = MultiIndexHashing<Hash64>().serialize()
        #expect(try LinearScan<Hash64>(snapshot: bytes).count == 0)
    }

    @Test func everyTruncationThrows() {
        let bytes = LinearScan(entries: Self.sample(count: 7)).serialize()
        for length in 0..<bytes.count {
            #expect(throws: SnapshotError.self) { try LinearScan<Hash256>(snapshot: Array(bytes[0..<length])) }
        }
        #expect(throws: SnapshotError.self) { try LinearScan<Hash256>(snapshot: bytes + [0]) }
    }

    @Test func everyFlippedBitThrows() {
        let bytes = BKTree(entries: Self.sample(count: 5)).serialize()
        for byte in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[byte] ^= 1 << bit
                #expect(throws: SnapshotError.self) { try MultiIndexHashing<Hash256>(snapshot: damaged) }
            }
        }
    }

    @Test func specificDefectsAreNamed() {
        let bytes = LinearScan(entries: Self.sample(count: 3)).serialize()
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: SnapshotError.badMagic) { try LinearScan<Hash256>(snapshot: magic) }
        var version = bytes
        version[4] = 4
        #expect(throws: SnapshotError.unsupportedVersion(4)) { try LinearScan<Hash256>(snapshot: version) }
        #expect(throws: SnapshotError.wrongHashWidth(expected: 64, found: 256)) {
            try LinearScan<Hash64>(snapshot: bytes)
        }
        var huge = bytes
        for k in 8..<16 { huge[k] = 0xff }
        #expect(throws: SnapshotError.implausibleCount(UInt64.max)) { try BKTree<Hash256>(snapshot: huge) }
        // A large but representable count with few bytes: refused by size before any allocation.
        var large = bytes
        large[8..<16] = [0, 0, 0, 0x40, 0, 0, 0, 0]
        #expect(throws: SnapshotError.wrongSize(expected: 16 + 0x4000_0000 * 36 + 8, found: bytes.count)) {
            try MultiIndexHashing<Hash256>(snapshot: large)
        }
        var payload = bytes
        payload[20] ^= 0x10
        #expect(throws: SnapshotError.self) { try LinearScan<Hash256>(snapshot: payload) }
    }

    @Test func duplicateIDsAreRefused() {
        // Hand-built: two entries with id 7 and a correct checksum (recomputed by a reference FNV in the test).
        var bytes = Array("HMIX".utf8) + [1, 0, 64, 0] + [2, 0, 0, 0, 0, 0, 0, 0]
        bytes += [1, 0, 0, 0, 0, 0, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0] + [7, 0, 0, 0, 7, 0, 0, 0]
        let sum = Self.referenceChecksum(bytes)
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: sum >> UInt64(8 * $0)) }
        #expect(throws: SnapshotError.duplicateID(7)) { try LinearScan<Hash64>(snapshot: bytes) }
        #expect(throws: SnapshotError.duplicateID(7)) { try BKTree<Hash64>(snapshot: bytes) }
        #expect(throws: SnapshotError.duplicateID(7)) { try MultiIndexHashing<Hash64>(snapshot: bytes) }
        #expect(throws: SnapshotError.duplicateID(7)) { try AutoIndex<Hash64>(snapshot: bytes) }
    }

    @Test func inconsistentTablesAreRefused() {
        let bytes = MultiIndexHashing(entries: Self.sample(count: 4)).serialize()
        // Re-sealed with a correct checksum, so only the table checks can catch each defect.
        func resealed(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var damaged = Array(bytes.dropLast(8))
            change(&damaged)
            let sum = Self.referenceChecksum(damaged)
            return damaged + (0..<8).map { UInt8(truncatingIfNeeded: sum >> UInt64(8 * $0)) }
        }
        let layout = TableLayout(rows: 4)
        let tables = layout.tables
        let members = layout.members
        let pastTheRows = resealed { $0[members] = 4 }
        #expect(throws: SnapshotError.malformedTables("a member beyond the rows")) {
            try MultiIndexHashing<Hash256>(snapshot: pastTheRows)
        }
        let badWidths = resealed { $0[tables + 8] = 17 }
        #expect(throws: SnapshotError.self) { try MultiIndexHashing<Hash256>(snapshot: badWidths) }
        let fallingStarts = resealed { $0[layout.blockStarts + 4 * 100] = 0xff }
        #expect(throws: SnapshotError.self) { try AutoIndex<Hash256>(snapshot: fallingStarts) }
        let fallingOffsets = resealed { $0[layout.relative + 2 * 300] = 0xff }
        #expect(throws: SnapshotError.self) { try AutoIndex<Hash256>(snapshot: fallingOffsets) }
        let unknownForm = resealed { $0[tables + 5] = 2 }
        #expect(throws: SnapshotError.malformedTables("bucket position form 2")) {
            try MultiIndexHashing<Hash256>(snapshot: unknownForm)
        }
        // The entries alone still load into the kinds that ignore the tables.
        #expect((try? LinearScan<Hash256>(snapshot: bytes))?.count == 4)
    }

    /// Where the tables of a PDQ multi-index snapshot with 16-bit slots and `rows` rows lie, in the compact form:
    /// 16 × 2^16 + 1 bucket positions as 4097 u32 block starts and u16 offsets, then 3-byte members.
    struct TableLayout {
        static let positions = 16 * 65_536 + 1
        static let blocks = (positions + 255) / 256
        let rows: Int
        var tables: Int { 16 + rows * 36 }
        var blockStarts: Int { tables + 8 + 16 }
        var relative: Int { blockStarts + Self.blocks * 4 + 4 }
        var members: Int { relative + Self.positions * 2 + 6 }
        var size: Int { members + (16 * rows * 3 + 7) / 8 * 8 - tables }
    }

    /// A 500-entry multi-index snapshot rewritten with plain u32 bucket positions and 4-byte members: as version 2
    /// wrote them, or as version 3 writes them past 16.7M rows (or when a block's positions overflow 16 bits).
    private static func withWordMembers(_ bytes: [UInt8], version: UInt8) -> [UInt8] {
        let layout = TableLayout(rows: 500)
        #expect(Array(bytes[layout.tables..<layout.tables + 8]) == [16, 0, 0, 0, 3, 1, 0, 0])
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << UInt32(8 * $1) } }
        func u16(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 }
        var widened = Array(bytes[..<layout.blockStarts])
        widened.reserveCapacity(bytes.count + 2 * TableLayout.positions + 16 * 500)
        widened[4] = version
        widened[layout.tables + 4] = version == 2 ? 0 : 4
        widened[layout.tables + 5] = 0
        for b in 0..<TableLayout.positions {
            let position = u32(layout.blockStarts + 4 * (b / 256)) + u16(layout.relative + 2 * b)
            for k in 0..<4 { widened.append(UInt8(truncatingIfNeeded: position >> UInt32(8 * k))) }
        }
        widened += [0, 0, 0, 0]
        for k in 0..<16 * 500 {
            widened += bytes[layout.members + 3 * k..<layout.members + 3 * k + 3]
            widened.append(0)
        }
        let sum = referenceChecksum(widened)
        return widened + (0..<8).map { UInt8(truncatingIfNeeded: sum >> UInt64(8 * $0)) }
    }

    @Test func fourByteMembersLoad() throws {
        let entries = Self.sample(count: 500)
        let bytes = MultiIndexHashing(entries: entries).serialize()
        var data = TestData<Hash256>(seed: 7)
        let queries = data.queries(near: entries.map(\.hash), count: 40, radius: 31)
        for version: UInt8 in [2, 3] {
            let widened = Self.withWordMembers(bytes, version: version)
            let index = try MultiIndexHashing<Hash256>(snapshot: widened)
            #expect(index.count == 500)
            for query in queries {
                var found: [IndexHit] = []
                index.search(query, radius: 31, into: &found)
                let reference = BruteForce.search(
                    Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0.hash) }),
                    query,
                    radius: 31
                )
                #expect(Set(found.map(\.id)) == Set(reference.map(\.id)))
            }
            // Re-serialised, version 2's members are packed to 3 bytes; version 3's stay as they were stored.
            let rewritten = index.serialize()
            let expected = version == 2 ? bytes : widened
            #expect(rewritten.count == expected.count)
            let same = rewritten == expected
            #expect(same)
        }
        // A 3-byte width is refused where 4 bytes were announced but 3 stored.
        var lying = Array(bytes.dropLast(8))
        lying[TableLayout(rows: 500).tables + 4] = 4
        let sum = Self.referenceChecksum(lying)
        lying += (0..<8).map { UInt8(truncatingIfNeeded: sum >> UInt64(8 * $0)) }
        #expect(throws: SnapshotError.self) { try MultiIndexHashing<Hash256>(snapshot: lying) }
    }

    @Test func crowdedBucketsKeepPlainPositions() throws {
        // 70,000 copies of one hash and 1,000 others: each slot has a bucket of 70,000 rows, more than a block's
        // 16-bit offsets can span, so the positions are kept as 4 bytes each.
        var data = TestData<Hash64>(seed: 11)
        let crowded = data.randomHash()
        let entries = (0..<71_000).map { (hash: $0 < 70_000 ? crowded : data.randomHash(), id: UInt32($0)) }
        let index = MultiIndexHashing(entries: entries)
        let bytes = index.serialize()
        let tables = 16 + 71_000 * 12
        #expect(Array(bytes[tables..<tables + 8]) == [4, 0, 0, 0, 3, 0, 0, 0])
        let loaded = try MultiIndexHashing<Hash64>(snapshot: bytes)
        let reference = Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0.hash) })
        for query in [crowded, data.flip(crowded, bits: 3)]
            + data.queries(near: entries.map(\.hash).suffix(1_000), count: 20, radius: 8)
        {
            let expected = BruteForce.search(reference, query, radius: 8)
            for candidate in [index, loaded] {
                var found: [IndexHit] = []
                candidate.search(query, radius: 8, into: &found)
                #expect(found.count == expected.count)
                #expect(Set(found.map(\.id)) == Set(expected.map(\.id)))
            }
        }
    }

    @Test func checksumMatchesAnIndependentImplementation() {
        let bytes = LinearScan(entries: Self.sample(count: 9)).serialize()
        let stored = bytes.suffix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
        #expect(stored == Self.referenceChecksum(Array(bytes.dropLast(8))))
    }

    /// The documented checksum, written plainly: FNV-1a-64 over LE words in 4 lanes, lanes folded in order.
    private static func referenceChecksum(_ bytes: [UInt8]) -> UInt64 {
        let basis: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x100_0000_01b3
        var lanes = [basis, basis, basis, basis]
        for k in 0..<bytes.count / 8 {
            var word: UInt64 = 0
            for b in 0..<8 { word |= UInt64(bytes[k * 8 + b]) << UInt64(8 * b) }
            lanes[k % 4] = (lanes[k % 4] ^ word) &* prime
        }
        return lanes.reduce(basis) { ($0 ^ $1) &* prime }
    }
}

@Suite("The automatic choice follows the measured crossovers")
struct IndexKindTests {
    @Test(arguments: [
        (64, 5_000, 8, IndexKind.linearScan), (64, 20_000, 8, .multiIndexHashing),
        (64, 20_000, 10, .linearScan), (64, 40_000, 10, .multiIndexHashing),
        (256, 10_000, 31, .linearScan), (256, 30_000, 31, .multiIndexHashing),
        (256, 10_000_000, 31, .multiIndexHashing), (64, 10_000_000, 40, .linearScan),
    ])
    func recommended(bits: Int, count: Int, radius: Int, expected: IndexKind) {
        #expect(IndexKind.recommended(bits: bits, count: count, radius: radius) == expected)
    }

    @Test(arguments: [
        // bits, count, radius, slots: 16-bit slots until the buckets fill up, then fewer, wider ones.
        (256, 20_000, 31, 16), (256, 1_000_000, 31, 16), (256, 10_000_000, 31, 12),
        (64, 1_000_000, 8, 4), (64, 10_000_000, 8, 3), (64, 10_000_000, 10, 3),
    ])
    func slotCountFollowsTheCostModel(bits: Int, count: Int, radius: Int, slots: Int) {
        let chosen =
            bits == 64
            ? MultiIndexHashing<Hash64>.recommendedSlotCount(count: count, radius: radius)
            : MultiIndexHashing<Hash256>.recommendedSlotCount(count: count, radius: radius)
        #expect(chosen == slots)
    }

    @Test func autoIndexUsesTheRecommendation() {
        var data = TestData<Hash256>(seed: 5)
        let small = AutoIndex(entries: (0..<100).map { (hash: data.randomHash(), id: UInt32($0)) }, radius: 31)
        #expect(small.kind == .linearScan)
        let large = AutoIndex(entries: (0..<20_000).map { (hash: data.randomHash(), id: UInt32($0)) }, radius: 31)
        #expect(large.kind == .multiIndexHashing)
    }
}

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
            // slot count, 16 one-byte widths, 16 × 2^16 + 1 bucket offsets (padded to 8 bytes), 16 rows per entry.
            let tables = source is MultiIndexHashing<Hash256> ? 8 + 16 + (16 * 65_536 + 1) * 4 + 4 + 16 * 500 * 4 : 0
            #expect(bytes.count == 16 + 500 * 36 + tables + 8)
            #expect(bytes[4] == (tables > 0 ? 2 : 1))
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
        version[4] = 3
        #expect(throws: SnapshotError.unsupportedVersion(3)) { try LinearScan<Hash256>(snapshot: version) }
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
        let tables = 16 + 4 * 36  // header, entries
        let members = tables + 8 + 16 + (16 * 65_536 + 1) * 4 + 4
        let pastTheRows = resealed { $0[members] = 4 }
        #expect(throws: SnapshotError.malformedTables("a member beyond the rows")) {
            try MultiIndexHashing<Hash256>(snapshot: pastTheRows)
        }
        let badWidths = resealed { $0[tables + 8] = 17 }
        #expect(throws: SnapshotError.self) { try MultiIndexHashing<Hash256>(snapshot: badWidths) }
        let fallingOffsets = resealed { $0[tables + 8 + 16 + 4 * 100] = 0xff }
        #expect(throws: SnapshotError.self) { try AutoIndex<Hash256>(snapshot: fallingOffsets) }
        // The entries alone still load into the kinds that ignore the tables.
        #expect((try? LinearScan<Hash256>(snapshot: bytes))?.count == 4)
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

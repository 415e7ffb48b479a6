import HashIndex
import PerceptualHashing
import Testing

/// How the ids of a property test are given out.
enum IDOrder: String, Sendable {
    /// Sparse-ish, in shuffled order, one far beyond the rest: the id map in every form.
    case shuffled
    /// Rising with the rows, every other one, as the `Matcher` gives them to an algorithm's index: multi-index
    /// hashing keeps no id map until an id at or below the highest arrives. (Only the multi-index kinds: at 2,400
    /// entries `AutoIndex` picks a linear scan.)
    case rising
}

/// One property-test configuration.
struct PropertyCase: Sendable, CustomTestStringConvertible {
    var index: IndexUnderTest
    var bits: Int
    var radius: Int
    var data: DataKind
    var ids = IDOrder.shuffled

    var testDescription: String { "\(index) \(bits)-bit r=\(radius) \(data) \(ids) ids" }

    static let all: [PropertyCase] =
        IndexUnderTest.allCases.flatMap { index in
            [64, 256].flatMap { bits in
                [0, 1, 8, 10, 31, 64].flatMap { radius in
                    DataKind.allCases.map { PropertyCase(index: index, bits: bits, radius: radius, data: $0) }
                }
            }
        }
        + [IndexUnderTest.mih, .mihUnevenSlots, .mihWideSlots].flatMap { index in
            [64, 256].flatMap { bits in
                DataKind.allCases.map {
                    PropertyCase(index: index, bits: bits, radius: bits == 64 ? 8 : 31, data: $0, ids: .rising)
                }
            }
        }
}

@Suite("Every index returns exactly the brute-force answer")
struct HammingIndexPropertyTests {
    @Test(arguments: PropertyCase.all)
    func matchesBruteForce(_ c: PropertyCase) {
        if c.bits == 64 {
            check(Hash64.self, c)
        } else {
            check(Hash256.self, c)
        }
    }

    private func check<H: HammingHash>(_: H.Type, _ c: PropertyCase) {
        var data = TestData<H>(seed: UInt64(c.bits &* 1_000 &+ c.radius &* 7) &+ (c.data == .random ? 1 : 2))
        let hashes = data.hashes(c.data, count: 2_400)
        var ids: [UInt32]
        switch c.ids {
        case .shuffled:
            ids = (0..<UInt32(hashes.count)).map { $0 * 3 + 5 }
            ids.shuffle(using: &data.rng)
            ids[0] = 4_000_000_000
        case .rising:
            ids = (0..<UInt32(hashes.count)).map { $0 * 2 + 1 }
        }
        var reference: [UInt32: H] = [:]
        for (hash, id) in zip(hashes, ids) { reference[id] = hash }

        // Half in bulk, half one by one.
        let half = hashes.count / 2
        var index = c.index.make(Array(zip(hashes[..<half], ids[..<half])).map { ($0, $1) }, radius: c.radius)
        for (hash, id) in zip(hashes[half...], ids[half...]) { index.insert(hash, id: id) }
        compare(index, reference, &data, c, stage: "after build")

        // Remove a third, add fresh entries (ids still rising, if they were), then replace the hashes of some ids.
        let removals = ids.shuffled(using: &data.rng).prefix(hashes.count / 3)
        for id in removals {
            let removed = index.remove(id: id)
            #expect(removed, "remove \(id)")
            reference[id] = nil
        }
        for id in removals.prefix(20) {
            let again = index.remove(id: id)
            #expect(!again && index.hash(id: id) == nil, "a removed id is gone")
        }
        let removedAbsent = index.remove(id: 2)
        #expect(!removedAbsent, "an absent id is not removed")
        let extra = data.hashes(c.data, count: 300)
        for (k, hash) in extra.enumerated() {
            index.insert(hash, id: UInt32(1_000_000 + k))
            reference[UInt32(1_000_000 + k)] = hash
        }
        compare(index, reference, &data, c, stage: "after removes and inserts")

        // 300 more removals pass multi-index hashing's rebuild threshold (1,024 dead rows), which compacts the rows.
        for id in reference.keys.shuffled(using: &data.rng).prefix(300) {
            let removed = index.remove(id: id)
            #expect(removed, "remove \(id)")
            reference[id] = nil
        }
        compare(index, reference, &data, c, stage: "after compaction")
        if c.ids == .rising {
            // Rising ids load without the id map.
            let reloaded = try? MultiIndexHashing<H>(snapshot: index.serialize())
            #expect(reloaded != nil)
            if let reloaded { compare(reloaded, reference, &data, c, stage: "after a rising snapshot round-trip") }
        }

        // Removed ids come back, ids below the highest arrive, and some hashes are replaced: the ids stop rising.
        for id in removals.suffix(20) {
            let hash = data.randomHash()
            index.insert(hash, id: id)
            reference[id] = hash
        }
        let used = Set(ids).union(reference.keys)
        for id in (1..<UInt32(10_000)).lazy.filter({ !used.contains($0) }).prefix(20) {
            let hash = data.randomHash()
            index.insert(hash, id: id)
            reference[id] = hash
        }
        for id in reference.keys.shuffled(using: &data.rng).prefix(100) {
            let moved = data.flip(reference[id]!, bits: 3)
            index.insert(moved, id: id)
            reference[id] = moved
        }
        compare(index, reference, &data, c, stage: "after re-adding, adding below the highest id, replacing")

        // A snapshot of the mutated index loads into every kind with the same answers.
        let snapshot = index.serialize()
        let reloaded = try? MultiIndexHashing<H>(snapshot: snapshot)
        #expect(reloaded != nil)
        if let reloaded { compare(reloaded, reference, &data, c, stage: "after snapshot round-trip") }
    }

    private func compare<H: HammingHash>(
        _ index: any HammingIndex<H>,
        _ reference: [UInt32: H],
        _ data: inout TestData<H>,
        _ c: PropertyCase,
        stage: String
    ) {
        #expect(index.count == reference.count, "\(stage): count")
        var entries: [UInt32: H] = [:]
        var repeated = 0
        index.forEachEntry { id, hash in repeated += entries.updateValue(hash, forKey: id) == nil ? 0 : 1 }
        #expect(entries == reference && repeated == 0, "\(stage): forEachEntry")
        for (id, hash) in reference.prefix(50) { #expect(index.hash(id: id) == hash, "\(stage): hash(id:)") }
        let values = Array(reference.values)
        for query in data.queries(near: values, count: 30, radius: c.radius) {
            let found = index.search(query, radius: c.radius).sorted { $0.id < $1.id }
            let expected = BruteForce.search(reference, query, radius: c.radius)
            #expect(found == expected, "\(stage): \(found.count) hits vs \(expected.count) expected")
        }
        for _ in 0..<4 {
            let queries = data.queries(near: values, count: 8, radius: c.radius)
            let found = index.searchAny(queries, radius: c.radius).sorted { $0.id < $1.id }
            let expected = BruteForce.searchAny(reference, queries, radius: c.radius)
            #expect(found == expected, "\(stage): searchAny \(found.count) hits vs \(expected.count) expected")
        }
    }
}

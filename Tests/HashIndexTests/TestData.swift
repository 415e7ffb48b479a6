import HashIndex
import PerceptualHashing

/// The shapes of data the property tests run on.
enum DataKind: String, CaseIterable, Sendable {
    /// Independent uniform hashes.
    case random
    /// A few dozen centres, each with exact duplicates and near-duplicates at distance 0–20.
    case clustered
}

/// Index kinds under test, built through a common door.
enum IndexUnderTest: String, CaseIterable, Sendable {
    case linear, bkTree, bkTreeSmallLeaves, mih, mihUnevenSlots, mihWideSlots, auto

    func make<H: HammingHash>(_ entries: [(hash: H, id: UInt32)], radius: Int) -> any HammingIndex<H> {
        switch self {
        case .linear: LinearScan(entries: entries)
        case .bkTree: BKTree(entries: entries)
        case .bkTreeSmallLeaves:
            {
                var tree = BKTree<H>(leafCapacity: 2)
                for entry in entries { tree.insert(entry.hash, id: entry.id) }
                return tree
            }()
        case .mih: MultiIndexHashing(entries: entries)
        // 64-bit: 5 slots of 13/13/13/13/12 bits; 256-bit: 20 slots of 13/12 bits.
        case .mihUnevenSlots: MultiIndexHashing(entries: entries, slotCount: H.bitWidth == 64 ? 5 : 20)
        // The wide slots `recommendedSlotCount` picks for big sets: 64-bit: 22/21/21 bits; 256-bit: 12 of 22/21 bits.
        case .mihWideSlots: MultiIndexHashing(entries: entries, slotCount: H.bitWidth == 64 ? 3 : 12)
        case .auto: AutoIndex(entries: entries, radius: radius)
        }
    }
}

/// Test data generation and the brute-force reference.
struct TestData<H: HammingHash> {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func randomHash() -> H { H(limbs: { _ in rng.next() }) }

    /// `hash` with exactly `bits` distinct bits flipped.
    mutating func flip(_ hash: H, bits: Int) -> H {
        var limbs = (0..<H.limbCount).map { hash.limb($0) }
        var chosen = Set<Int>()
        while chosen.count < min(bits, H.bitWidth) { chosen.insert(Int.random(in: 0..<H.bitWidth, using: &rng)) }
        for bit in chosen { limbs[bit / 64] ^= 1 << UInt64(bit % 64) }
        return H(limbs: { limbs[$0] })
    }

    mutating func hashes(_ kind: DataKind, count: Int) -> [H] {
        switch kind {
        case .random:
            return (0..<count).map { _ in randomHash() }
        case .clustered:
            let centres = (0..<max(1, count / 100)).map { _ in randomHash() }
            return (0..<count).map { _ in
                let centre = centres.randomElement(using: &rng)!
                // A quarter exact duplicates, the rest 1–20 bits away.
                return Int.random(in: 0..<4, using: &rng) == 0
                    ? centre : flip(centre, bits: Int.random(in: 1...20, using: &rng))
            }
        }
    }

    /// Queries: half fresh random hashes, half near existing entries (0 to radius + 2 bits away).
    mutating func queries(near existing: [H], count: Int, radius: Int) -> [H] {
        (0..<count).map { k in
            guard k % 2 == 1, let base = existing.randomElement(using: &rng) else { return randomHash() }
            return flip(base, bits: Int.random(in: 0...max(0, radius + 2), using: &rng))
        }
    }
}

/// The reference answers, by computing every distance.
enum BruteForce {
    static func search<H: HammingHash>(_ entries: [UInt32: H], _ query: H, radius: Int) -> [IndexHit] {
        entries.compactMap { id, hash in
            let d = hash.distance(to: query)
            return d <= radius ? IndexHit(id: id, distance: d) : nil
        }.sorted { $0.id < $1.id }
    }

    static func searchAny<H: HammingHash>(_ entries: [UInt32: H], _ queries: [H], radius: Int) -> [MultiQueryHit] {
        entries.compactMap { id, hash in
            let distances = queries.map { hash.distance(to: $0) }
            guard let best = distances.min(), best <= radius else { return nil }
            return MultiQueryHit(id: id, distance: best, query: distances.firstIndex(of: best)!)
        }.sorted { $0.id < $1.id }
    }
}

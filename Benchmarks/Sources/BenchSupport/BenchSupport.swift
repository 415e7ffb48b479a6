import Foundation
import HashIndex
import PerceptualHashing

/// Where the benchmark inputs are: the project's fixtures and, when present, the shared reference vectors.
public enum Inputs {
    /// The hashmatch checkout (this file is `<root>/Benchmarks/Sources/BenchSupport/BenchSupport.swift`).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `Tests/Fixtures/images/<name>`.
    public static func fixture(_ name: String) -> [UInt8] {
        read(root.appendingPathComponent("Tests/Fixtures/images/\(name)"))!
    }

    /// `../shared/vectors/<path>` if present, else the fixture `fallback` (so the suite runs without the vectors;
    /// the benchmark's name says which was used only through its parameter, so keep the fallback comparable).
    public static func shared(_ path: String, fallback: String) -> [UInt8] {
        read(root.deletingLastPathComponent().appendingPathComponent("shared/vectors/\(path)")) ?? fixture(fallback)
    }

    static func read(_ url: URL) -> [UInt8]? {
        (try? Data(contentsOf: url)).map { [UInt8]($0) }
    }
}

/// SplitMix64: a small seeded generator, so every run benchmarks the same data.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How generated hashes are spread.
public enum HashDistribution: String, Sendable, CaseIterable {
    /// Uniform random bits: almost nothing is near anything (the worst case for tree and MIH pruning).
    case random
    /// `count / 100` random centres, each entry a centre with up to a quarter of its bits flipped.
    case clustered
}

/// Seeded hash data for the index benchmarks.
public enum HashData {
    /// `count` hashes spread as `distribution`, ids `0..<count`.
    public static func entries<Hash: HammingHash>(
        _: Hash.Type,
        count: Int,
        distribution: HashDistribution,
        seed: UInt64
    ) -> [(hash: Hash, id: UInt32)] {
        var rng = SplitMix64(seed: seed)
        let centres: [Hash] = (0..<max(count / 100, 1)).map { _ in Hash(limbs: { _ in rng.next() }) }
        return (0..<count).map { index in
            let hash: Hash
            switch distribution {
            case .random: hash = Hash(limbs: { _ in rng.next() })
            case .clustered:
                let centre = centres[Int(rng.next() % UInt64(centres.count))]
                hash = flip(centre, bits: Int(rng.next() % UInt64(Hash.bitWidth / 4 + 1)), using: &rng)
            }
            return (hash, UInt32(index))
        }
    }

    /// `count` queries: stored hashes with 0…`maxFlips` bits flipped, so each has at least one neighbour nearby.
    public static func queries<Hash: HammingHash>(
        near entries: [(hash: Hash, id: UInt32)],
        count: Int,
        maxFlips: Int,
        seed: UInt64
    ) -> [Hash] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let source = entries[Int(rng.next() % UInt64(entries.count))].hash
            return flip(source, bits: Int(rng.next() % UInt64(maxFlips + 1)), using: &rng)
        }
    }

    /// `hash` with `bits` distinct random bits flipped.
    public static func flip<Hash: HammingHash>(_ hash: Hash, bits: Int, using rng: inout SplitMix64) -> Hash {
        var limbs = (0..<Hash.limbCount).map { hash.limb($0) }
        var flipped = Set<Int>()
        while flipped.count < bits {
            let bit = Int(rng.next() % UInt64(Hash.bitWidth))
            if flipped.insert(bit).inserted { limbs[bit / 64] ^= 1 << UInt64(bit % 64) }
        }
        return Hash(limbs: { limbs[$0] })
    }
}

/// `name` with `/` and spaces replaced by `_`.
///
/// package-benchmark 1.38 writes threshold files under the cleaned name (`Target.Name.p90.json`, `/` and ` `
/// → `_`) but looks them up under the raw name, so a name with either character never finds its thresholds.
public func safeName(_ name: String) -> String {
    String(name.map { $0 == "/" || $0 == " " ? "_" : $0 })
}

// Hamming-radius lookups per index kind, size, width, radius and data spread; Matcher.match end to end.
//
// Every index is built in the benchmark's setup (not measured); one iteration searches the same 100 queries
// (stored hashes with a few bits flipped), so wall clock per iteration ÷ 100 = time per query.
// The plugin runs each benchmark in its own process, so a 1M-entry index is only ever built for its own runs.
import BenchSupport
import Benchmark
import Fingerprinting
import HashIndex
import HashSets
import Matching
import PerceptualHashing

let queriesPerIteration = 100

/// Tolerances for the 1M-entry indexes, whose searches are mostly cache misses (tens of MB of tables): on the VM the
/// thresholds were recorded on, the same build's p50 moved 2–3× from one process to the next (interleaved runs of two
/// builds of `MultiIndexHashing` 64-bit clustered r=8: p50 1.1–3.4 ms per 100 queries for each), so 200 %. Compare
/// finer with IndexBench, two builds run alternately.
let largeIndexTimePercent = 200.0

/// The searches one benchmark runs.
struct Workload<Index: HammingIndex>: @unchecked Sendable {
    let index: Index
    let queries: [Index.Hash]
}

func register<Hash: HammingHash, Index: HammingIndex<Hash>>(
    _ name: String,
    _: Hash.Type,
    count: Int,
    distribution: HashDistribution,
    radius: Int,
    build: @escaping @Sendable ([(hash: Hash, id: UInt32)]) -> Index
) {
    let sizeLabel = count >= 1_000_000 ? "\(count / 1_000_000)M" : "\(count / 1000)k"
    let configuration = Benchmark.Configuration(
        maxDuration: .seconds(count >= 1_000_000 ? 3 : 1),
        maxIterations: count >= 1_000_000 ? 50 : 1000,
        thresholds: count >= 1_000_000
            ? regressionThresholds(timePercent: largeIndexTimePercent, peakMemory: false)
            : Benchmark.defaultConfiguration.thresholds
    )
    Benchmark(
        safeName(
            "Index/\(name) \(Hash.bitWidth)-bit \(sizeLabel) \(distribution.rawValue) r=\(radius) (\(queriesPerIteration) queries)"
        ),
        configuration: configuration,
        closure: { benchmark, workload in
            var hits: [IndexHit] = []
            hits.reserveCapacity(4096)
            for _ in benchmark.scaledIterations {
                for query in workload.queries {
                    hits.removeAll(keepingCapacity: true)
                    workload.index.search(query, radius: radius, into: &hits)
                    blackHole(hits.count)
                }
            }
        },
        setup: { () -> Workload<Index> in
            let seed = UInt64(count) &* 31 &+ UInt64(Hash.bitWidth) &* 7 &+ (distribution == .random ? 0 : 1)
            let entries = HashData.entries(Hash.self, count: count, distribution: distribution, seed: seed)
            let queries = HashData.queries(
                near: entries,
                count: queriesPerIteration,
                maxFlips: radius + 4,
                seed: seed &+ 1
            )
            return Workload(index: build(entries), queries: queries)
        }
    )
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 1,
        thresholds: regressionThresholds(timePercent: 100, peakMemory: false)
    )

    for count in [10_000, 1_000_000] {
        for distribution in HashDistribution.allCases {
            for radius in [8, 10] {
                register("LinearScan", Hash64.self, count: count, distribution: distribution, radius: radius) {
                    LinearScan(entries: $0)
                }
                register("BKTree", Hash64.self, count: count, distribution: distribution, radius: radius) {
                    BKTree(entries: $0)
                }
                register("MultiIndexHashing", Hash64.self, count: count, distribution: distribution, radius: radius) {
                    MultiIndexHashing(entries: $0)
                }
            }
            register("LinearScan", Hash256.self, count: count, distribution: distribution, radius: 31) {
                LinearScan(entries: $0)
            }
            register("BKTree", Hash256.self, count: count, distribution: distribution, radius: 31) {
                BKTree(entries: $0)
            }
            register("MultiIndexHashing", Hash256.self, count: count, distribution: distribution, radius: 31) {
                MultiIndexHashing(entries: $0)
            }
            register("AutoIndex", Hash256.self, count: count, distribution: distribution, radius: 31) {
                AutoIndex(entries: $0, radius: 31)
            }
        }
    }

    // MARK: Matcher.match end to end

    let photo = Inputs.shared("pdq/synthetic/m1024_img000.jpg", fallback: "large-1024x768.jpg")
    for dihedral in [false, true] {
        Benchmark(
            safeName("Matcher/match 1024×768 fingerprint\(dihedral ? " + dihedral" : ""), 100k entries per algorithm"),
            configuration: .init(maxDuration: .seconds(2), maxIterations: 5000),
            closure: { benchmark, state in
                for _ in benchmark.scaledIterations {
                    blackHole(state.matcher.match(state.fingerprint))
                }
            },
            setup: { () -> MatchState in
                var options = FingerprintOptions()
                options.dihedral = dihedral
                var fingerprinter = Fingerprinter(options: options)
                let fingerprint = fingerprinter.fingerprint(photo)
                return MatchState(matcher: makeMatcher(count: 100_000, near: fingerprint), fingerprint: fingerprint)
            }
        )
    }
    Benchmark(
        safeName("Matcher/fingerprint + match JPEG 1024×768 bytes, 100k entries per algorithm"),
        configuration: .init(maxDuration: .seconds(2), maxIterations: 500),
        closure: { benchmark, state in
            var fingerprinter = Fingerprinter()
            for _ in benchmark.scaledIterations {
                blackHole(state.matcher.match(fingerprinter.fingerprint(photo)))
            }
        },
        setup: { () -> MatchState in
            var fingerprinter = Fingerprinter()
            let fingerprint = fingerprinter.fingerprint(photo)
            return MatchState(matcher: makeMatcher(count: 100_000, near: fingerprint), fingerprint: fingerprint)
        }
    )
}

struct MatchState: Sendable {
    let matcher: Matcher
    let fingerprint: Fingerprint
}

/// One hash set with `count` clustered entries per perceptual algorithm, a few of them near `fingerprint`.
func makeMatcher(count: Int, near fingerprint: Fingerprint) -> Matcher {
    var entries: [HashSetEntry] = []
    var rng = SplitMix64(seed: 4242)
    for (index, item) in HashData.entries(Hash256.self, count: count, distribution: .clustered, seed: 1).enumerated() {
        entries.append(HashSetEntry(id: "pdq-\(index)", algorithm: .pdq, value: .hash256(item.hash)))
    }
    for algorithm in [HashAlgorithm.phash, .dhash, .ahash] {
        let data = HashData.entries(Hash64.self, count: count, distribution: .clustered, seed: 2)
        for (index, item) in data.enumerated() {
            entries.append(HashSetEntry(id: "\(algorithm)-\(index)", algorithm: algorithm, value: .hash64(item.hash)))
        }
    }
    for near in 0..<10 {
        if let pdq = fingerprint.pdq {
            let hash = HashData.flip(pdq.hash, bits: near * 3, using: &rng)
            entries.append(HashSetEntry(id: "near-pdq-\(near)", algorithm: .pdq, value: .hash256(hash)))
        }
        if let phash = fingerprint.phash {
            let hash = HashData.flip(phash, bits: near, using: &rng)
            entries.append(HashSetEntry(id: "near-phash-\(near)", algorithm: .phash, value: .hash64(hash)))
        }
    }
    return Matcher(sets: [HashSet(name: "bench", entries: entries)])
}

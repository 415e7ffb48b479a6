// IndexBench: times hashmatch's Hamming indexes on a hash file that a reference (faiss, pybktree) reads too.
//
//   IndexBench --bits 64|256 --base base.bin --queries queries.bin --radius R [--kinds linear,bktree,mih,auto,mihN]
//              [--repeat N] [--group G]
//
// Files are raw little-endian rows of bits/8 bytes (a 256-bit row is w0…w3, each 8 bytes LE), no header:
// exactly the bytes faiss reads as uint8 vectors. Prints one JSON object per index kind on stdout:
// build_ms, rss_delta_mb (resident memory the build added), query_ms_median / query_ms_mean (per query,
// single thread; each query's best of --repeat runs: --repeat 1 is the cold-cache figure a stream of new queries
// sees), hits (total over all queries, for cross-checking). With --group G each timed search is one `searchAny`
// over G consecutive queries (G = 8: the cost of a dihedral lookup, all 8 PDQ variants of one image).
import Foundation
import HashIndex
import PerceptualHashing

struct Arguments {
    var bits = 64
    var base = ""
    var queries = ""
    var radius = 10
    var kinds = ["linear", "bktree", "mih", "auto"]
    var repeats = 3
    var group = 1

    init(_ argv: [String]) {
        var index = 1
        func value() -> String {
            index += 1
            guard index < argv.count else { fail("missing value for \(argv[index - 1])") }
            return argv[index]
        }
        while index < argv.count {
            switch argv[index] {
            case "--bits": bits = Int(value()) ?? 0
            case "--base": base = value()
            case "--queries": queries = value()
            case "--radius": radius = Int(value()) ?? -1
            case "--kinds": kinds = value().split(separator: ",").map(String.init)
            case "--repeat": repeats = max(1, Int(value()) ?? 1)
            case "--group": group = max(1, Int(value()) ?? 1)
            default: fail("unknown argument \(argv[index])")
            }
            index += 1
        }
        guard bits == 64 || bits == 256, !base.isEmpty, !queries.isEmpty, radius >= 0 else {
            fail(
                "usage: IndexBench --bits 64|256 --base FILE --queries FILE --radius R [--kinds …] [--repeat N] [--group G]"
            )
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("IndexBench: \(message)\n".utf8))
    exit(2)
}

/// The file's rows as UInt64 limbs (little-endian on disk).
func readLimbs(_ path: String, limbsPerRow: Int) -> [UInt64] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    guard data.count % (8 * limbsPerRow) == 0 else { fail("\(path): size is not a multiple of the row size") }
    return data.withUnsafeBytes { raw in
        (0..<(data.count / 8)).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
    }
}

/// Resident set size in bytes, from /proc/self/statm (0 where that does not exist).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func measure<Index: HammingIndex>(
    _ name: String,
    arguments: Arguments,
    entries: [(hash: Index.Hash, id: UInt32)],
    queries: [Index.Hash],
    build: ([(hash: Index.Hash, id: UInt32)]) -> Index
) {
    let rssBefore = residentBytes()
    let start = now()
    let index = build(entries)
    let buildMs = Double(now() - start) / 1e6
    let rssDelta = Double(residentBytes() - rssBefore) / 1_048_576
    var hits: [IndexHit] = []
    hits.reserveCapacity(1024)
    var perQuery: [Double] = []
    var total = 0
    var groupHits: [MultiQueryHit] = []
    for (q, query) in queries.enumerated() {
        let group = (0..<arguments.group).map { queries[(q + $0) % queries.count] }
        var best = Double.infinity
        for _ in 0..<arguments.repeats {
            hits.removeAll(keepingCapacity: true)
            groupHits.removeAll(keepingCapacity: true)
            let t0 = now()
            if arguments.group == 1 {
                index.search(query, radius: arguments.radius, into: &hits)
            } else {
                index.searchAny(group, radius: arguments.radius, into: &groupHits)
            }
            best = min(best, Double(now() - t0) / 1e6)
        }
        total += arguments.group == 1 ? hits.count : groupHits.count
        perQuery.append(best)
    }
    perQuery.sort()
    let median = perQuery.isEmpty ? 0 : perQuery[perQuery.count / 2]
    let mean = perQuery.isEmpty ? 0 : perQuery.reduce(0, +) / Double(perQuery.count)
    let line = String(
        format:
            #"{"kind":"%@","bits":%d,"n":%d,"queries":%d,"group":%d,"radius":%d,"build_ms":%.3f,"rss_delta_mb":%.1f,"#
            + #""query_ms_median":%.5f,"query_ms_mean":%.5f,"hits":%d}"#,
        name,
        arguments.bits,
        entries.count,
        queries.count,
        arguments.group,
        arguments.radius,
        buildMs,
        rssDelta,
        median,
        mean,
        total
    )
    FileHandle.standardOutput.write(Data((line + "\n").utf8))  // unbuffered: the driver reads it as it comes
    withExtendedLifetime(index) {}
}

func run<Hash: HammingHash>(_: Hash.Type, _ arguments: Arguments) {
    let limbsPerRow = Hash.limbCount
    let baseLimbs = readLimbs(arguments.base, limbsPerRow: limbsPerRow)
    let queryLimbs = readLimbs(arguments.queries, limbsPerRow: limbsPerRow)
    func hashes(_ limbs: [UInt64]) -> [Hash] {
        (0..<(limbs.count / limbsPerRow)).map { row in Hash(limbs: { limbs[row * limbsPerRow + $0] }) }
    }
    let entries = hashes(baseLimbs).enumerated().map { (hash: $0.element, id: UInt32($0.offset)) }
    let queries = hashes(queryLimbs)
    for kind in arguments.kinds {
        switch kind {
        case "linear":
            measure("LinearScan", arguments: arguments, entries: entries, queries: queries) {
                LinearScan(entries: $0)
            }
        case "bktree":
            measure("BKTree", arguments: arguments, entries: entries, queries: queries) {
                BKTree(entries: $0)
            }
        case "mih":
            measure("MultiIndexHashing", arguments: arguments, entries: entries, queries: queries) {
                MultiIndexHashing(entries: $0)
            }
        case "auto":
            measure("AutoIndex", arguments: arguments, entries: entries, queries: queries) {
                AutoIndex(entries: $0, radius: arguments.radius)
            }
        case let kind where kind.hasPrefix("mih"):
            // mihN: multi-index hashing with N slots, to compare layouts against the one AutoIndex picks.
            guard let slots = Int(kind.dropFirst(3)), slots * 22 >= Hash.bitWidth, slots <= Hash.bitWidth else {
                fail("unknown index kind \(kind)")
            }
            measure("MultiIndexHashing \(slots) slots", arguments: arguments, entries: entries, queries: queries) {
                MultiIndexHashing(entries: $0, slotCount: slots)
            }
        default: fail("unknown index kind \(kind)")
        }
    }
}

let arguments = Arguments(CommandLine.arguments)
if arguments.bits == 64 { run(Hash64.self, arguments) } else { run(Hash256.self, arguments) }

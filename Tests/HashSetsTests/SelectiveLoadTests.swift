import Foundation
import HashSets
import PerceptualHashing
import TestSupport
import Testing

/// `HashSetFile.load(_:selecting:)` against the full load: for any file, the selection must hold exactly the
/// selected entries the full load holds, with the same settings, or fail the same way.
@Suite struct SelectiveLoadTests {
    /// Ids as they are meant, and how a line may spell them (an escape where none is needed is still that id).
    static let ids: [(id: String, spellings: [String])] = [
        ("a", ["a", "%61"]), ("b", ["b"]), ("c,d", ["c%2Cd", "c%2cd"]), ("e f", ["e%20f"]), ("50%", ["50%25"]),
        ("ü", ["ü", "%C3%BC"]), ("remove", ["remove"]), ("#x", ["#x"]), ("-y", ["-y"]),
        ("pdq-\(Sample.pdqA)", ["pdq-\(Sample.pdqA)"]),
        // Ids compare as Swift strings, by canonical equivalence: other byte lengths, the same id.
        ("caf\u{E9}", ["caf\u{E9}", "cafe\u{301}"]), ("K1", ["K1", "\u{212A}1"]),
        // A blank then a combining mark: two fields, as the writer wrote them (id `g`, label `\u{301}h`).
        ("g", ["g \u{301}h"]),
    ]
    static let hashes: [(algorithm: String, hex: String)] = [
        ("pdq", Sample.pdqA), ("pdq", Sample.pdqB), ("md5", Sample.md5A), ("md5", Sample.md5B),
        ("phash", Sample.phashA),
    ]

    /// A random log: entries, removals by id and by hash, settings, comments, blank and malformed lines, in any
    /// order, with stray blanks, CRLF terminators and sometimes a byte-order mark or a torn last line.
    static func randomFile(_ rng: inout SplitMix64, lines: Int) -> [UInt8] {
        var out: [UInt8] = Bool.random(using: &rng) ? [0xEF, 0xBB, 0xBF] : []
        out += Array("#hashmatch-hashset v1\n".utf8)
        func pick<T>(_ array: [T]) -> T { array[Int.random(in: 0..<array.count, using: &rng)] }
        for _ in 0..<lines {
            let (_, spellings) = pick(ids)
            let id = pick(spellings)
            let (algorithm, hex) = pick(hashes)
            var line: [UInt8]
            switch Int.random(in: 0..<20, using: &rng) {
            case 0..<8:
                line =
                    Array("\(algorithm) \(hex) \(id)".utf8) + (Bool.random(using: &rng) ? Array(" l1,l%2C2".utf8) : [])
            case 8..<11: line = Array("remove \(id)".utf8)
            case 11: line = Array("-\(algorithm) \(hex)".utf8)
            case 12:
                line = Array(
                    pick(["#set threshold.pdq=12", "#set labels=x,y", "#set labels=", "#set\tdescription=d"]).utf8
                )
            case 13:
                line = Array(pick(["#set algorithms=pdq,md5", "#set algorithms=", "#setting=1", "#set", "# a"]).utf8)
            case 14: line = Array(pick(["", "   ", "\t"]).utf8)
            case 15:
                line = Array(
                    pick(["pdq zz \(id)", "remove", "remove \(id) extra", "pdq \(hex)", "sha9 \(hex) \(id)"]).utf8
                )
            case 16: line = Array("\(algorithm) \(hex) \(id) l1 extra".utf8)
            case 17: line = Array("\(algorithm) \(hex) \(id)%zz".utf8) + [0xFF]
            case 18: line = Array("\(algorithm) \(hex) \(id) l\u{00FF}".utf8) + [0xC3]
            default: line = Array("\t \(algorithm)  \(hex)\t\(id) ".utf8)
            }
            out += line + (Int.random(in: 0..<4, using: &rng) == 0 ? [0x0D, 0x0A] : [0x0A])
        }
        if Int.random(in: 0..<4, using: &rng) == 0 { out += Array("pdq \(Sample.pdqC) torn".utf8) }
        return out
    }

    static func check(_ bytes: [UInt8], _ rng: inout SplitMix64) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("s.hashset")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let full = try HashSetFile.load(path)
        let all = Set(ids.map(\.id))
        var selections: [Set<String>] = [[], all, ["not-in-the-file"]]
        for _ in 0..<4 { selections.append(all.filter { _ in Bool.random(using: &rng) }) }
        for selection in selections {
            let selected = try HashSetFile.load(path, selecting: selection)
            #expect(selected.isSelection)
            #expect(selected.set.entries == full.set.entries.filter { selection.contains($0.id) })
            #expect(selected.set.settings == full.set.settings)
            let torn = { (issue: HashSetIssue) in issue.reason.hasPrefix("incomplete last line") }
            #expect(selected.issues.filter(torn) == full.issues.filter(torn))
        }
    }

    @Test(arguments: 0..<150) func aSelectionHoldsWhatTheFullLoadHoldsForThoseIDs(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        try Self.check(Self.randomFile(&rng, lines: Int.random(in: 0..<60, using: &rng)), &rng)
    }

    /// Files past the 1 MiB read buffer, so lines straddle its refills; one line alone is longer than the buffer.
    @Test func linesAcrossBufferRefillsAndALineLongerThanTheBuffer() throws {
        var rng = SplitMix64(seed: 99)
        var bytes = Self.randomFile(&rng, lines: 40_000)
        let long = Array(repeating: "l", count: 300_000).joined(separator: ",")
        bytes += Array("pdq \(Sample.pdqB) b \(long)\nremove a\n".utf8)
        bytes += Self.randomFile(&rng, lines: 100)
        try Self.check(bytes, &rng)
    }

    @Test(arguments: [
        "", "#hashmatch-hashset v2\npdq \(Sample.pdqA) a\n", "pdq \(Sample.pdqA) a\n", "#hashmatch-hashset v1",
    ])
    func aFileWithoutTheHeaderFailsAsTheFullLoadDoes(text: String) throws {
        let dir = try TemporaryDirectory()
        try dir.write("h.hashset", text)
        let full = #expect(throws: HashSetError.self) { try HashSetFile.load(dir.file("h.hashset")) }
        let selected = #expect(throws: HashSetError.self) {
            try HashSetFile.load(dir.file("h.hashset"), selecting: ["a"])
        }
        #expect(full == selected)
    }

    @Test func changesThroughASelectionAreCheckedAgainstTheWholeFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write(
            "t.hashset",
            """
            #hashmatch-hashset v1
            pdq \(Sample.pdqA) a x
            md5 \(Sample.md5A) b
            pdq \(Sample.pdqB) c

            """
        )
        let a = HashSetEntry(id: "a", algorithm: .pdq, value: try HashAlgorithm.pdq.parse(Sample.pdqA), labels: ["x"])
        var file = try HashSetFile.load(dir.file("t.hashset"), selecting: ["a", "b", "d"])
        #expect(file.set.entries.map(\.id) == ["a", "b"])
        #expect(try file.add([a]) == HashSetFile.AppendSummary(added: 0, removed: 0, unchanged: 1, repairedBytes: 0))
        let b2 = HashSetEntry(id: "b", algorithm: .md5, value: try HashAlgorithm.md5.parse(Sample.md5B), labels: [])
        #expect(throws: HashSetError.duplicateID(set: "t", id: "b")) { try file.add([b2]) }
        let d = HashSetEntry(id: "d", algorithm: .md5, value: try HashAlgorithm.md5.parse(Sample.md5B), labels: [])
        #expect(try file.add([d]).added == 1)
        #expect(try file.remove(ids: ["a", "d"]).removed == 2)
        #expect(try HashSetFile.load(dir.file("t.hashset")).set.entries.map(\.id) == ["b", "c"])
    }
}

import Foundation
import HashSets
import Matching
import PerceptualHashing
import TestSupport
import Testing

/// A snapshot behind its sets by appended lines is loaded and caught up; the reference is the matcher built from
/// the folder's text as it now stands, so every lookup must agree with it. Any other change makes it stale.
@Suite struct SnapshotReplayTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
    }

    func append(_ name: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: "\(directory)/\(name)"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func buildSnapshot() throws {
        let sources = MatcherSnapshotFile.sources(in: directory)
        let matcher = Matcher(sets: try HashSetStore(directory: directory).loadAll().sets)
        try MatcherSnapshotFile.write(matcher, directory: directory, sources: sources)
    }

    func fromText() throws -> Matcher { Matcher(sets: try HashSetStore(directory: directory).loadAll().sets) }

    func loadSnapshot() throws -> MatcherSnapshotFile.Loaded {
        try #require(MatcherSnapshotFile.load(from: directory, thresholds: MatchThresholds())).get()
    }

    func staleReason() -> String? {
        guard
            case .failure(.stale(_, let reason)) = MatcherSnapshotFile.load(
                from: directory,
                thresholds: MatchThresholds()
            )
        else { return nil }
        return reason
    }

    static func line(_ entry: HashSetEntry) -> String {
        "\(entry.algorithm.rawValue) \(entry.value.hex) \(entry.id)"
            + (entry.labels.isEmpty ? "" : " " + entry.labels.joined(separator: ","))
    }

    /// Random adds (new ids, ids already held with the same or another hash, ids removed before), removals of
    /// present and absent ids, appended to two sets over several rounds, each round checked against the text.
    @Test(arguments: 0..<12) func replayedAppendsAgreeWithTheText(seed: Int) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rng = SplitMix64(seed: UInt64(seed))
        let pool = MatcherMutationTests.randomEntries(90, prefix: "p", rng: &rng)
        let other = MatcherMutationTests.randomEntries(90, prefix: "p", rng: &rng)  // same ids, other hashes
        try write(
            "one.hashset",
            "#hashmatch-hashset v1\n#set labels=base\n" + pool.prefix(40).map { Self.line($0) + "\n" }.joined()
        )
        try write("two.hashset", "#hashmatch-hashset v1\n" + pool.suffix(30).map { Self.line($0) + "\n" }.joined())
        try buildSnapshot()
        var appendedLines = 0
        for _ in 0..<3 {
            for name in ["one.hashset", "two.hashset"] where Bool.random(using: &rng) {
                var text = ""
                for _ in 0..<Int.random(in: 1..<25, using: &rng) {
                    let k = Int.random(in: 0..<pool.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: text += "remove \(pool[k].id)\n"
                    case 1: text += Self.line(other[k]) + "\n"
                    default: text += Self.line(pool[k]) + "\n"
                    }
                    appendedLines += 1
                }
                try append(name, text)
            }
            let loaded = try loadSnapshot()
            #expect(loaded.replayedLines == appendedLines)
            MatcherMutationTests.agree(loaded.matcher, try fromText(), on: MatcherMutationTests.queries(pool + other))
        }
    }

    @Test func aCurrentSnapshotReplaysNothingAndATornAppendIsIgnored() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("s.hashset", "#hashmatch-hashset v1\nmd5 0123456789abcdef0123456789abcdef a\n")
        try buildSnapshot()
        #expect(try loadSnapshot().replayedLines == 0)
        try append("s.hashset", "md5 fedcba9876543210fedcba9876543210 b\nmd5 00112233445566778899aabbccddeeff")
        let loaded = try loadSnapshot()
        #expect(loaded.replayedLines == 1)
        #expect(loaded.issues.map(\.line) == [4])
        MatcherMutationTests.agree(
            loaded.matcher,
            try fromText(),
            on: [
                "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210",
                "00112233445566778899aabbccddeeff",
            ]
            .map { (.md5, try! HashAlgorithm.md5.parse($0)) }
        )
    }

    /// Changes a replay cannot reproduce exactly send the loader back to the text.
    @Test(arguments: [
        ("append", "#set threshold.pdq=10\n", "cannot be replayed"),
        ("append", "-md5 0123456789abcdef0123456789abcdef\n", "cannot be replayed"),
        (
            "rewrite",
            "#hashmatch-hashset v1\nmd5 0123456789abcdef0123456789abcdee a\nmd5 fedcba9876543210fedcba9876543210 b\n",
            "other than by appended lines"
        ),
        ("rewrite", "#hashmatch-hashset v1\nmd5 0123456789abcdef0123456789abcdef b\n", "other than by appended lines"),
        ("new file", "#hashmatch-hashset v1\n", "added, removed or renamed"),
    ])
    func otherChangesMakeItStale(change: String, text: String, reason: String) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("s.hashset", "#hashmatch-hashset v1\nmd5 0123456789abcdef0123456789abcdef a\n")
        try buildSnapshot()
        switch change {
        case "append": try append("s.hashset", text)
        case "rewrite": try write("s.hashset", text)
        default: try write("t.hashset", text)
        }
        #expect(staleReason()?.contains(reason) == true, "\(String(describing: staleReason()))")
    }

    @Test func aSetThatEnablesSomeAlgorithmsIsNotReplayed() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The md5 entry is not indexed but holds its id: a later pdq line with that id is a duplicate in the file.
        try write("s.hashset", "#hashmatch-hashset v1\n#set algorithms=pdq\nmd5 0123456789abcdef0123456789abcdef a\n")
        try buildSnapshot()
        try append("s.hashset", "pdq \(String(repeating: "ab", count: 32)) a\n")
        #expect(staleReason()?.contains("cannot be replayed") == true)
    }
}

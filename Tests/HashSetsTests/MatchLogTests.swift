import Foundation
import HashSets
import PerceptualHashing
import Testing

@Suite struct MatchLogTests {
    func record(source: String = "uploads/a b.jpg", variant: String? = "rot90") throws -> MatchLogRecord {
        MatchLogRecord(
            timestamp: "2024-05-01T12:00:00.123Z",
            source: source,
            hashes: [.pdq: try HashAlgorithm.pdq.parse(Sample.pdqA), .md5: try HashAlgorithm.md5.parse(Sample.md5A)],
            set: "benign",
            entryID: "img-1",
            labels: ["a"],
            algorithm: .pdq,
            distance: 3,
            variant: variant
        )
    }

    @Test func timestampsAreISO8601UTCWithMilliseconds() {
        #expect(MatchLog.timestamp(secondsSince1970: 1_714_564_800, milliseconds: 123) == "2024-05-01T12:00:00.123Z")
        #expect(MatchLog.timestamp(secondsSince1970: 0) == "1970-01-01T00:00:00.000Z")
        let now = MatchLog.timestamp()
        #expect(now.count == 24 && now.hasSuffix("Z") && now.hasPrefix("20"))
    }

    @Test func eachRecordIsOneSortedJSONLine() throws {
        let dir = try TemporaryDirectory()
        let log = try MatchLog(path: dir.file("matches.jsonl"))
        try log.append(try record())
        try log.append(try record(source: "line\nbreak", variant: nil))
        let expected = """
            {"algorithm":"pdq","distance":3,"entry_id":"img-1","hashes":{"md5":"\(Sample.md5A)","pdq":"\(Sample.pdqA)"},\
            "labels":["a"],"set":"benign","source":"uploads/a b.jpg","timestamp":"2024-05-01T12:00:00.123Z","variant":"rot90"}
            {"algorithm":"pdq","distance":3,"entry_id":"img-1","hashes":{"md5":"\(Sample.md5A)","pdq":"\(Sample.pdqA)"},\
            "labels":["a"],"set":"benign","source":"line\\nbreak","timestamp":"2024-05-01T12:00:00.123Z"}

            """
        #expect(try dir.read("matches.jsonl") == expected)
        let decoded = try JSONDecoder().decode(
            MatchLogRecord.self,
            from: Data(try dir.read("matches.jsonl").split(separator: "\n")[1].utf8)
        )
        #expect(decoded == (try record(source: "line\nbreak", variant: nil)))
    }

    @Test func anyEncodableRecordCanBeLogged() throws {
        struct Custom: Encodable {
            var event = "match"
            var score = 1
        }
        let dir = try TemporaryDirectory()
        let log = try MatchLog(path: dir.file("c.jsonl"), syncPolicy: .never)
        try log.append(Custom())
        #expect(try dir.read("c.jsonl") == "{\"event\":\"match\",\"score\":1}\n")
        #expect(throws: HashSetError.self) { try log.append(["nan": Double.nan]) }
        #expect(try dir.read("c.jsonl") == "{\"event\":\"match\",\"score\":1}\n")
    }

    /// What a crash mid-write leaves (a prefix of the last line) is cut when the log is opened,
    /// so the next record starts on its own line and no torn line survives.
    @Test(arguments: ["{", "{\"algorithm\":\"pdq\",\"dist", "{\"a\":1}"])
    func openingRepairsATornLastLine(tail: String) throws {
        let dir = try TemporaryDirectory()
        let whole = "{\"first\":true}\n"
        try dir.write("m.jsonl", whole + tail)
        let log = try MatchLog(path: dir.file("m.jsonl"))
        #expect(log.repairedBytes == tail.utf8.count)
        #expect(try dir.read("m.jsonl") == whole)
        try log.append(["second": true])
        #expect(try dir.read("m.jsonl") == whole + "{\"second\":true}\n")
    }

    @Test func aLineTornByAnotherProcessAfterOpeningIsCutBeforeTheNextRecord() throws {
        let dir = try TemporaryDirectory()
        let log = try MatchLog(path: dir.file("m.jsonl"))
        try log.append(["first": 1])
        try dir.appendRaw("m.jsonl", "{\"other-process\":")
        try log.append(["second": 2])
        #expect(try dir.read("m.jsonl") == "{\"first\":1}\n{\"second\":2}\n")
    }

    @Test func aTornFirstRecordIsCutToAnEmptyLog() throws {
        let dir = try TemporaryDirectory()
        try dir.write("m.jsonl", "{\"torn")
        let log = try MatchLog(path: dir.file("m.jsonl"))
        #expect(log.repairedBytes == 6)
        #expect(try dir.read("m.jsonl") == "")
    }

    @Test func concurrentAppendsNeverInterleave() async throws {
        let dir = try TemporaryDirectory()
        let log = try MatchLog(path: dir.file("p.jsonl"))
        let second = try MatchLog(path: dir.file("p.jsonl"), syncPolicy: .never)  // a second opener of one file
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<40 {
                        let source = String(repeating: "x", count: 100 + index * 37 % 900)
                        try (task.isMultiple(of: 2) ? log : second).append(
                            try self.record(source: "\(task)-\(index)-\(source)")
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        let lines = try dir.read("p.jsonl").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        #expect(lines.count == 8 * 40 + 1)
        var sources = Set<String>()
        for line in lines.dropLast() {
            let decoded = try JSONDecoder().decode(MatchLogRecord.self, from: Data(line.utf8))
            sources.insert(String(decoded.source.split(separator: "-").prefix(2).joined(separator: "-")))
        }
        #expect(sources.count == 8 * 40)
    }
}

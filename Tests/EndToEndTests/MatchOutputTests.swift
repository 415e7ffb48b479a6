import Foundation
import TestSupport
import Testing

/// What `match` and `scan` print, log and exit with, as scripts and moderation tools read them.
@Suite struct MatchOutputTests {
    /// A set `listed` of PDQ and MD5 hashes of two generated images, in a fresh folder.
    static func listedSet() throws -> (root: URL, sets: String) {
        let root = try Binary.temporaryDirectory("hashmatch-output")
        let originals = try EndToEnd.folder(
            "originals",
            in: root,
            copying: ["baseline.jpg", "large-1024x768.jpg"].map { EndToEnd.images.appendingPathComponent($0) }
        )
        let sets = root.appendingPathComponent("sets").path
        let build = try Binary.run([
            "hashset", "build", "--hashsets", sets, "--name", "listed", "--labels", "sample",
            "--algorithms", "pdq,md5", originals.path,
        ])
        guard build.status == 0 else { throw EndToEnd.Failure(build.stderr) }
        return (root, sets)
    }

    /// pdqhash's distance between a variant and its source (`Tests/Fixtures/variants.csv`).
    static func referenceDistance(_ variant: String) throws -> Int {
        let rows = try Vectors.csvRows(Vectors.fixtures.appendingPathComponent("variants.csv"), header: true)
        guard let row = rows.first(where: { $0[0] == variant }), let distance = Int(row[7]) else {
            throw EndToEnd.Failure("\(variant) is not in variants.csv")
        }
        return distance
    }

    @Test func jsonLinesCarryTheHashesAndEveryMatch() throws {
        let (root, sets) = try Self.listedSet()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Binary.run([
            "match", "--hashsets", sets, "--format", "jsonl", "--algorithms", "pdq,md5",
            EndToEnd.images.appendingPathComponent("baseline.jpg").path,
            EndToEnd.variants.appendingPathComponent("baseline.q50.jpg").path,
            EndToEnd.images.appendingPathComponent("shapes-grey.png").path,
            root.appendingPathComponent("missing.jpg").path,
        ])
        #expect(result.status == 1, "a match wins over an unreadable file: \(result.stderr)")
        let records = try EndToEnd.records(result)
        try #require(records.count == 4)

        let exact = records[0]
        let expected = try Vectors.csvRows(Vectors.fixtures.appendingPathComponent("expected.csv"), header: true)
            .first { $0[0] == "baseline.jpg" }!
        #expect(exact["pdq"] as? String == expected[6])
        #expect(exact["pdq_quality"] as? Int == Int(expected[7]))
        #expect((exact["md5"] as? String)?.count == 32)
        #expect(exact["width"] as? Int == 320 && exact["height"] as? Int == 240)
        let matches = EndToEnd.matches(exact)
        for match in matches {
            #expect(Set(match.keys) == ["set", "id", "labels", "algorithm", "distance", "variant"])
        }
        let found = matches.map { "\($0["set"]!)/\($0["id"]!) \($0["algorithm"]!):\($0["distance"]!)" }
        #expect(found == ["listed/baseline.jpg:md5 md5:0", "listed/baseline.jpg:pdq pdq:0"], "digests first")
        #expect(matches.allSatisfy { $0["labels"] as? [String] == ["sample"] && $0["variant"] is NSNull })

        let copy = EndToEnd.matches(records[1])
        #expect(copy.count == 1)
        #expect(copy.first?["id"] as? String == "baseline.jpg:pdq")
        #expect(copy.first?["distance"] as? Int == (try Self.referenceDistance("baseline.q50.jpg")))

        #expect(EndToEnd.matches(records[2]).isEmpty)
        let missing = records[3]
        #expect((missing["error"] as? [String: String])?["code"] == "not_found")
        #expect(EndToEnd.matches(missing).isEmpty)
    }

    @Test func exitStatusIsZeroOneOrTwo() throws {
        let (root, sets) = try Self.listedSet()
        defer { try? FileManager.default.removeItem(at: root) }
        let listed = EndToEnd.images.appendingPathComponent("baseline.jpg").path
        let other = EndToEnd.images.appendingPathComponent("shapes-grey.png").path
        let missing = root.appendingPathComponent("missing.jpg").path
        func status(_ arguments: [String]) throws -> Int32 {
            try Binary.run(["match", "--hashsets", sets, "--format", "jsonl"] + arguments).status
        }
        #expect(try status([other]) == 0)
        #expect(try status([listed, other]) == 1)
        #expect(try status([missing]) == 2)
        #expect(try status([other, missing]) == 2)
        #expect(try status([listed, missing]) == 1)
        #expect(try status(["--pdq-threshold", "x", other]) == 2)
        let noFolder = try Binary.run(["match", "--hashsets", root.appendingPathComponent("none").path, other])
        #expect(noFolder.status == 2)
        #expect(noFolder.stderr.contains("cannot load hash sets"))
    }

    @Test func csvHasOneHeaderAndOneRowPerFile() throws {
        let (root, sets) = try Self.listedSet()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Binary.run([
            "scan", "--hashsets", sets, "--format", "csv", "--algorithms", "md5,pdq",
            EndToEnd.images.appendingPathComponent("baseline.jpg").path,
            EndToEnd.images.appendingPathComponent("palette.png").path,
        ])
        #expect(result.status == 1)
        #expect(
            result.lines.first == "path,width,height,pdq,pdq_quality,md5,match_count,matches,error_code,error_message"
        )
        try #require(result.lines.count == 3)
        let row = result.lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(row.count == 10)
        #expect(row[6] == "2")
        #expect(row[7] == "listed/baseline.jpg:md5 md5:0; listed/baseline.jpg:pdq pdq:0")
        #expect(result.lines[2].hasSuffix(",0,,,"))
    }

    /// The table's last column says why a row has no match: an error, a file that is no image, a hash not matched.
    @Test func theTableSaysWhyARowHasNoMatch() throws {
        let (root, sets) = try Self.listedSet()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("not an image\n".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        try Data([0xFF, 0xD8, 0xFF]).write(to: folder.appendingPathComponent("cut.jpg"))
        let result = try Binary.run(["scan", "--hashsets", sets, "--format", "table", folder.path])
        #expect(result.status == 2)
        #expect(result.lines.first?.hasSuffix("note") == true, "\(result.stdout)")
        let row = { (name: String) in result.lines.first { $0.contains("/\(name) ") } ?? "" }
        #expect(row("notes.txt").hasSuffix("not a JPEG or PNG: matched by its digests only"), "\(result.stdout)")
        #expect(row("cut.jpg").contains("image_truncated: "), "\(result.stdout)")
    }

    @Test func onlyMatchesLeavesOutTheFilesThatDidNotMatch() throws {
        let (root, sets) = try Self.listedSet()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Binary.run([
            "scan", "--hashsets", sets, "--format", "jsonl", "--only-matches", EndToEnd.images.path,
        ])
        #expect(result.status == 1)
        let paths = try EndToEnd.records(result).compactMap { $0["path"] as? String }
            .map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(paths == ["baseline.jpg", "large-1024x768.jpg"])
    }

    @Test func theMatchLogHasOneParseableLinePerMatchAndIsAppendedTo() throws {
        let (root, sets) = try Self.listedSet()
        defer { try? FileManager.default.removeItem(at: root) }
        let log = root.appendingPathComponent("matches.jsonl")
        let arguments = [
            "scan", "--hashsets", sets, "--format", "jsonl", "--algorithms", "pdq,md5", "--match-log", log.path,
            EndToEnd.images.path, EndToEnd.variants.path,
        ]
        let first = try Binary.run(arguments)
        #expect(first.status == 1)
        let printed = try EndToEnd.records(first).flatMap { record in
            EndToEnd.matches(record).map { (record["path"] as! String, $0) }
        }
        let lines = try String(contentsOf: log, encoding: .utf8).split(
            separator: "\n",
            omittingEmptySubsequences: false
        )
        #expect(lines.last == "", "the log ends with a newline")
        let entries = try lines.dropLast().map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(entries.count == printed.count)
        #expect(entries.count >= 4)
        for (entry, (path, match)) in zip(entries, printed) {
            #expect(entry["source"] as? String == path)
            #expect(entry["set"] as? String == match["set"] as? String)
            #expect(entry["entry_id"] as? String == match["id"] as? String)
            #expect(entry["algorithm"] as? String == match["algorithm"] as? String)
            #expect(entry["distance"] as? Int == match["distance"] as? Int)
            #expect(entry["labels"] as? [String] == ["sample"])
            #expect((entry["hashes"] as? [String: String]).map { Set($0.keys) } == ["pdq", "md5"])
            let timestamp = entry["timestamp"] as? String ?? ""
            #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(timestamp)")
        }
        let second = try Binary.run(arguments)
        #expect(second.status == 1)
        let again = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(again.count == 2 * entries.count)

        let unwritable = try Binary.run([
            "scan", "--hashsets", sets, "--match-log", root.appendingPathComponent("no/such/dir/log").path,
            EndToEnd.images.appendingPathComponent("baseline.jpg").path,
        ])
        #expect(unwritable.status == 2, "a match that cannot be logged is an error")
    }

    @Test func scanEndsWithASummaryOnStandardError() throws {
        let (root, sets) = try Self.listedSet()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Binary.run([
            "scan", "--hashsets", sets, "--format", "jsonl", "--algorithms", "pdq,md5", EndToEnd.images.path,
            root.appendingPathComponent("missing.jpg").path,
        ])
        #expect(result.status == 1)
        let summary = try #require(result.stderr.split(separator: "\n").last.map(String.init))
        let pattern =
            /hashmatch: scanned (\d+) files in [\d.]+ s \([\d.]+ files\/s\): (\d+) matched \((\d+) matches\), (\d+) errors; 1 sets \(2 md5, 2 pdq\)/
        let parts = try #require(summary.wholeMatch(of: pattern), "\(summary)")
        #expect(Int(parts.1) == 16)
        #expect(Int(parts.2) == 2)
        #expect(Int(parts.3) == 4)
        #expect(Int(parts.4) == 1)
        let match = try Binary.run(["match", "--hashsets", sets, "--format", "jsonl", EndToEnd.images.path])
        #expect(!match.stderr.contains("scanned"), "match prints no summary")
    }
}

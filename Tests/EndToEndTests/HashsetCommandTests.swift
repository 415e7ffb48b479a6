import Foundation
import TestSupport
import Testing

/// `hashmatch hashset …` on real files: what a list maintainer runs.
@Suite struct HashsetCommandTests {
    /// One fixture list from another system, and what importing it must give.
    struct ImportCase: Sendable, CustomStringConvertible {
        let format: String
        let file: String
        /// Live entries after the import.
        let entries: Int
        /// The lines with a bad row (read off the fixture by hand).
        let badLines: [Int]

        var description: String { format }
    }

    static let imports = [
        ImportCase(format: "hex", file: "hex-list.txt", entries: 3, badLines: [6, 7, 9, 10]),
        ImportCase(format: "te-local", file: "tx-local-file.txt", entries: 3, badLines: [3, 4, 5, 7]),
        ImportCase(format: "te-csv", file: "tx-dataset.csv", entries: 3, badLines: [4, 6, 7, 8]),
        ImportCase(format: "pdq-photo-hasher", file: "pdq-photo-hasher.csv", entries: 3, badLines: [3, 4, 5, 6]),
        ImportCase(format: "ncmec-xml", file: "ncmec-entries.xml", entries: 4, badLines: [13, 22, 40, 48]),
        ImportCase(format: "stopncii-json", file: "stopncii-fetchhashes.json", entries: 1, badLines: [16, 17, 19, 20]),
        ImportCase(format: "tat-json", file: "tat-hash-list.json", entries: 2, badLines: [10, 12, 13]),
    ]

    static func stats(_ sets: String, _ name: String) throws -> [String: Any] {
        let result = try Binary.run(["hashset", "stats", "--hashsets", sets, name])
        guard result.status == 0, let record = try EndToEnd.records(result).first else {
            throw EndToEnd.Failure("stats \(name): \(result.status) \(result.stderr)")
        }
        return record
    }

    @Test(arguments: imports)
    func importReportsEveryBadRowAndStrictWritesNothing(_ test: ImportCase) throws {
        let root = try Binary.temporaryDirectory("hashmatch-import")
        defer { try? FileManager.default.removeItem(at: root) }
        let sets = root.path
        let file = EndToEnd.importFiles.appendingPathComponent(test.file).path
        let command = ["hashset", "import", "--hashsets", sets, "--name", "imported", "--format", test.format, file]

        let strict = try Binary.run(command + ["--strict"])
        #expect(strict.status == 2)
        #expect(strict.stderr.contains("nothing imported (--strict)"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("imported.hashset").path))

        let result = try Binary.run(command)
        #expect(result.status == 0, "\(result.stderr)")
        let reported = result.stderr.split(separator: "\n").compactMap { line -> Int? in
            guard let match = line.firstMatch(of: /hashmatch: .*\/([^\/:]+):(\d+): ./) else { return nil }
            return match.1 == test.file ? Int(match.2) : nil
        }
        #expect(reported == test.badLines, "\(result.stderr)")
        #expect(try Self.stats(sets, "imported")["entries"] as? Int == test.entries)

        // Importing the same list again leaves the same entries (a list with deletions re-adds and
        // re-removes those: the log grows, the set does not change).
        let again = try Binary.run(command)
        #expect(again.status == 0)
        if ["hex", "te-local", "te-csv", "pdq-photo-hasher"].contains(test.format) {
            #expect(again.stderr.contains(": 0 added, 0 removed"), "\(again.stderr)")
        }
        #expect(try Self.stats(sets, "imported")["entries"] as? Int == test.entries)
    }

    @Test func aFileThatIsNotTheFormatIsReportedNotImported() throws {
        let root = try Binary.temporaryDirectory("hashmatch-import")
        defer { try? FileManager.default.removeItem(at: root) }
        let cut = root.appendingPathComponent("cut.json")
        let json = try Data(contentsOf: EndToEnd.importFiles.appendingPathComponent("stopncii-fetchhashes.json"))
        try json.prefix(json.count / 2).write(to: cut)
        let result = try Binary.run([
            "hashset", "import", "--hashsets", root.path, "--name", "x", "--format", "stopncii-json", "--strict",
            cut.path,
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cut.json:"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("x.hashset").path))
    }

    @Test func buildStoresTheAskedHashesAndNeverReplacesASet() throws {
        let root = try Binary.temporaryDirectory("hashmatch-build")
        defer { try? FileManager.default.removeItem(at: root) }
        let originals = try EndToEnd.folder(
            "originals",
            in: root,
            copying: ["baseline.jpg", "palette.png", "pixel-1x1.png"].map { EndToEnd.images.appendingPathComponent($0) }
        )
        let sets = root.appendingPathComponent("sets").path
        let command = [
            "hashset", "build", "--hashsets", sets, "--name", "built", "--algorithms", "pdq,phash,md5",
            "--description", "three generated images", originals.path,
        ]
        let build = try Binary.run(command)
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stderr.contains("pixel-1x1.png: pdq quality 0 is below 50"))
        let stats = try Self.stats(sets, "built")
        #expect(stats["entries"] as? Int == 8)
        #expect(stats["by_algorithm"] as? [String: Int] == ["pdq": 2, "phash": 3, "md5": 3])
        #expect(stats["description"] as? String == "three generated images")
        let before = try Data(contentsOf: URL(fileURLWithPath: sets + "/built.hashset"))
        let again = try Binary.run(command)
        #expect(again.status == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: sets + "/built.hashset")) == before)
    }

    @Test func buildFromAMissingFolderCreatesNoSet() throws {
        let root = try Binary.temporaryDirectory("hashmatch-build")
        defer { try? FileManager.default.removeItem(at: root) }
        let sets = root.appendingPathComponent("sets").path
        let missing = try Binary.run([
            "hashset", "build", "--hashsets", sets, "--name", "built", root.appendingPathComponent("typo").path,
        ])
        #expect(missing.status == 2)
        #expect(!FileManager.default.fileExists(atPath: sets + "/built.hashset"), "a failed build leaves no set")
        // So the corrected command works (a build never replaces an existing set).
        let retry = try Binary.run([
            "hashset", "build", "--hashsets", sets, "--name", "built", "--algorithms", "md5", EndToEnd.images.path,
        ])
        #expect(retry.status == 0, "\(retry.stderr)")
    }

    @Test(arguments: ["build", "add"])
    func helpShowsTheRealDefaultAlgorithms(_ command: String) throws {
        let help = try Binary.run(["hashset", command, "--help"])
        #expect(help.status == 0)
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("--algorithms <list>"))
        #expect(text.contains("(default: pdq,md5)"), "\(help.stdout)")
        #expect(!text.contains("(default: all)"))
    }

    @Test func teCSVExportReimportsToTheSameEntries() throws {
        let root = try Binary.temporaryDirectory("hashmatch-export")
        defer { try? FileManager.default.removeItem(at: root) }
        let sets = root.path
        let imported = try Binary.run([
            "hashset", "import", "--hashsets", sets, "--name", "first", "--format", "te-csv",
            EndToEnd.importFiles.appendingPathComponent("tx-dataset.csv").path,
        ])
        #expect(imported.status == 0)
        let export = try Binary.run(["hashset", "export", "--hashsets", sets, "--format", "te-csv", "first"])
        #expect(export.status == 0)
        #expect(export.lines.first == "signal_type,signal_str,collab,category,tags")
        let csv = root.appendingPathComponent("exported.csv")
        try Data(export.stdout.utf8).write(to: csv)
        let reimported = try Binary.run([
            "hashset", "import", "--hashsets", sets, "--name", "second", "--format", "te-csv", "--strict", csv.path,
        ])
        #expect(reimported.status == 0, "\(reimported.stderr)")
        func entries(_ name: String) throws -> [String] {
            let native = try Binary.run(["hashset", "export", "--hashsets", sets, name])
            return native.lines.filter { !$0.hasPrefix("#") }
        }
        let first = try entries("first")
        #expect(first.count == 3)
        #expect(try entries("second") == first)
    }

    @Test func addRemoveAndCompact() throws {
        let root = try Binary.temporaryDirectory("hashmatch-edit")
        defer { try? FileManager.default.removeItem(at: root) }
        let sets = root.path
        let file = root.appendingPathComponent("edited.hashset")
        let pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
        func hashset(_ arguments: [String]) throws -> Binary.Result {
            try Binary.run(["hashset"] + [arguments[0], "--hashsets", sets] + arguments.dropFirst())
        }
        #expect(try hashset(["remove", "--name", "edited", "x"]).status == 2, "no such set")
        let add = try hashset(["add", "--name", "edited", "--hash", "pdq:\(pdq)", "--id", "first", "--labels", "a,b c"])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(
            try hashset(["add", "--name", "edited", "--hash", "md5:" + String(repeating: "ab", count: 16)]).status == 0
        )
        let bad = try hashset(["add", "--name", "edited", "--hash", "pdq:1234", "--id", "short"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--hash"))
        let clash = try hashset([
            "add", "--name", "edited", "--hash", "pdq:" + String(repeating: "0f", count: 32), "--id", "first",
        ])
        #expect(clash.status == 2, "an id names one entry")
        var stats = try Self.stats(sets, "edited")
        #expect(stats["entries"] as? Int == 2)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("pdq \(pdq) first a,b%20c\n"))

        // The set matches what was added.
        let image = EndToEnd.images.appendingPathComponent("baseline.jpg").path
        #expect(try Binary.run(["match", "--hashsets", sets, image]).status == 0)
        let baseline = "b1168f2d1c7236f94ce9b3da668b0ec918937271ccc99193f907ac4da3b25369"  // expected.csv
        #expect(try hashset(["add", "--name", "edited", "--hash", "pdq:\(baseline)", "--id", "baseline"]).status == 0)
        #expect(try Binary.run(["match", "--hashsets", sets, image]).status == 1)

        #expect(try hashset(["remove", "--name", "edited", "baseline", "first"]).status == 0)
        #expect(try String(contentsOf: file, encoding: .utf8).hasSuffix("remove baseline\nremove first\n"))
        #expect(try Binary.run(["match", "--hashsets", sets, image]).status == 0)
        stats = try Self.stats(sets, "edited")
        #expect(stats["entries"] as? Int == 1)

        #expect(try hashset(["compact", "edited"]).status == 0)
        let compacted = try String(contentsOf: file, encoding: .utf8)
        #expect(
            compacted
                == "#hashmatch-hashset v1\nmd5 \(String(repeating: "ab", count: 16)) md5-\(String(repeating: "ab", count: 16))\n"
        )
        stats = try Self.stats(sets, "edited")
        #expect(stats["entries"] as? Int == 1 && stats["issues"] as? Int == 0)
    }
}

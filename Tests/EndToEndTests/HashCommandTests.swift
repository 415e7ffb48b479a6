import Foundation
import TestSupport
import Testing

/// `hashmatch hash` and `compare` as a user runs them: the real binary, real files, real exit codes.
@Suite struct HashCommandTests {
    static let images = Vectors.fixtures.appendingPathComponent("images")

    @Test func oneJSONLinePerFileWithTheReferenceHashes() throws {
        let result = try Binary.run(["hash", "--format", "jsonl", Self.images.path])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try Vectors.csvRows(Vectors.fixtures.appendingPathComponent("expected.csv"), header: true)
        #expect(result.lines.count == rows.count)
        let records = try result.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        for row in rows where row[0] != "grey16.png" {
            let record = try #require(records.first { ($0["path"] as? String)?.hasSuffix("/" + row[0]) == true })
            #expect(record["phash"] as? String == row[4], "\(row[0])")
            #expect(record["width"] as? Int == Int(row[1]))
            #expect((record["md5"] as? String)?.count == 32)
        }
    }

    @Test func aBadFileGivesAnErrorRecordAndExitTwoButTheRunGoesOn() throws {
        let folder = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good.png")
        try FileManager.default.copyItem(at: Self.images.appendingPathComponent("palette.png"), to: good)
        let truncated = folder.appendingPathComponent("truncated.jpg")
        let jpeg = try Data(contentsOf: Self.images.appendingPathComponent("baseline.jpg"))
        try jpeg.prefix(jpeg.count / 2).write(to: truncated)
        let result = try Binary.run([
            "hash", "--format", "jsonl", "--algorithms", "pdq,md5", good.path, truncated.path, "/nonexistent.jpg",
            folder.path + "/",
        ])
        #expect(result.status == 2)
        let records = try result.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.count == 5)
        let errors = records.compactMap { $0["error"] as? [String: String] }
        #expect(errors.map { $0["code"]! }.sorted() == ["image_truncated", "image_truncated", "not_found"])
        let cut = try #require(records.first { $0["path"] as? String == truncated.path })
        #expect((cut["md5"] as? String)?.count == 32, "digests survive a decoding failure")
    }

    @Test func specialAndMissingFilesAreNamedPrecisely() throws {
        let folder = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let dangling = folder.appendingPathComponent("dangling.jpg").path
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "/nonexistent/target.jpg")
        let empty = folder.appendingPathComponent("empty.png").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        let result = try Binary.run(["hash", "--format", "jsonl", fifo, dangling, empty, "/dev/null"])
        #expect(result.status == 2)
        let codes = try result.lines.map {
            ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["error"] as! [String: String])["code"]!
        }
        #expect(codes == ["not_regular_file", "not_found", "image_truncated", "not_regular_file"])
        if getuid() != 0 {  // root reads everything, so only an unprivileged run can check permissions
            let locked = folder.appendingPathComponent("locked.jpg").path
            FileManager.default.createFile(atPath: locked, contents: Data([0xFF, 0xD8, 0xFF]), attributes: [.posixPermissions: 0])
            let denied = try Binary.run(["hash", "--format", "jsonl", locked])
            #expect(denied.stdout.contains("permission_denied"))
        }
    }

    @Test func standardInputIsADash() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.images.appendingPathComponent("gradient-rgb.png")))
        let result = try Binary.run(["hash", "--algorithms", "dhash", "--format", "csv", "-"], stdin: bytes)
        #expect(result.status == 0)
        let row = try #require(
            try Vectors.csvRows(Vectors.fixtures.appendingPathComponent("expected.csv"), header: true).first {
                $0[0] == "gradient-rgb.png"
            }
        )
        #expect(
            result.lines == ["path,width,height,dhash,error_code,error_message", "-,\(row[1]),\(row[2]),\(row[5]),,"]
        )
    }

    @Test func usageErrorsExitTwoWithAMessage() throws {
        let result = try Binary.run(["hash", "--algorithms", "crc32", "x"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--algorithms"))
    }

    @Test func compareGivesDistancesPerAlgorithm() throws {
        let result = try Binary.run([
            "compare", "--format", "jsonl", "--algorithms", "pdq,md5",
            Self.images.appendingPathComponent("baseline.jpg").path,
            Self.images.appendingPathComponent("progressive.jpg").path,
        ])
        #expect(result.status == 0)
        let records = try result.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.map { $0["algorithm"] as? String } == ["pdq", "md5"])
        #expect(records[1]["distance"] as? Int == 1)
    }
}

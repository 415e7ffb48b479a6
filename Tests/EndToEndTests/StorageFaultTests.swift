import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The disk under the hash sets fills up, or the folder becomes unreadable: every write says why it failed, leaves
/// the files exactly as they were, and the service keeps serving the index it had.
///
/// The full disk is a real one, a small tmpfs mounted for the test, and the unreadable folder binds a server that
/// runs as `nobody`; both need root (as CI has) and are skipped without it.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root: mounts a tmpfs, runs the server as nobody"))
struct StorageFaultTests {
    /// A tmpfs mounted on a fresh folder for the test's lifetime.
    final class SmallDisk {
        let root: URL

        init(kilobytes: Int) throws {
            root = try Binary.temporaryDirectory("hashmatch-small-disk")
            guard Self.shell("mount -t tmpfs -o size=\(kilobytes)k hashmatch-test '\(root.path)'") == 0 else {
                throw HarnessError("cannot mount a tmpfs on \(root.path)")
            }
        }

        deinit {
            _ = Self.shell("umount -l '\(root.path)'")
            try? FileManager.default.removeItem(at: root)
        }

        /// Takes every free page (a file can still grow into the unused tail of its own last page).
        func fill() { _ = Self.shell("dd if=/dev/zero of='\(root.path)/filler' bs=4096 2>/dev/null") }

        func release() { unlink(root.appendingPathComponent("filler").path) }

        /// Names in the folder that are neither the filler nor listed in `expected`: temporary files left behind.
        func strayFiles(besides expected: Set<String>) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: root.path).filter {
                $0 != "filler" && !expected.contains($0)
            }
        }

        @discardableResult
        static func shell(_ command: String) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    @Test(.timeLimit(.minutes(3)))
    func aFullDiskFailsEachCommandAndLeavesTheFilesAsTheyWere() throws {
        let disk = try SmallDisk(kilobytes: 1024)
        let sets = disk.root.path
        let file = disk.root.appendingPathComponent("bank.hashset")
        var random = SplitMix64(seed: 0x6469_736b)
        let add = try Binary.run([
            "hashset", "add", "--hashsets", sets, "--name", "bank", "--hash", "pdq:\(EndToEnd.randomPDQ(&random))",
            "--id", "first",
        ])
        try #require(add.status == 0, "\(add.stderr)")
        let list = (0..<4000).map { _ in EndToEnd.randomPDQ(&random) }
        let listFile = try Binary.temporaryDirectory("hashmatch-list").appendingPathComponent("list.txt")
        defer { try? FileManager.default.removeItem(at: listFile.deletingLastPathComponent()) }
        try Data((list.joined(separator: "\n") + "\n").utf8).write(to: listFile)
        disk.fill()
        let before = try Self.bytes(file)

        // A 550 KB import: the disk takes the few bytes left in the file's last page, then refuses the rest.
        let full = try Binary.run([
            "hashset", "import", "--hashsets", sets, "--name", "bank", "--format", "hex", listFile.path,
        ])
        #expect(full.status == 2)
        #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        #expect(try Self.bytes(file) == before, "a failed import left part of itself in the set")

        let compact = try Binary.run(["hashset", "compact", "--hashsets", sets, "bank"])
        #expect(compact.status == 2)
        #expect(compact.stderr.contains("No space left on device"), "\(compact.stderr)")
        #expect(try Self.bytes(file) == before)

        let index = try Binary.run(["index", "build", "--hashsets", sets])
        #expect(index.status == 2)
        #expect(index.stderr.contains("No space left on device"), "\(index.stderr)")
        #expect(try disk.strayFiles(besides: ["bank.hashset"]) == [], "a failed write left a file behind")

        let stats = try Binary.run(["hashset", "stats", "--hashsets", sets, "bank"])
        let record = try EndToEnd.records(stats).first
        #expect(record?["entries"] as? Int == 1)
        #expect(record?["issues"] as? Int == 0)

        // With room again, the same import goes through whole.
        disk.release()
        let retry = try Binary.run([
            "hashset", "import", "--hashsets", sets, "--name", "bank", "--format", "hex", listFile.path,
        ])
        #expect(retry.status == 0, "\(retry.stderr)")
        let after = try EndToEnd.records(try Binary.run(["hashset", "stats", "--hashsets", sets, "bank"])).first
        #expect(after?["entries"] as? Int == 4001)
        #expect(after?["issues"] as? Int == 0)
    }

    @Test(.timeLimit(.minutes(3)))
    func aMatchLogOnAFullDiskIsAnErrorNotASilentGap() throws {
        let disk = try SmallDisk(kilobytes: 256)
        let sets = try ServiceTests.fixtureSets()
        defer { try? FileManager.default.removeItem(at: sets) }
        disk.fill()
        let log = disk.root.appendingPathComponent("matches.jsonl")
        let image = ServiceTests.images.appendingPathComponent("baseline.jpg").path
        let match = try Binary.run([
            "match", "--hashsets", sets.path, "--match-log", log.path, "--format", "jsonl", image,
        ])
        #expect(match.status == 2, "a match that could not be logged must not look like a plain match")
        #expect(match.stderr.contains("No space left on device"), "\(match.stderr)")
        #expect((try? Self.bytes(log))?.isEmpty ?? true, "a torn log line was left")
    }

    @Test(.timeLimit(.minutes(3)))
    func aFullDiskRefusesAdminChangesAndTheServiceKeepsServing() throws {
        let disk = try SmallDisk(kilobytes: 512)
        var random = SplitMix64(seed: 0x6675_6c6c)
        let seed = EndToEnd.randomPDQ(&random)
        let add = try Binary.run([
            "hashset", "add", "--hashsets", disk.root.path, "--name", "bank", "--hash", "pdq:\(seed)", "--id", "seed",
        ])
        try #require(add.status == 0, "\(add.stderr)")
        let server = try ServerProcess(hashsets: disk.root)
        let socket = try FrameSocket(unix: server.socketPath)
        let file = disk.root.appendingPathComponent("bank.hashset")
        let entries = (0..<2000).map { ["id": "new-\($0)", "algorithm": "pdq", "hash": EndToEnd.randomPDQ(&random)] }
        let payload: [String: Any] = ["set": "bank", "entries": entries]
        let probe = ServiceTests.lookupPayload("pdq", entries[1999]["hash"]!)
        disk.fill()
        let before = try Self.bytes(file)

        let refused = try socket.callJSON(0x31, id: 1, payload)
        #expect(refused.status == 1)
        #expect(refused.errorCode == "storage_failed")
        #expect(String(decoding: refused.payload, as: UTF8.self).contains("No space left on device"))
        #expect(try Self.bytes(file) == before, "the failed add left lines in the set")
        let missing = try socket.call(0x12, id: 2, probe)
        #expect(missing.status == 0)
        #expect(!String(decoding: missing.payload, as: UTF8.self).contains("new-1999"), "indexed but not stored")
        let known = try socket.call(0x12, id: 3, ServiceTests.lookupPayload("pdq", seed))
        #expect(String(decoding: known.payload, as: UTF8.self).contains("\"seed\""))
        #expect(try FrameSocket(unix: server.socketPath).call(0x01, id: 4).status == 0)

        disk.release()
        let accepted = try socket.callJSON(0x31, id: 5, payload)
        #expect(accepted.status == 0, "\(String(decoding: accepted.payload, as: UTF8.self))")
        #expect(accepted.json["added"] as? Int == 2000)
        let found = try socket.call(0x12, id: 6, probe)
        #expect(String(decoding: found.payload, as: UTF8.self).contains("new-1999"))
        #expect(server.signalAndWait() == 0)
        let stats = try EndToEnd.records(try Binary.run(["hashset", "stats", "--hashsets", disk.root.path, "bank"]))
        #expect(stats.first?["entries"] as? Int == 2001)
        #expect(stats.first?["issues"] as? Int == 0)
    }

    @Test(.timeLimit(.minutes(3)))
    func anUnreadableFolderFailsTheReloadAndTheOldIndexStays() throws {
        let sets = try ServiceTests.fixtureSets()
        defer {
            chmod(sets.path, 0o755)
            try? FileManager.default.removeItem(at: sets)
        }
        for path in [sets.path]
            + (try FileManager.default.contentsOfDirectory(atPath: sets.path)).map({ "\(sets.path)/\($0)" })
        {
            chown(path, ServerProcess.nobody, ServerProcess.nobody)
        }
        let server = try ServerProcess(hashsets: sets, asNobody: true)
        let socket = try FrameSocket(unix: server.socketPath)
        let baseline = try ServiceTests.expected("baseline.jpg")[6]
        let lookup = ServiceTests.lookupPayload("pdq", baseline)
        func stillMatches(_ id: UInt32) throws -> Bool {
            String(decoding: try socket.call(0x12, id: id, lookup).payload, as: UTF8.self).contains("baseline.jpg:pdq")
        }
        try #require(try stillMatches(1))

        chmod(sets.path, 0o000)
        let reload = try socket.call(0x30, id: 2)
        #expect(reload.status == 1)
        #expect(reload.errorCode == "reload_failed")
        #expect(String(decoding: reload.payload, as: UTF8.self).contains("Permission denied"))
        #expect(try stillMatches(3), "a failed reload dropped the index")
        #expect(server.signalAndWait(SIGHUP, timeout: 1) == nil, "SIGHUP with an unreadable folder stopped the server")
        Thread.sleep(forTimeInterval: 1.5)  // five watcher intervals
        #expect(try stillMatches(4))
        let failures = server.logText.components(separatedBy: "reload_failed").count - 1
        #expect(failures <= 3, "the watcher retried an unchanged failure \(failures) times:\n\(server.logText)")

        chmod(sets.path, 0o755)
        let recovered = try socket.call(0x30, id: 5)
        #expect(recovered.status == 0, "\(String(decoding: recovered.payload, as: UTF8.self))")
        #expect(try stillMatches(6))

        let file = sets.appendingPathComponent("fixtures.hashset").path
        chmod(file, 0o000)
        let unreadableFile = try socket.call(0x30, id: 7)
        #expect(unreadableFile.errorCode == "reload_failed")
        #expect(try stillMatches(8))
        chmod(file, 0o640)
        #expect(server.signalAndWait() == 0)
    }
}

import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hot reload, admin changes and shutdown of `hashmatch serve`, under load.
extension ServiceTests {
    static let zeroMD5 = String(repeating: "0", count: 32)

    static func lookupPayload(_ algorithm: String, _ hex: String) -> [UInt8] {
        Array(#"[{"algorithm":"\#(algorithm)","hash":"\#(hex)"}]"#.utf8)
    }

    /// Writes a one-entry set file in the native format (as documented in hashsets/README.md).
    static func writeSet(_ folder: URL, name: String, md5: String, id: String) throws {
        try "#hashmatch-hashset v1\nmd5 \(md5) \(id)\n".write(
            to: folder.appendingPathComponent("\(name).hashset"),
            atomically: true,
            encoding: .utf8
        )
    }

    @Test func reloadsDuringLoadFailNoRequest() throws {
        let server = try ServerProcess(hashsets: try Self.fixtureSets(), arguments: ["--watch-interval", "0"])
        let baseline = try Self.expected("baseline.jpg")[6]
        let failures = LockedCounter()
        let answered = LockedCounter()
        let group = DispatchGroup()
        let socketPath = server.socketPath
        for worker in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let socket = try? FrameSocket(unix: socketPath) else { return failures.add() }
                for round in 0..<50 {
                    var batch: [UInt8] = []
                    for index in 0..<10 {
                        batch += FrameSocket.frame(
                            0x12,
                            id: UInt32(round * 10 + index),
                            Self.lookupPayload("pdq", baseline)
                        )
                    }
                    guard (try? socket.write(batch)) != nil else { return failures.add() }
                    for index in 0..<10 {
                        guard let answer = try? socket.receive(), answer.status == 0,
                            answer.id == UInt32(round * 10 + index),
                            String(decoding: answer.payload, as: UTF8.self).contains("baseline.jpg:pdq")
                        else { return failures.add() }
                        answered.add()
                    }
                }
                _ = worker
            }.start()
        }
        let admin = try FrameSocket(unix: server.socketPath)
        for id in 0..<8 {
            let reload = try admin.call(0x30, id: UInt32(id))
            #expect(reload.status == 0, "\(reload.json)")
            Glibc.kill(server.pid, SIGHUP)
            usleep(20_000)
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(failures.value == 0)
        #expect(answered.value == 4 * 50 * 10)
        #expect(try admin.call(0x20, id: 99).json["generation"] as? Int ?? 0 >= 9)
    }

    @Test func aFailedReloadKeepsTheOldIndex() throws {
        let sets = try Binary.temporaryDirectory("hashmatch-sets")
        try Self.writeSet(sets, name: "one", md5: "11111111111111111111111111111111", id: "first")
        let server = try ServerProcess(hashsets: sets, arguments: ["--watch-interval", "0"])
        let socket = try FrameSocket(unix: server.socketPath)
        try "not a hash set\n".write(
            to: sets.appendingPathComponent("broken.hashset"),
            atomically: true,
            encoding: .utf8
        )
        let reload = try socket.call(0x30, id: 1)
        #expect(reload.errorCode == "reload_failed")
        #expect((reload.json["error"] as? [String: Any])?["message"] as? String ?? "" != "")
        let lookup = try socket.call(0x12, id: 2, Self.lookupPayload("md5", "11111111111111111111111111111111"))
        #expect(String(decoding: lookup.payload, as: UTF8.self).contains(#""id":"first""#))
    }

    /// A current index snapshot is served without parsing the sets; once a set changes it is stale, and the reload
    /// reads the sets and says so.
    @Test func aCurrentSnapshotIsServedAndAStaleOneIsNamed() throws {
        let sets = try Binary.temporaryDirectory("hashmatch-sets")
        try Self.writeSet(sets, name: "one", md5: "33333333333333333333333333333333", id: "snapped")
        #expect(try Binary.run(["index", "build", "--hashsets", sets.path]).status == 0)
        let server = try ServerProcess(hashsets: sets, arguments: ["--watch-interval", "0"])
        let socket = try FrameSocket(unix: server.socketPath)
        let lookup = try socket.call(0x12, id: 1, Self.lookupPayload("md5", "33333333333333333333333333333333"))
        #expect(String(decoding: lookup.payload, as: UTF8.self).contains(#""id":"snapped""#))
        #expect((try socket.call(0x20, id: 2).json["issues"] as? Int) == 0)
        try Self.writeSet(sets, name: "one", md5: "44444444444444444444444444444444", id: "edited")
        let reload = try socket.call(0x30, id: 3)
        #expect((reload.json["issues"] as? [String])?.first?.contains("out of date") == true)
        let after = try socket.call(0x12, id: 4, Self.lookupPayload("md5", "44444444444444444444444444444444"))
        #expect(String(decoding: after.payload, as: UTF8.self).contains(#""id":"edited""#))
    }

    @Test func changedFilesAreReloadedByTheWatcher() throws {
        let sets = try Binary.temporaryDirectory("hashmatch-sets")
        let server = try ServerProcess(hashsets: sets)
        let socket = try FrameSocket(unix: server.socketPath)
        let hex = "22222222222222222222222222222222"
        #expect(
            String(decoding: try socket.call(0x12, id: 1, Self.lookupPayload("md5", hex)).payload, as: UTF8.self)
                .contains(#""matches":[]"#)
        )
        try Self.writeSet(sets, name: "new", md5: hex, id: "watched")
        var found = false
        for attempt in 0..<100 where !found {
            let answer = try socket.call(0x12, id: UInt32(attempt + 2), Self.lookupPayload("md5", hex))
            found = String(decoding: answer.payload, as: UTF8.self).contains(#""id":"watched""#)
            if !found { usleep(100_000) }
        }
        #expect(found, "the new file was picked up within 10 s: \(server.logText)")
    }

    @Test func adminAddAndRemoveAreDurableAndLive() throws {
        let sets = try Binary.temporaryDirectory("hashmatch-sets")
        try Self.writeSet(sets, name: "live", md5: "33333333333333333333333333333333", id: "old")
        let server = try ServerProcess(hashsets: sets, arguments: ["--watch-interval", "0"])
        let socket = try FrameSocket(unix: server.socketPath)
        let pdq = try Self.expected("shapes-grey.png")[6]
        let add = try socket.callJSON(
            0x31,
            id: 1,
            ["set": "live", "entries": [["id": "shape", "algorithm": "pdq", "hash": pdq, "labels": ["x"]]]]
        )
        #expect(add.status == 0 && add.json["added"] as? Int == 1, "\(add.json)")
        let file = try String(contentsOf: sets.appendingPathComponent("live.hashset"), encoding: .utf8)
        #expect(file.contains("pdq \(pdq) shape x"), "appended to the file before answering")
        let match = try socket.call(0x11, id: 2, try Self.image("shapes-grey.png"))
        #expect(String(decoding: match.payload, as: UTF8.self).contains(#""id":"shape""#))

        let remove = try socket.callJSON(0x32, id: 3, ["set": "live", "ids": ["old"]])
        #expect(remove.json["removed"] as? Int == 1)
        let gone = try socket.call(0x12, id: 4, Self.lookupPayload("md5", "33333333333333333333333333333333"))
        #expect(String(decoding: gone.payload, as: UTF8.self).contains(#""matches":[]"#))
        #expect(
            try String(contentsOf: sets.appendingPathComponent("live.hashset"), encoding: .utf8).contains("remove old")
        )
        #expect(try socket.callJSON(0x32, id: 5, ["set": "nope", "ids": ["a"]]).errorCode == "no_such_set")
        #expect(try socket.callJSON(0x31, id: 6, ["set": "../x", "entries": []]).errorCode == "bad_set_name")

        // A restart loads what was written.
        server.kill()
        let again = try ServerProcess(hashsets: sets)
        let after = try FrameSocket(unix: again.socketPath).call(0x11, id: 1, try Self.image("shapes-grey.png"))
        #expect(String(decoding: after.payload, as: UTF8.self).contains(#""id":"shape""#))
    }

    @Test func sigtermDuringLoadAnswersWhatIsInFlightAndExitsZero() throws {
        let server = try ServerProcess(hashsets: try Self.fixtureSets(), arguments: ["--workers", "1"])
        let socket = try FrameSocket(unix: server.socketPath)
        let image = try Self.image("large-1024x768.jpg")
        var batch: [UInt8] = []
        for id in 0..<12 { batch += FrameSocket.frame(0x11, id: UInt32(id), image) }
        try socket.write(batch)
        let first = try #require(try socket.receive())
        #expect(first.id == 0 && first.status == 0)
        usleep(100_000)
        Glibc.kill(server.pid, SIGTERM)
        var answered = 1
        while let answer = try socket.receive() {
            #expect(answer.id == UInt32(answered) && answer.status == 0, "\(answer.json)")
            answered += 1
        }
        #expect(answered == 12, "every request read before SIGTERM was answered")
        #expect(server.waitForExit(timeout: 20) == 0)
        #expect(!FileManager.default.fileExists(atPath: server.socketPath), "the socket file is removed")
    }

    @Test func theCLIAndPythonClientsSpeakTheProtocol() throws {
        let server = try ServerProcess(hashsets: try Self.fixtureSets())
        let image = Self.images.appendingPathComponent("baseline.jpg").path
        let cli = try Binary.run(["client", "--socket", server.socketPath, "match", image])
        #expect(cli.status == 1, "exit 1: a match \(cli.stderr)")
        #expect(cli.stdout.contains(#""id":"baseline.jpg:pdq""#))
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [
            "python3", Vectors.packageRoot.appendingPathComponent("Scripts/hashmatch_client.py").path, "--socket",
            server.socketPath, "match", image,
        ]
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 1)
        #expect(text.contains(#""id": "baseline.jpg:pdq""#) || text.contains(#""id":"baseline.jpg:pdq""#))
    }
}

/// A counter several threads add to.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

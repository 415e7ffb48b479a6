import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hashmatch serve` as a platform uses it: the real binary, real sockets, real `curl`.
/// Every wait is bounded (socket timeouts, polling loops with limits) so a broken server fails a test, never hangs it.
@Suite(.serialized) struct ServiceTests {
    static let images = Vectors.fixtures.appendingPathComponent("images")

    /// The fixture images' reference hashes (written by imagehash/pdqhash, not by hashmatch).
    static func expected(_ file: String) throws -> [String] {
        try #require(
            try Vectors.csvRows(Vectors.fixtures.appendingPathComponent("expected.csv"), header: true).first {
                $0[0] == file
            }
        )
    }

    static func image(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: images.appendingPathComponent(name)))
    }

    /// A folder with the set `fixtures`, built by the real `hashmatch hashset build` from the fixture images.
    static func fixtureSets() throws -> URL {
        let folder = try Binary.temporaryDirectory("hashmatch-sets")
        let built = try Binary.run([
            "hashset", "build", "--hashsets", folder.path, "--name", "fixtures", "--labels", "test", images.path,
        ])
        guard built.status == 0 else { throw HarnessError("hashset build failed: \(built.stderr)") }
        return folder
    }

    @Test func matchHashLookupAndErrorsOverTheUnixSocket() throws {
        let server = try ServerProcess(hashsets: try Self.fixtureSets())
        let socket = try FrameSocket(unix: server.socketPath)
        #expect(try socket.call(0x01, id: 9).json["pong"] as? Bool == true)

        let match = try socket.call(0x11, id: 10, try Self.image("baseline.jpg"))
        #expect(match.status == 0 && match.id == 10)
        let matches = try #require(match.json["matches"] as? [[String: Any]])
        let pdq = try #require(matches.first { $0["algorithm"] as? String == "pdq" })
        #expect(pdq["set"] as? String == "fixtures")
        #expect(pdq["id"] as? String == "baseline.jpg:pdq")
        #expect(pdq["distance"] as? Int == 0)
        #expect(pdq["labels"] as? [String] == ["test"])

        let reference = try Self.expected("gradient-rgb.png")
        let hash = try socket.call(0x10, id: 11, try Self.image("gradient-rgb.png"))
        #expect(hash.status == 0)
        #expect(hash.json["phash"] as? String == reference[4])
        #expect(hash.json["pdq"] as? String == reference[6])
        #expect(hash.json["width"] as? Int == Int(reference[1]))

        let baseline = try Self.expected("baseline.jpg")
        let lookup = try socket.callJSON(
            0x12,
            id: 12,
            [["algorithm": "pdq", "hash": baseline[6]], ["algorithm": "phash", "hash": "0000000000000000"]]
        )
        let results = try #require(lookup.json["results"] as? [[String: Any]])
        #expect(results.count == 2)
        #expect((results[0]["matches"] as? [[String: Any]])?.first?["id"] as? String == "baseline.jpg:pdq")
        #expect((results[1]["matches"] as? [Any])?.isEmpty == true)

        // Per-request errors keep the connection.
        let jpeg = try Self.image("baseline.jpg")
        let truncated = try socket.call(0x11, id: 13, Array(jpeg.prefix(jpeg.count / 2)))
        #expect(truncated.status == 1 && truncated.errorCode == "image_truncated")
        #expect((truncated.json["md5"] as? String)?.count == 32, "digests survive a decoding failure")
        #expect(try socket.call(0x7F, id: 14).errorCode == "unknown_opcode")
        #expect(try socket.callJSON(0x12, id: 15, [["algorithm": "pdq", "hash": "zz"]]).errorCode == "bad_hash")
        #expect(try socket.call(0x12, id: 16, Array("not json".utf8)).errorCode == "bad_request")
        #expect(try socket.call(0x01, id: 17).status == 0)
        #expect(server.logText.contains("listening"))
        let mode = try FileManager.default.attributesOfItem(atPath: server.socketPath)[.posixPermissions] as? Int
        #expect(mode == 0o660)
    }

    /// `--algorithms pdq,md5`: images get those two hashes only, still the reference values, and match on them; the
    /// set's pHash entries (which images no longer reach) are named in the log and still answer lookups.
    @Test func algorithmsLimitWhatImagesAreHashedFor() throws {
        let folder = try Binary.temporaryDirectory("hashmatch-sets")
        let built = try Binary.run([
            "hashset", "build", "--hashsets", folder.path, "--name", "fixtures", "--algorithms", "pdq,phash,md5",
            Self.images.path,
        ])
        try #require(built.status == 0, Comment(rawValue: built.stderr))
        let server = try ServerProcess(hashsets: folder, arguments: ["--algorithms", "pdq,md5"])
        let socket = try FrameSocket(unix: server.socketPath)
        let reference = try Self.expected("baseline.jpg")
        let match = try socket.call(0x11, id: 1, try Self.image("baseline.jpg"))
        #expect(match.status == 0)
        #expect(match.json["pdq"] as? String == reference[6])
        #expect((match.json["md5"] as? String)?.count == 32)
        for absent in ["phash", "dhash", "ahash", "sha1", "sha256"] { #expect(match.json[absent] == nil, "\(absent)") }
        let algorithms = (match.json["matches"] as? [[String: Any]])?.compactMap { $0["algorithm"] as? String }
        #expect(Set(algorithms ?? []) == ["pdq", "md5"])
        let lookup = try socket.callJSON(0x12, id: 2, [["algorithm": "phash", "hash": reference[4]]])
        let results = try #require(lookup.json["results"] as? [[String: Any]])
        #expect((results.first?["matches"] as? [[String: Any]])?.first?["id"] as? String == "baseline.jpg:phash")
        #expect(server.logText.contains("does not compute phash (--algorithms): images never match them"))
        #expect(!server.logText.contains("does not compute pdq"))

        let bad = try Binary.run(["serve", "--algorithms", "pdq,crc32", "--hashsets", server.hashsets.path])
        #expect(bad.status != 0 && bad.stderr.contains("--algorithms"))
        // Dihedral variants are of PDQ: without it the flag would do nothing, so it is refused.
        for command in [["serve", "--no-socket"], ["hash", Self.images.appendingPathComponent("baseline.jpg").path]] {
            let refused = try Binary.run(command + ["--algorithms", "md5", "--dihedral"])
            #expect(refused.status != 0 && refused.stderr.contains("add pdq to --algorithms"), "\(command[0])")
        }
    }

    @Test func tcpNeedsTheTokenAndAdminNeedsTheAdminToken() throws {
        let server = try ServerProcess(arguments: [])
        let tokens = server.directory
        try "client-secret\n".write(to: tokens.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "admin-secret".write(to: tokens.appendingPathComponent("admin"), atomically: true, encoding: .utf8)
        server.kill()
        let secured = try ServerProcess(arguments: [
            "--token-file", tokens.appendingPathComponent("token").path, "--admin-token-file",
            tokens.appendingPathComponent("admin").path,
        ])
        let tcp = try FrameSocket(tcpPort: secured.tcpPort)
        #expect(try tcp.call(0x01, id: 1).status == 0, "ping needs no token")
        #expect(try tcp.call(0x20, id: 2).errorCode == "unauthorized")
        #expect(try tcp.call(0x02, id: 3, Array("wrong".utf8)).errorCode == "unauthorized")
        #expect(try tcp.call(0x02, id: 4, Array("client-secret".utf8)).status == 0)
        #expect(try tcp.call(0x20, id: 5).json["ready"] as? Bool == true)
        #expect(try tcp.call(0x30, id: 6).errorCode == "forbidden")
        #expect(try tcp.call(0x02, id: 7, Array("admin-secret".utf8)).json["admin"] as? Bool == true)
        #expect(try tcp.call(0x30, id: 8).status == 0)

        let unix = try FrameSocket(unix: secured.socketPath)
        #expect(try unix.call(0x20, id: 1).status == 0, "the Unix socket needs no client token")
        #expect(try unix.call(0x30, id: 2).errorCode == "forbidden", "but admin needs the admin token")
    }

    @Test func aNonLoopbackListenerWithoutATokenIsRefused() throws {
        let result = try Binary.run(["serve", "--no-socket", "--listen", "0.0.0.0:0"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("token"))
    }

    @Test func httpWithCurl() throws {
        let sets = try Self.fixtureSets()
        let token = sets.appendingPathComponent("token")
        try "http-secret".write(to: token, atomically: true, encoding: .utf8)
        let server = try ServerProcess(hashsets: sets, arguments: ["--token-file", token.path])
        let base = "http://127.0.0.1:\(server.httpPort)"
        func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-s", "--max-time", "15", "-w", "\n%{http_code}"] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            let split = text.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(split.last ?? "") ?? 0, split.dropLast().joined(separator: "\n"))
        }
        let auth = ["-H", "Authorization: Bearer http-secret"]
        #expect(try curl(["\(base)/healthz"]).status == 200)
        #expect(try curl(["\(base)/readyz"]).status == 200)
        let image = Self.images.appendingPathComponent("palette.png").path
        #expect(try curl(["--data-binary", "@\(image)", "\(base)/v1/match"]).status == 401)
        let match = try curl(auth + ["--data-binary", "@\(image)", "\(base)/v1/match"])
        #expect(match.status == 200)
        #expect(match.body.contains(#""id":"palette.png:pdq""#))
        let hash = try curl(auth + ["--data-binary", "@\(image)", "\(base)/v1/hash"])
        #expect(hash.body.contains(#""phash":"\#(try Self.expected("palette.png")[4])""#))
        let bad = try curl(auth + ["--data-binary", "not an image", "\(base)/v1/match"])
        #expect(bad.status == 422 && bad.body.contains("image_unknown_format"))
        let lookup = try curl(
            auth + ["--data", #"[{"algorithm":"md5","hash":"00000000000000000000000000000000"}]"#, "\(base)/v1/lookup"]
        )
        #expect(lookup.status == 200 && lookup.body.contains(#""matches":[]"#))
        #expect(try curl(auth + ["-X", "POST", "\(base)/v1/reload"]).status == 403, "no admin token configured")
        #expect(try curl(auth + ["\(base)/v1/nothing"]).status == 404)
        let metrics = try curl(auth + ["\(base)/metrics"])
        #expect(metrics.status == 200)
        #expect(metrics.body.contains(#"hashmatch_requests_total{op="match",transport="http",status="ok"} 1"#))
        #expect(metrics.body.contains(#"hashmatch_index_entries{algorithm="pdq"}"#))
        #expect(metrics.body.contains("hashmatch_request_duration_seconds_bucket"))
        #expect(metrics.body.contains(#"hashmatch_decode_failures_total{code="image_unknown_format"} 1"#))
    }

    @Test func twoHundredPipelinedRequestsComeBackInOrder() throws {
        let server = try ServerProcess(hashsets: try Self.fixtureSets())
        let socket = try FrameSocket(unix: server.socketPath)
        var ids: [UInt32] = []
        var rng = SplitMix64(seed: 42)
        var batch: [UInt8] = []
        let small = try Self.image("tiny-5x5.png")
        for index in 0..<200 {
            let id = UInt32(truncatingIfNeeded: rng.next())
            ids.append(id)
            switch index % 3 {
            case 0: batch += FrameSocket.frame(0x01, id: id)
            case 1: batch += FrameSocket.frame(0x11, id: id, small)
            default:
                batch += FrameSocket.frame(
                    0x12,
                    id: id,
                    Array(#"[{"algorithm":"md5","hash":"\#(String(repeating: "0", count: 32))"}]"#.utf8)
                )
            }
        }
        try socket.write(batch)
        for (index, id) in ids.enumerated() {
            let answer = try #require(try socket.receive())
            #expect(answer.id == id, "answer \(index)")
            #expect(answer.status == 0)
        }
    }

    @Test func aRequestSplitIntoOneByteWrites() throws {
        let server = try ServerProcess(hashsets: try Self.fixtureSets())
        let socket = try FrameSocket(tcpPort: server.tcpPort)
        let frame = FrameSocket.frame(0x11, id: 77, try Self.image("tiny-5x5.png"))
        for byte in frame { try socket.write([byte]) }
        let answer = try #require(try socket.receive())
        #expect(answer.id == 77 && answer.status == 0)
        #expect(answer.json["width"] as? Int == 5)
    }

    @Test(arguments: [
        ("four gigabyte length", [0xFF, 0xFF, 0xFF, 0xFF, 0x11, 0, 0, 0, 5] as [UInt8], "frame_too_large", UInt32(5)),
        (
            "http to the framed socket", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), "frame_too_large",
            UInt32(0x2048_5454)
        ),
        ("length below five", [0, 0, 0, 2, 1, 2], "bad_frame", UInt32(0xFFFF_FFFF)),
    ])
    func framingErrorsAreAnsweredThenClosedAndOthersKeepWorking(
        name: String,
        bytes: [UInt8],
        code: String,
        id: UInt32
    ) throws {
        let server = try ServerProcess()
        let other = try FrameSocket(unix: server.socketPath)
        let socket = try FrameSocket(unix: server.socketPath)
        try socket.write(FrameSocket.frame(0x01, id: 1) + bytes)
        #expect(try socket.receive()?.id == 1, "the answer before the bad frame comes first")
        let error = try #require(try socket.receive())
        #expect(error.status == 1 && error.errorCode == code && error.id == id, "\(name)")
        #expect(try socket.receive() == nil, "then the connection closes")
        #expect(try other.call(0x01, id: 2).status == 0)
    }

    @Test func aClientThatStallsMidFrameIsClosedAfterTheReadTimeout() throws {
        let server = try ServerProcess(arguments: ["--read-timeout", "1"])
        let stalled = try FrameSocket(unix: server.socketPath)
        try stalled.write(Array(FrameSocket.frame(0x11, id: 3, [UInt8](repeating: 0, count: 100)).prefix(20)))
        let start = Date()
        let other = try FrameSocket(unix: server.socketPath)
        #expect(try other.call(0x01, id: 1).status == 0, "others are served while one stalls")
        let answer = try #require(try stalled.receive())
        #expect(answer.errorCode == "read_timeout")
        #expect(try stalled.receive() == nil)
        let waited = Date().timeIntervalSince(start)
        #expect(waited > 0.8 && waited < 5, "closed after \(waited) s")
        #expect(try other.call(0x01, id: 2).status == 0)
    }

    @Test func fiveHundredConnectionsAtOnce() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 2048 {
            limit.rlim_cur = min(2048, limit.rlim_max)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let server = try ServerProcess()
        let sockets = try (0..<500).map { _ in try FrameSocket(unix: server.socketPath) }
        for (index, socket) in sockets.enumerated() { try socket.write(FrameSocket.frame(0x01, id: UInt32(index))) }
        for (index, socket) in sockets.enumerated() {
            let answer = try #require(try socket.receive())
            #expect(answer.id == UInt32(index) && answer.status == 0)
        }
        let stats = try sockets[0].call(0x20, id: 9999)
        #expect(stats.json["connections"] as? Int == 500)
    }

    @Test func connectionsOverTheLimitAreToldOverloaded() throws {
        let server = try ServerProcess(arguments: ["--max-connections", "2"])
        let first = try FrameSocket(unix: server.socketPath)
        _ = try first.call(0x01, id: 1)  // the ping of start-up may still hold a slot; this one is surely admitted
        usleep(200_000)
        let second = try FrameSocket(unix: server.socketPath)
        #expect(try second.call(0x01, id: 2).status == 0)
        let third = try FrameSocket(unix: server.socketPath)
        let refused = try #require(try third.receive())
        #expect(refused.errorCode == "overloaded")
        #expect(try third.receive() == nil)
    }

    @Test func aRequestPastItsDeadlineIsAnsweredAndTheConnectionStays() throws {
        let server = try ServerProcess(arguments: ["--request-deadline", "0.001", "--workers", "1"])
        let socket = try FrameSocket(unix: server.socketPath)
        let answer = try socket.call(0x11, id: 5, try Self.image("large-1024x768.jpg"))
        #expect(answer.errorCode == "deadline_exceeded")
        #expect(try socket.call(0x01, id: 6).status == 0)
    }
}

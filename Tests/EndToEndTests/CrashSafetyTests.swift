import Foundation
import TestSupport
import Testing

/// Writers killed with SIGKILL at random moments: the set still loads, the next append repairs a torn
/// line, and every entry whose writer reported success (exit 0 seen) is still there.
@Suite struct CrashSafetyTests {
    static let trials = 20
    static let linesPerImport = 4000
    static let indexTrials = 12

    @Test(.timeLimit(.minutes(5)))
    func killedWritersNeverLoseAcknowledgedEntries() throws {
        let root = try Binary.temporaryDirectory("hashmatch-crash")
        defer { try? FileManager.default.removeItem(at: root) }
        let sets = root.appendingPathComponent("sets").path
        var random = SplitMix64(seed: 0x6861_7368_6d61_7463)
        func pdq() -> String { EndToEnd.randomPDQ(&random) }

        var acknowledged: [String: String] = [:]  // id → hash, from `add` runs seen to exit 0
        var acknowledgedImports: [[String]] = []  // hex lists whose `import` was seen to exit 0
        var killed = 0
        var repaired = 0
        var longest = 0.3  // seconds; the kill moment is drawn from [0, 1.2 × the longest run seen]

        for trial in 0..<Self.trials {
            // An acknowledged append: its exit 0 is seen before the next writer is killed.
            let hash = pdq()
            let add = try Binary.run([
                "hashset", "add", "--hashsets", sets, "--name", "crash", "--hash", "pdq:\(hash)", "--id",
                "ack-\(trial)",
            ])
            try #require(add.status == 0, "trial \(trial): \(add.stderr)")
            acknowledged["ack-\(trial)"] = hash
            if add.stderr.contains("repaired a torn last line") { repaired += 1 }
            // Whatever the previous kill left, that append repaired it: the file loads without issues.
            let clean = try Binary.run(["hashset", "stats", "--hashsets", sets, "crash"])
            #expect(clean.status == 0)
            #expect(try EndToEnd.records(clean).first?["issues"] as? Int == 0, "trial \(trial): \(clean.stderr)")

            // A large import, killed at a random moment (or finishing first: then it is acknowledged too).
            let list = (0..<Self.linesPerImport).map { _ in pdq() }
            let listFile = root.appendingPathComponent("list-\(trial).txt")
            try Data((list.joined(separator: "\n") + "\n").utf8).write(to: listFile)
            let victim = Process()
            victim.executableURL = Binary.hashmatch
            victim.arguments = [
                "hashset", "import", "--hashsets", sets, "--name", "crash", "--format", "hex", listFile.path,
            ]
            victim.standardOutput = FileHandle.nullDevice
            victim.standardError = FileHandle.nullDevice
            let started = Date()
            try victim.run()
            let delay = Double(random.next() % 1000) / 1000 * longest * 1.2
            Thread.sleep(forTimeInterval: delay)
            let wasRunning = victim.isRunning
            if wasRunning { kill(victim.processIdentifier, SIGKILL) }
            victim.waitUntilExit()
            if victim.terminationReason == .exit && victim.terminationStatus == 0 {
                acknowledgedImports.append(list)
                longest = max(longest, Date().timeIntervalSince(started))
            } else {
                #expect(victim.terminationReason == .uncaughtSignal, "trial \(trial): import failed on its own")
                killed += 1
            }

            // The set loads after every kill (a torn last line is reported, not fatal).
            let stats = try Binary.run(["hashset", "stats", "--hashsets", sets, "crash"])
            #expect(stats.status == 0, "trial \(trial): \(stats.stderr)")
        }

        // Every acknowledged entry is there, with its hash.
        let export = try Binary.run(["hashset", "export", "--hashsets", sets, "crash"])
        try #require(export.status == 0)
        let present = EndToEnd.exportedEntries(export)
        for (id, hash) in acknowledged { #expect(present[id] == hash, "\(id) lost") }
        for list in acknowledgedImports {
            #expect(list.allSatisfy { present["pdq-\($0)"] == $0 }, "an acknowledged import lost entries")
        }
        print(
            "crash safety: \(Self.trials) trials, \(killed) imports killed, \(acknowledgedImports.count) finished, "
                + "\(repaired) torn lines repaired, \(present.count) entries"
        )
        #expect(killed > 0, "no kill landed: the test proved nothing")
    }

    /// `index build` killed at random moments, between edits that make the last snapshot stale: the folder never
    /// holds a snapshot that fails its checks, `match` always answers from the sets or a current snapshot, and the
    /// temporary files of killed builds are swept by the next write.
    @Test(.timeLimit(.minutes(5)))
    func killedIndexBuildsNeverLeaveATornSnapshot() throws {
        let root = try Binary.temporaryDirectory("hashmatch-crash-index")
        defer { try? FileManager.default.removeItem(at: root) }
        let sets = root.appendingPathComponent("sets")
        try FileManager.default.createDirectory(at: sets, withIntermediateDirectories: true)
        var random = SplitMix64(seed: 0x696e_6465_78)
        var text = "#hashmatch-hashset v1\n"
        for entry in 0..<30_000 {
            text += "pdq \(EndToEnd.randomPDQ(&random)) bulk-\(entry)\n"
        }
        try Data(text.utf8).write(to: sets.appendingPathComponent("bulk.hashset"))
        let image = EndToEnd.images.appendingPathComponent("baseline.jpg").path
        let md5 = try #require(
            try EndToEnd.records(try Binary.run(["hash", "--algorithms", "md5", image])).first?["md5"]
        )

        func temporaries() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: sets.path).filter { $0.hasSuffix(".tmp") }
        }
        var abandoned = 0  // temporary files found after a kill; the next write must sweep them
        // One build left to finish sets the range the kill moments are drawn from: [0, its time].
        let calibration = Date()
        try #require(try Binary.run(["index", "build", "--hashsets", sets.path]).status == 0)
        let longest = Date().timeIntervalSince(calibration)
        var killed = 0
        var finished = 0
        for trial in 0..<Self.indexTrials {
            // Each trial changes the sets first, so the snapshot on disk (if any) is stale and the build rewrites it.
            let add = try Binary.run([
                "hashset", "add", "--hashsets", sets.path, "--name", "probe", "--hash", "md5:\(md5)", "--id",
                "probe-\(trial)",
            ])
            try #require(add.status == 0, "\(add.stderr)")
            let victim = Process()
            victim.executableURL = Binary.hashmatch
            victim.arguments = ["index", "build", "--hashsets", sets.path]
            victim.standardOutput = FileHandle.nullDevice
            victim.standardError = FileHandle.nullDevice
            try victim.run()
            Thread.sleep(forTimeInterval: Double(random.next() % 1000) / 1000 * longest)
            if victim.isRunning { kill(victim.processIdentifier, SIGKILL) }
            victim.waitUntilExit()
            if victim.terminationReason == .exit && victim.terminationStatus == 0 {
                finished += 1
            } else {
                #expect(victim.terminationReason == .uncaughtSignal, "trial \(trial): index build failed on its own")
                killed += 1
                abandoned += try temporaries().count
            }
            // The snapshot is absent, stale (warned) or current; never damaged; and the newest entry matches.
            let match = try Binary.run(["match", "--hashsets", sets.path, "--format", "jsonl", image])
            #expect(match.status == 1, "trial \(trial): \(match.stderr)")
            #expect(!match.stderr.contains(".hashmatch-index:"), "trial \(trial): damaged snapshot: \(match.stderr)")
            let ids = try EndToEnd.records(match).first.map(EndToEnd.matches)?.compactMap { $0["id"] as? String }
            #expect(ids?.contains("probe-\(trial)") == true, "trial \(trial): \(match.stdout)")
        }
        let last = try Binary.run(["index", "build", "--hashsets", sets.path])
        #expect(last.status == 0, "\(last.stderr)")
        let left = try temporaries()
        #expect(left.isEmpty, "temporary files of killed builds were left: \(left)")
        print(
            "crash safety (index build): \(Self.indexTrials) trials, \(killed) killed, \(finished) finished, "
                + "\(abandoned) temporary files left by kills"
        )
        #expect(killed > 0, "no kill landed: the test proved nothing")
    }

    /// A kill in the middle of `write(2)` is rare (one write per append), so the torn line it would leave
    /// is also made directly: a prefix of a valid line, as a crash leaves it.
    @Test func aTornLastLineIsReportedThenRepairedByTheNextAppend() throws {
        let root = try Binary.temporaryDirectory("hashmatch-torn")
        defer { try? FileManager.default.removeItem(at: root) }
        let pdq = String(repeating: "5a", count: 32)
        let add = try Binary.run([
            "hashset", "add", "--hashsets", root.path, "--name", "torn", "--hash", "pdq:\(pdq)", "--id", "whole",
        ])
        try #require(add.status == 0)
        let file = root.appendingPathComponent("torn.hashset")
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("pdq \(String(repeating: "a5", count: 32)) img-001".utf8))  // "img-0012" cut
        try handle.close()

        let stats = try Binary.run(["hashset", "stats", "--hashsets", root.path, "torn"])
        #expect(stats.status == 0)
        #expect(try EndToEnd.records(stats).first?["entries"] as? Int == 1, "the torn line is not an entry")
        #expect(stats.stderr.contains("torn.hashset:3:"), "\(stats.stderr)")

        let next = try Binary.run([
            "hashset", "add", "--hashsets", root.path, "--name", "torn", "--hash",
            "md5:\(String(repeating: "0", count: 32))",
            "--id", "after",
        ])
        #expect(next.status == 0)
        #expect(next.stderr.contains("repaired a torn last line"))
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasSuffix("pdq \(pdq) whole\nmd5 \(String(repeating: "0", count: 32)) after\n"), "\(text)")
        let clean = try Binary.run(["hashset", "stats", "--hashsets", root.path, "torn"])
        #expect(try EndToEnd.records(clean).first?["issues"] as? Int == 0)
        #expect(try EndToEnd.records(clean).first?["entries"] as? Int == 2)
    }
}

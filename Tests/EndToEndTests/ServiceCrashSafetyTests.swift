import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hashmatch serve` killed with SIGKILL while a client streams admin adds and removes: every change the server
/// answered `ok` survives the restart, every set file loads, and the server starts again on what is on disk.
extension CrashSafetyTests {
    static let serviceTrials = 10

    /// What one client saw acknowledged before the server died.
    struct Acknowledged {
        var added: [String: String] = [:]  // id → PDQ hex
        var removed: Set<String> = []
        /// Removals sent but not answered when the server died: they may or may not have been applied.
        var uncertain: Set<String> = []
    }

    /// Pipelines adds (and, every fourth frame, the removal of an id added earlier) until the connection dies.
    static func streamChanges(to socketPath: String, trial: Int, seed: UInt64) -> Acknowledged {
        var seen = Acknowledged()
        guard let socket = try? FrameSocket(unix: socketPath, timeout: 5) else { return seen }
        var random = SplitMix64(seed: seed)
        var sent: [UInt32: (id: String, hash: String?)] = [:]  // frame id → the change it carries
        var next: UInt32 = 0
        var addedOrder: [String] = []
        while next < 100_000 {
            var batch: [UInt8] = []
            var batchIDs: [UInt32] = []
            for _ in 0..<8 {
                next += 1
                if next % 4 == 0, let victim = addedOrder.popLast() {
                    let payload: [String: Any] = ["set": "admin", "ids": [victim]]
                    guard let body = try? JSONSerialization.data(withJSONObject: payload) else { return seen }
                    batch += FrameSocket.frame(0x32, id: next, [UInt8](body))
                    sent[next] = (victim, nil)
                } else {
                    let id = "t\(trial)-\(next)"
                    let hash = EndToEnd.randomPDQ(&random)
                    let payload: [String: Any] = [
                        "set": "admin", "entries": [["id": id, "algorithm": "pdq", "hash": hash]],
                    ]
                    guard let body = try? JSONSerialization.data(withJSONObject: payload) else { return seen }
                    batch += FrameSocket.frame(0x31, id: next, [UInt8](body))
                    sent[next] = (id, hash)
                }
                batchIDs.append(next)
            }
            let unanswered = { seen.uncertain = Set(sent.values.filter { $0.hash == nil }.map(\.id)) }
            guard (try? socket.write(batch)) != nil else {
                unanswered()
                return seen
            }
            for frame in batchIDs {
                guard let answer = try? socket.receive(), answer.id == frame, answer.status == 0,
                    let change = sent.removeValue(forKey: frame)
                else {
                    unanswered()
                    return seen
                }
                if let hash = change.hash {
                    seen.added[change.id] = hash
                    addedOrder.append(change.id)
                } else {
                    seen.removed.insert(change.id)
                }
            }
        }
        return seen
    }

    @Test(.timeLimit(.minutes(5)))
    func killedServerNeverLosesAcknowledgedAdminChanges() throws {
        let sets = try Binary.temporaryDirectory("hashmatch-crash-serve")
        defer { try? FileManager.default.removeItem(at: sets) }
        var random = SplitMix64(seed: 0x7365_7276_65)
        var acknowledged = Acknowledged()
        var changes = 0
        for trial in 0..<Self.serviceTrials {
            let server = try ServerProcess(hashsets: sets, arguments: ["--watch-interval", "0"])
            let socketPath = server.socketPath
            let seed = random.next()
            nonisolated(unsafe) var seen = Acknowledged()
            let done = DispatchSemaphore(value: 0)
            Thread {
                seen = Self.streamChanges(to: socketPath, trial: trial, seed: seed)
                done.signal()
            }.start()
            Thread.sleep(forTimeInterval: 0.2 + Double(random.next() % 800) / 1000)
            server.kill()
            done.wait()
            #expect(!seen.added.isEmpty, "trial \(trial): nothing was acknowledged before the kill")
            changes += seen.added.count + seen.removed.count
            acknowledged.added.merge(seen.added) { $1 }
            acknowledged.removed.formUnion(seen.removed)
            acknowledged.uncertain.formUnion(seen.uncertain)

            // What is on disk loads (a torn last line is a warning that the next append repairs).
            let stats = try Binary.run(["hashset", "stats", "--hashsets", sets.path, "admin"])
            #expect(stats.status == 0, "trial \(trial): \(stats.stderr)")
        }

        let export = try Binary.run(["hashset", "export", "--hashsets", sets.path, "admin"])
        try #require(export.status == 0, "\(export.stderr)")
        let present = EndToEnd.exportedEntries(export)
        for (id, hash) in acknowledged.added
        where !acknowledged.removed.contains(id) && !acknowledged.uncertain.contains(id) {
            #expect(present[id] == hash, "\(id): acknowledged add lost")
        }
        for id in acknowledged.removed { #expect(present[id] == nil, "\(id): acknowledged removal undone") }
        // A server started on the result serves it.
        let server = try ServerProcess(hashsets: sets)
        let stats = try FrameSocket(unix: server.socketPath).call(0x20, id: 1).json
        #expect((stats["entries"] as? [String: Any])?["pdq"] as? Int == present.count)
        print(
            "crash safety (serve): \(Self.serviceTrials) kills, \(changes) acknowledged changes, "
                + "\(present.count) entries after"
        )
    }
}

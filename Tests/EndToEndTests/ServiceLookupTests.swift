import Foundation
import TestSupport
import Testing

/// Lookup batches large enough against the index to leave the event loop (RequestProcessor.inlineLookupComparisons)
/// answer exactly as small ones do: same order, same matches.
extension ServiceTests {
    @Test func largeLookupBatchesAnswerInOrderFromTheLookupThreads() throws {
        let sets = try Binary.temporaryDirectory("hashmatch-large-lookups")
        defer { try? FileManager.default.removeItem(at: sets) }
        var random = SplitMix64(seed: 0x6c6f_6f6b)
        let known = (0..<20_000).map { _ in EndToEnd.randomPDQ(&random) }
        let list = sets.appendingPathComponent("list.txt")
        try Data((known.joined(separator: "\n") + "\n").utf8).write(to: list)
        let imported = try Binary.run([
            "hashset", "import", "--hashsets", sets.path, "--name", "bulk", "--format", "hex", list.path,
        ])
        try #require(imported.status == 0, "\(imported.stderr)")
        try FileManager.default.removeItem(at: list)
        let server = try ServerProcess(hashsets: sets)
        let socket = try FrameSocket(unix: server.socketPath)

        // 100 PDQ hashes against 20,000 entries: 2M comparisons, twice the inline budget. Even items are entries,
        // odd ones random (a random 256-bit hash is within 31 bits of another with odds below 1e-40).
        let queries = (0..<100).map { index in
            index % 2 == 0 ? known[index * 97] : EndToEnd.randomPDQ(&random)
        }
        let batch = queries.map { ["algorithm": "pdq", "hash": $0] }
        var frames: [UInt8] = []
        for id in 1...8 {
            frames += FrameSocket.frame(
                0x12,
                id: UInt32(id),
                [UInt8](try JSONSerialization.data(withJSONObject: batch))
            )
        }
        try socket.write(frames)
        for id in 1...8 {
            let answer = try #require(try socket.receive())
            #expect(answer.id == UInt32(id) && answer.status == 0)
            let results = try #require(answer.json["results"] as? [[String: Any]])
            try #require(results.count == queries.count)
            for (index, result) in results.enumerated() {
                #expect(result["hash"] as? String == queries[index])
                let matches = result["matches"] as? [[String: Any]] ?? []
                if index % 2 == 0 {
                    #expect(matches.count == 1 && matches.first?["distance"] as? Int == 0, "item \(index)")
                    #expect(matches.first?["id"] as? String == "pdq-\(queries[index])")
                } else {
                    #expect(matches.isEmpty, "item \(index): \(matches)")
                }
            }
        }
    }
}

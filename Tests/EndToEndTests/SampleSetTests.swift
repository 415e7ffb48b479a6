import Foundation
import TestSupport
import Testing

/// The benign sample sets in `hashsets/` do what `hashsets/README.md` and `Scripts/run` promise.
@Suite struct SampleSetTests {
    static let hashsets = Vectors.packageRoot.appendingPathComponent("hashsets").path

    @Test func everySampleSetSaysItIsBenignAndLoadsCleanly() throws {
        let result = try Binary.run(["hashset", "stats", "--hashsets", Self.hashsets])
        #expect(result.status == 0, "\(result.stderr)")
        let sets = try EndToEnd.records(result)
        #expect(sets.compactMap { $0["set"] as? String } == ["benign-imported", "benign-sample"])
        for set in sets {
            let description = set["description"] as? String ?? ""
            #expect(description.contains("generated, benign"), "\(set["set"]!): \(description)")
            #expect(set["issues"] as? Int == 0)
        }
    }

    @Test func theDemoFindsTheOriginalsExactlyAndTheVariantsByDistance() throws {
        let result = try Binary.run([
            "scan", "--hashsets", Self.hashsets, "--format", "jsonl", EndToEnd.images.path, EndToEnd.variants.path,
        ])
        #expect(result.status == 1, "\(result.stderr)")
        let records = try EndToEnd.records(result)
        let images = try FileManager.default.contentsOfDirectory(atPath: EndToEnd.images.path)
        for name in images {
            let record = try #require(EndToEnd.record(records, named: name))
            let md5 = EndToEnd.matches(record).first { $0["algorithm"] as? String == "md5" }
            #expect(md5?["id"] as? String == "\(name):md5" && md5?["distance"] as? Int == 0, "\(name)")
        }
        // Every variant whose PDQ distance to its source is within the threshold (by pdqhash, the reference)
        // and whose quality is trusted matches the source's PDQ entry at exactly that distance; the rest not.
        // (A source whose own PDQ quality is below 50 has no PDQ entry at all.)
        let sources = try Vectors.csvRows(Vectors.fixtures.appendingPathComponent("expected.csv"), header: true)
        let variants = try Vectors.csvRows(Vectors.fixtures.appendingPathComponent("variants.csv"), header: true)
        for row in variants {
            let record = try #require(EndToEnd.record(records, named: row[0]))
            let pdq = EndToEnd.matches(record).first { $0["id"] as? String == "\(row[1]):pdq" }
            let (distance, quality) = (Int(row[7])!, Int(row[6])!)
            let sourceQuality = try #require(sources.first { $0[0] == row[1] }.flatMap { Int($0[7]) })
            if distance <= 31 && quality >= 50 && sourceQuality >= 50 {
                #expect(pdq?["distance"] as? Int == distance, "\(row[0])")
            } else {
                #expect(pdq == nil, "\(row[0])")
            }
        }
    }

    @Test func mirroredAndRotatedVariantsMatchWithDihedral() throws {
        let turned = [
            "large-1024x768.mirror.jpg", "large-1024x768.rot90.jpg", "baseline.mirror.jpg", "baseline.rot90.jpg",
        ]
        let result = try Binary.run(
            ["scan", "--hashsets", Self.hashsets, "--format", "jsonl", "--dihedral"]
                + turned.map { EndToEnd.variants.appendingPathComponent($0).path }
        )
        #expect(result.status == 1)
        for record in try EndToEnd.records(result) {
            let name = URL(fileURLWithPath: record["path"] as! String).lastPathComponent
            let source = name.hasPrefix("baseline") ? "baseline.jpg" : "large-1024x768.jpg"
            let pdq = EndToEnd.matches(record).first { $0["id"] as? String == "\(source):pdq" }
            #expect((pdq?["distance"] as? Int).map { $0 <= 31 } == true, "\(name)")
            #expect(pdq?["variant"] as? String != nil && pdq?["variant"] as? String != "orig")
        }
    }
}

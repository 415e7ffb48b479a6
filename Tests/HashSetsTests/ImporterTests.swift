import Foundation
import HashSets
import PerceptualHashing
import TestSupport
import Testing

/// Every importer against a fixture written in its format's documented layout, with malformed rows.
@Suite struct ImporterTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Vectors.fixtures.appendingPathComponent("hashsets-import/\(name)")))
    }

    /// `(id, algorithm, hex, labels)` of the entries, for compact expectations.
    static func rows(_ entries: [HashSetEntry]) -> [String] {
        entries.map { "\($0.id) \($0.algorithm.rawValue) \($0.value.hex) [\($0.labels.joined(separator: ","))]" }
    }

    @Test func plainHexListInfersTheAlgorithmFromTheLength() throws {
        let result = HexListImporter().parse(try Self.fixture("hex-list.txt"), fileName: "hex-list.txt")
        #expect(
            Self.rows(result.entries) == [
                "pdq-\(Sample.pdqA) pdq \(Sample.pdqA) []",
                "md5-\(Sample.md5A) md5 \(Sample.md5A) []",
                "sha1-\(Sample.sha1A) sha1 \(Sample.sha1A) []",
            ]
        )
        #expect(
            result.issues.map(\.description) == [
                "hex-list.txt:6: 16 hex digits could be phash, dhash or ahash; say which with the algorithm option",
                "hex-list.txt:7: md5 hash has a non-hex character 'g' at position 32",
                "hex-list.txt:9: expected one hash per line, found 2 fields",
                "hex-list.txt:10: cannot tell the algorithm of a 25-character hash (expected 64 for pdq/sha256, 40 for sha1, 32 for md5, 16 for phash/dhash/ahash)",
            ]
        )
        #expect(throws: HashSetError.issues(result.issues)) { try result.strictChanges() }
    }

    @Test func plainHexListWithAGivenAlgorithm() throws {
        let bytes = try Self.fixture("hex-list.txt")
        let phash = HexListImporter(algorithm: .phash, labels: ["l"]).parse(bytes, fileName: "h")
        #expect(Self.rows(phash.entries) == ["phash-\(Sample.phashA) phash \(Sample.phashA) [l]"])
        #expect(phash.issues.first?.description == "h:2: phash hash must be 16 hex digits, found 64")
        let sha256 = HexListImporter(sixtyFourHexDigits: .sha256).parse(bytes, fileName: "h")
        #expect(sha256.entries.first?.algorithm == .sha256)
        #expect(sha256.entries.first?.id == "sha256-\(Sample.pdqA)")
    }

    @Test func threatExchangeLocalFile() throws {
        let result = ThreatExchangeLocalFileImporter().parse(
            try Self.fixture("tx-local-file.txt"),
            fileName: "tx-local-file.txt"
        )
        #expect(
            Self.rows(result.entries) == [
                "pdq-\(Sample.pdqA) pdq \(Sample.pdqA) []",
                "pdq-\(Sample.pdqB) pdq \(Sample.pdqB) []",
                "md5-\(Sample.md5B) md5 \(Sample.md5B) []",
            ]
        )
        let supported = "(hashmatch matches image hashes: pdq, phash, dhash, ahash, md5, sha1, sha256)"
        #expect(
            result.issues.map(\.description) == [
                "tx-local-file.txt:3: signal type 'video_md5' is not supported \(supported)",
                "tx-local-file.txt:4: pdq hash must be 64 hex digits, found 32",
                "tx-local-file.txt:5: expected '<signal_type> <hash>', found one field",
                "tx-local-file.txt:7: signal type 'raw_text' is not supported \(supported)",
            ]
        )
    }

    @Test func threatExchangeLocalFileWithTheCollabsSignalType() {
        let text = "\(Sample.pdqA)\n\(Sample.md5A)\n"
        let result = ThreatExchangeLocalFileImporter(signalType: "pdq").parse(Array(text.utf8), fileName: "f")
        #expect(result.entries.map(\.value.hex) == [Sample.pdqA])
        #expect(result.issues.map(\.description) == ["f:2: pdq hash must be 64 hex digits, found 32"])
    }

    @Test func threatExchangeDatasetCSV() throws {
        let result = ThreatExchangeCSVImporter().parse(try Self.fixture("tx-dataset.csv"), fileName: "tx-dataset.csv")
        let ones = String(repeating: "1", count: 64)
        #expect(
            Self.rows(result.entries) == [
                "pdq-\(Sample.pdqA) pdq \(Sample.pdqA) [sample,benign,generated]",
                "pdq-\(Sample.pdqC) pdq \(Sample.pdqC) []",
                "pdq-\(ones) pdq \(ones) [a,b]",
            ]
        )
        #expect(
            result.issues.map(\.description) == [
                "tx-dataset.csv:4: category NEGATIVE_CLASS (a false positive); not imported",
                "tx-dataset.csv:6: signal type 'url' is not supported (hashmatch matches image hashes: pdq, phash, dhash, ahash, md5, sha1, sha256)",
                "tx-dataset.csv:7: pdq hash must be 64 hex digits, found 32",
                "tx-dataset.csv:8: expected 5 columns, found 3",
            ]
        )
    }

    @Test func threatExchangeCSVWithoutHeaderAndWithTheOlderColumnOrder() {
        let headerless = "pdq,\(Sample.pdqA),c,POSITIVE_CLASS,t\n"
        #expect(
            Self.rows(ThreatExchangeCSVImporter().parse(Array(headerless.utf8), fileName: "a").entries) == [
                "pdq-\(Sample.pdqA) pdq \(Sample.pdqA) [t]"
            ]
        )
        let older = "collab,signal_type,signal_str,category,tags\nc,pdq,\(Sample.pdqB),POSITIVE_CLASS,\n"
        #expect(
            ThreatExchangeCSVImporter().parse(Array(older.utf8), fileName: "b").entries.map(\.value.hex) == [
                Sample.pdqB
            ]
        )
        let unterminated = "pdq,\(Sample.pdqA),c,POSITIVE_CLASS,t\npdq,\"open\n"
        #expect(
            ThreatExchangeCSVImporter().parse(Array(unterminated.utf8), fileName: "u").issues.map(\.description) == [
                "u:2: quoted field is never closed; the rest of the file was skipped"
            ]
        )
    }

    @Test func pdqPhotoHasherOutput() throws {
        let result = PDQPhotoHasherImporter().parse(
            try Self.fixture("pdq-photo-hasher.csv"),
            fileName: "pdq-photo-hasher.csv"
        )
        let threes = String(repeating: "3", count: 64)
        #expect(
            Self.rows(result.entries) == [
                "generated/gradient-001.jpg pdq \(Sample.pdqA) []",
                "generated/with, comma.png pdq \(Sample.pdqB) []",
                "pdq-\(threes) pdq \(threes) []",
            ]
        )
        #expect(
            result.issues.map(\.description) == [
                "pdq-photo-hasher.csv:3: quality 0 is below 50: the hash is not trustworthy; skipped",
                "pdq-photo-hasher.csv:4: pdq hash must be 64 hex digits, found 32",
                "pdq-photo-hasher.csv:5: quality must be a whole number from 0 to 100, found 'high'",
                "pdq-photo-hasher.csv:6: duplicate id 'generated/gradient-001.jpg' with a different hash (first on line 1); skipped",
            ]
        )
    }

    /// Real pdq-photo-hasher output from the reference vectors (its `#` header line is a comment):
    /// every hashed file is imported, and the tool's own error rows are reported, not crashed on.
    @Test(.enabled(if: Vectors.sharedAvailable)) func pdqPhotoHasherReferenceOutput() throws {
        let url = Vectors.shared("pdq/expected/cpp_ref_libjpeg.csv")
        let result = PDQPhotoHasherImporter(minimumQuality: 0).parse(Array(try Data(contentsOf: url)), fileName: "ref")
        let rows = try Vectors.csvRows(url)
        let hashed = rows.filter { $0[0].count == 64 }
        let failed = rows.filter { $0[0].count != 64 }
        #expect(!hashed.isEmpty && !failed.isEmpty)
        #expect(result.entries.map(\.value.hex) == hashed.map { $0[0] })
        #expect(result.entries.map(\.id) == hashed.map { $0[2...].joined(separator: ",") })
        #expect(result.issues.map(\.reason) == failed.map { "the hasher could not hash this file: \($0[0])" })
    }

    @Test func ncmecXML() throws {
        let result = NCMECXMLImporter().parse(try Self.fixture("ncmec-entries.xml"), fileName: "ncmec-entries.xml")
        #expect(
            Self.rows(result.entries) == [
                "ncmec-42-image1.md5 md5 a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1 [A1]",
                "ncmec-42-image1.sha1 sha1 a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1 [A1]",
                "ncmec-42-image1.pdq pdq \(Sample.pdqA) [A1]",
                "ncmec-42-image2.sha1 sha1 b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2 []",
                "ncmec-43-image4.md5 md5 c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4 []",
            ]
        )
        #expect(
            result.removals == [
                .id("ncmec-43-image4.md5"), .id("ncmec-43-image4.sha1"), .id("ncmec-43-image4.pdq"),
            ]
        )
        #expect(
            result.makeSet(name: "ncmec").entries.map(\.id) == [
                "ncmec-42-image1.md5", "ncmec-42-image1.sha1", "ncmec-42-image1.pdq", "ncmec-42-image2.sha1",
            ]
        )
        #expect(
            result.issues.map(\.description) == [
                "ncmec-entries.xml:13: pdna (PhotoDNA) fingerprints are not supported by hashmatch; 2 skipped (first here)",
                "ncmec-entries.xml:22: md5 hash must be 32 hex digits, found 31",
                "ncmec-entries.xml:40: image has no <id>; skipped",
                "ncmec-entries.xml:48: video entries are not supported by hashmatch; 1 skipped (first here)",
            ]
        )
    }

    @Test func ncmecXMLThatIsNotWellFormedKeepsWhatCameBeforeAndSaysWhere() throws {
        let bytes = try Self.fixture("ncmec-entries.xml")
        let cut = Array(bytes[0..<(bytes.count / 2)])
        let result = NCMECXMLImporter().parse(cut, fileName: "cut.xml")
        #expect(result.entries.map(\.id).starts(with: ["ncmec-42-image1.md5"]))
        #expect(result.issues.last?.reason.hasPrefix("invalid XML") == true)
        #expect(result.issues.last?.line != nil)
    }

    @Test func stopNCIIJSON() throws {
        let result = StopNCIIJSONImporter().parse(
            try Self.fixture("stopncii-fetchhashes.json"),
            fileName: "stopncii.json"
        )
        #expect(
            result.changes == [
                .add(
                    HashSetEntry(
                        id: "pdq-\(Sample.pdqA)",
                        algorithm: .pdq,
                        value: try HashAlgorithm.pdq.parse(Sample.pdqA)
                    )
                ),
                .add(
                    HashSetEntry(
                        id: "pdq-\(Sample.pdqB)",
                        algorithm: .pdq,
                        value: try HashAlgorithm.pdq.parse(Sample.pdqB)
                    )
                ),
                .remove(.hash(.pdq, try HashAlgorithm.pdq.parse(Sample.pdqB))),
            ]
        )
        #expect(result.makeSet(name: "s").entries.map(\.id) == ["pdq-\(Sample.pdqA)"])
        #expect(
            result.issues.map(\.description) == [
                "stopncii.json:16: pdq hash must be 64 hex digits, found 32",
                "stopncii.json:17: signalType 'VideoMD5' is not supported (only ImagePDQ)",
                "stopncii.json:19: hash record has no \"hashValue\" string",
                "stopncii.json:20: hashStatus 'Unknown' is not Active, Received, Withdrawn or Deleted; skipped",
            ]
        )
    }

    @Test func techAgainstTerrorismJSON() throws {
        let result = TechAgainstTerrorismJSONImporter().parse(
            try Self.fixture("tat-hash-list.json"),
            fileName: "tat.json"
        )
        #expect(
            Self.rows(result.entries) == [
                "tat-2819 md5 \(Sample.md5A) [sample-ideology]",
                "tat-2820 sha256 \(Sample.sha256A) [sample-ideology]",
                "tat-2821 pdq \(Sample.pdqA) [other-sample]",
            ]
        )
        #expect(result.removals == [.hash(.md5, try HashAlgorithm.md5.parse(Sample.md5A))])
        #expect(result.makeSet(name: "t").entries.map(\.id) == ["tat-2820", "tat-2821"])
        #expect(
            result.issues.map(\.description) == [
                "tat.json:10: md5 hash must be 32 hex digits, found 6",
                "tat.json:12: algorithm 'TMK' is not supported (MD5, SHA1, SHA256, PDQ)",
                "tat.json:13: record has no \"hash_digest\" string",
            ]
        )
    }

    @Test func brokenJSONIsOneIssueWithItsLine() {
        let text = "{\n  \"results\": [\n    {\"hash_digest\": \"abc\",\n"
        let result = TechAgainstTerrorismJSONImporter().parse(Array(text.utf8), fileName: "b.json")
        #expect(result.changes == [])
        #expect(result.issues.map(\.description) == ["b.json:4: invalid JSON: unexpected end of input in an object"])
        let deep = String(repeating: "[", count: 100_000)
        #expect(StopNCIIJSONImporter().parse(Array(deep.utf8), fileName: "d").issues.count == 1)
    }

    static let fixtureNames = [
        "hex-list.txt", "tx-local-file.txt", "tx-dataset.csv", "pdq-photo-hasher.csv", "ncmec-entries.xml",
        "stopncii-fetchhashes.json", "tat-hash-list.json",
    ]

    static func runAllImporters(_ bytes: [UInt8]) -> Int {
        var changes = 0
        changes += HexListImporter().parse(bytes, fileName: "f").changes.count
        changes += ThreatExchangeLocalFileImporter().parse(bytes, fileName: "f").changes.count
        changes += ThreatExchangeCSVImporter().parse(bytes, fileName: "f").changes.count
        changes += PDQPhotoHasherImporter().parse(bytes, fileName: "f").changes.count
        changes += StopNCIIJSONImporter().parse(bytes, fileName: "f").changes.count
        changes += TechAgainstTerrorismJSONImporter().parse(bytes, fileName: "f").changes.count
        changes += (try? HashSetFormat.parse(bytes, name: "f", fileName: "f"))?.set.count ?? 0
        return changes
    }

    /// No input crashes an importer: every prefix of every fixture, through every importer.
    @Test(arguments: fixtureNames) func everyPrefixOfEveryFixtureIsSurvived(name: String) throws {
        let bytes = try Self.fixture(name)
        for length in 0...bytes.count {
            _ = Self.runAllImporters(Array(bytes[0..<length]))
        }
        // XMLParser is slower; a stride of prefixes is enough to cover every kind of cut.
        for length in stride(from: 0, through: bytes.count, by: 13) {
            _ = NCMECXMLImporter().parse(Array(bytes[0..<length]), fileName: "f")
        }
    }

    @Test func randomBytesAndMutatedFixturesAreSurvived() throws {
        var generator = SplitMix64(seed: 0x4861_7368_4D61_7463)
        for name in Self.fixtureNames {
            let original = try Self.fixture(name)
            for _ in 0..<60 {
                var bytes = original
                for _ in 0..<8 {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                }
                _ = Self.runAllImporters(bytes)
                _ = NCMECXMLImporter().parse(bytes, fileName: "f")
            }
        }
        for _ in 0..<200 {
            let bytes = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = Self.runAllImporters(bytes)
        }
    }
}

/// A small deterministic generator, so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

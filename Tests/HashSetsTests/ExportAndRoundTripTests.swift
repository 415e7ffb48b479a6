import Foundation
import HashSets
import PerceptualHashing
import Testing

@Suite struct ExportAndRoundTripTests {
    func sampleSet() throws -> HashSet {
        HashSet(
            name: "benign-sample",
            settings: HashSetSettings(defaultLabels: ["generated"]),
            entries: [
                HashSetEntry(
                    id: "a",
                    algorithm: .pdq,
                    value: try HashAlgorithm.pdq.parse(Sample.pdqA),
                    labels: ["x y"]
                ),
                HashSetEntry(id: "b", algorithm: .md5, value: try HashAlgorithm.md5.parse(Sample.md5A)),
                HashSetEntry(id: "c", algorithm: .pdq, value: try HashAlgorithm.pdq.parse(Sample.pdqB)),
            ]
        )
    }

    @Test func threatExchangeCSVExportIsTheDatasetLayoutAndReadsBack() throws {
        let set = try sampleSet()
        let export = ThreatExchangeExporter.csv(set)
        #expect(
            export.text == """
                signal_type,signal_str,collab,category,tags
                pdq,\(Sample.pdqA),benign-sample,POSITIVE_CLASS,generated x_y
                pdq,\(Sample.pdqB),benign-sample,POSITIVE_CLASS,generated

                """
        )
        #expect(export.skipped.map(\.id) == ["b"])
        let back = ThreatExchangeCSVImporter().parse(Array(export.text.utf8), fileName: "e.csv")
        #expect(back.issues == [])
        #expect(back.entries.map(\.value.hex) == [Sample.pdqA, Sample.pdqB])
        #expect(back.entries.map(\.labels) == [["generated", "x_y"], ["generated"]])

        let all = ThreatExchangeExporter.csv(set, includeAllAlgorithms: true)
        #expect(all.skipped == [])
        #expect(ThreatExchangeCSVImporter().parse(Array(all.text.utf8), fileName: "e").entries.count == 3)
        #expect(ThreatExchangeExporter.localFile(set).text == "pdq \(Sample.pdqA)\npdq \(Sample.pdqB)\n")
    }

    @Test func csvFieldsWithCommasAndQuotesAreQuoted() throws {
        let set = HashSet(
            name: "a,\"b\"",
            entries: [HashSetEntry(id: "a", algorithm: .pdq, value: try HashAlgorithm.pdq.parse(Sample.pdqA))]
        )
        let text = ThreatExchangeExporter.csv(set).text
        #expect(text.hasSuffix("pdq,\(Sample.pdqA),\"a,\"\"b\"\"\",POSITIVE_CLASS,\n"))
        #expect(ThreatExchangeCSVImporter().parse(Array(text.utf8), fileName: "q").issues == [])
    }

    /// Import, append to a native file, reload: the file holds what the import meant, tombstones included.
    @Test func importedChangesAppendedToANativeFileReloadIdentically() throws {
        let dir = try TemporaryDirectory()
        let imported = try ImporterTests.fixture("ncmec-entries.xml")
        let result = NCMECXMLImporter().parse(imported, fileName: "ncmec-entries.xml")
        var file = try HashSetFile.create(dir.file("ncmec.hashset"))
        let summary = try file.append(result.changes)
        #expect(summary.added == 5)
        #expect(summary.removed == 1)
        #expect(summary.unchanged == 2)  // the tombstones for image4's sha1 and pdq name nothing
        let reloaded = try HashSetFile.load(dir.file("ncmec.hashset"))
        #expect(reloaded.issues == [])
        #expect(reloaded.set.entries == result.makeSet(name: "ncmec").entries)
        // Appending the same import again (a retry after a crash) ends in the same set: present entries
        // are skipped; only image4, added then deleted within the import, is replayed.
        #expect(try file.append(result.changes) == HashSetFile.AppendSummary(added: 1, removed: 1, unchanged: 6))
        #expect(try HashSetFile.load(dir.file("ncmec.hashset")).set.entries == result.makeSet(name: "ncmec").entries)
    }

    @Test func strictImportsRefuseAnyIssueBeforeAnythingIsWritten() throws {
        let result = HexListImporter().parse(Array("\(Sample.pdqA)\nnot-a-hash\n".utf8), fileName: "l.txt")
        #expect(
            throws: HashSetError.issues([
                HashSetIssue(
                    file: "l.txt",
                    line: 2,
                    reason:
                        "cannot tell the algorithm of a 10-character hash (expected 64 for pdq/sha256, 40 for sha1, 32 for md5, 16 for phash/dhash/ahash)"
                )
            ])
        ) {
            try result.strictChanges()
        }
    }

    @Test func xmlWithADocumentTypeDeclarationIsRefused() {
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
            <queryResult><images><image><id>&lol2;</id></image></images></queryResult>
            """
        let result = NCMECXMLImporter().parse(Array(text.utf8), fileName: "x.xml")
        #expect(result.changes == [])
        #expect(
            result.issues.map(\.description) == [
                "x.xml:2: invalid XML (document type declarations are not accepted); the rest of the file was skipped"
            ]
        )
    }

    @Test func xmlEntitiesCDATAAndMismatchedTags() {
        let text = """
            <queryResult><images>
            <image><member id="a&amp;b"/><id>x&#x41;&lt;</id><fingerprints><md5><![CDATA[0123456789abcdef0123456789abcdef]]></md5></fingerprints></image>
            <image><id>y</id></imag>
            """
        let result = NCMECXMLImporter().parse(Array(text.utf8), fileName: "m.xml")
        #expect(result.entries.map(\.id) == ["ncmec-a&b-xA<.md5"])
        #expect(result.entries.first?.value.hex == Sample.md5A)
        #expect(
            result.issues.map(\.description) == [
                "m.xml:3: invalid XML (</imag> closes <image>); the rest of the file was skipped"
            ]
        )
    }
}

import Foundation
import HashSets
import MatchService
import Matching
import PerceptualHashing
import Testing

/// The catalogue's admin changes against the folder it serves: what the file holds, what the index answers, and
/// when the folder counts as changed.
@Suite struct CatalogueTests {
    static let pdqA = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    static let pdqB = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
    static let pdqC = "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"

    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalogue-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "#hashmatch-hashset v1\npdq \(Self.pdqA) a\n".write(
            toFile: "\(directory)/s.hashset",
            atomically: true,
            encoding: .utf8
        )
    }

    func ids(_ catalogue: Catalogue, _ hex: String) throws -> [String] {
        catalogue.snapshot?.matcher.lookup(try HashAlgorithm.pdq.parse(hex), algorithm: .pdq).map(\.id) ?? []
    }

    /// Appends to the set's file as another writer would, behind the catalogue's back.
    func appendOutside(_ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: "\(directory)/s.hashset"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func entry(_ id: String, _ hex: String) throws -> HashSetEntry {
        HashSetEntry(id: id, algorithm: .pdq, value: try HashAlgorithm.pdq.parse(hex), labels: [])
    }

    @Test func adminChangesReachTheFileAndTheIndexWithoutCountingAsAFolderChange() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalogue = Catalogue(directory: directory, thresholds: MatchThresholds())
        try catalogue.reload()
        let summary = try catalogue.add([try entry("b", Self.pdqB), try entry("a", Self.pdqA)], toSet: "s")
        #expect(summary.added == 1 && summary.unchanged == 1)
        #expect(try ids(catalogue, Self.pdqB) == ["b"])
        #expect(try catalogue.remove(ids: ["a", "absent"], fromSet: "s") == 1)
        #expect(try ids(catalogue, Self.pdqA) == [])
        #expect(catalogue.snapshot?.generation == 3)
        // Our own writes are recorded: a watcher that looks now finds nothing to reload.
        #expect(!catalogue.folderChanged())
        #expect(try catalogue.reloadIfFolderChanged() == nil)
        let text = try String(contentsOfFile: "\(directory)/s.hashset", encoding: .utf8)
        #expect(text == "#hashmatch-hashset v1\npdq \(Self.pdqA) a\npdq \(Self.pdqB) b\nremove a\n")
    }

    @Test func aDuplicateIDChangesNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalogue = Catalogue(directory: directory, thresholds: MatchThresholds())
        try catalogue.reload()
        let error = #expect(throws: ServiceError.self) { try catalogue.add([try entry("a", Self.pdqB)], toSet: "s") }
        #expect(error?.code == "duplicate_id")
        #expect(try ids(catalogue, Self.pdqA) == ["a"])
        #expect(try ids(catalogue, Self.pdqB) == [])
        #expect(catalogue.snapshot?.generation == 1)
    }

    /// A change written by another writer (the CLI) just before an admin change is served too: the admin change
    /// reloads first instead of recording the file as loaded.
    @Test func anAdminChangeRightAfterAnOutsideOneServesBoth() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalogue = Catalogue(directory: directory, thresholds: MatchThresholds())
        try catalogue.reload()
        try appendOutside("pdq \(Self.pdqC) c\n")
        _ = try catalogue.add([try entry("b", Self.pdqB)], toSet: "s")
        #expect(try ids(catalogue, Self.pdqC) == ["c"])
        #expect(try ids(catalogue, Self.pdqB) == ["b"])
        #expect(!catalogue.folderChanged())
    }

    @Test func aChangeFromOutsideIsReloaded() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalogue = Catalogue(directory: directory, thresholds: MatchThresholds())
        try catalogue.reload()
        try appendOutside("pdq \(Self.pdqC) c\n")
        #expect(catalogue.folderChanged())
        let summary = try #require(try catalogue.reloadIfFolderChanged())
        #expect(summary.generation == 2)
        #expect(try ids(catalogue, Self.pdqC) == ["c"])
        #expect(try catalogue.reloadIfFolderChanged() == nil)
    }
}

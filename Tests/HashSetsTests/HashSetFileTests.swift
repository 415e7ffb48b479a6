import Foundation
import HashSets
import PerceptualHashing
import Testing

@Suite struct HashSetFileTests {
    func entry(
        _ id: String,
        _ algorithm: HashAlgorithm,
        _ hex: String,
        _ labels: [String] = []
    ) throws
        -> HashSetEntry
    {
        HashSetEntry(id: id, algorithm: algorithm, value: try algorithm.parse(hex), labels: labels)
    }

    @Test func createAppendAndReloadWriteExactlyTheDocumentedLines() throws {
        let dir = try TemporaryDirectory()
        var file = try HashSetFile.create(
            dir.file("demo.hashset"),
            settings: HashSetSettings(description: "demo", maxDistance: [.pdq: 31]),
            entries: [try entry("a", .pdq, Sample.pdqA, ["x"])]
        )
        let summary = try file.add([try entry("b", .md5, Sample.md5A), try entry("a", .pdq, Sample.pdqA, ["x"])])
        #expect(summary == HashSetFile.AppendSummary(added: 1, removed: 0, unchanged: 1, repairedBytes: 0))
        try file.remove(ids: ["a", "never-there"])
        #expect(
            try dir.read("demo.hashset") == """
                #hashmatch-hashset v1
                #set description=demo
                #set threshold.pdq=31
                pdq \(Sample.pdqA) a x
                md5 \(Sample.md5A) b
                remove a

                """
        )
        let reloaded = try HashSetFile.load(dir.file("demo.hashset"))
        #expect(reloaded.issues == [])
        #expect(reloaded.set.name == "demo")
        #expect(reloaded.set.entries == file.set.entries)
        #expect(reloaded.set.entries.map(\.id) == ["b"])
        #expect(reloaded.set.settings.maxDistance == [.pdq: 31])
    }

    @Test func createRefusesToReplaceAnExistingFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write("x.hashset", "#hashmatch-hashset v1\n")
        #expect(throws: HashSetError.self) { try HashSetFile.create(dir.file("x.hashset")) }
        #expect(try dir.read("x.hashset") == "#hashmatch-hashset v1\n")
    }

    /// The on-disk state a crash mid-append leaves is a prefix of the last line. Simulate each kind
    /// of prefix, then check load ignores it and the next append truncates it before writing.
    @Test(arguments: [
        "p",  // one byte of a line
        "pdq \(Sample.pdqB.prefix(20))",  // inside the hash
        "pdq \(Sample.pdqB) torn-i",  // inside the id: a valid-looking line with the wrong id
        "pdq \(Sample.pdqB) torn-id a,b",  // the whole line but its newline
        "pdq \(Sample.pdqB) torn-id a,b\r",
    ])
    func tornLastLineIsIgnoredThenRepairedBeforeTheNextAppend(tail: String) throws {
        let dir = try TemporaryDirectory()
        _ = try HashSetFile.create(dir.file("t.hashset"), entries: [try entry("a", .pdq, Sample.pdqA)])
        let clean = try dir.read("t.hashset")
        try dir.appendRaw("t.hashset", tail)

        var file = try HashSetFile.load(dir.file("t.hashset"))
        #expect(file.set.entries.map(\.id) == ["a"])
        #expect(file.issues.count == 1)
        #expect(file.issues.first?.line == 3)
        #expect(file.issues.first?.reason.hasPrefix("incomplete last line") == true)

        let summary = try file.add([try entry("b", .md5, Sample.md5A)])
        #expect(summary.repairedBytes == tail.utf8.count)
        #expect(try dir.read("t.hashset") == clean + "md5 \(Sample.md5A) b\n")
        let reloaded = try HashSetFile.load(dir.file("t.hashset"))
        #expect(reloaded.issues == [])
        #expect(reloaded.set.entries.map(\.id) == ["a", "b"])
    }

    @Test func aDuplicateIDWritesNothing() throws {
        let dir = try TemporaryDirectory()
        var file = try HashSetFile.create(dir.file("d.hashset"), entries: [try entry("a", .pdq, Sample.pdqA)])
        let before = try dir.read("d.hashset")
        #expect(throws: HashSetError.duplicateID(set: "d", id: "a")) {
            try file.add([try entry("b", .md5, Sample.md5A), try entry("a", .pdq, Sample.pdqB)])
        }
        #expect(try dir.read("d.hashset") == before)
        #expect(file.set.entries.map(\.id) == ["a"])
    }

    /// Hash lists are sensitive: a new set file is never world-readable, and compaction keeps a mode an
    /// administrator tightened (it once recreated the file 0644 less the umask).
    @Test func setFilesAreNotWorldReadableAndCompactionKeepsTheirMode() throws {
        func mode(_ path: String) throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        let dir = try TemporaryDirectory()
        let path = dir.file("private.hashset")
        var file = try HashSetFile.create(
            path,
            settings: HashSetSettings(),
            entries: [try entry("a", .md5, Sample.md5A)]
        )
        let created = try mode(path)
        #expect(created & 0o007 == 0, "created \(String(created, radix: 8))")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try file.add([try entry("b", .pdq, Sample.pdqA)])
        try file.remove(ids: ["a"])
        try file.compact()
        #expect(try mode(path) == 0o600)
        #expect(try HashSetFile.load(path).set.entries.map(\.id) == ["b"])
    }

    @Test func compactionKeepsOnlyLiveEntriesAndCurrentSettings() throws {
        let dir = try TemporaryDirectory()
        try dir.write(
            "c.hashset",
            """
            #hashmatch-hashset v1
            # comment dropped by compaction
            #set threshold.pdq=20
            pdq \(Sample.pdqA) a
            md5 \(Sample.md5A) b l1
            remove a
            #set threshold.pdq=25
            sha1 \(Sample.sha1A) c
            -md5 \(Sample.md5A)

            """
        )
        var file = try HashSetFile.load(dir.file("c.hashset"))
        try file.compact()
        #expect(
            try dir.read("c.hashset") == """
                #hashmatch-hashset v1
                #set threshold.pdq=25
                sha1 \(Sample.sha1A) c

                """
        )
        // No temporary file is left beside it.
        #expect(try HashSetStore(directory: dir.path).setNames() == ["c"])
        #expect(try DirectoryListing.names(dir.path) == ["c.hashset"])
    }

    /// A writer killed between creating its temporary file and renaming it leaves `.<name>.<pid>.<n>.tmp` behind;
    /// the next rewrite of the same file deletes it once that pid is gone, and leaves a live writer's alone.
    @Test func aRewriteSweepsTheTemporaryFilesOfDeadWriters() throws {
        let dir = try TemporaryDirectory()
        var file = try HashSetFile.create(
            dir.file("c.hashset"),
            settings: HashSetSettings(),
            entries: [try entry("a", .md5, Sample.md5A)]
        )
        let gone: Int32 = 4_194_305  // above Linux's largest possible pid (2^22), so no process has it
        let dead = ".c.hashset.\(gone).12345.tmp"
        let live = ".c.hashset.1.67890.tmp"  // pid 1 is always running
        let unrelated = ".other.hashset.\(gone).1.tmp"
        for name in [dead, live, unrelated] { try dir.write(name, "partial") }
        try file.compact()
        #expect(try DirectoryListing.names(dir.path) == [live, unrelated, "c.hashset"].sorted())
    }

    @Test func updatingSettingsAppendsLinesThatReloadToTheSameSettings() throws {
        let dir = try TemporaryDirectory()
        var file = try HashSetFile.create(
            dir.file("s.hashset"),
            settings: HashSetSettings(description: "old", maxDistance: [.pdq: 31], defaultLabels: ["l"])
        )
        let new = HashSetSettings(maxDistance: [.phash: 6], enabledAlgorithms: [.phash])
        try file.updateSettings(new)
        #expect(try HashSetFile.load(dir.file("s.hashset")).set.settings == new)
    }

    @Test func storeLoadsEveryFileAndReportsBadOnesWithoutFailing() throws {
        let dir = try TemporaryDirectory()
        let store = HashSetStore(directory: dir.path)
        _ = try store.create("one", entries: [try entry("a", .pdq, Sample.pdqA)])
        _ = try store.create("two", settings: HashSetSettings(defaultLabels: ["t"]))
        try dir.write("broken.hashset", "pdq \(Sample.pdqA) a\n")
        try dir.write("notes.txt", "not a set\n")
        try dir.write("two.hashset", try dir.read("two.hashset") + "md5 \(Sample.pdqA) bad\n")

        let load = try store.loadAll()
        #expect(load.sets.map(\.name) == ["one", "two"])
        #expect(load.sets[0].entries.map(\.id) == ["a"])
        #expect(
            load.issues.map(\.description) == [
                "broken.hashset: not a hashmatch hash-set file: missing header line '#hashmatch-hashset v1'",
                "two.hashset:3: md5 hash must be 32 hex digits, found 64",
            ]
        )
        #expect(throws: HashSetError.setExists("one")) { try store.create("one") }
        #expect(throws: HashSetError.invalidSetName("../escape")) { try store.create("../escape") }
        #expect(throws: HashSetError.noSuchSet("three")) { try store.open("three") }
        #expect(try store.open("one").set.count == 1)
    }
}

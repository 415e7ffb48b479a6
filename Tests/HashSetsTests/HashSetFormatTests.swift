import HashSets
import PerceptualHashing
import Testing

@Suite struct HashSetFormatTests {
    func parse(_ text: String, name: String = "sample") throws -> HashSetParseResult {
        try HashSetFormat.parse(Array(text.utf8), name: name, fileName: "\(name).hashset")
    }

    @Test func parsesSettingsEntriesCommentsAndTombstones() throws {
        let text = """
            #hashmatch-hashset v1
            #set description=Benign sample set built from generated test images
            #set threshold.pdq=31
            #set threshold.phash=8
            #set algorithms=pdq,md5,phash
            #set labels=sample,benign
            # a comment
            pdq \(Sample.pdqA) img-0001 cat,outdoor

            md5 \(Sample.md5A) img-0001.md5
            phash \(Sample.phashA) img-0002 a%2Cb,100%25,two%20words
            pdq \(Sample.pdqB) img-0003
            md5 \(Sample.md5B) img-0004
            remove img-0003
            -md5 \(Sample.md5B)

            """
        let result = try parse(text)
        #expect(result.issues == [])
        #expect(result.tornTailLength == 0)
        #expect(result.completeLength == text.utf8.count)
        let set = result.set
        #expect(set.name == "sample")
        #expect(set.settings.description == "Benign sample set built from generated test images")
        #expect(set.settings.maxDistance == [.pdq: 31, .phash: 8])
        #expect(set.settings.enabledAlgorithms == [.pdq, .md5, .phash])
        #expect(set.settings.defaultLabels == ["sample", "benign"])
        #expect(set.entries.map(\.id) == ["img-0001", "img-0001.md5", "img-0002"])
        #expect(set.entries[0].algorithm == .pdq)
        #expect(set.entries[0].value.hex == Sample.pdqA)
        #expect(set.entries[0].labels == ["cat", "outdoor"])
        #expect(set.entries[1].algorithm == .md5)
        #expect(set.entries[1].labels == [])
        #expect(set.entries[2].labels == ["a,b", "100%", "two words"])
        #expect(set.labels(for: set.entries[0]) == ["sample", "benign", "cat", "outdoor"])
    }

    /// What the writer writes, the parser reads back: labels that start with a combining mark stay labels (a blank
    /// and a combining mark are one Character, so splitting on Characters glued the label to the id).
    @Test func entriesWithCombiningMarksRoundTrip() throws {
        let entries = try [
            HashSetEntry(id: "a", algorithm: .pdq, value: HashAlgorithm.pdq.parse(Sample.pdqA), labels: ["\u{301}x"]),
            HashSetEntry(id: "cafe\u{301}", algorithm: .md5, value: HashAlgorithm.md5.parse(Sample.md5A), labels: []),
        ]
        let text = HashSetFormat.render(HashSet(name: "m", entries: entries))
        let parsed = try parse(text, name: "m")
        #expect(parsed.issues == [])
        #expect(parsed.set.entries == entries)
        #expect(parsed.set.entries.map { $0.id.unicodeScalars.count } == [1, 5])
    }

    @Test func reportsEveryBadLineWithItsNumberAndKeepsTheRest() throws {
        let text = """
            #hashmatch-hashset v1
            pdq \(Sample.md5A) short-pdq
            pdq \(Sample.pdqA) ok-1
            pdq \(Sample.pdqB) ok-1
            whash \(Sample.phashA) w
            md5 \(Sample.md5A.dropLast())z bad-char
            md5 \(Sample.md5A)
            md5 \(Sample.md5A) id labels extra
            md5 \(Sample.md5B) bad%2 x
            md5 \(Sample.md5B) empty-label a,,b
            #set threshold.pdq=300
            #set threshold.md5=3
            #set colour=blue
            #set algorithms=pdq,nope
            pdq \(Sample.pdqA) ok-1
            remove
            -pdq \(Sample.md5A)
            md5 \(Sample.md5B) ok-2

            """
        let result = try parse(text, name: "list")
        #expect(
            result.issues.map(\.description) == [
                "list.hashset:2: pdq hash must be 64 hex digits, found 32",
                "list.hashset:4: duplicate id 'ok-1' (already used on line 3); ignored",
                "list.hashset:5: unknown algorithm 'whash' (known: pdq, phash, dhash, ahash, md5, sha1, sha256)",
                "list.hashset:6: md5 hash has a non-hex character 'z' at position 32",
                "list.hashset:7: an entry is '<algorithm> <hex> <id> [labels]', found 2 fields",
                "list.hashset:8: an entry is '<algorithm> <hex> <id> [labels]', found 5 fields",
                "list.hashset:9: id 'bad%2' has a malformed %-escape",
                "list.hashset:10: empty label in 'a,,b'",
                "list.hashset:11: threshold.pdq must be a whole number of bits from 0 to 256, found '300'",
                "list.hashset:12: md5 is matched exactly; it takes no threshold",
                "list.hashset:13: unknown setting 'colour'; ignored",
                "list.hashset:14: unknown algorithm 'nope' (known: pdq, phash, dhash, ahash, md5, sha1, sha256)",
                "list.hashset:15: entry 'ok-1' repeats line 3 exactly; ignored",
                "list.hashset:16: a removal by id is 'remove <id>', found 0 fields after 'remove'",
                "list.hashset:17: pdq hash must be 64 hex digits, found 32",
            ]
        )
        #expect(result.set.entries.map(\.id) == ["ok-1", "ok-2"])
        #expect(result.set.entries[0].value.hex == Sample.pdqA)
        #expect(result.set.settings.maxDistance == [:])
        #expect(result.set.settings.enabledAlgorithms == nil)
    }

    @Test func rejectsFilesWithoutTheV1Header() {
        #expect(
            throws: HashSetError.notAHashSet(file: "x.hashset", reason: "missing header line '#hashmatch-hashset v1'")
        ) {
            try parse("pdq \(Sample.pdqA) a\n", name: "x")
        }
        #expect(throws: HashSetError.self) { try parse("", name: "x") }
        #expect(
            throws: HashSetError.notAHashSet(
                file: "x.hashset",
                reason: "unsupported version '#hashmatch-hashset v2'; this hashmatch reads '#hashmatch-hashset v1'"
            )
        ) {
            try parse("#hashmatch-hashset v2\n", name: "x")
        }
    }

    @Test func ignoresAndReportsATornLastLine() throws {
        let clean = "#hashmatch-hashset v1\npdq \(Sample.pdqA) a\n"
        let torn = clean + "md5 \(Sample.md5A) b"  // a whole-looking line, but no newline: torn
        let result = try parse(torn)
        #expect(result.set.entries.map(\.id) == ["a"])
        #expect(result.completeLength == clean.utf8.count)
        #expect(result.tornTailLength == torn.utf8.count - clean.utf8.count)
        #expect(
            result.issues.map(\.description) == [
                "sample.hashset:3: incomplete last line (no newline; torn by an interrupted write) ignored: 38 bytes"
            ]
        )
    }

    /// Every prefix of a valid file is what a crash during appends can leave: each must load,
    /// keeping exactly the entries whose lines are complete.
    @Test func everyPrefixOfAValidFileLoadsItsCompleteLines() throws {
        let header = "#hashmatch-hashset v1\n"
        let lines = [
            ("pdq \(Sample.pdqA) first a,b\n", "+first"),
            ("md5 \(Sample.md5A) second\n", "+second"),
            ("remove first\n", "-first"),
            ("sha1 \(Sample.sha1A) third x\n", "+third"),
        ]
        let full = Array((header + lines.map(\.0).joined()).utf8)
        for length in header.utf8.count...full.count {
            let result = try HashSetFormat.parse(Array(full[0..<length]), name: "p", fileName: "p.hashset")
            var complete = header.utf8.count
            var expected: [String] = []
            for (line, effect) in lines {
                guard complete + line.utf8.count <= length else { break }
                complete += line.utf8.count
                if effect.hasPrefix("+") {
                    expected.append(String(effect.dropFirst()))
                } else {
                    expected.removeAll { $0 == effect.dropFirst() }
                }
            }
            #expect(result.set.entries.map(\.id) == expected, "prefix of \(length) bytes")
            #expect(result.completeLength == complete)
            #expect(result.issues.count == (length == complete ? 0 : 1))
        }
    }

    @Test func renderThenParseRoundTrips() throws {
        let settings = HashSetSettings(
            description: "Round trip\nwith a newline",
            maxDistance: [.pdq: 31, .dhash: 10],
            enabledAlgorithms: [.pdq, .dhash, .sha256],
            defaultLabels: ["a b", "c,d"]
        )
        let entries = [
            HashSetEntry(id: "id with spaces", algorithm: .pdq, value: try HashAlgorithm.pdq.parse(Sample.pdqA)),
            HashSetEntry(
                id: "ünïcode/100%",
                algorithm: .dhash,
                value: try HashAlgorithm.dhash.parse(Sample.phashA),
                labels: ["x", "tab\there", "comma,label"]
            ),
            HashSetEntry(id: "s", algorithm: .sha256, value: try HashAlgorithm.sha256.parse(Sample.sha256A)),
        ]
        let set = HashSet(name: "rt", settings: settings, entries: entries)
        let text = HashSetFormat.render(set)
        #expect(
            text == """
                #hashmatch-hashset v1
                #set description=Round trip with a newline
                #set threshold.pdq=31
                #set threshold.dhash=10
                #set algorithms=pdq,dhash,sha256
                #set labels=a%20b,c%2Cd
                pdq \(Sample.pdqA) id%20with%20spaces
                dhash \(Sample.phashA) ünïcode/100%25 x,tab%09here,comma%2Clabel
                sha256 \(Sample.sha256A) s

                """
        )
        let parsed = try parse(text, name: "rt")
        #expect(parsed.issues == [])
        #expect(parsed.set.entries == entries)
        var expectedSettings = settings
        expectedSettings.description = "Round trip with a newline"
        #expect(parsed.set.settings == expectedSettings)
    }

    /// Found by Fuzz/FuzzImporters: a description starting or ending with a newline other than "\n" (here a vertical
    /// tab, which the parser keeps) was rendered with a space there, which the next parse trims, so compaction
    /// changed the description every time. Rendering must be a fixed point: parse(render(s)) renders to the same text.
    @Test func renderingADescriptionWithEdgeNewlinesIsStable() throws {
        for description in ["\u{0B}\u{00}pdq-sample", "tail\u{0C}", "\u{85}both\u{2028}", "\u{0B}"] {
            let set = HashSet(name: "d", settings: HashSetSettings(description: description))
            let rendered = HashSetFormat.render(set)
            let again = try parse(rendered, name: "d")
            #expect(again.issues == [])
            #expect(HashSetFormat.render(again.set) == rendered, "description \(description.debugDescription)")
        }
        // The fuzzer's input, from its native-format selector byte on.
        let found: [UInt8] =
            Array("#hashmatch-hashset v1\n#set description=".utf8) + [0x0B, 0, 0, 0, 0, 0, 0, 0]
            + Array("thon-threatexchange CSV\n".utf8)
        let parsed = try HashSetFormat.parse(found, name: "d", fileName: "d.hashset")
        let rendered = HashSetFormat.render(parsed.set)
        let again = try parse(rendered, name: "d")
        #expect(HashSetFormat.render(again.set) == rendered)
    }

    @Test func hashRemovalOnlyTouchesItsAlgorithm() throws {
        // pHash and dHash share the 64-bit value type: removing one must not remove the other.
        let text = """
            #hashmatch-hashset v1
            phash \(Sample.phashA) p
            dhash \(Sample.phashA) d
            -phash \(Sample.phashA)

            """
        #expect(try parse(text).set.entries.map(\.id) == ["d"])
    }

    @Test func emptySettingValuesClearEarlierOnes() throws {
        let text = """
            #hashmatch-hashset v1
            #set threshold.pdq=20
            #set description=x
            #set algorithms=pdq
            #set labels=l
            #set threshold.pdq=
            #set description=
            #set algorithms=
            #set labels=

            """
        let settings = try parse(text).set.settings
        #expect(settings == HashSetSettings())
    }

    @Test func crlfAndByteOrderMarkAreTolerated() throws {
        let text = "\u{FEFF}#hashmatch-hashset v1\r\npdq \(Sample.pdqA) a\r\n"
        let result = try parse(text)
        #expect(result.issues == [])
        #expect(result.set.entries.map(\.id) == ["a"])
    }
}

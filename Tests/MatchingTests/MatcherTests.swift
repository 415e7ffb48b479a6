import Fingerprinting
import HashSets
import Matching
import PerceptualHashing
import TestSupport
import Testing

/// The matcher's rules, on hashes whose distances are fixed by construction (bits flipped on purpose).
@Suite struct MatcherTests {
    static let base = try! Hash256(hex: "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22")

    /// `base` with its lowest `bits` bits flipped: exactly `bits` away.
    static func flipped(_ bits: Int) -> Hash256 {
        var hash = base
        for k in 0..<bits { hash[bit: k].toggle() }
        return hash
    }

    static func entry(_ id: String, _ hash: Hash256) -> HashSetEntry {
        HashSetEntry(id: id, algorithm: .pdq, value: .hash256(hash), labels: ["l-\(id)"])
    }

    static func fingerprint(pdq hash: Hash256, quality: Int = 100) -> Fingerprint {
        var fingerprint = Fingerprint()
        fingerprint.pdq = PDQHash(hash: hash, quality: quality)
        return fingerprint
    }

    @Test func pdqMatchesWithinThirtyOneBitsAndNotBeyond() {
        let set = HashSet(
            name: "s",
            entries: [Self.entry("near", Self.flipped(31)), Self.entry("far", Self.flipped(32))]
        )
        let matches = Matcher(sets: [set]).match(Self.fingerprint(pdq: Self.base)).matches
        #expect(matches.map(\.id) == ["near"])
        #expect(matches.first?.distance == 31)
        #expect(matches.first?.labels == ["l-near"])
    }

    @Test func aSetsOwnThresholdWinsOverTheDefault() {
        var tight = HashSetSettings()
        tight.maxDistance[.pdq] = 4
        let strict = HashSet(name: "strict", settings: tight, entries: [Self.entry("a", Self.flipped(10))])
        let loose = HashSet(name: "loose", entries: [Self.entry("b", Self.flipped(10))])
        let matches = Matcher(sets: [strict, loose]).match(Self.fingerprint(pdq: Self.base)).matches
        #expect(matches.map(\.set) == ["loose"])
    }

    @Test func lowQualityPDQIsReportedNotMatched() {
        let set = HashSet(name: "s", entries: [Self.entry("same", Self.base)])
        let outcome = Matcher(sets: [set]).match(Self.fingerprint(pdq: Self.base, quality: 49))
        #expect(outcome.matches.isEmpty)
        #expect(outcome.notes == ["pdq quality 49 is below 50: hash reported, not matched"])
    }

    /// imagehash gives every flat image pHash `8000000000000000` (only the DC bit) and aHash/dHash 0, so those
    /// hashes identify nothing; listing one (as a set built from a flat image would) must not match every flat upload.
    @Test(arguments: [(HashAlgorithm.phash, UInt64(1) << 63), (.ahash, 0), (.dhash, 0)])
    func structurelessSixtyFourBitHashesAreReportedNotMatched(algorithm: HashAlgorithm, value: UInt64) {
        let set = HashSet(
            name: "s",
            entries: [HashSetEntry(id: "flat", algorithm: algorithm, value: .hash64(Hash64(value)))]
        )
        var fingerprint = Fingerprint()
        switch algorithm {
        case .phash: fingerprint.phash = Hash64(value)
        case .ahash: fingerprint.ahash = Hash64(value)
        default: fingerprint.dhash = Hash64(value)
        }
        let outcome = Matcher(sets: [set]).match(fingerprint)
        #expect(outcome.matches.isEmpty)
        #expect(outcome.notes.count == 1)
    }

    @Test func disabledAlgorithmsAreNotMatched() {
        var settings = HashSetSettings()
        settings.enabledAlgorithms = [.md5]
        let set = HashSet(name: "s", settings: settings, entries: [Self.entry("same", Self.base)])
        #expect(Matcher(sets: [set]).match(Self.fingerprint(pdq: Self.base)).matches.isEmpty)
    }

    @Test func digestsMatchOnlyWhenEqualAndComeFirst() throws {
        let md5 = try HashAlgorithm.md5.parse("d41d8cd98f00b204e9800998ecf8427e")
        let set = HashSet(
            name: "s",
            entries: [
                HashSetEntry(id: "file", algorithm: .md5, value: md5), Self.entry("photo", Self.flipped(3)),
            ]
        )
        var fingerprint = Self.fingerprint(pdq: Self.base)
        if case .digest(let digest) = md5 { fingerprint.md5 = digest }
        let matches = Matcher(sets: [set]).match(fingerprint).matches
        #expect(matches.map(\.id) == ["file", "photo"])
        #expect(matches.map(\.algorithm) == [.md5, .pdq])
    }

    @Test func dihedralMatchingNamesTheVariantThatMatched() {
        let set = HashSet(name: "s", entries: [Self.entry("rotated", Self.flipped(2))])
        var fingerprint = Self.fingerprint(pdq: Self.flipped(200))
        fingerprint.pdqDihedral = PDQDihedralHashes(
            orig: Self.flipped(200),
            rot90: Self.base,
            rot180: Self.flipped(150),
            rot270: Self.flipped(120),
            flipX: Self.flipped(100),
            flipY: Self.flipped(90),
            flipPlus1: Self.flipped(80),
            flipMinus1: Self.flipped(70),
            quality: 100
        )
        let matches = Matcher(sets: [set]).match(fingerprint).matches
        #expect(matches.map(\.variant) == ["rot90"])
        #expect(matches.first?.distance == 2)
    }

    @Test func snapshotRoundTripAnswersTheSame() throws {
        var random = SplitMix64(seed: 7)
        var entries: [HashSetEntry] = []
        for index in 0..<2_000 {
            let hash = Hash256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next())
            entries.append(HashSetEntry(id: "e\(index)", algorithm: .pdq, value: .hash256(hash), labels: ["x"]))
            entries.append(HashSetEntry(id: "p\(index)", algorithm: .phash, value: .hash64(Hash64(random.next()))))
        }
        var settings = HashSetSettings()
        settings.maxDistance[.phash] = 12
        let matcher = Matcher(sets: [HashSet(name: "big", settings: settings, entries: entries)])
        let sources = [
            SnapshotSource(name: "big.hashset", size: 42, modified: 7, digest: Array(repeating: 9, count: 32))
        ]
        let (loaded, loadedSources) = try Matcher.load(snapshot: matcher.snapshot(sources: sources))
        #expect(loadedSources == sources)
        #expect(loaded.counts == matcher.counts)
        for entry in entries.prefix(200) {
            var query = entry.value
            if case .hash256(var hash) = query {
                for k in 0..<20 { hash[bit: k * 7].toggle() }
                query = .hash256(hash)
            }
            #expect(
                loaded.lookup(query, algorithm: entry.algorithm) == matcher.lookup(query, algorithm: entry.algorithm)
            )
        }
    }

    @Test func damagedSnapshotsAreRefusedNeverTrusted() throws {
        let set = HashSet(name: "s", entries: (0..<50).map { Self.entry("e\($0)", Self.flipped($0)) })
        let bytes = Matcher(sets: [set]).snapshot(sources: [])
        for length in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: MatcherSnapshotError.self) { try Matcher.load(snapshot: Array(bytes[..<length])) }
        }
        var random = SplitMix64(seed: 3)
        for _ in 0..<200 {
            var damaged = bytes
            damaged[Int(random.next() % UInt64(bytes.count))] ^= 0x10
            #expect(throws: MatcherSnapshotError.self) { try Matcher.load(snapshot: damaged) }
        }
    }
}

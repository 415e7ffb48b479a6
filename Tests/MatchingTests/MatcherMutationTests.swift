import HashIndex
import HashSets
import Matching
import PerceptualHashing
import TestSupport
import Testing

/// `Matcher.insert` / `remove` change the index in place; the reference is a matcher built from scratch over the
/// same final entries, so every lookup must agree with it.
@Suite struct MatcherMutationTests {
    static func randomEntries(_ count: Int, prefix: String, rng: inout SplitMix64) -> [HashSetEntry] {
        (0..<count).map { index in
            switch index % 3 {
            case 0:
                let hash = Hash256(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
                return HashSetEntry(
                    id: "\(prefix)-\(index)",
                    algorithm: .pdq,
                    value: .hash256(hash),
                    labels: ["l\(index % 4)"]
                )
            case 1:
                return HashSetEntry(id: "\(prefix)-\(index)", algorithm: .phash, value: .hash64(Hash64(rng.next())))
            default:
                let digest = ExactDigest(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })
                return HashSetEntry(id: "\(prefix)-\(index)", algorithm: .md5, value: .digest(digest))
            }
        }
    }

    /// Every entry's own hash, plus a near neighbour of each perceptual one.
    static func queries(_ entries: [HashSetEntry]) -> [(HashAlgorithm, HashValue)] {
        entries.flatMap { entry -> [(HashAlgorithm, HashValue)] in
            switch entry.value {
            case .hash256(let hash):
                [
                    (.pdq, .hash256(hash)),
                    (.pdq, .hash256(Hash256(w0: hash.w0 ^ 0b1011, w1: hash.w1, w2: hash.w2, w3: hash.w3))),
                ]
            case .hash64(let hash):
                [(entry.algorithm, .hash64(hash)), (entry.algorithm, .hash64(Hash64(hash.value ^ 0b11)))]
            case .digest: [(entry.algorithm, entry.value)]
            }
        }
    }

    static func agree(_ live: Matcher, _ reference: Matcher, on queries: [(HashAlgorithm, HashValue)]) {
        for (algorithm, value) in queries {
            #expect(live.lookup(value, algorithm: algorithm) == reference.lookup(value, algorithm: algorithm))
        }
        #expect(live.counts == reference.counts)
    }

    /// 60 entries: every index a linear scan. 70,000: 23k PDQ entries, past `AutoIndex`'s crossover, so PDQ goes to
    /// multi-index hashing, whose ids (the matcher's rows) rise and need no id map; the first change maps the rows
    /// through `forEachEntry`; and the rows fill more than one 65,536-row chunk of the matcher's columns and ids.
    /// Queried: every added entry and up to 500 initial ones (own hash and a neighbour).
    @Test(arguments: [60, 70_000])
    func insertsAndRemovesAgreeWithARebuild(count: Int) {
        if count >= 70_000 {
            #expect(IndexKind.recommended(bits: 256, count: count / 3, radius: 31) == .multiIndexHashing)
        }
        var rng = SplitMix64(seed: 7)
        let settings = HashSetSettings(defaultLabels: ["base"])
        let initial = Self.randomEntries(count, prefix: "a", rng: &rng)
        let added = Self.randomEntries(30, prefix: "b", rng: &rng)
        var live = Matcher(sets: [HashSet(name: "one", settings: settings, entries: initial)])
        live.insert(added, intoSet: "one", settings: settings)
        let removed = initial.prefix(max(20, count / 200)).map(\.id) + added.suffix(5).map(\.id)
        #expect(live.remove(ids: removed + ["no-such-id"], fromSet: "one") == removed.count)
        let removedIDs = Set(removed)
        let remaining = (initial + added).filter { !removedIDs.contains($0.id) }
        let reference = Matcher(sets: [HashSet(name: "one", settings: settings, entries: remaining)])
        let queried = count <= 500 ? initial[...] : initial.prefix(400) + initial.suffix(100)
        Self.agree(live, reference, on: Self.queries(Array(queried + added)))
    }

    /// Ids a change must tell apart by more than their length and last eight bytes (`RowIDs`): all of one length,
    /// most with one ending; multi-byte UTF-8 among them; the same ids in a second set, which must stay.
    @Test func idsOfOneLengthAndEndingAreToldApart() {
        var rng = SplitMix64(seed: 5)
        let shapes = (0..<300).map { k in
            k % 7 == 0 ? "ü\(String(format: "%04d", k))-ending" : "\(String(format: "%05d", k))-same-ending"
        }
        let entries = Self.randomEntries(shapes.count, prefix: "z", rng: &rng).enumerated().map { k, entry in
            HashSetEntry(id: shapes[k], algorithm: entry.algorithm, value: entry.value, labels: entry.labels)
        }
        let twin = Self.randomEntries(shapes.count, prefix: "t", rng: &rng).enumerated().map { k, entry in
            HashSetEntry(id: shapes[k], algorithm: entry.algorithm, value: entry.value)
        }
        var live = Matcher(sets: [HashSet(name: "one", entries: entries), HashSet(name: "two", entries: twin)])
        let removed = stride(from: 0, to: shapes.count, by: 3).map { shapes[$0] }
        #expect(live.remove(ids: removed + ["99999-same-ending"], fromSet: "one") == removed.count)
        // Canonically equivalent ids are one id, as in a set file: other bytes, other lengths.
        let accented = HashSetEntry(
            id: "cafe\u{301}",
            algorithm: .md5,
            value: .digest(ExactDigest(bytes: [1] + .init(repeating: 0, count: 15)))
        )
        let kelvin = HashSetEntry(id: "\u{212A}elvin", algorithm: .phash, value: .hash64(Hash64(0x0F0F_0F0F_0F0F_0F0F)))
        live.insert([accented, kelvin], intoSet: "one", settings: HashSetSettings())
        #expect(live.remove(ids: ["caf\u{E9}", "Kelvin"], fromSet: "one") == 2)
        #expect(live.lookup(accented.value, algorithm: .md5).isEmpty)
        #expect(live.lookup(kelvin.value, algorithm: .phash).isEmpty)
        let replaced = stride(from: 1, to: shapes.count, by: 10).map {
            HashSetEntry(id: shapes[$0], algorithm: .phash, value: .hash64(Hash64(rng.next())))
        }
        live.insert(replaced, intoSet: "one", settings: HashSetSettings())
        let gone = Set(removed + replaced.map(\.id))
        let reference = Matcher(sets: [
            HashSet(name: "one", entries: entries.filter { !gone.contains($0.id) } + replaced),
            HashSet(name: "two", entries: twin),
        ])
        Self.agree(live, reference, on: Self.queries(entries + twin + replaced))
    }

    /// One file in three sets: its digest has three rows, and removing one (the first, then a later one) leaves the
    /// others matching.
    @Test func aDigestInSeveralSetsLosesOnlyTheRemovedRows() {
        let digest = HashSetEntry(
            id: "file",
            algorithm: .md5,
            value: .digest(ExactDigest(bytes: .init(repeating: 7, count: 16)))
        )
        let sets = ["one", "two", "three"].map { HashSet(name: $0, entries: [digest]) }
        var live = Matcher(sets: sets)
        live.remove(ids: ["file"], fromSet: "one")
        Self.agree(
            live,
            Matcher(sets: [HashSet(name: "one", entries: [])] + sets.dropFirst()),
            on: Self.queries([digest])
        )
        live.remove(ids: ["file"], fromSet: "three")
        Self.agree(live, Matcher(sets: [HashSet(name: "one", entries: []), sets[1]]), on: Self.queries([digest]))
        live.insert([digest], intoSet: "one", settings: HashSetSettings())
        #expect(live.lookup(digest.value, algorithm: .md5).map(\.set).sorted() == ["one", "two"])
        // Digests of other lengths find nothing: not this one zero-padded, and not a crash when longer than any key.
        let padded: [UInt8] = .init(repeating: 7, count: 16) + .init(repeating: 0, count: 16)
        for bytes in [[UInt8](repeating: 7, count: 8), padded, [UInt8](repeating: 7, count: 40)] {
            #expect(live.lookup(.digest(ExactDigest(bytes: bytes)), algorithm: .md5).isEmpty)
        }
    }

    @Test func insertingIntoANewSetAndReplacingAnID() {
        var rng = SplitMix64(seed: 11)
        let first = Self.randomEntries(9, prefix: "x", rng: &rng)
        var live = Matcher(sets: [HashSet(name: "one", entries: first)])
        let other = Self.randomEntries(6, prefix: "y", rng: &rng)
        live.insert(other, intoSet: "two", settings: HashSetSettings(defaultLabels: ["t"]))
        // Same id, new hash: the old hash must stop matching.
        let replacement = HashSetEntry(
            id: first[0].id,
            algorithm: .pdq,
            value: .hash256(Hash256(w0: 1, w1: 2, w2: 3, w3: 4))
        )
        live.insert([replacement], intoSet: "one", settings: HashSetSettings())
        let reference = Matcher(sets: [
            HashSet(name: "one", entries: [replacement] + first.dropFirst()),
            HashSet(name: "two", settings: HashSetSettings(defaultLabels: ["t"]), entries: other),
        ])
        #expect(live.setNames == ["one", "two"])
        Self.agree(live, reference, on: Self.queries(first + other + [replacement]))
    }

    @Test func aCopyTakenBeforeAChangeKeepsTheOldEntries() {
        var rng = SplitMix64(seed: 3)
        let entries = Self.randomEntries(12, prefix: "c", rng: &rng)
        var live = Matcher(sets: [HashSet(name: "s", entries: entries)])
        let reader = live
        live.remove(ids: entries.map(\.id), fromSet: "s")
        #expect(live.counts.isEmpty || live.counts.values.allSatisfy { $0 == 0 })
        Self.agree(reader, Matcher(sets: [HashSet(name: "s", entries: entries)]), on: Self.queries(entries))
    }
}

import Foundation
import TestSupport
import Testing

/// The product's promise, end to end: a set built from images catches edited re-uploads of them and
/// nothing else. The edits are made at test time by ImageMagick, another program than the one under test.
@Suite struct ScanTests {
    /// Images that go into a set, and images that must never match it.
    struct Corpus: Sendable, CustomStringConvertible {
        let name: String
        /// In the set; their survivable edits must match.
        let listed: [URL]
        /// The listed images whose mirror images and rotations must match with `--dihedral`.
        let turnable: [URL]
        /// Never in the set; must match nothing.
        let unrelated: [URL]

        var description: String { name }

        static func labelme(_ name: String) -> URL {
            Vectors.shared("pdq/images/reg-test-input/labelme-subset/\(name).jpg")
        }

        /// Photographs at least 300 pixels on a side (Meta's bridge, scikit-image's samples): PDQ's own
        /// dihedral variants find their mirror images and rotations.
        static var largePhotographs: [URL] {
            [Vectors.shared("pdq/images/bridge-mods/aaa-orig.jpg")]
                + ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png"].map {
                    Vectors.shared("imagehash/images/" + $0)
                }
        }

        /// Real photographs from the shared vectors. The 256×256 labelme images are listed too, but PDQ
        /// derives their dihedral variants with errors of 26–36 bits (pdqhash does the same), so their
        /// mirror images and rotations are only measured (`robustnessIsMeasuredNotAsserted`).
        static var photographs: Corpus {
            let unrelated = [
                "brick.png", "camera.png", "coins.png", "color.png", "grace_hopper.jpg", "grass.png", "gravel.png",
                "hubble_deep_field.jpg", "ihc.png", "moon.png", "page.png", "retina.jpg",
            ].map { Vectors.shared("imagehash/images/" + $0) }
            return Corpus(
                name: "photographs",
                listed: ["q0291", "q0746", "q1050", "q2821"].map(labelme) + largePhotographs,
                turnable: largePhotographs,
                unrelated: unrelated
            )
        }

        /// Images measured but not asserted: q0003 and q0004 are PDQ's low-quality vectors (quality 3
        /// and 4: never matched), q0122 loses 32 bits to a quality-50 re-encode by pdqhash too.
        static var measuredOnly: [URL] { ["q0003", "q0004", "q0122"].map(labelme) }

        /// The project's generated images, always present.
        static var generated: Corpus {
            let listed = ["large-1024x768.jpg", "baseline.jpg", "progressive.jpg"].map {
                EndToEnd.images.appendingPathComponent($0)
            }
            return Corpus(
                name: "generated",
                listed: listed,
                turnable: listed,
                unrelated: ["shapes-grey.png", "palette.png", "grey.jpg", "grey-alpha.png"].map {
                    EndToEnd.images.appendingPathComponent($0)
                }
            )
        }
    }

    @Test(
        .enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors (real photographs)"),
        .enabled(if: ImageMagick.available, "needs ImageMagick (apt-get install imagemagick) to edit copies")
    )
    func editedCopiesOfPhotographsMatchAndOtherPhotographsDoNot() throws {
        try checkEditedCopies(of: .photographs)
    }

    @Test(.enabled(if: ImageMagick.available, "needs ImageMagick (apt-get install imagemagick) to edit copies"))
    func editedCopiesOfGeneratedImagesMatchAndOtherImagesDoNot() throws {
        try checkEditedCopies(of: .generated)
    }

    /// Builds a set from `corpus.listed`; edited copies match their original (mirror images and
    /// rotations only with `--dihedral`), `corpus.unrelated` matches nothing.
    func checkEditedCopies(of corpus: Corpus) throws {
        let root = try Binary.temporaryDirectory("hashmatch-scan")
        defer { try? FileManager.default.removeItem(at: root) }
        let originals = try EndToEnd.folder("originals", in: root, copying: corpus.listed)
        let sets = root.appendingPathComponent("sets").path
        let build = try Binary.run([
            "hashset", "build", "--hashsets", sets, "--name", "listed", "--algorithms", "pdq,md5",
            "--labels", "test,\(corpus.name)", originals.path,
        ])
        try #require(build.status == 0, "\(build.stderr)")

        // Survivable edits: every copy matches its own original's PDQ entry.
        let copies = root.appendingPathComponent("copies")
        _ = try Transformation.apply(Transformation.survivable, to: corpus.listed, in: copies)
        let scan = try Binary.run(["scan", "--hashsets", sets, "--format", "jsonl", copies.path])
        #expect(scan.status == 1, "\(scan.stderr)")
        let records = try EndToEnd.records(scan)
        #expect(records.count == corpus.listed.count * Transformation.survivable.count)
        for record in records {
            let path = try #require(record["path"] as? String)
            let original = try Self.original(of: path, in: corpus.listed)
            let matches = EndToEnd.matches(record)
            let own = matches.first { $0["id"] as? String == original.lastPathComponent + ":pdq" }
            #expect(own != nil, "\(path) does not match \(original.lastPathComponent): \(matches)")
            #expect(own?["set"] as? String == "listed")
            #expect(own?["algorithm"] as? String == "pdq")
            #expect(own?["labels"] as? [String] == ["test", corpus.name])
            #expect((own?["distance"] as? Int).map { $0 <= 31 } == true)
            #expect(own?["variant"] is NSNull)
            #expect(!matches.contains { $0["algorithm"] as? String == "md5" }, "an edited copy has new bytes")
        }

        // Mirror images and rotations: not without --dihedral, all with it.
        let turned = root.appendingPathComponent("turned")
        _ = try Transformation.apply(Transformation.dihedral, to: corpus.turnable, in: turned)
        let plain = try Binary.run(["scan", "--hashsets", sets, "--format", "jsonl", turned.path])
        #expect(plain.status == 0, "\(plain.stdout)")
        let dihedral = try Binary.run(["scan", "--hashsets", sets, "--format", "jsonl", "--dihedral", turned.path])
        #expect(dihedral.status == 1, "\(dihedral.stderr)")
        for record in try EndToEnd.records(dihedral) {
            let path = try #require(record["path"] as? String)
            let original = try Self.original(of: path, in: corpus.turnable)
            let own = EndToEnd.matches(record).first { $0["id"] as? String == original.lastPathComponent + ":pdq" }
            #expect(own != nil, "\(path) does not match \(original.lastPathComponent) with --dihedral")
            let variant = own?["variant"] as? String
            let expected = path.contains(".rot90.") ? ["rot90", "rot270"] : ["flipx", "flipy"]
            #expect(variant.map(expected.contains) == true, "\(path): variant \(variant ?? "none")")
        }

        // Images that are not in the set match nothing, and the run says so with exit 0.
        let unrelated = try Binary.run(
            ["scan", "--hashsets", sets, "--format", "jsonl", "--dihedral"] + corpus.unrelated.map(\.path)
        )
        #expect(unrelated.status == 0, "\(unrelated.stdout)")
        let clean = try EndToEnd.records(unrelated)
        #expect(clean.count == corpus.unrelated.count)
        #expect(clean.allSatisfy { EndToEnd.matches($0).isEmpty && $0["error"] == nil })
    }

    @Test(.enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors (PDQ's low-quality vectors)"))
    func lowQualityImagesAreReportedNeverMatchedByPDQ() throws {
        let root = try Binary.temporaryDirectory("hashmatch-quality")
        defer { try? FileManager.default.removeItem(at: root) }
        let low = Corpus.labelme("q0003")
        let originals = try EndToEnd.folder("originals", in: root, copying: [low])
        let sets = root.appendingPathComponent("sets").path
        let build = try Binary.run(["hashset", "build", "--hashsets", sets, "--name", "low", originals.path])
        #expect(build.status == 0)
        #expect(build.stderr.contains("q0003.jpg: pdq quality 3 is below 50 (pdq hash not stored)"))
        // Even against a PDQ entry added by hand, the image's own hash is reported, not matched.
        let hashed = try Binary.run(["hash", "--algorithms", "pdq", "--format", "jsonl", low.path])
        let pdq = try #require(try EndToEnd.records(hashed).first?["pdq"] as? String)
        let add = try Binary.run([
            "hashset", "add", "--hashsets", sets, "--name", "low", "--hash", "pdq:\(pdq)", "--id", "by-hand",
        ])
        #expect(add.status == 0)
        let scan = try Binary.run(["scan", "--hashsets", sets, "--format", "jsonl", low.path])
        #expect(scan.status == 1, "the MD5 still matches")
        let record = try #require(try EndToEnd.records(scan).first)
        #expect(EndToEnd.matches(record).map { $0["id"] as? String } == ["q0003.jpg:md5"])
        #expect((record["notes"] as? [String])?.first?.contains("pdq quality 3 is below 50") == true)
    }

    /// The original a copy named `<stem>.<transformation>.<ext>` was made from.
    static func original(of path: String, in originals: [URL]) throws -> URL {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard
            let original = originals.first(where: { name.hasPrefix($0.deletingPathExtension().lastPathComponent + ".") }
            )
        else { throw EndToEnd.Failure("no original for \(path)") }
        return original
    }

    /// Crops and padding move the frame PDQ hashes, so they defeat it by design; so do heavier edits at
    /// some sizes. This measures the distance of every edited copy to its original (docs/BENCHMARKS.md,
    /// "Robustness") and asserts only that hashing worked.
    @Test(
        .enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors (real photographs)"),
        .enabled(if: ImageMagick.available, "needs ImageMagick (apt-get install imagemagick) to edit copies")
    )
    func robustnessIsMeasuredNotAsserted() throws {
        let originals = Corpus.measuredOnly + Corpus.photographs.listed
        let root = try Binary.temporaryDirectory("hashmatch-robustness")
        defer { try? FileManager.default.removeItem(at: root) }
        let transformations = Transformation.survivable + Transformation.dihedral + Transformation.defeating
        let copies = try Transformation.apply(transformations, to: originals, in: root)
        let hashed = try Binary.run(
            ["hash", "--algorithms", "pdq", "--dihedral", "--format", "jsonl"] + (originals + copies).map(\.path)
        )
        try #require(hashed.status == 0, "\(hashed.stderr)")
        let records = try EndToEnd.records(hashed)
        var report = [
            "robustness: originals \(originals.map { $0.deletingPathExtension().lastPathComponent })",
            "robustness: transformation, n, PDQ distance to the original (min/median/max), matched plain, "
                + "matched with --dihedral (distance <= 31, both qualities >= 50)",
        ]
        for transformation in transformations {
            var plain: [Int] = []
            var matched = (plain: 0, dihedral: 0)
            for original in originals {
                let stem = original.deletingPathExtension().lastPathComponent
                let source = try #require(EndToEnd.record(records, named: original.lastPathComponent))
                let copy = try #require(EndToEnd.record(records, named: "\(stem).\(transformation.name).jpg"))
                let reference = try #require(source["pdq"] as? String)
                let hash = try #require(copy["pdq"] as? String)
                let distance = try #require(EndToEnd.distance(reference, hash))
                plain.append(distance)
                let variants = try #require(copy["pdq_dihedral"] as? [String: String])
                let turned = variants.values.compactMap { EndToEnd.distance(reference, $0) }.min() ?? 256
                let trusted = (source["pdq_quality"] as? Int ?? 0) >= 50 && (copy["pdq_quality"] as? Int ?? 0) >= 50
                if trusted && distance <= 31 { matched.plain += 1 }
                if trusted && turned <= 31 { matched.dihedral += 1 }
            }
            let sorted = plain.sorted()
            report.append(
                "robustness: \(transformation.name), \(sorted.count), \(sorted.first!)/\(sorted[sorted.count / 2])/"
                    + "\(sorted.last!), \(matched.plain)/\(plain.count), \(matched.dihedral)/\(plain.count); all: \(plain)"
            )
        }
        print(report.joined(separator: "\n"))
    }
}

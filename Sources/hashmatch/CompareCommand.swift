import ArgumentParser
import Fingerprinting
import Matching
import PerceptualHashing

/// `hashmatch compare A B`: how far apart two images are under each algorithm.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Print the distance between two images under each algorithm.",
        discussion: """
            Perceptual hashes give a Hamming distance (bits that differ); digests give 0 when the bytes are \
            identical and 1 otherwise. `-` reads one of the images from standard input.
            Exit status: 0 when both were hashed, 2 otherwise.
            """
    )

    @OptionGroup var hashing: HashingOptions

    @Option(name: .long, help: "Output format: jsonl, csv or table (default: table on a terminal, else jsonl).")
    var format: OutputFormat?

    @Argument(help: "The first image.") var first: String
    @Argument(help: "The second image.") var second: String

    func run() throws {
        var fingerprinter = Fingerprinter(options: hashing.fingerprintOptions)
        var records: [FingerprintRecord] = []
        for path in [first, second] {
            do {
                let bytes = try InputFile(path: path).read(maxBytes: hashing.maxFileBytes)
                records.append(
                    FingerprintRecord(input: InputFile(path: path), fingerprint: fingerprinter.fingerprint(bytes))
                )
            } catch {
                records.append(FingerprintRecord(path: path, readError: error))
            }
        }
        for record in records where record.failed {
            warn("\(record.path): \(record.errorMessage ?? "failed") (\(record.errorCode ?? ""))")
        }
        guard let a = records[0].fingerprint, let b = records[1].fingerprint else { throw ExitCode(2) }
        let writer = RecordWriter(
            format: format ?? .automatic,
            header: ["algorithm", "distance", "of_bits", first, second]
        )
        for algorithm in hashing.orderedAlgorithms {
            guard let left = a.value(for: algorithm), let right = b.value(for: algorithm) else { continue }
            let distance = Self.distance(left, right)
            var members: [(String, JSONValue)] = [
                ("algorithm", .string(algorithm.rawValue)), ("distance", .int(distance)),
                ("of_bits", .int(algorithm.isPerceptual ? algorithm.bitCount : 1)),
                ("a", .string(left.hex)), ("b", .string(right.hex)),
            ]
            if algorithm == .pdq, let qa = a.pdq?.quality, let qb = b.pdq?.quality {
                members.append(("quality", .array([.int(qa), .int(qb)])))
            }
            writer.write(
                json: .object(members),
                columns: [
                    algorithm.rawValue, String(distance), String(algorithm.isPerceptual ? algorithm.bitCount : 1),
                    left.hex, right.hex,
                ]
            )
        }
        if let variants = b.pdqDihedral, let pdq = a.pdq {
            // With --dihedral: the closest rotation/mirror image of B to A.
            let best = variants.named.min { $0.hash.distance(to: pdq.hash) < $1.hash.distance(to: pdq.hash) }!
            writer.write(
                json: .object([
                    ("algorithm", .string("pdq_dihedral")), ("distance", .int(best.hash.distance(to: pdq.hash))),
                    ("of_bits", .int(256)), ("variant", .string(best.name)),
                ]),
                columns: [
                    "pdq_dihedral(\(best.name))", String(best.hash.distance(to: pdq.hash)), "256", pdq.hash.hex,
                    best.hash.hex,
                ]
            )
        }
        writer.finish()
        if records.contains(where: \.failed) { throw ExitCode(2) }
    }

    static func distance(_ a: HashValue, _ b: HashValue) -> Int {
        switch (a, b) {
        case (.hash256(let x), .hash256(let y)): x.distance(to: y)
        case (.hash64(let x), .hash64(let y)): x.distance(to: y)
        default: a == b ? 0 : 1
        }
    }
}

import ArgumentParser
import Fingerprinting
import Foundation
import Matching
import PerceptualHashing

/// The options every hashing command shares (`hash`, `compare`, `match`, `scan`).
struct HashingOptions: ParsableArguments {
    @Option(
        name: .long,
        parsing: .unconditional,
        help: ArgumentHelp(
            "Comma-separated hashes to compute: pdq, phash, dhash, ahash, md5, sha1, sha256, or all.",
            valueName: "list"
        )
    )
    var algorithms: AlgorithmList = AlgorithmList(Set(HashAlgorithm.allCases))

    @Option(
        name: .long,
        help: ArgumentHelp(
            "PDQ path: full (= pdqhash/python-threatexchange/HMA, bit-exact), cli512 (= Meta's pdq-photo-hasher, "
                + "bit-exact), fast (JPEG luma at reduced DCT scale; a few bits off, several times faster).",
            valueName: "mode"
        )
    )
    var pdqMode: PDQHashingMode = .full

    @Flag(name: .long, help: "Also compute the 8 PDQ dihedral variants (rotations and mirror images).")
    var dihedral = false

    @Flag(name: .customLong("apply-exif-orientation"), help: "Rotate as the EXIF orientation says before hashing.")
    var applyEXIFOrientation = false

    @Flag(name: .long, help: "Hash truncated or damaged JPEGs as libjpeg repairs them instead of refusing them.")
    var lenient = false

    @Option(name: .long, help: ArgumentHelp("Refuse images with more pixels than this.", valueName: "pixels"))
    var maxPixels = 100_000_000

    @Option(name: .long, help: ArgumentHelp("Refuse files larger than this.", valueName: "bytes"))
    var maxFileBytes = 256 << 20

    func validate() throws {
        try algorithms.check(dihedral: dihedral)
    }

    /// The fingerprinting options these flags describe.
    var fingerprintOptions: FingerprintOptions {
        var options = FingerprintOptions()
        options.algorithms = algorithms.set
        options.pdqMode = pdqMode
        options.dihedral = dihedral
        options.applyEXIFOrientation = applyEXIFOrientation
        options.decoding.strict = !lenient
        options.decoding.maxPixels = maxPixels
        return options
    }

    /// The requested algorithms in their canonical order (pdq, phash, dhash, ahash, md5, sha1, sha256).
    var orderedAlgorithms: [HashAlgorithm] { HashAlgorithm.allCases.filter(algorithms.set.contains) }
}

extension PDQHashingMode: ExpressibleByArgument {}

/// `pdq,md5` as typed on the command line.
struct AlgorithmList: ExpressibleByArgument, Sendable {
    let set: Set<HashAlgorithm>

    init(_ set: Set<HashAlgorithm>) {
        self.set = set
    }

    init?(argument: String) {
        var set = Set<HashAlgorithm>()
        for name in argument.lowercased().split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if name == "all" {
                set.formUnion(HashAlgorithm.allCases)
            } else if let algorithm = HashAlgorithm(rawValue: name) {
                set.insert(algorithm)
            } else {
                return nil
            }
        }
        guard !set.isEmpty else { return nil }
        self.set = set
    }

    /// `--dihedral` is of PDQ: refused, rather than ignored, when `pdq` is not asked for.
    func check(dihedral: Bool) throws {
        guard !dihedral || set.contains(.pdq) else {
            throw ValidationError("--dihedral computes PDQ variants: add pdq to --algorithms")
        }
    }

    /// What `--help` shows as the default: `all`, or the list (`pdq,md5` for the hash-set commands).
    var defaultValueDescription: String {
        self.set.count == HashAlgorithm.allCases.count
            ? "all" : HashAlgorithm.allCases.filter(self.set.contains).map(\.rawValue).joined(separator: ",")
    }
}

/// How records are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case jsonl, csv, table

    /// A readable table on a terminal, JSON lines when piped.
    static var automatic: OutputFormat { isatty(STDOUT_FILENO) == 1 ? .table : .jsonl }
}

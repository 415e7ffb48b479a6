import ArgumentParser
import Fingerprinting
import Foundation
import HashSets
import Matching
import PerceptualHashing

// `hashset stats`, `add`, `remove` and `compact`: inspecting and editing one set in place.

struct HashsetStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Entries per algorithm, settings and problems of each set (JSON lines)."
    )

    @OptionGroup var folder: HashSetFolder
    @Argument(help: "Sets to describe (default: all).") var names: [String] = []

    func run() throws {
        defer { Console.flush() }
        let names = self.names.isEmpty ? ((try? folder.store.setNames()) ?? []) : self.names
        for name in names {
            let file = try folder.open(name)
            var perAlgorithm: [HashAlgorithm: Int] = [:]
            for entry in file.set.entries { perAlgorithm[entry.algorithm, default: 0] += 1 }
            let settings = file.set.settings
            RecordWriter.write(
                JSONValue.object([
                    ("set", .string(name)), ("path", .string(file.path)), ("entries", .int(file.set.count)),
                    (
                        "by_algorithm",
                        .object(
                            HashAlgorithm.allCases.compactMap { a in perAlgorithm[a].map { (a.rawValue, .int($0)) } }
                        )
                    ),
                    ("description", settings.description.map(JSONValue.string) ?? .null),
                    (
                        "thresholds",
                        .object(
                            settings.maxDistance.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                                ($0.key.rawValue, .int($0.value))
                            }
                        )
                    ),
                    (
                        "algorithms",
                        settings.enabledAlgorithms.map { .array($0.map(\.rawValue).sorted().map(JSONValue.string)) }
                            ?? .null
                    ),
                    ("labels", .array(settings.defaultLabels.map(JSONValue.string))),
                    ("issues", .int(file.issues.count)),
                ]).serialized()
            )
        }
    }
}

struct HashsetAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add one hash (--hash ALG:HEX --id ID) or the hashes of images to a set (created if needed)."
    )

    @OptionGroup var folder: HashSetFolder
    @Option(name: .long, help: "The set.") var name: String
    @Option(name: .long, help: ArgumentHelp("A hash to add, as algorithm:hex.", valueName: "alg:hex")) var hash: String?
    @Option(name: .long, help: "The entry id (with --hash; default <alg>-<hex>).") var id: String?
    @Option(name: .long, help: ArgumentHelp("Comma-separated labels.", valueName: "list")) var labels: String?
    @Option(name: .long, help: ArgumentHelp("Hashes to store for images.", valueName: "list"))
    var algorithms: AlgorithmList = AlgorithmList([.pdq, .md5])
    @Argument(help: "Images whose hashes to add (ids are their paths).") var images: [String] = []

    func validate() throws {
        guard (hash == nil) != images.isEmpty else { throw ValidationError("give either --hash or images") }
    }

    func run() throws {
        let labelList = labels.map { $0.split(separator: ",").map(String.init) } ?? []
        var entries: [HashSetEntry] = []
        if let hash {
            let parts = hash.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let algorithm = HashAlgorithm(rawValue: parts[0].lowercased()) else {
                warn("--hash: expected algorithm:hex, e.g. pdq:<64 hex digits>")
                throw ExitCode(2)
            }
            do {
                let value = try algorithm.parse(parts[1])
                entries.append(
                    HashSetEntry(
                        id: id ?? HashSetEntry.derivedID(algorithm: algorithm, value: value),
                        algorithm: algorithm,
                        value: value,
                        labels: labelList
                    )
                )
            } catch {
                warn("--hash: \(algorithm.rawValue) hash: \(error)")
                throw ExitCode(2)
            }
        }
        var options = FingerprintOptions()
        options.algorithms = algorithms.set
        var fingerprinter = Fingerprinter(options: options)
        for path in images {
            let fingerprint: Fingerprint
            do { fingerprint = fingerprinter.fingerprint(try InputFile(path: path).read(maxBytes: 256 << 20)) } catch {
                warn("\(path): \(error.message)")
                throw ExitCode(2)
            }
            if let error = fingerprint.decodeError, options.needsPixels {
                warn("\(path): \(error.message) (\(error.code))")
                throw ExitCode(2)
            }
            for algorithm in HashAlgorithm.allCases where algorithms.set.contains(algorithm) {
                guard let value = fingerprint.value(for: algorithm) else { continue }
                entries.append(
                    HashSetEntry(
                        id: "\(path):\(algorithm.rawValue)",
                        algorithm: algorithm,
                        value: value,
                        labels: labelList
                    )
                )
            }
        }
        // Only the lines about these ids are parsed: adding one hash to a 10M-entry set does not load all of it.
        var file = try folder.openOrCreate(name, settings: HashSetSettings(), selecting: Set(entries.map(\.id)))
        try appendReporting(entries.map(HashSetChange.add), to: &file)
    }
}

struct HashsetRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove entries by id.")

    @OptionGroup var folder: HashSetFolder
    @Option(name: .long, help: "The set.") var name: String
    @Argument(help: "Entry ids to remove.") var ids: [String]

    func run() throws {
        var file = try folder.open(name, selecting: Set(ids))
        try appendReporting(ids.map { .remove(.id($0)) }, to: &file)
    }
}

struct HashsetCompact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite a set without tombstones and overridden lines (atomic rename)."
    )

    @OptionGroup var folder: HashSetFolder
    @Argument(help: "The set.") var name: String

    func run() throws {
        var file = try folder.open(name)
        do { try file.compact() } catch {
            warn("\(file.path): \(error)")
            throw ExitCode(2)
        }
        warn("\(file.path): compacted, \(file.set.count) entries")
    }
}

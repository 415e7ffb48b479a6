import ArgumentParser
import Fingerprinting
import Foundation
import HashSets
import Matching
import PerceptualHashing

/// `hashmatch hashset …`: create, fill, inspect and export hash-set files.
struct HashsetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hashset",
        abstract: "Build, import, export and edit hash sets.",
        discussion: """
            A hash set is one `.hashset` file in the --hashsets folder, named by its file stem (format: \
            hashsets/README.md). Every change is appended and fsync'd before the command reports success.
            """,
        subcommands: [
            HashsetBuild.self, HashsetImport.self, HashsetExport.self, HashsetStats.self, HashsetAdd.self,
            HashsetRemove.self, HashsetCompact.self,
        ]
    )
}

/// `--hashsets DIR` for the editing commands.
struct HashSetFolder: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Folder of .hashset files (default as for `match`).", valueName: "dir"))
    var hashsets: String?

    var store: HashSetStore {
        var options = HashSetOptions()
        options.hashsets = hashsets
        return HashSetStore(directory: options.directory)
    }

    /// Opens an existing set (only the entries with `ids`, when given: `HashSetFile.load(_:selecting:)`), or exits 2
    /// saying why.
    func open(_ name: String, selecting ids: Set<String>? = nil) throws -> HashSetFile {
        do {
            let file =
                try ids.map { ids throws(HashSetError) in try store.open(name, selecting: ids) } ?? store.open(name)
            for issue in file.issues { warn("warning: \(issue)") }
            return file
        } catch {
            warn("\(error)")
            throw ExitCode(2)
        }
    }

    /// Opens `name` (only the entries with `ids`, when given), creating it (with `settings`) when it does not exist
    /// yet.
    func openOrCreate(
        _ name: String,
        settings: HashSetSettings,
        selecting ids: Set<String>? = nil
    ) throws -> HashSetFile {
        if (try? store.setNames().contains(name)) == true { return try open(name, selecting: ids) }
        do {
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
            return try store.create(name, settings: settings)
        } catch {
            warn("cannot create set \(name) in \(store.directory): \(error)")
            throw ExitCode(2)
        }
    }
}

/// Runs an append and reports its summary, or exits 2.
func appendReporting(_ changes: [HashSetChange], to file: inout HashSetFile) throws {
    do {
        let summary = try file.append(changes)
        var parts = ["\(summary.added) added", "\(summary.removed) removed"]
        if summary.unchanged > 0 {
            parts.append("\(summary.unchanged) unchanged (already present, or absent when removed)")
        }
        if summary.repairedBytes > 0 { parts.append("repaired a torn last line (\(summary.repairedBytes) bytes)") }
        // A selection knows only the entries it was asked about, not how many the set holds.
        let count = file.isSelection ? "" : "; \(file.set.count) entries"
        warn("\(file.path): " + parts.joined(separator: ", ") + count)
    } catch {
        // `.io` names the file itself; the other errors (a duplicate id) name only the set.
        let context = if case .io = error { "" } else { "\(file.path): " }
        warn("\(context)\(error); nothing was changed")
        throw ExitCode(2)
    }
}

struct HashsetBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Create a set from the images in a folder (ids are the images' paths within it)."
    )

    @OptionGroup var folder: HashSetFolder
    @Option(name: .long, help: "Name of the new set.") var name: String
    @Option(name: .long, help: ArgumentHelp("Comma-separated labels for every entry.", valueName: "list"))
    var labels: String?
    @Option(name: .long, help: "A description stored in the set.") var description: String?
    @Option(
        name: .long,
        help: ArgumentHelp("Hashes to store.", valueName: "list")
    )
    var algorithms: AlgorithmList = AlgorithmList([.pdq, .md5])
    @Option(name: .long, help: "PDQ path for the stored hashes.") var pdqMode: PDQHashingMode = .full
    @Option(name: .shortAndLong, help: "Files hashed in parallel.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Argument(help: "Folder of images.") var directory: String

    func run() throws {
        // A mistyped folder must not leave an empty set behind: `build` never replaces a set, so the
        // corrected command would then fail with "set exists".
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            warn("\(directory): not a folder of images; no set created")
            throw ExitCode(2)
        }
        var fingerprintOptions = FingerprintOptions()
        fingerprintOptions.algorithms = algorithms.set
        fingerprintOptions.pdqMode = pdqMode
        let options = fingerprintOptions
        let root = directory.hasSuffix("/") ? directory : directory + "/"
        let labelList = labels.map { $0.split(separator: ",").map(String.init) } ?? []
        var entries: [HashSetEntry] = []
        var failures = 0
        OrderedPipeline(InputFiles(paths: [directory]), window: jobs * 8).run(jobs: jobs) {
            var fingerprinter = Fingerprinter(options: options)
            return { input -> Result<Fingerprint, InputFile.ReadError> in
                Result { () throws(InputFile.ReadError) in
                    fingerprinter.fingerprint(try input.read(maxBytes: 256 << 20))
                }
            }
        } emit: { input, result in
            let id = input.path.hasPrefix(root) ? String(input.path.dropFirst(root.count)) : input.path
            switch result {
            case .failure(let error):
                warn("\(input.path): \(error.message) (skipped)")
                failures += 1
            case .success(let fingerprint):
                if let error = fingerprint.decodeError, options.needsPixels {
                    warn("\(input.path): \(error.message) (\(error.code); skipped)")
                    failures += 1
                    return
                }
                for algorithm in HashAlgorithm.allCases where algorithms.set.contains(algorithm) {
                    if algorithm == .pdq, let quality = fingerprint.pdq?.quality, quality < 50 {
                        warn("\(input.path): pdq quality \(quality) is below 50 (pdq hash not stored)")
                        continue
                    }
                    guard let value = fingerprint.value(for: algorithm) else { continue }
                    entries.append(
                        HashSetEntry(
                            id: "\(id):\(algorithm.rawValue)",
                            algorithm: algorithm,
                            value: value,
                            labels: labelList
                        )
                    )
                }
            }
        }
        let settings = HashSetSettings(description: description)
        do {
            try FileManager.default.createDirectory(atPath: folder.store.directory, withIntermediateDirectories: true)
            let file = try folder.store.create(name, settings: settings, entries: entries)
            warn(
                "\(file.path): \(file.set.count) entries from \(directory)"
                    + (failures > 0 ? ", \(failures) files skipped" : "")
            )
        } catch {
            warn("cannot create set \(name): \(error)")
            throw ExitCode(2)
        }
        if failures > 0 { throw ExitCode(2) }
    }
}

struct HashsetImport: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case hex
        case threatexchangeLocal = "te-local"
        case threatexchangeCSV = "te-csv"
        case pdqPhotoHasher = "pdq-photo-hasher"
        case ncmecXML = "ncmec-xml"
        case stopNCII = "stopncii-json"
        case techAgainstTerrorism = "tat-json"
    }

    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a list from another system into a set (created if needed).",
        discussion: """
            Formats: hex (one hash per line), te-local (python-threatexchange local_file), te-csv \
            (python-threatexchange dataset --csv), pdq-photo-hasher (hash,quality,filename), ncmec-xml \
            (NCMEC hash sharing, with deletions), stopncii-json, tat-json (Tech Against Terrorism). \
            Bad rows are printed as file:line: reason and skipped; with --strict any bad row aborts and nothing \
            is written.
            """
    )

    @OptionGroup var folder: HashSetFolder
    @Option(name: .long, help: "The input's format.") var format: Format
    @Option(name: .long, help: "The set to import into.") var name: String
    @Option(name: .long, help: "For hex lists: the algorithm (needed for 64-bit hashes).") var algorithm: HashAlgorithm?
    @Option(name: .long, help: ArgumentHelp("For hex lists: labels for every entry.", valueName: "list"))
    var labels: String?
    @Flag(name: .long, help: "Refuse the whole import if any row is bad.") var strict = false
    @Argument(help: "The file to import; `-` for standard input.") var file: String

    func run() throws {
        let bytes: [UInt8]
        do { bytes = try InputFile(path: file).read(maxBytes: 4 << 30) } catch {
            warn("\(file): \(error.message)")
            throw ExitCode(2)
        }
        let labelList = labels.map { $0.split(separator: ",").map(String.init) } ?? []
        let imported: HashSetImport =
            switch format {
            case .hex: HexListImporter(algorithm: algorithm, labels: labelList).parse(bytes, fileName: file)
            case .threatexchangeLocal:
                ThreatExchangeLocalFileImporter(signalType: algorithm?.rawValue).parse(bytes, fileName: file)
            case .threatexchangeCSV: ThreatExchangeCSVImporter().parse(bytes, fileName: file)
            case .pdqPhotoHasher: PDQPhotoHasherImporter().parse(bytes, fileName: file)
            case .ncmecXML: NCMECXMLImporter().parse(bytes, fileName: file)
            case .stopNCII: StopNCIIJSONImporter().parse(bytes, fileName: file)
            case .techAgainstTerrorism: TechAgainstTerrorismJSONImporter().parse(bytes, fileName: file)
            }
        for issue in imported.issues { warn("\(issue)") }
        if strict && !imported.issues.isEmpty {
            warn("\(imported.issues.count) bad rows; nothing imported (--strict)")
            throw ExitCode(2)
        }
        var target = try folder.openOrCreate(name, settings: HashSetSettings())
        try appendReporting(imported.changes, to: &target)
    }
}

extension HashAlgorithm: ExpressibleByArgument {}

struct HashsetExport: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case native
        case threatexchangeCSV = "te-csv"
        case threatexchangeLocal = "te-local"
    }

    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print a set: native (compacted), te-csv or te-local."
    )

    @OptionGroup var folder: HashSetFolder
    @Option(name: .long, help: "Output format.") var format: Format = .native
    @Argument(help: "The set's name.") var name: String

    func run() throws {
        defer { Console.flush() }
        let set = try folder.open(name).set
        switch format {
        case .native: Console.text(HashSetFormat.render(set))
        case .threatexchangeCSV, .threatexchangeLocal:
            let export =
                format == .threatexchangeCSV ? ThreatExchangeExporter.csv(set) : ThreatExchangeExporter.localFile(set)
            Console.text(export.text)
            if !export.skipped.isEmpty {
                warn("\(export.skipped.count) entries have no python-threatexchange signal type and were left out")
            }
        }
    }
}

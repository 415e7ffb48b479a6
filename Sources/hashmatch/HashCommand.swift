import ArgumentParser
import Fingerprinting
import Foundation

/// `hashmatch hash`: one record per file with every requested hash.
struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Compute perceptual hashes and digests of images.",
        discussion: """
            Files and folders (recursively); `-` reads standard input. One record per file; a file that cannot \
            be read or decoded gives an `error` record (with the digests of its bytes) and the run goes on.
            Exit status: 0 when every file was hashed, 2 when any failed.
            """
    )

    @OptionGroup var hashing: HashingOptions

    @Option(name: .long, help: "Output format: jsonl, csv or table (default: table on a terminal, else jsonl).")
    var format: OutputFormat?

    @Option(name: .shortAndLong, help: "Files hashed in parallel (default: one per core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Argument(help: "Images or folders to hash; `-` for standard input.")
    var paths: [String]

    func run() throws {
        let algorithms = hashing.orderedAlgorithms
        let writer = RecordWriter(
            format: format ?? .automatic,
            header: FingerprintRecord.columnNames(algorithms: algorithms)
        )
        var failures = 0
        let options = hashing.fingerprintOptions
        let maxBytes = hashing.maxFileBytes
        OrderedPipeline(InputFiles(paths: paths), window: jobs * 8).run(jobs: jobs) {
            var fingerprinter = Fingerprinter(options: options)
            return { input in
                do throws(InputFile.ReadError) {
                    let bytes = try input.read(maxBytes: maxBytes)
                    return FingerprintRecord(input: input, fingerprint: fingerprinter.fingerprint(bytes))
                } catch {
                    return FingerprintRecord(path: input.path, readError: error)
                }
            }
        } emit: { _, record in
            if record.failed { failures += 1 }
            writer.write(
                json: .object(record.jsonMembers()),
                columns: record.columns(algorithms: algorithms)
            )
        }
        writer.finish()
        if failures > 0 { throw ExitCode(2) }
    }
}

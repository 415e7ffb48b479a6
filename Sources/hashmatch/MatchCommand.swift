import ArgumentParser
import Fingerprinting
import Foundation
import HashSets
import Matching
import PerceptualHashing

/// `hashmatch match` and `hashmatch scan`: hash files and look them up in the hash sets.
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Hash images and look them up in the hash sets.",
        discussion: """
            One record per file: the hashes, then `matches` (set, id, labels, algorithm, distance, variant), \
            best first. Exit status: 0 no match, 1 a match, 2 an error (a match wins over an unreadable file; a match log \
            that cannot be written is always 2).
            """
    )

    @OptionGroup var options: MatchRunOptions
    @Argument(help: "Images or folders; `-` for standard input.") var paths: [String]

    func run() throws { try options.execute(paths: paths, summary: false) }
}

/// `hashmatch scan`: `match` over folders, with a progress display, a summary and an optional match log.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan folders recursively for images that match the hash sets.",
        discussion: """
            Parallel across cores, memory bounded whatever the folder size. A progress line on standard error \
            when it is a terminal, a summary at the end. Exit status as for `match`: 0 no match, 1 a match, 2 an \
            error.
            """
    )

    @OptionGroup var options: MatchRunOptions
    @Argument(help: "Folders (or files) to scan.") var paths: [String]

    func run() throws { try options.execute(paths: paths, summary: true) }
}

/// What `match` and `scan` share.
struct MatchRunOptions: ParsableArguments {
    @OptionGroup var hashing: HashingOptions
    @OptionGroup var hashSets: HashSetOptions

    @Option(name: .long, help: "Output format: jsonl, csv or table (default: table on a terminal, else jsonl).")
    var format: OutputFormat?

    @Option(name: .shortAndLong, help: "Files hashed in parallel (default: one per core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(
        name: .long,
        help: ArgumentHelp("Append every match to this JSON-lines log (fsync'd).", valueName: "file")
    )
    var matchLog: String?

    @Flag(name: .long, help: "Print only files that matched or failed.")
    var onlyMatches = false

    func execute(paths: [String], summary: Bool) throws {
        let matcher = try hashSets.loadMatcher()
        let log: MatchLog?
        do {
            log = try matchLog.map { try MatchLog(path: $0) }
        } catch {
            warn("cannot open the match log: \(error)")
            throw ExitCode(2)
        }
        let algorithms = hashing.orderedAlgorithms
        let format = self.format ?? .automatic
        let compact = format == .table
        let header =
            compact ? ["path", "match_count", "matches", "note"] : MatchRecord.columnNames(algorithms: algorithms)
        let writer = RecordWriter(format: format, header: header)
        let progress = ScanProgress(paths: paths, enabled: summary && isatty(STDERR_FILENO) == 1)
        var counts = (files: 0, matched: 0, failed: 0, matches: 0)
        var logFailed = false
        let started = Date()
        let options = hashing.fingerprintOptions
        let maxBytes = hashing.maxFileBytes

        OrderedPipeline(InputFiles(paths: paths), window: jobs * 8).run(jobs: jobs) {
            var fingerprinter = Fingerprinter(options: options)
            return { input -> (MatchRecord, [HashAlgorithm: HashValue]) in
                let record: FingerprintRecord
                do throws(InputFile.ReadError) {
                    record = FingerprintRecord(
                        input: input,
                        fingerprint: fingerprinter.fingerprint(try input.read(maxBytes: maxBytes))
                    )
                } catch {
                    record = FingerprintRecord(path: input.path, readError: error)
                }
                let outcome = record.fingerprint.map(matcher.match) ?? MatchOutcome()
                var hashes: [HashAlgorithm: HashValue] = [:]
                for algorithm in algorithms { hashes[algorithm] = record.fingerprint?.value(for: algorithm) }
                return (MatchRecord(fingerprint: record, outcome: outcome), hashes)
            }
        } emit: { _, result in
            let (record, hashes) = result
            counts.files += 1
            if record.matched { counts.matched += 1 }
            if record.fingerprint.failed { counts.failed += 1 }
            counts.matches += record.outcome.matches.count
            if let log {
                for entry in record.logRecords(hashes: hashes) {
                    do { try log.append(entry) } catch {
                        if !logFailed { warn("cannot write the match log: \(error)") }
                        logFailed = true
                    }
                }
            }
            progress.update(done: counts.files, matched: counts.matched, failed: counts.failed)
            guard !onlyMatches || record.matched || record.fingerprint.failed else { return }
            writer.write(
                json: record.json(),
                columns: compact
                    ? [
                        record.fingerprint.path, String(record.outcome.matches.count),
                        MatchRecord.shortSummary(record.outcome.matches), record.note,
                    ]
                    : record.columns(algorithms: algorithms)
            )
        }
        progress.finish()
        writer.finish()
        if summary {
            let seconds = Date().timeIntervalSince(started)
            warn(
                String(
                    format: "scanned %d files in %.1f s (%.0f files/s): %d matched (%d matches), %d errors; %@",
                    counts.files,
                    seconds,
                    Double(counts.files) / max(seconds, 1e-9),
                    counts.matched,
                    counts.matches,
                    counts.failed,
                    Self.describe(matcher)
                )
            )
        }
        // A match the log could not record is an error: teams rely on the log for their reports.
        if logFailed { throw ExitCode(2) }
        if counts.matched > 0 { throw ExitCode(1) }
        if counts.failed > 0 { throw ExitCode(2) }
    }

    static func describe(_ matcher: Matcher) -> String {
        let counts = matcher.counts.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            "\($0.value) \($0.key.rawValue)"
        }
        return "\(matcher.setNames.count) sets (\(counts.isEmpty ? "empty" : counts.joined(separator: ", ")))"
    }
}

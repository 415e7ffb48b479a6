import ArgumentParser
import Fingerprinting
import Foundation

/// `hashmatch bench`: how fast this machine hashes, measured in-process.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure hashing speed on your own images (in-process, file reading excluded).",
        discussion: """
            Each file is read once, then decoded and hashed --repeat times on one core; prints per file the \
            median and minimum milliseconds, then the throughput of --jobs parallel workers over all files.
            """
    )

    @OptionGroup var hashing: HashingOptions
    @Option(name: .customLong("repeat"), help: "Timed runs per file.") var repetitions = 20
    @Option(name: .shortAndLong, help: "Workers for the parallel throughput run (default: one per core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .long, help: "Output format (default: table on a terminal, else jsonl).") var format: OutputFormat?
    @Argument(help: "Images (or folders) to time.") var paths: [String]

    func run() throws {
        let options = hashing.fingerprintOptions
        var inputs: [(path: String, bytes: [UInt8])] = []
        for input in InputFiles(paths: paths) {
            do { inputs.append((input.path, try input.read(maxBytes: hashing.maxFileBytes))) } catch {
                warn("\(input.path): \(error.message)")
                throw ExitCode(2)
            }
        }
        let writer = RecordWriter(
            format: format ?? .automatic,
            header: ["path", "width", "height", "median_ms", "min_ms"]
        )
        var fingerprinter = Fingerprinter(options: options)
        for (path, bytes) in inputs {
            let warm = fingerprinter.fingerprint(bytes)
            if let error = warm.decodeError {
                warn("\(path): \(error.message)")
                throw ExitCode(2)
            }
            var times: [Double] = []
            for _ in 0..<max(repetitions, 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = fingerprinter.fingerprint(bytes)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            let median = times[times.count / 2]
            writer.write(
                json: .object([
                    ("path", .string(path)), ("width", .int(warm.width ?? 0)), ("height", .int(warm.height ?? 0)),
                    ("median_ms", .double((median * 1000).rounded() / 1000)),
                    ("min_ms", .double((times[0] * 1000).rounded() / 1000)),
                ]),
                columns: [
                    path, String(warm.width ?? 0), String(warm.height ?? 0), String(format: "%.3f", median),
                    String(format: "%.3f", times[0]),
                ]
            )
        }
        writer.finish()
        let perWorker = max(repetitions, 1)
        let files = inputs.map(\.bytes)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: max(jobs, 1)) { _ in
            var worker = Fingerprinter(options: options)
            for _ in 0..<perWorker { for bytes in files { _ = worker.fingerprint(bytes) } }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let images = Double(max(jobs, 1) * perWorker * inputs.count)
        warn(
            String(
                format: "%d workers: %.0f images/s (%.3f ms per image per worker)",
                max(jobs, 1),
                images / seconds,
                seconds * 1000 * Double(max(jobs, 1)) / images
            )
        )
    }
}

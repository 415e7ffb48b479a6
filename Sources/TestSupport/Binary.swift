import Foundation

/// Runs the real `hashmatch` executable, as end-to-end tests must.
public enum Binary {
    /// The built `hashmatch` beside the test bundle (`.build/<configuration>/hashmatch`).
    public static let hashmatch: URL = {
        let products =
            Bundle.main.bundleURL.pathExtension == "xctest"
            ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
        return products.appendingPathComponent("hashmatch")
    }()

    /// What one run printed and how it ended.
    public struct Result: Sendable {
        /// Exit status (or 128 + signal).
        public let status: Int32
        /// Standard output.
        public let stdout: String
        /// Standard error.
        public let stderr: String

        /// Standard output split into lines.
        public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs `hashmatch` with `arguments` to completion, optionally feeding `stdin`.
    public static func run(
        _ arguments: [String],
        stdin: [UInt8]? = nil,
        environment: [String: String] = [:]
    ) throws -> Result {
        let process = Process()
        process.executableURL = hashmatch
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin))
            try input.fileHandleForWriting.close()
        }
        // Read both pipes concurrently so neither fills up and blocks the child. The semaphore (not polling
        // `Thread.isFinished`, which ThreadSanitizer reported as a race on `errorData`) orders the write
        // before the read.
        nonisolated(unsafe) var errorData = Data()
        let readerDone = DispatchSemaphore(value: 0)
        let reader = Thread {
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
            readerDone.signal()
        }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        readerDone.wait()
        let status =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Result(
            status: status,
            stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self)
        )
    }

    /// A fresh empty folder under the system's temporary directory.
    public static func temporaryDirectory(_ name: String = "hashmatch-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

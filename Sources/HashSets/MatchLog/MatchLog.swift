import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON-lines log of matches.
///
/// Crash-safety policy:
/// - Each record is encoded to one line (JSON never holds a raw newline) and written with a single
///   `write(2)` of the whole line on an `O_APPEND` descriptor, under an exclusive `flock(2)` so that
///   several processes sharing the log never interleave or tear each other's lines.
/// - `SyncPolicy.always` (the default) `fsync`s after every record, and `append` returns only then:
///   a record that was acknowledged survives a crash or power loss. `SyncPolicy.never` leaves
///   flushing to the kernel (faster; the last records before a power loss may be lost).
/// - A crash can leave at most a prefix of the last line. Opening the log truncates such a torn
///   line (bytes after the last newline) before anything is appended, so no torn line survives into
///   the log that readers see after a restart; `repairedBytes` says how much was cut. Each append
///   checks again under the lock, in case another process sharing the log died mid-line.
public final class MatchLog: Sendable {
    /// When records are forced to stable storage.
    public enum SyncPolicy: String, Sendable, CaseIterable {
        /// `fsync` after every record; `append` returns once the record is durable. The default.
        case always
        /// Never `fsync`; the kernel writes the data back on its own schedule.
        case never
    }

    /// The log file.
    public let path: String
    /// The sync policy this log was opened with.
    public let syncPolicy: SyncPolicy
    /// Bytes of a torn last line truncated when the log was opened (0 for a clean log).
    public let repairedBytes: Int

    private let fd: Int32
    private let lock = NSLock()

    /// Opens (creating with mode 0640 if needed) a log and repairs a torn last line.
    ///
    /// - Throws: `HashSetError.io` when the file cannot be opened, locked, truncated or synced.
    public init(path: String, syncPolicy: SyncPolicy = .always) throws(HashSetError) {
        let existed = DurableFile.exists(path)
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        var repaired = 0
        do throws(HashSetError) {
            try Self.locked(fd, path) { () throws(HashSetError) in
                repaired = try DurableFile.repairTornTail(fd: fd, path: path)
            }
            if !existed { try DurableFile.syncDirectory(DurableFile.directoryOf(path)) }
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        self.syncPolicy = syncPolicy
        self.repairedBytes = repaired
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Appends one record as one JSON line; with `.always`, returns once it is durable.
    ///
    /// - Throws: `HashSetError.unencodableRecord` when the record cannot be encoded as JSON
    ///   (nothing is written), `HashSetError.io` when writing or syncing fails.
    public func append(_ record: some Encodable) throws(HashSetError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line: [UInt8]
        do {
            line = Array(try encoder.encode(record))
        } catch {
            throw .unencodableRecord(String(describing: error))
        }
        // JSONEncoder escapes newlines inside strings; a raw one would split the record.
        guard !line.contains(UInt8(ascii: "\n")) else { throw .unencodableRecord("encoded record spans lines") }
        line.append(UInt8(ascii: "\n"))
        lock.lock()
        defer { lock.unlock() }
        try Self.locked(fd, path) { () throws(HashSetError) in
            // Another process sharing the log may have died mid-line since we opened it.
            try DurableFile.repairTornTail(fd: fd, path: path)
            try DurableFile.appendWhole(fd: fd, line, path: path, sync: syncPolicy == .always)
        }
    }

    /// The current time as ISO 8601 in UTC with milliseconds, e.g. `2024-05-01T12:00:00.123Z`.
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return timestamp(secondsSince1970: Int(now.tv_sec), milliseconds: Int(now.tv_nsec / 1_000_000))
    }

    /// A Unix time as ISO 8601 in UTC with milliseconds.
    public static func timestamp(secondsSince1970 seconds: Int, milliseconds: Int = 0) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }

    private static func locked(
        _ fd: Int32,
        _ path: String,
        _ body: () throws(HashSetError) -> Void
    ) throws(HashSetError) {
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .io(operation: "flock", path: path, errno: errno) }
        }
        defer { flock(fd, LOCK_UN) }
        try body()
    }
}

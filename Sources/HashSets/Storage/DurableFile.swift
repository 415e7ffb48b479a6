#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file system calls behind hash-set files and the match log: the only place this module
/// touches file descriptors and raw buffers.
///
/// Crash-safety policy, relied on by `HashSetFile` and `MatchLog`:
/// - An append writes whole lines with one `write(2)` of the full buffer on an `O_APPEND`
///   descriptor, then `fsync(2)`; it returns only after `fsync` succeeded. A crash can therefore
///   leave at most a prefix of the last line written, never a hole or a mixed line. An append that
///   fails (a full disk, an I/O error) truncates the file back to its length before the append, so a
///   change reported as failed never loads later.
/// - Before appending, a torn tail (bytes after the last newline) is truncated away under an
///   exclusive `flock(2)`, so the new line never glues onto a torn one.
/// - A whole-file rewrite writes a temporary file in the same directory, `fsync`s it, `rename(2)`s
///   it over the target and `fsync`s the directory: readers see the old file or the new one.
///
/// Hash lists are sensitive (sharing agreements restrict who may read them, and a list lets an uploader
/// test evasions offline), so new files are created mode 0640, less the umask, never world-readable by
/// default; a rewrite keeps the exact mode of the file it replaces.
public enum DurableFile {
    /// Mode of files this type creates (before the umask): owner read/write, group read.
    public static let newFileMode: mode_t = 0o640

    /// Reads a whole file.
    ///
    /// - Throws: `HashSetError.io` naming the call that failed.
    public static func readAll(_ path: String) throws(HashSetError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        // Read straight into an array of the file's size (large hash-set files were read in 64 KiB chunks appended to
        // a growing array: every regrowth copied it), then go on in chunks in case the file grew meanwhile.
        var status = stat()
        let size = fstat(fd, &status) == 0 ? max(Int(status.st_size), 0) : 0
        var failure: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialised in
            while initialised < size {
                let count = read(fd, buffer.baseAddress! + initialised, size - initialised)
                if count < 0 && errno == EINTR { continue }
                if count < 0 { failure = errno }
                if count <= 0 { break }
                initialised += count
            }
        }
        if failure != 0 { throw .io(operation: "read", path: path, errno: failure) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errno: errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    /// Reads a file from its start through a 1 MiB buffer, handing `body` each chunk read (valid only during the
    /// call), so a large file is never held whole.
    ///
    /// - Returns: the number of bytes read.
    /// - Throws: `HashSetError.io` naming the call that failed.
    @discardableResult
    public static func forEachChunk(
        _ path: String,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(HashSetError) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errno: errno)
            }
            if count == 0 { return total }
            total += count
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// Reads a file line by line through `forEachChunk`, so a large file is never held whole: `body` gets each line
    /// terminated by `\n` (without the terminator, nor a `\r` before it; a leading UTF-8 byte-order mark skipped),
    /// numbered from 1, valid only during the call.
    ///
    /// Reading, not mapping: a hash-set file can be truncated in place (a torn tail repaired by another writer),
    /// which would make a mapped read fault.
    ///
    /// - Returns: the length of the bytes after the last newline (a torn line), which `body` never sees.
    /// - Throws: `HashSetError.io` naming the call that failed.
    public static func forEachLine(
        _ path: String,
        _ body: (_ number: Int, _ line: UnsafeBufferPointer<UInt8>) -> Void
    ) throws(HashSetError) -> Int {
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        var number = 1
        func emit(_ whole: UnsafeBufferPointer<UInt8>) {
            var line = whole[...]
            if number == 1, line.starts(with: byteOrderMark) { line = line.dropFirst(3) }
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            body(number, UnsafeBufferPointer(rebasing: line))
            number += 1
        }
        // A line begun in an earlier chunk (one per chunk at most, so copying it costs little).
        var pending: [UInt8] = []
        try forEachChunk(path) { chunk in
            let bytes = chunk.assumingMemoryBound(to: UInt8.self)
            var start = 0
            while let found = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) {
                let end = bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if pending.isEmpty {
                    emit(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                } else {
                    pending += bytes[start..<end]
                    pending.withUnsafeBufferPointer(emit)
                    pending.removeAll(keepingCapacity: true)
                }
                start = end + 1
            }
            pending += bytes[start...]
        }
        return number == 1 && pending.starts(with: byteOrderMark) ? pending.count - 3 : pending.count
    }

    /// Maps a whole file read-only into memory: its pages come straight from the page cache, neither copied into a
    /// buffer nor zero-filled first (for a 1.3 GB index snapshot that was half the load time).
    ///
    /// The file must not shrink while mapped (reading past its new end would raise SIGBUS). Files this type writes
    /// are replaced by rename, never truncated in place, so a mapped snapshot stays whole.
    ///
    /// - Throws: `HashSetError.io` naming the call that failed.
    public static func map(_ path: String) throws(HashSetError) -> MappedFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        let size = Int(status.st_size)
        guard size > 0 else { return MappedFile(base: nil, count: 0) }
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let base = mmap(nil, size, PROT_READ, flags, fd, 0), base != MAP_FAILED else {
            throw .io(operation: "mmap", path: path, errno: errno)
        }
        return MappedFile(base: base, count: size)
    }

    /// Appends `bytes` (whole lines) durably.
    ///
    /// - Parameters:
    ///   - create: create the file (mode 0640 less the umask) when absent; otherwise a missing file is an error.
    ///   - sync: `fsync` after the write (the default); without it the line may be lost, never torn-and-kept.
    /// - Returns: the number of torn bytes truncated away before appending.
    @discardableResult
    static func append(
        _ bytes: [UInt8],
        to path: String,
        create: Bool,
        sync: Bool = true
    ) throws(HashSetError) -> Int {
        let flags = O_RDWR | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = open(path, flags, newFileMode)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .io(operation: "flock", path: path, errno: errno) }
        }
        let repaired = try repairTornTail(fd: fd, path: path)
        try appendWhole(fd: fd, bytes, path: path, sync: sync || repaired > 0)
        return repaired
    }

    /// Writes `bytes` at the end of an `O_APPEND` descriptor the caller holds locked, then `fsync`s (with `sync`).
    ///
    /// All or nothing: a full disk can accept part of the buffer (whole lines among them) before it refuses the
    /// rest, so on any failure the file is truncated back to its length before the write; what the caller reports
    /// as failed never loads later.
    static func appendWhole(fd: Int32, _ bytes: [UInt8], path: String, sync: Bool) throws(HashSetError) {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        do throws(HashSetError) {
            try writeAll(fd: fd, bytes, path: path)
            if sync {
                guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
            }
        } catch {
            _ = ftruncate(fd, status.st_size)
            _ = fsync(fd)
            throw error
        }
    }

    /// Truncates the bytes after the last newline (a line torn by a crash); returns how many.
    ///
    /// A file with no newline at all is truncated to empty. The caller holds the lock.
    @discardableResult
    static func repairTornTail(fd: Int32, path: String) throws(HashSetError) -> Int {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        let size = Int(status.st_size)
        guard size > 0 else { return 0 }
        var end = size
        var chunk = [UInt8](repeating: 0, count: 4096)
        while end > 0 {
            let start = max(0, end - chunk.count)
            let want = end - start
            let got = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(start)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pread", path: path, errno: errno)
            }
            guard got == want else { throw .io(operation: "pread", path: path, errno: EIO) }
            if let newline = chunk[0..<want].lastIndex(of: UInt8(ascii: "\n")) {
                end = start + newline + 1
                break
            }
            end = start
        }
        guard end < size else { return 0 }
        guard ftruncate(fd, off_t(end)) == 0 else { throw .io(operation: "ftruncate", path: path, errno: errno) }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
        return size - end
    }

    /// Replaces `path` with `bytes` atomically and durably (temp file, fsync, rename, fsync directory).
    ///
    /// The new file keeps the permission bits of the one it replaces (a `compact` must not widen a 0600 set to
    /// the umask's default); a file that did not exist gets `newFileMode` less the umask.
    ///
    /// With `noClobber` the temp file is `link(2)`ed into place instead of renamed, which fails
    /// (with `EEXIST`) rather than replace a file that appeared meanwhile.
    public static func replace(_ path: String, with bytes: [UInt8], noClobber: Bool = false) throws(HashSetError) {
        let directory = directoryOf(path)
        removeAbandonedTemporaries(of: path)
        var random = SystemRandomNumberGenerator()
        let temp = "\(directory)/.\(lastComponent(path)).\(getpid()).\(random.next() % 1_000_000_000).tmp"
        var existing = stat()
        let keptMode: mode_t? = stat(path, &existing) == 0 ? existing.st_mode & 0o7777 : nil
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, keptMode ?? newFileMode)
        guard fd >= 0 else { throw .io(operation: "create", path: temp, errno: errno) }
        do throws(HashSetError) {
            if let keptMode, fchmod(fd, keptMode) != 0 { throw .io(operation: "fchmod", path: temp, errno: errno) }
            try writeAll(fd: fd, bytes, path: temp)
            guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: temp, errno: errno) }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        guard close(fd) == 0 else {
            let code = errno
            unlink(temp)
            throw .io(operation: "close", path: temp, errno: code)
        }
        if noClobber {
            let linked = link(temp, path)
            let code = errno
            unlink(temp)
            guard linked == 0 else { throw .io(operation: "link", path: path, errno: code) }
        } else {
            guard rename(temp, path) == 0 else {
                let code = errno
                unlink(temp)
                throw .io(operation: "rename", path: path, errno: code)
            }
        }
        try syncDirectory(directory)
    }

    /// Deletes the temporary files that writers of `path` killed before their rename left behind
    /// (`.<name>.<pid>.<random>.tmp` whose pid is no longer running), so that crashes during `index build` or
    /// `compact` of a large set do not pile up copies of it. A temporary file of a live process is left alone.
    static func removeAbandonedTemporaries(of path: String) {
        let directory = directoryOf(path)
        let prefix = ".\(lastComponent(path))."
        guard let names = try? list(directory) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let middle = name.dropFirst(prefix.count).dropLast(".tmp".count).split(separator: ".")
            guard middle.count == 2, let pid = pid_t(middle[0]), middle[1].allSatisfy(\.isNumber) else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { unlink("\(directory)/\(name)") }
        }
    }

    /// `fsync` on a directory, making a rename or a new file in it durable.
    static func syncDirectory(_ directory: String) throws(HashSetError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: directory, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: directory, errno: errno) }
    }

    /// One `write` of the whole buffer; loops only if the kernel accepts part of it (a full disk,
    /// a signal), in which case a crash before the loop ends leaves a torn line the next open repairs.
    static func writeAll(fd: Int32, _ bytes: [UInt8], path: String) throws(HashSetError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "write", path: path, errno: errno)
            }
            offset += written
        }
    }

    static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastComponent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Whether `path` exists (any kind of file).
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Names in a directory (without `.` and `..`).
    static func list(_ directory: String) throws(HashSetError) -> [String] {
        guard let handle = opendir(directory) else { throw .io(operation: "opendir", path: directory, errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

/// `strerror` text for an errno value.
func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return "\(String(cString: text)) (errno \(code))"
}

/// A file mapped read-only by `DurableFile.map`; unmapped when the value goes away, so keep it alive while `bytes`
/// is read.
public final class MappedFile {
    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer

    init(base: UnsafeMutableRawPointer?, count: Int) {
        bytes = UnsafeRawBufferPointer(start: base, count: count)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

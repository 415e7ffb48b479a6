import Foundation

/// One thing to hash: a file on disk, or standard input when the user passed `-`.
struct InputFile: Sendable {
    /// The path as printed in records (`-` for standard input).
    let path: String
    /// Whether the user named this path (rather than it being found inside a folder).
    var explicit = true
    /// Set when the path is already known to be unreadable (a folder that cannot be listed).
    var failure: ReadError? = nil

    /// Why a file could not be read; the code is stable, the message names the file's problem.
    struct ReadError: Error, Sendable {
        let code: String
        let message: String
    }

    /// Reads the whole input, refusing anything larger than `maxBytes`.
    func read(maxBytes: Int) throws(ReadError) -> [UInt8] {
        if let failure { throw failure }
        return path == "-"
            ? try Self.readStandardInput(maxBytes: maxBytes) : try Self.readFile(path, maxBytes: maxBytes)
    }

    private static func readFile(_ path: String, maxBytes: Int) throws(ReadError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused as not a regular file below).
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw posixError(errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw posixError(errno) }
        if status.st_mode & S_IFMT == S_IFDIR { throw ReadError(code: "is_directory", message: "is a directory") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ReadError(code: "not_regular_file", message: "not a regular file")
        }
        guard Int(status.st_size) <= maxBytes else { throw tooLarge(Int(status.st_size), maxBytes) }
        return try readAll(descriptor, expected: Int(status.st_size), maxBytes: maxBytes)
    }

    private static func readStandardInput(maxBytes: Int) throws(ReadError) -> [UInt8] {
        try readAll(STDIN_FILENO, expected: 1 << 16, maxBytes: maxBytes)
    }

    private static func readAll(_ descriptor: Int32, expected: Int, maxBytes: Int) throws(ReadError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(expected, 1) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                guard count <= maxBytes else { throw tooLarge(count, maxBytes) }
                bytes.append(contentsOf: repeatElement(0, count: bytes.count))
            }
            let got = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw posixError(errno)
            }
            if got == 0 { break }
            count += got
        }
        guard count <= maxBytes else { throw tooLarge(count, maxBytes) }
        bytes.removeSubrange(count...)
        return bytes
    }

    private static func tooLarge(_ size: Int, _ limit: Int) -> ReadError {
        ReadError(code: "file_too_large", message: "\(size) bytes exceeds the \(limit)-byte limit (--max-file-bytes)")
    }

    private static func posixError(_ number: Int32) -> ReadError { ReadError.posix(number) }
}

extension InputFile.ReadError {
    /// The error for an errno value, e.g. `permission_denied: permission denied`.
    static func posix(_ number: Int32, doing action: String? = nil) -> Self {
        let code =
            switch number {
            case ENOENT: "not_found"
            case EACCES, EPERM: "permission_denied"
            case EISDIR: "is_directory"
            default: "read_failed"
            }
        let reason = String(cString: strerror(number)).lowercased()
        return Self(code: code, message: action.map { "\($0): \(reason)" } ?? reason)
    }
}

/// Expands command-line paths into files: folders recursively in sorted order (hidden entries skipped,
/// symbolic links not followed into folders), `-` as standard input. One folder is listed at a time, so a
/// tree of millions of files is never held in memory at once.
struct InputFiles: Sequence {
    let paths: [String]

    func makeIterator() -> Iterator { Iterator(pending: paths.reversed().map { ($0, true) }) }

    struct Iterator: IteratorProtocol {
        /// Paths still to visit, last first; `explicit` marks those the user named (a named directory is walked
        /// even when hidden).
        var pending: [(path: String, explicit: Bool)]

        mutating func next() -> InputFile? {
            while let (path, explicit) = pending.popLast() {
                guard path != "-", isDirectory(path) else { return InputFile(path: path, explicit: explicit) }
                guard let directory = opendir(path) else {
                    return InputFile(path: path, failure: InputFile.ReadError.posix(errno, doing: "cannot list folder"))
                }
                var children: [String] = []
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) {
                        String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                    }
                    if !name.hasPrefix(".") { children.append(name) }
                }
                closedir(directory)
                let base = path.hasSuffix("/") ? path : path + "/"
                pending += children.sorted(by: >).map { (base + $0, false) }
            }
            return nil
        }

        private func isDirectory(_ path: String) -> Bool {
            var status = stat()
            return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
        }
    }
}

import Foundation

/// Standard output (buffered, written from one thread at a time) and standard error (unbuffered).
enum Console {
    /// Pending standard-output bytes; flushed at 64 KiB and by `flush()`.
    nonisolated(unsafe) private static var buffer: [UInt8] = []

    /// Appends a line to standard output.
    static func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Appends text to standard output as is.
    static func text(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Writes out everything buffered.
    static func flush() {
        writeAll(STDOUT_FILENO, buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes to standard error at once.
    static func error(_ text: String) {
        writeAll(STDERR_FILENO, Array(text.utf8))
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

/// A message on standard error, prefixed with the program name.
func warn(_ message: String) {
    Console.error("hashmatch: \(message)\n")
}

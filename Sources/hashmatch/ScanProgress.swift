import Foundation

/// A one-line progress display on standard error (only when it is a terminal): files done, files/s,
/// matches, errors, and an ETA once a background count of the inputs has finished.
final class ScanProgress: @unchecked Sendable {
    // `total` is written by the counting thread and read by the emitting thread under `lock`.
    private let lock = NSLock()
    private var total: Int?
    private let started = Date()
    private var lastDrawn = Date.distantPast
    private let enabled: Bool

    init(paths: [String], enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.enabled = enabled
        guard enabled else { return }
        let thread = Thread { [self] in
            let count = InputFiles(paths: paths).reduce(0) { count, _ in count + 1 }
            lock.withLock { total = count }
        }
        thread.start()
    }

    /// Redraws at most ten times a second.
    func update(done: Int, matched: Int, failed: Int, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
        lastDrawn = now
        let elapsed = max(now.timeIntervalSince(started), 1e-6)
        let rate = Double(done) / elapsed
        var line = "\(done)"
        if let total = lock.withLock({ total }) {
            let fraction = total == 0 ? 1 : Double(done) / Double(total)
            let width = 24
            let filled = min(width, Int(fraction * Double(width)))
            line =
                "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "] "
                + "\(done)/\(total)"
            if rate > 0, done < total { line += "  ETA \(Self.duration(Double(total - done) / rate))" }
        }
        line += String(format: "  %.0f files/s  %d matched  %d errors", rate, matched, failed)
        Console.error("\r\u{1B}[2K" + line)
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        Console.error("\r\u{1B}[2K")
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 3600
            ? String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
            : String(format: "%d:%02d", whole / 60, whole % 60)
    }
}

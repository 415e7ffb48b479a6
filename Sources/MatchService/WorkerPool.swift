import Fingerprinting
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The threads that decode and hash images, off the event loops: one per core, each with its own `Fingerprinter`
/// (it holds scratch buffers and is not thread-safe). Admin work (reloads, durable appends) has a thread of its own
/// so a slow `fsync` never delays an upload and a burst of uploads never delays a reload.
///
/// Lookups in large indexes run on threads of their own as well, so a batch of thousands of PDQ hashes against
/// millions of entries never holds an event loop (and every connection on it) for its duration.
///
/// The queue is bounded: past `maxQueued` image jobs a new one fails at once with `overloaded` instead of waiting.
final class WorkerPool: Sendable {
    private let images: NIOThreadPool
    private let lookups: NIOThreadPool
    private let admin: NIOThreadPool
    /// What each image's fingerprint holds.
    let options: FingerprintOptions
    private let maxQueued: Int
    private let queued = NIOLockedValueBox(0)
    private let fingerprinters = ThreadSpecificVariable<FingerprinterBox>()

    /// A reference to one thread's fingerprinter; only that thread ever touches it.
    private final class FingerprinterBox: @unchecked Sendable {
        var fingerprinter: Fingerprinter
        init(options: FingerprintOptions) { fingerprinter = Fingerprinter(options: options) }
    }

    init(threads: Int, options: FingerprintOptions, maxQueued: Int) {
        self.images = NIOThreadPool(numberOfThreads: max(1, threads))
        self.lookups = NIOThreadPool(numberOfThreads: max(1, threads))
        self.admin = NIOThreadPool(numberOfThreads: 1)
        self.options = options
        self.maxQueued = maxQueued
    }

    func start() {
        images.start()
        lookups.start()
        admin.start()
    }

    func shutdown() async {
        try? await images.shutdownGracefully()
        try? await lookups.shutdownGracefully()
        try? await admin.shutdownGracefully()
    }

    /// Image jobs queued or running.
    var queuedCount: Int { queued.withLockedValue { $0 } }

    /// Fingerprints `bytes` on a worker thread.
    ///
    /// - Parameter deadline: a job still queued at its deadline is skipped (its answer is already sent).
    /// - Returns: a future on `eventLoop`; it fails with `ServiceError` `overloaded` or `deadline_exceeded`.
    func fingerprint(
        _ bytes: ByteBuffer,
        deadline: NIODeadline,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<Fingerprint> {
        let admitted = queued.withLockedValue { count -> Bool in
            guard count < maxQueued else { return false }
            count += 1
            return true
        }
        guard admitted else {
            return eventLoop.makeFailedFuture(
                ServiceError(.overloaded, "\(maxQueued) images are already queued; retry later")
            )
        }
        let future = images.runIfActive(eventLoop: eventLoop) { [self] () throws -> Fingerprint in
            defer { queued.withLockedValue { $0 -= 1 } }
            guard NIODeadline.now() < deadline else {
                throw ServiceError(.deadlineExceeded, "the request waited past its deadline in the queue")
            }
            let box: FingerprinterBox
            if let existing = fingerprinters.currentValue {
                box = existing
            } else {
                box = FingerprinterBox(options: options)
                fingerprinters.currentValue = box
            }
            return bytes.withUnsafeReadableBytes { box.fingerprinter.fingerprint($0) }
        }
        future.whenFailure { error in
            // A pool that is shutting down never ran the closure, so its slot is still taken.
            if !(error is ServiceError) { self.queued.withLockedValue { $0 -= 1 } }
        }
        return future
    }

    /// Runs a long lookup on a lookup thread. Lookups are not counted against `maxQueued`: a connection has at
    /// most `--max-in-flight` of them outstanding, which bounds the queue.
    func runLookup<T: Sendable>(on eventLoop: EventLoop, _ body: @escaping @Sendable () -> T) -> EventLoopFuture<T> {
        lookups.runIfActive(eventLoop: eventLoop, body)
    }

    /// Runs blocking admin work (a reload, a durable append) on the admin thread.
    func runAdmin<T: Sendable>(
        on eventLoop: EventLoop,
        _ body: @escaping @Sendable () throws -> T
    ) -> EventLoopFuture<T> {
        admin.runIfActive(eventLoop: eventLoop, body)
    }

    /// Runs blocking admin work from async code.
    func runAdmin<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await admin.runIfActive(body)
    }
}

import Foundation

/// Runs `jobs` worker threads over a lazily pulled sequence and hands results back in input order.
///
/// Memory stays bounded: a worker waits once it is `window` items ahead of the item being emitted, and
/// inputs are pulled from the sequence only as workers become free. Each worker owns its own state
/// (e.g. a `Fingerprinter` with its scratch buffers), made once by `makeWorker`.
final class OrderedPipeline<Input, Output>: @unchecked Sendable {
    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var iterator: AnyIterator<Input>
    private var nextToIssue = 0
    private var nextToEmit = 0
    private var finishedInput = false
    private var ready: [Int: (Input, Output)] = [:]
    private var runningWorkers = 0
    private let window: Int

    init<S: Sequence>(_ inputs: S, window: Int) where S.Element == Input {
        self.iterator = AnyIterator(inputs.makeIterator())
        self.window = max(window, 1)
    }

    /// Processes every input; `emit` is called on the calling thread, in input order.
    func run(jobs: Int, makeWorker: @escaping @Sendable () -> (Input) -> Output, emit: (Input, Output) -> Void) {
        condition.lock()
        runningWorkers = max(jobs, 1)
        condition.unlock()
        for _ in 0..<max(jobs, 1) {
            let thread = Thread { [self] in
                let work = makeWorker()
                while let (index, input) = take() {
                    let output = work(input)
                    condition.lock()
                    ready[index] = (input, output)
                    condition.broadcast()
                    condition.unlock()
                }
                condition.lock()
                runningWorkers -= 1
                condition.broadcast()
                condition.unlock()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        condition.lock()
        while true {
            if let (input, output) = ready.removeValue(forKey: nextToEmit) {
                nextToEmit += 1
                condition.broadcast()
                condition.unlock()
                emit(input, output)
                condition.lock()
            } else if runningWorkers == 0 && ready.isEmpty {
                break
            } else {
                condition.wait()
            }
        }
        condition.unlock()
    }

    /// The next input and its position, or nil when the sequence is exhausted.
    private func take() -> (Int, Input)? {
        condition.lock()
        defer { condition.unlock() }
        while nextToIssue - nextToEmit >= window && !finishedInput { condition.wait() }
        guard !finishedInput, let input = iterator.next() else {
            finishedInput = true
            return nil
        }
        nextToIssue += 1
        return (nextToIssue - 1, input)
    }
}

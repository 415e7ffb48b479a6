import NIOConcurrencyHelpers
import NIOCore

/// Sent down a connection's pipeline when the server shuts down: answer what is in flight, read nothing more, close.
struct DrainEvent: Sendable {}

/// The open connections of every listener: enforces the connection limit and drains them all on shutdown.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var draining = false
    }

    private let state = NIOLockedValueBox(State())
    private let limit: Int
    private let onChange: @Sendable (Int) -> Void

    init(limit: Int, onChange: @escaping @Sendable (Int) -> Void) {
        self.limit = limit
        self.onChange = onChange
    }

    /// Open connections.
    var count: Int { state.withLockedValue { $0.channels.count } }

    /// Registers a new connection; false when at the limit or shutting down (the caller refuses it).
    func admit(_ channel: any Channel) -> Bool {
        let count = state.withLockedValue { state -> Int? in
            guard !state.draining, state.channels.count < limit else { return nil }
            state.channels[ObjectIdentifier(channel)] = channel
            return state.channels.count
        }
        guard let count else { return false }
        onChange(count)
        channel.closeFuture.whenComplete { _ in
            let count = self.state.withLockedValue { state -> Int in
                state.channels[ObjectIdentifier(channel)] = nil
                return state.channels.count
            }
            self.onChange(count)
        }
        return true
    }

    /// Asks every connection to finish what is in flight and close; new connections are refused from now on.
    func drainAll() {
        let channels = state.withLockedValue { state -> [any Channel] in
            state.draining = true
            return Array(state.channels.values)
        }
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
    }

    /// Waits until every connection has closed or `timeout` passed, then closes what is left.
    func waitUntilClosed(timeout: Duration) async {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while count > 0, clock.now < end {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = state.withLockedValue { Array($0.channels.values) }
        for channel in left { channel.close(promise: nil) }
    }
}

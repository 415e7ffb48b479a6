import Fingerprinting
import Matching
import NIOCore

/// Where the service listens.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A Unix domain socket at this path.
    case unix(path: String)
    /// A TCP address (`host` is an IP address or `localhost`; port 0 picks a free port).
    case tcp(host: String, port: Int)

    /// Parses `HOST:PORT` (`[v6]:PORT` for IPv6).
    ///
    /// - Returns: nil when there is no port or it is not a number in 0…65535.
    public static func parseTCP(_ text: String) -> ListenAddress? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : .tcp(host: host, port: port)
    }

    /// Whether only this machine can reach the address (a Unix socket, 127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool {
        switch self {
        case .unix: true
        case .tcp(let host, _): host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}

/// The limits that keep one client, or one upload, from taking the server down. The defaults are safe for an
/// upload pipeline on a small machine; every one can be changed on the `serve` command line.
public struct ServiceLimits: Sendable, Equatable {
    /// Largest frame (the length field's value) or HTTP body accepted. A larger length closes the connection.
    public var maxFrameBytes: Int = 32 << 20
    /// Largest decoded image, in pixels (decompression bombs are refused before their pixels are allocated).
    public var maxPixels: Int = 50_000_000
    /// Open connections across all listeners; one more is answered `overloaded` and closed.
    public var maxConnections: Int = 1024
    /// Requests one connection may have in flight (read, not yet answered); past it the server stops reading
    /// that connection until answers go out.
    public var maxInFlightPerConnection: Int = 64
    /// Image requests (hash, match) queued or running on the worker threads across all connections; past it an
    /// image request is answered `overloaded` at once instead of queueing.
    public var maxQueuedImages: Int = 256
    /// A connection with nothing in flight and no bytes arriving for this long is closed.
    public var idleTimeout: Duration = .seconds(300)
    /// A frame (or HTTP request) begun but not finished within this long closes the connection.
    public var readTimeout: Duration = .seconds(10)
    /// A request not answered within this long is answered `deadline_exceeded`.
    public var requestDeadline: Duration = .seconds(30)
    /// How long a graceful shutdown waits for requests in flight before closing connections anyway.
    public var shutdownGrace: Duration = .seconds(20)

    /// The defaults above.
    public init() {}
}

/// Everything `MatchServer` needs to run.
public struct ServiceConfiguration: Sendable {
    /// Framed-protocol listeners (Unix sockets and TCP).
    public var framedListeners: [ListenAddress] = []
    /// HTTP/1.1 listeners.
    public var httpListeners: [ListenAddress] = []
    /// Folder of `.hashset` files served.
    public var hashSetDirectory: String
    /// Thresholds every set starts from.
    public var thresholds = MatchThresholds()
    /// What hash and match compute (its `decoding.maxPixels` is replaced by `limits.maxPixels`).
    public var fingerprintOptions = FingerprintOptions()
    /// The limits.
    public var limits = ServiceLimits()
    /// Client and admin tokens.
    public var credentials = Credentials()
    /// File mode of Unix sockets.
    public var socketMode: UInt32 = 0o660
    /// Worker threads for decoding and hashing (default: one per core).
    public var workerThreads: Int = System.coreCount
    /// How often the hash-set folder is checked for changed files; nil turns the watcher off.
    public var watchInterval: Duration? = .seconds(2)
    /// Reload on SIGHUP.
    public var reloadOnSIGHUP = true

    /// A configuration serving `hashSetDirectory` with the defaults.
    public init(hashSetDirectory: String) {
        self.hashSetDirectory = hashSetDirectory
    }

    /// Refuses configurations that would expose the service: TCP or HTTP off this machine without a token.
    ///
    /// - Throws: `ConfigurationError` saying which listener needs what.
    public func validate() throws(ConfigurationError) {
        for address in framedListeners + httpListeners where !address.isLoopback && credentials.clientToken == nil {
            throw .tokenRequired(address.description)
        }
        if framedListeners.isEmpty && httpListeners.isEmpty { throw .noListener }
    }
}

/// A configuration the server refuses to start with.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// A non-loopback listener without `--token-file`.
    case tokenRequired(String)
    /// Nothing to listen on.
    case noListener
    /// A token file that cannot be read or is empty.
    case badTokenFile(String)
    /// A Unix socket path in use by a live server, or that cannot be replaced.
    case socketInUse(String)

    public var description: String {
        switch self {
        case .tokenRequired(let address):
            "\(address) is reachable from other machines: give a token file (--token-file) to listen there"
        case .noListener: "nothing to listen on"
        case .badTokenFile(let reason): reason
        case .socketInUse(let path): "\(path): another server is listening on this socket"
        }
    }
}

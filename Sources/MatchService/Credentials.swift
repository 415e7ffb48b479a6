#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much a connection or HTTP request may do.
public enum AccessLevel: Int, Sendable, Comparable {
    /// Only `ping` and `auth`.
    case none
    /// Hash, match, lookup, stats.
    case client
    /// Also reload and add/remove entries.
    case admin

    public static func < (lhs: AccessLevel, rhs: AccessLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Which listener a request came in on: access rules differ.
public enum Transport: String, Sendable {
    /// A Unix domain socket (its file mode already restricts who connects).
    case unix
    /// The framed protocol over TCP.
    case tcp
    /// HTTP/1.1 over TCP.
    case http
}

/// The client and admin tokens, and the rules that turn a transport and a presented token into an access level.
///
/// Rules (docs/PROTOCOL.md, "Authentication"):
/// - Unix socket: client access without a token. Admin access with the admin token; when no admin token is
///   configured, every Unix-socket connection has admin access (the socket's file mode is the control).
/// - TCP and HTTP: client access without a token only when no client token is configured (allowed on loopback
///   only). Admin access only with the admin token; without an admin token configured there is none.
public struct Credentials: Sendable {
    /// Grants client access.
    public var clientToken: [UInt8]?
    /// Grants admin access (and client access).
    public var adminToken: [UInt8]?

    /// Credentials with the given tokens (nil: not configured).
    public init(clientToken: [UInt8]? = nil, adminToken: [UInt8]? = nil) {
        self.clientToken = clientToken
        self.adminToken = adminToken
    }

    /// Reads a token file: its bytes without trailing whitespace (so `echo secret > file` works).
    ///
    /// - Throws: `ConfigurationError.badTokenFile` when it cannot be read, or is empty.
    public static func readTokenFile(_ path: String) throws(ConfigurationError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .badTokenFile("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 16 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        while let last = bytes.last, last == 0x20 || last == 0x0A || last == 0x0D || last == 0x09 { bytes.removeLast() }
        guard !bytes.isEmpty else { throw .badTokenFile("\(path): the token file is empty") }
        return bytes
    }

    /// The access a fresh connection on `transport` has before it authenticates.
    public func initialLevel(for transport: Transport) -> AccessLevel {
        switch transport {
        case .unix: adminToken == nil ? .admin : .client
        case .tcp, .http: clientToken == nil ? .client : .none
        }
    }

    /// The access `token` grants on `transport`, or nil when it matches no configured token.
    public func level(presenting token: [UInt8], on transport: Transport) -> AccessLevel? {
        if let adminToken, Self.constantTimeEqual(token, adminToken) { return .admin }
        if let clientToken, Self.constantTimeEqual(token, clientToken) { return .client }
        return nil
    }

    /// Compares in time that depends only on the lengths, never on where the first difference is.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        let count = max(a.count, b.count)
        for index in 0..<count {
            let left = index < a.count ? a[index] : 0
            let right = index < b.count ? b[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}

import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A `hashmatch serve` child process on a temporary socket and free loopback ports; killed when the test ends.
final class ServerProcess {
    let directory: URL
    let hashsets: URL
    let socketPath: String
    let tcpPort: Int
    let httpPort: Int
    let log: URL
    private let process = Process()

    /// Starts the real binary and waits (at most 15 s) until it answers ping on its Unix socket.
    ///
    /// With `asNobody` (the tests run as root) the server runs as user and group 65534 through `setpriv`, so that
    /// file permissions bind it; its folder is handed to that user.
    init(hashsets: URL? = nil, arguments: [String] = [], waitForPing: Bool = true, asNobody: Bool = false) throws {
        directory = try Binary.temporaryDirectory("hashmatch-serve")
        if asNobody { chown(directory.path, Self.nobody, Self.nobody) }
        self.hashsets = hashsets ?? directory.appendingPathComponent("sets")
        try FileManager.default.createDirectory(at: self.hashsets, withIntermediateDirectories: true)
        socketPath = directory.appendingPathComponent("s.sock").path
        tcpPort = try Self.freePort()
        httpPort = try Self.freePort()
        log = directory.appendingPathComponent("server.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let serve =
            [
                "serve", "--socket", socketPath, "--hashsets", self.hashsets.path, "--listen", "127.0.0.1:\(tcpPort)",
                "--http", "127.0.0.1:\(httpPort)", "--watch-interval", "0.3",
            ] + arguments
        if asNobody {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments =
                ["--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", Binary.hashmatch.path] + serve
        } else {
            process.executableURL = Binary.hashmatch
            process.arguments = serve
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        guard waitForPing else { return }
        for _ in 0..<300 {
            if let socket = try? FrameSocket(unix: socketPath), (try? socket.call(0x01, id: 1))?.status == 0 { return }
            guard process.isRunning else { break }
            usleep(50_000)
        }
        kill()
        throw HarnessError("server did not answer ping: \(logText)")
    }

    /// The uid and gid of `nobody` on Debian.
    static let nobody: UInt32 = 65534

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Sends `signal` and waits at most `timeout` seconds for the exit; returns the exit status (nil: still running).
    func signalAndWait(_ signal: Int32 = SIGTERM, timeout: Double = 20) -> Int32? {
        Glibc.kill(process.processIdentifier, signal)
        return waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: Double) -> Int32? {
        let end = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < end { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A free loopback port: bound with port 0, then released.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw HarnessError("cannot bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A blocking client socket with a receive timeout, speaking the framed protocol byte by byte as the spec says.
final class FrameSocket {
    let fd: Int32

    struct Answer {
        var status: UInt8
        var id: UInt32
        var payload: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any]) ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    init(unix path: String, timeout: Double = 15) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw HarnessError("connect \(path): errno \(errno)")
        }
        setTimeout(timeout)
    }

    init(tcpPort: Int, timeout: Double = 15) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(tcpPort).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw HarnessError("connect 127.0.0.1:\(tcpPort): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setTimeout(timeout)
    }

    deinit { close(fd) }

    func setTimeout(_ seconds: Double) {
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }

    static func frame(_ opcode: UInt8, id: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(5 + payload.count)
        return [
            UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), opcode,
        ]
            + [UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] + payload
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { throw HarnessError("send: errno \(errno)") }
            offset += sent
        }
    }

    /// Exactly `count` bytes, or nil at end of stream; throws on timeout.
    func read(_ count: Int) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + offset, count - offset, 0) }
            if got < 0, errno == EINTR { continue }
            if got < 0 { throw HarnessError("recv timed out or failed: errno \(errno)") }
            if got == 0 { return nil }
            offset += got
        }
        return bytes
    }

    /// The next answer, or nil when the server closed the connection.
    func receive() throws -> Answer? {
        guard let header = try read(9) else { return nil }
        let length = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        let id = header[5..<9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard let payload = try read(length - 5) else { throw HarnessError("closed inside a response") }
        return Answer(status: header[4], id: id, payload: payload)
    }

    func call(_ opcode: UInt8, id: UInt32, _ payload: [UInt8] = []) throws -> Answer {
        try write(Self.frame(opcode, id: id, payload))
        guard let answer = try receive() else { throw HarnessError("closed before answering") }
        return answer
    }

    func callJSON(_ opcode: UInt8, id: UInt32, _ object: Any) throws -> Answer {
        try call(opcode, id: id, [UInt8](try JSONSerialization.data(withJSONObject: object)))
    }
}

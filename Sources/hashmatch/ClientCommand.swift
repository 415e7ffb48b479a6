import ArgumentParser
import Foundation
import Matching

/// `hashmatch client`: a reference client for the framed protocol (docs/PROTOCOL.md) over plain POSIX sockets.
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Talk to `hashmatch serve` over its framed protocol; prints one JSON response per line.",
        discussion: """
            Requests are pipelined: all are sent, then all answers read (they come back in order). \
            Exit status: 0 answered with no match, 1 a match was found, 2 an error answer or failure.
            """
    )

    enum Operation: String, ExpressibleByArgument, CaseIterable {
        case ping, hash, match, lookup, stats, reload
    }

    @Option(name: .long, help: ArgumentHelp("Unix socket (default as for serve).", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("Connect over TCP instead.", valueName: "host:port"))
    var connect: String?

    @Option(name: .long, help: ArgumentHelp("Authenticate with the token in this file first.", valueName: "file"))
    var tokenFile: String?

    @Argument(help: "ping, hash, match, lookup, stats or reload.") var operation: Operation

    @Argument(help: "Image files (hash, match) or algorithm:hex hashes (lookup).") var inputs: [String] = []

    func run() throws {
        var requests: [(opcode: UInt8, payload: [UInt8])] = []
        if let tokenFile {
            var token = [UInt8](try Data(contentsOf: URL(fileURLWithPath: tokenFile)))
            while let last = token.last, last == 0x0A || last == 0x0D || last == 0x20 { token.removeLast() }
            requests.append((0x02, token))
        }
        switch operation {
        case .ping: requests.append((0x01, []))
        case .stats: requests.append((0x20, []))
        case .reload: requests.append((0x30, []))
        case .hash, .match:
            guard !inputs.isEmpty else { throw ValidationError("\(operation.rawValue) needs image files") }
            for path in inputs {
                let bytes =
                    path == "-"
                    ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
                requests.append((operation == .hash ? 0x10 : 0x11, [UInt8](bytes)))
            }
        case .lookup:
            let items = try inputs.map { text -> [String: String] in
                let parts = text.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { throw ValidationError("\(text): want algorithm:hex") }
                return ["algorithm": String(parts[0]), "hash": String(parts[1])]
            }
            requests.append((0x12, [UInt8](try JSONSerialization.data(withJSONObject: items))))
        }
        let connection = try FrameConnection(socket: socket ?? ServeCommand.defaultSocketPath, tcp: connect)
        defer { connection.close() }
        for (index, request) in requests.enumerated() {
            try connection.send(opcode: request.opcode, id: UInt32(index + 1), payload: request.payload)
        }
        var status: Int32 = 0
        for index in requests.indices {
            let answer = try connection.receive()
            guard answer.id == UInt32(index + 1) else { throw FrameConnection.Failure("answer out of order") }
            print(String(decoding: answer.payload, as: UTF8.self))
            if answer.status != 0 { status = 2 }
            if status == 0,
                (try? JSONSerialization.jsonObject(with: Data(answer.payload)) as? [String: Any])?["matches"]
                    .flatMap({ $0 as? [Any] })?.isEmpty == false
            {
                status = 1
            }
            if status == 0, requests[index].opcode == 0x12,
                String(decoding: answer.payload, as: UTF8.self).contains("\"set\":")
            {
                status = 1
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// One framed-protocol connection over a blocking POSIX socket.
struct FrameConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private let fd: Int32

    init(socket path: String, tcp: String?) throws {
        if let tcp {
            guard let colon = tcp.lastIndex(of: ":"), let port = UInt16(tcp[tcp.index(after: colon)...]) else {
                throw Failure("--connect \(tcp): want host:port")
            }
            var host = String(tcp[..<colon])
            if host == "localhost" { host = "127.0.0.1" }
            fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
                throw Failure("\(host): want an IPv4 address")
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else { throw Failure("connect \(tcp): \(String(cString: strerror(errno)))") }
        } else {
            fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
                throw Failure("\(path): too long")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: path.utf8)
                raw[path.utf8.count] = 0
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard result == 0 else { throw Failure("connect \(path): \(String(cString: strerror(errno)))") }
        }
    }

    func close() { _ = Glibc.close(fd) }

    func send(opcode: UInt8, id: UInt32, payload: [UInt8]) throws {
        var frame: [UInt8] = []
        frame.reserveCapacity(9 + payload.count)
        withUnsafeBytes(of: UInt32(5 + payload.count).bigEndian) { frame += $0 }
        frame.append(opcode)
        withUnsafeBytes(of: id.bigEndian) { frame += $0 }
        frame += payload
        var offset = 0
        while offset < frame.count {
            let sent = frame.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { throw Failure("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    func receive() throws -> (status: UInt8, id: UInt32, payload: [UInt8]) {
        let header = try readExactly(9)
        let length = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        let id = header[5..<9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (header[4], id, try readExactly(length - 5))
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + offset, count - offset, 0) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { throw Failure("the server closed the connection") }
            offset += got
        }
        return bytes
    }
}

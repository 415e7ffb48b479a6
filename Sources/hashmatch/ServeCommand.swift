import ArgumentParser
import Fingerprinting
import Foundation
import Logging
import MatchService
import Matching
import PerceptualHashing
import ServiceLifecycle

/// `hashmatch serve`: the match socket (framed protocol) and the HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the hash sets over a Unix socket, TCP and HTTP (see docs/PROTOCOL.md).",
        discussion: """
            With no options it serves the sets `match` would load on $XDG_RUNTIME_DIR/hashmatch.sock (else \
            /tmp/hashmatch.sock), mode 0660. TCP and HTTP on a non-loopback address need --token-file. \
            SIGHUP, the reload operation and changed files in the folder reload the sets; SIGTERM/SIGINT stop \
            accepting, answer what is in flight, remove the socket file and exit 0.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Unix socket path for the framed protocol.", valueName: "path"))
    var socket: String?

    @Flag(name: .long, help: "Do not listen on a Unix socket (with --listen or --http).")
    var noSocket = false

    @Option(name: .long, help: ArgumentHelp("Framed protocol over TCP (repeatable).", valueName: "host:port"))
    var listen: [String] = []

    @Option(name: .long, help: ArgumentHelp("HTTP/1.1 JSON API (repeatable).", valueName: "host:port"))
    var http: [String] = []

    @OptionGroup var hashSets: HashSetOptions

    @Option(name: .long, help: ArgumentHelp("File holding the client token (TCP/HTTP).", valueName: "file"))
    var tokenFile: String?

    @Option(name: .long, help: ArgumentHelp("File holding the admin token (reload, add/remove).", valueName: "file"))
    var adminTokenFile: String?

    @Option(name: .long, help: ArgumentHelp("Unix socket file mode, octal.", valueName: "mode"))
    var socketMode: String = "660"

    @Option(name: .long, help: ArgumentHelp("Largest frame or HTTP body.", valueName: "bytes"))
    var maxFrameBytes = ServiceLimits().maxFrameBytes

    @Option(name: .long, help: ArgumentHelp("Refuse images with more pixels than this.", valueName: "pixels"))
    var maxPixels = ServiceLimits().maxPixels

    @Option(name: .long, help: ArgumentHelp("Open connections at most.", valueName: "n"))
    var maxConnections = ServiceLimits().maxConnections

    @Option(
        name: .long,
        help: ArgumentHelp("Unanswered requests per connection before reading pauses.", valueName: "n")
    )
    var maxInFlight = ServiceLimits().maxInFlightPerConnection

    @Option(name: .long, help: ArgumentHelp("Images queued for the workers before `overloaded`.", valueName: "n"))
    var maxQueuedImages = ServiceLimits().maxQueuedImages

    @Option(name: .long, help: ArgumentHelp("Close connections idle this long.", valueName: "seconds"))
    var idleTimeout: Double = 300

    @Option(
        name: .long,
        help: ArgumentHelp("Close connections that begin a frame and stall this long.", valueName: "seconds")
    )
    var readTimeout: Double = 10

    @Option(name: .long, help: ArgumentHelp("Answer deadline_exceeded after this long.", valueName: "seconds"))
    var requestDeadline: Double = 30

    @Option(
        name: .long,
        help: ArgumentHelp("Worker threads for decoding and hashing (default: cores).", valueName: "n")
    )
    var workers: Int?

    @Option(
        name: .long,
        help: ArgumentHelp("Check the folder for changed files this often; 0: never.", valueName: "seconds")
    )
    var watchInterval: Double = 2

    @Option(
        name: .long,
        parsing: .unconditional,
        help: ArgumentHelp(
            "Hashes that hash and match compute from images: pdq, phash, dhash, ahash, md5, sha1, sha256, or all. "
                + "Fewer is faster; entries of the others are still matched by lookups.",
            valueName: "list"
        )
    )
    var algorithms: AlgorithmList = AlgorithmList(Set(HashAlgorithm.allCases))

    @Option(name: .long, help: "PDQ path for hash and match.") var pdqMode: PDQHashingMode = .full

    @Flag(name: .long, help: "Match all 8 PDQ rotations and mirror images.") var dihedral = false

    static var defaultSocketPath: String {
        if let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return runtime + "/hashmatch.sock"
        }
        return "/tmp/hashmatch.sock"
    }

    func configuration() throws -> ServiceConfiguration {
        var configuration = ServiceConfiguration(hashSetDirectory: hashSets.directory)
        configuration.thresholds = hashSets.thresholds
        if !noSocket { configuration.framedListeners.append(.unix(path: socket ?? Self.defaultSocketPath)) }
        for text in listen {
            guard let address = ListenAddress.parseTCP(text) else {
                throw ValidationError("--listen \(text): want host:port")
            }
            configuration.framedListeners.append(address)
        }
        for text in http {
            guard let address = ListenAddress.parseTCP(text) else {
                throw ValidationError("--http \(text): want host:port")
            }
            configuration.httpListeners.append(address)
        }
        guard let mode = UInt32(socketMode, radix: 8), mode <= 0o777 else {
            throw ValidationError("--socket-mode \(socketMode): want an octal mode such as 660")
        }
        configuration.socketMode = mode
        configuration.credentials = Credentials(
            clientToken: try tokenFile.map { try Credentials.readTokenFile($0) },
            adminToken: try adminTokenFile.map { try Credentials.readTokenFile($0) }
        )
        var limits = ServiceLimits()
        limits.maxFrameBytes = maxFrameBytes
        limits.maxPixels = maxPixels
        limits.maxConnections = maxConnections
        limits.maxInFlightPerConnection = max(1, maxInFlight)
        limits.maxQueuedImages = max(1, maxQueuedImages)
        limits.idleTimeout = .milliseconds(Int(idleTimeout * 1000))
        limits.readTimeout = .milliseconds(Int(readTimeout * 1000))
        limits.requestDeadline = .milliseconds(Int(requestDeadline * 1000))
        configuration.limits = limits
        if let workers { configuration.workerThreads = max(1, workers) }
        configuration.watchInterval = watchInterval > 0 ? .milliseconds(Int(watchInterval * 1000)) : nil
        try algorithms.check(dihedral: dihedral)
        configuration.fingerprintOptions.algorithms = algorithms.set
        configuration.fingerprintOptions.pdqMode = pdqMode
        configuration.fingerprintOptions.dihedral = dihedral
        return configuration
    }

    func run() async throws {
        let configuration: ServiceConfiguration
        do {
            configuration = try self.configuration()
            try configuration.validate()
        } catch let error as ConfigurationError {
            Console.error("hashmatch serve: \(error)\n")
            throw ExitCode(2)
        }
        Self.raiseOpenFileLimit(to: configuration.limits.maxConnections + 64)
        let logger = Logger(label: "hashmatch.serve") { StreamLogHandler.standardError(label: $0) }
        let server = MatchServer(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            Console.error("hashmatch serve: \(error)\n")
            throw ExitCode(2)
        }
    }

    /// Connections are file descriptors: lift the soft limit toward the hard one.
    static func raiseOpenFileLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

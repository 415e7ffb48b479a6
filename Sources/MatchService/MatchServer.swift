import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The match service as a swift-service-lifecycle `Service`: loads the index, listens, reloads on SIGHUP and on
/// changed files, and on graceful shutdown stops accepting, answers what is in flight, removes its socket files.
public final class MatchServer: Service, Sendable {
    private let configuration: ServiceConfiguration
    private let logger: Logger
    private let processor: RequestProcessor
    private let bound = NIOLockedValueBox<[String]>([])

    /// The service's metrics (the registry `GET /metrics` renders).
    public let metrics: ServiceMetrics

    /// A server for `configuration`; nothing happens until `run()`.
    public init(configuration: ServiceConfiguration, logger: Logger) {
        var fingerprintOptions = configuration.fingerprintOptions
        fingerprintOptions.decoding.maxPixels = configuration.limits.maxPixels
        let metrics = ServiceMetrics()
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.processor = RequestProcessor(
            catalogue: Catalogue(directory: configuration.hashSetDirectory, thresholds: configuration.thresholds),
            workers: WorkerPool(
                threads: configuration.workerThreads,
                options: fingerprintOptions,
                maxQueued: configuration.limits.maxQueuedImages
            ),
            metrics: metrics,
            credentials: configuration.credentials,
            limits: configuration.limits,
            connections: ConnectionRegistry(limit: configuration.limits.maxConnections) {
                metrics.recordConnections($0)
            },
            logger: logger
        )
    }

    /// The addresses bound, once listening (`unix:/path`, `127.0.0.1:40123`, `http://127.0.0.1:8080`).
    public var boundAddresses: [String] { bound.withLockedValue { $0 } }

    /// Runs until graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`), then drains and returns.
    ///
    /// - Throws: `ConfigurationError` or a bind error before listening; `ServiceError` when the first load fails.
    public func run() async throws {
        try configuration.validate()
        let workers = processor.workers
        workers.start()
        do {
            _ = try await workers.runAdmin { try self.processor.reload(cause: "start") }
        } catch {
            await workers.shutdown()
            throw error
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        var listeners: [(channel: any Channel, socketPath: String?)] = []
        do {
            for address in configuration.framedListeners {
                listeners.append(try await listen(address, http: false, group))
            }
            for address in configuration.httpListeners {
                listeners.append(try await listen(address, http: true, group))
            }
        } catch {
            for listener in listeners { try? await listener.channel.close() }
            try? await group.shutdownGracefully()
            await workers.shutdown()
            throw error
        }

        await withTaskGroup(of: Void.self) { tasks in
            if let interval = configuration.watchInterval { tasks.addTask { await self.watchFolder(every: interval) } }
            if configuration.reloadOnSIGHUP { tasks.addTask { await self.reloadOnHangup() } }
            try? await gracefulShutdown()
            tasks.cancelAll()
        }

        logger.info("shutting down: refusing new connections, answering requests in flight")
        for listener in listeners {
            try? await listener.channel.close()
            if let path = listener.socketPath { unlink(path) }
        }
        processor.connections.drainAll()
        await processor.connections.waitUntilClosed(timeout: configuration.limits.shutdownGrace)
        try? await group.shutdownGracefully()
        await workers.shutdown()
        logger.info("stopped")
    }

    private func listen(
        _ address: ListenAddress,
        http: Bool,
        _ group: EventLoopGroup
    ) async throws -> (
        channel: any Channel, socketPath: String?
    ) {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: !http)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try self.initialize(channel, http: http, address: address) }
            }
        let channel: any Channel
        var socketPath: String?
        switch address {
        case .unix(let path):
            try Self.removeStaleSocket(path)
            channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
            chmod(path, mode_t(configuration.socketMode))
            socketPath = path
        case .tcp(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port).get()
        }
        let shown: String
        switch (address, channel.localAddress) {
        case (.unix(let path), _): shown = "unix:\(path)"
        case (.tcp(let host, _), let local?):
            shown = "\(host.contains(":") ? "[\(host)]" : host):\(local.port ?? 0)"
        case (.tcp, nil): shown = address.description
        }
        let label = http ? "http://\(shown)" : shown
        bound.withLockedValue { $0.append(label) }
        logger.info("listening", metadata: ["address": "\(label)", "protocol": "\(http ? "http" : "framed")"])
        return (channel, socketPath)
    }

    private func initialize(_ channel: any Channel, http: Bool, address: ListenAddress) throws {
        let limits = configuration.limits
        guard processor.connections.admit(channel) else {
            logger.warning("refusing a connection: at the \(limits.maxConnections)-connection limit or shutting down")
            if !http {
                var buffer = channel.allocator.buffer(capacity: 128)
                let error = ServiceError(.overloaded, "too many connections; retry later")
                FrameCodec.writeResponse(
                    status: FrameCodec.statusError,
                    id: FrameCodec.connectionErrorID,
                    json: ServiceResponse.failure(error).json,
                    into: &buffer
                )
                channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
            return
        }
        let pipeline = channel.pipeline.syncOperations
        if http {
            let reading = HTTPReadState()
            try pipeline.addHandler(RequestBytesMarker(reading: reading))
            try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
            try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(limits.readTimeout)))
            try pipeline.addHandler(
                HTTPHandler(processor: processor, limits: limits, logger: logger, reading: reading)
            )
        } else {
            let transport: Transport = if case .unix = address { .unix } else { .tcp }
            try pipeline.addHandler(
                FrameConnectionHandler(processor: processor, transport: transport, limits: limits, logger: logger)
            )
        }
    }

    /// Replaces a socket file left by a server that is gone; refuses when a server still answers on it.
    private static func removeStaleSocket(_ path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw ConfigurationError.socketInUse(path + " (not a socket)")
        }
        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if connected == 0 { throw ConfigurationError.socketInUse(path) }
        unlink(path)
    }

    /// Reloads when a `.hashset` file appears, disappears or changes (polling mtimes and sizes).
    private func watchFolder(every interval: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            guard processor.catalogue.folderChanged() else { continue }
            _ = try? await processor.workers.runAdmin { try self.processor.reloadIfFolderChanged() }
        }
    }

    private func reloadOnHangup() async {
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            _ = try? await processor.workers.runAdmin { try self.processor.reload(cause: "SIGHUP") }
        }
    }
}

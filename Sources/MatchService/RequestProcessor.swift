import Fingerprinting
import Logging
import Matching
import NIOConcurrencyHelpers
import NIOCore
import PerceptualHashing

/// One answer, for either protocol: the JSON body and, for failures, the error it carries.
struct ServiceResponse: Sendable {
    /// Nil for success.
    var error: ServiceError?
    /// The JSON payload (for errors: `{"error":{…}}`, possibly after partial results).
    var json: String

    static func ok(_ members: [(String, JSONValue)]) -> ServiceResponse {
        ServiceResponse(error: nil, json: JSONValue.object(members).serialized())
    }

    static func failure(_ error: ServiceError, beside members: [(String, JSONValue)] = []) -> ServiceResponse {
        ServiceResponse(error: error, json: JSONValue.object(members + [("error", error.json)]).serialized())
    }
}

/// The operations behind both the framed protocol and HTTP: access checks, image work on the worker pool, small
/// lookups inline and large ones on the lookup threads, admin changes on the admin thread, metrics for every answer.
final class RequestProcessor: Sendable {
    let catalogue: Catalogue
    let workers: WorkerPool
    let metrics: ServiceMetrics
    let credentials: Credentials
    let limits: ServiceLimits
    let connections: ConnectionRegistry
    let logger: Logger
    private let started = NIODeadline.now()

    init(
        catalogue: Catalogue,
        workers: WorkerPool,
        metrics: ServiceMetrics,
        credentials: Credentials,
        limits: ServiceLimits,
        connections: ConnectionRegistry,
        logger: Logger
    ) {
        self.catalogue = catalogue
        self.workers = workers
        self.metrics = metrics
        self.credentials = credentials
        self.limits = limits
        self.connections = connections
        self.logger = logger
    }

    /// The access an operation needs.
    static func requiredLevel(_ opcode: Opcode) -> AccessLevel {
        switch opcode {
        case .ping, .auth: .none
        case .hash, .match, .lookup, .stats: .client
        case .reload, .addEntries, .removeEntries: .admin
        }
    }

    /// Answers one request. `auth` is answered by the connection (it changes the connection's level).
    ///
    /// - Returns: a future on `eventLoop` that never fails: every error is a `ServiceResponse`.
    func handle(
        _ opcode: Opcode,
        payload: ByteBuffer,
        transport: Transport,
        level: AccessLevel,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<ServiceResponse> {
        let start = NIODeadline.now()
        let future: EventLoopFuture<ServiceResponse>
        let required = Self.requiredLevel(opcode)
        if level < required {
            let error =
                level == .none
                ? ServiceError(.unauthorized, "authenticate first (auth opcode or Authorization: Bearer token)")
                : ServiceError(.forbidden, "\(opcode.name) needs the admin token" + adminHint(transport))
            future = eventLoop.makeSucceededFuture(.failure(error))
        } else {
            future = perform(opcode, payload: payload, start: start, on: eventLoop)
        }
        return future.map { response in
            self.metrics.recordRequest(
                operation: opcode.name,
                transport: transport,
                error: response.error?.code,
                start: start
            )
            return response
        }
    }

    private func adminHint(_ transport: Transport) -> String {
        credentials.adminToken == nil
            ? " (none is configured: admin operations are allowed on the Unix socket only)" : ""
    }

    private func perform(
        _ opcode: Opcode,
        payload: ByteBuffer,
        start: NIODeadline,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<ServiceResponse> {
        switch opcode {
        case .ping, .auth:
            return eventLoop.makeSucceededFuture(.ok([("pong", .bool(true))]))
        case .hash, .match:
            let deadline = start + TimeAmount(limits.requestDeadline)
            return workers.fingerprint(payload, deadline: deadline, on: eventLoop).map { fingerprint in
                opcode == .hash ? self.hashResponse(fingerprint) : self.matchResponse(fingerprint)
            }.recover { error in
                .failure(error as? ServiceError ?? ServiceError(code: "internal", message: "\(error)"))
            }
        case .lookup:
            let items: [(HashAlgorithm, HashValue)]
            do { items = try Payloads.lookupItems(Array(payload.readableBytesView)) } catch {
                return eventLoop.makeSucceededFuture(.failure(error))
            }
            let matcher = catalogue.snapshot?.matcher
            let work = items.reduce(0) { $0 + (matcher?.comparisonBound($1.0) ?? 0) }
            guard work > Self.inlineLookupComparisons else {
                return eventLoop.makeSucceededFuture(lookup(items, in: matcher))
            }
            return workers.runLookup(on: eventLoop) { self.lookup(items, in: matcher) }.recover {
                .failure(ServiceError(.shuttingDown, "the server is shutting down: \($0)"))
            }
        case .stats:
            return eventLoop.makeSucceededFuture(stats())
        case .reload:
            return admin(on: eventLoop) { try self.reload(cause: "reload request") }
        case .addEntries:
            let bytes = Array(payload.readableBytesView)
            return admin(on: eventLoop) {
                let (set, entries) = try Payloads.addEntries(bytes)
                let summary = try self.catalogue.add(entries, toSet: set)
                self.logger.info("added entries", metadata: ["set": "\(set)", "added": "\(summary.added)"])
                return self.indexChanged([
                    ("set", .string(set)), ("added", .int(summary.added)), ("unchanged", .int(summary.unchanged)),
                ])
            }
        case .removeEntries:
            let bytes = Array(payload.readableBytesView)
            return admin(on: eventLoop) {
                let (set, ids) = try Payloads.removeEntries(bytes)
                let removed = try self.catalogue.remove(ids: ids, fromSet: set)
                self.logger.info("removed entries", metadata: ["set": "\(set)", "removed": "\(removed)"])
                return self.indexChanged([("set", .string(set)), ("removed", .int(removed))])
            }
        }
    }

    private func admin(
        on eventLoop: EventLoop,
        _ body: @escaping @Sendable () throws -> ServiceResponse
    ) -> EventLoopFuture<ServiceResponse> {
        workers.runAdmin(on: eventLoop) { () -> ServiceResponse in
            do {
                return try body()
            } catch {
                return .failure(error as? ServiceError ?? ServiceError(code: "internal", message: "\(error)"))
            }
        }.recover { .failure(ServiceError(.shuttingDown, "the server is shutting down: \($0)")) }
    }

    /// Reloads the folder (blocking); logs and counts the outcome, with `cause` in the log.
    func reload(cause: String) throws(ServiceError) -> ServiceResponse {
        try reload(cause: cause) { () throws(ServiceError) in try catalogue.reload() }!
    }

    /// Reloads the folder (blocking) if a hash-set file changed since the last load or admin write; logs and counts
    /// the outcome. Nil when nothing changed.
    func reloadIfFolderChanged() throws(ServiceError) -> ServiceResponse? {
        try reload(cause: "hash-set folder changed") { () throws(ServiceError) in try catalogue.reloadIfFolderChanged()
        }
    }

    private func reload(
        cause: String,
        _ load: () throws(ServiceError) -> Catalogue.ReloadSummary?
    ) throws(ServiceError) -> ServiceResponse? {
        do {
            guard let summary = try load() else { return nil }
            metrics.recordReload(ok: true)
            metrics.recordIndexSize(summary.counts, generation: summary.generation)
            logger.info(
                "loaded hash sets",
                metadata: [
                    "directory": "\(catalogue.directory)", "sets": "\(summary.sets.joined(separator: ","))",
                    "entries": "\(summary.counts.values.reduce(0, +))", "generation": "\(summary.generation)",
                    "cause": "\(cause)",
                ]
            )
            if summary.replayedLines > 0 {
                logger.info(
                    "replayed lines appended to the sets since the index snapshot was built; `hashmatch index build` refreshes it",
                    metadata: ["lines": "\(summary.replayedLines)"]
                )
            }
            for issue in summary.issues { logger.warning("hash-set issue: \(issue)") }
            for (algorithm, count) in Self.uncomputed(summary.counts, computed: workers.options.algorithms) {
                logger.warning(
                    "the hash sets hold \(count) \(algorithm.rawValue) entries, but this server does not compute \(algorithm.rawValue) (--algorithms): images never match them; lookups still do"
                )
            }
            return .ok([
                ("generation", .int(summary.generation)), ("sets", .array(summary.sets.map(JSONValue.string))),
                ("entries", Self.counts(summary.counts)), ("issues", .array(summary.issues.map(JSONValue.string))),
            ])
        } catch {
            metrics.recordReload(ok: false)
            logger.error("reload failed: \(error.message)")
            throw error
        }
    }

    /// The algorithms with loaded entries that image requests do not compute, in canonical order.
    static func uncomputed(
        _ counts: [HashAlgorithm: Int],
        computed: Set<HashAlgorithm>
    ) -> [(HashAlgorithm, Int)] {
        HashAlgorithm.allCases.compactMap { algorithm in
            guard !computed.contains(algorithm), let count = counts[algorithm], count > 0 else { return nil }
            return (algorithm, count)
        }
    }

    private func indexChanged(_ members: [(String, JSONValue)]) -> ServiceResponse {
        guard let snapshot = catalogue.snapshot else { return .ok(members) }
        metrics.recordIndexSize(snapshot.matcher.counts, generation: snapshot.generation)
        return .ok(members + [("generation", .int(snapshot.generation))])
    }

    private func hashResponse(_ fingerprint: Fingerprint) -> ServiceResponse {
        let members = fingerprint.jsonMembers
        guard let error = fingerprint.decodeError else { return .ok(members) }
        return .failure(ServiceError(code: error.code, message: error.message), beside: members)
    }

    private func matchResponse(_ fingerprint: Fingerprint) -> ServiceResponse {
        let outcome = catalogue.snapshot?.matcher.match(fingerprint) ?? MatchOutcome()
        metrics.recordMatches(sets: outcome.matches.map(\.set))
        let members = Payloads.matchMembers(fingerprint, outcome)
        guard let error = fingerprint.decodeError else { return .ok(members) }
        return .failure(ServiceError(code: error.code, message: error.message), beside: members)
    }

    /// Lookups estimated to compare against more entries than this (summed over the batch's perceptual hashes)
    /// leave the event loop for a lookup thread. A linear scan compares 1M 256-bit entries in about 1 ms
    /// (docs/BENCHMARKS.md) and the indexes compare far fewer, so an inline batch holds its loop for at most about a
    /// millisecond, while the small lookups that make most of the traffic skip the thread hop.
    static let inlineLookupComparisons = 1_000_000

    private func lookup(_ items: [(HashAlgorithm, HashValue)], in matcher: Matcher?) -> ServiceResponse {
        var results: [JSONValue] = []
        results.reserveCapacity(items.count)
        var matchedSets: [String] = []
        for (algorithm, value) in items {
            let matches = matcher?.lookup(value, algorithm: algorithm) ?? []
            matchedSets += matches.map(\.set)
            results.append(
                .object([
                    ("algorithm", .string(algorithm.rawValue)), ("hash", .string(value.hex)),
                    ("matches", .array(matches.map(\.json))),
                ])
            )
        }
        metrics.recordMatches(sets: matchedSets)
        return .ok([("results", .array(results))])
    }

    private func stats() -> ServiceResponse {
        let snapshot = catalogue.snapshot
        return .ok([
            ("ready", .bool(snapshot != nil)), ("generation", .int(snapshot?.generation ?? 0)),
            ("sets", .array((snapshot?.matcher.setNames ?? []).map(JSONValue.string))),
            ("entries", Self.counts(snapshot?.matcher.counts ?? [:])),
            ("issues", .int(snapshot?.issues.count ?? 0)), ("connections", .int(connections.count)),
            ("queued_images", .int(workers.queuedCount)),
            ("uptime_seconds", .int(Int((NIODeadline.now() - started).nanoseconds / 1_000_000_000))),
        ])
    }

    static func counts(_ counts: [HashAlgorithm: Int]) -> JSONValue {
        .object(
            HashAlgorithm.allCases.compactMap { algorithm in counts[algorithm].map { (algorithm.rawValue, .int($0)) } }
        )
    }
}

import Logging
import NIOCore
import NIOHTTP1

/// The HTTP/1.1 JSON API over the same operations as the framed protocol (docs/PROTOCOL.md, "HTTP API").
///
/// NIO's pipelining helper hands this handler one request at a time, so answers go out in order. A body over
/// `maxFrameBytes` is answered 413 and the connection closed; a request begun (even headers only partly sent) and
/// not finished within `readTimeout` is answered 408 and closed, so slow clients cannot hold connections (a body
/// trickled in byte by byte is cut at the first chunk past `readTimeout` from its head); a connection idle for
/// `idleTimeout` is closed. While answers wait unsent because the client does not read them, the handler swallows
/// `read()`, so pipelined requests back up into the client's own writes instead of the server's memory.
final class HTTPHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let processor: RequestProcessor
    private let limits: ServiceLimits
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var rejected = false
    private var lastActivity = NIODeadline.now()
    /// When the head of the request being read arrived.
    private var headArrived = NIODeadline.now()
    /// A `read()` swallowed while the channel was not writable.
    private var readHeld = false
    /// Shutting down: the answer to the request under way is the connection's last.
    private var draining = false
    /// A request is with the processor.
    private var answering = false

    /// Set by `RequestBytesMarker` when bytes arrive, before NIO's decoder has a whole request head.
    private let reading: HTTPReadState

    init(processor: RequestProcessor, limits: ServiceLimits, logger: Logger, reading: HTTPReadState) {
        self.processor = processor
        self.limits = limits
        self.logger = logger
        self.reading = reading
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            headArrived = lastActivity
            body.clear()
            rejected = false
            if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init),
                length > limits.maxFrameBytes
            {
                reject(context: context)
            }
        case .body(var chunk):
            guard !rejected, head != nil else { return }
            if lastActivity - headArrived > TimeAmount(limits.readTimeout) {
                timeOut(context: context)
            } else if body.readableBytes + chunk.readableBytes > limits.maxFrameBytes {
                reject(context: context)
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            reading.partial = false
            guard let requestHead = head, !rejected else { return }
            head = nil
            route(requestHead, body: body, context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readHeld {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    private var readTimeoutError: ServiceError {
        ServiceError(.readTimeout, "the request was not completed within \(limits.readTimeout)")
    }

    /// A body begun and stalled or trickled: answer through the HTTP encoder, then close.
    private func timeOut(context: ChannelHandlerContext) {
        head = nil
        rejected = true
        reading.partial = false
        respond(.failure(readTimeoutError), keepAlive: false, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            let error = readTimeoutError
            if head != nil && !answering {
                timeOut(context: context)
            } else if reading.partial && !answering {
                // Headers begun and stalled: NIO has no request to answer, so the 408 goes out as raw bytes.
                reading.partial = false
                reading.answerRaw(status: "408 Request Timeout", json: ServiceResponse.failure(error).json)
            } else if !answering && NIODeadline.now() - lastActivity >= TimeAmount(limits.idleTimeout) {
                context.close(promise: nil)
            }
        } else if event is DrainEvent {
            draining = true
            if head == nil && !answering { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func reject(context: ChannelHandlerContext) {
        rejected = true
        head = nil
        let error = ServiceError(.frameTooLarge, "the body exceeds the \(limits.maxFrameBytes)-byte limit")
        respond(.failure(error), keepAlive: false, context: context)
    }

    private func route(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let keepAlive = head.isKeepAlive
        let level: AccessLevel
        if let authorization = head.headers.first(name: "authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer",
                let granted = processor.credentials.level(presenting: Array(parts[1].utf8), on: .http)
            else {
                let error = ServiceError(.unauthorized, "the bearer token matches no configured token")
                return respond(.failure(error), keepAlive: keepAlive, context: context)
            }
            level = granted
        } else {
            level = processor.credentials.initialLevel(for: .http)
        }
        let routes: [String: [String: Opcode]] = [
            "/v1/ping": ["GET": .ping], "/v1/hash": ["POST": .hash], "/v1/match": ["POST": .match],
            "/v1/lookup": ["POST": .lookup], "/v1/stats": ["GET": .stats], "/v1/reload": ["POST": .reload],
            "/v1/entries": ["POST": .addEntries, "DELETE": .removeEntries],
        ]
        switch (head.method, path) {
        case (.GET, "/healthz"):
            respond(.ok([("status", .string("ok"))]), keepAlive: keepAlive, context: context)
        case (.GET, "/readyz"):
            let snapshot = processor.catalogue.snapshot
            let response: ServiceResponse =
                snapshot == nil
                ? .failure(ServiceError(.overloaded, "no index loaded yet"))
                : .ok([("ready", .bool(true)), ("generation", .int(snapshot!.generation))])
            respond(response, keepAlive: keepAlive, context: context)
        case (.GET, "/metrics"):
            guard level >= .client else {
                let error = ServiceError(.unauthorized, "authenticate with Authorization: Bearer <token>")
                return respond(.failure(error), keepAlive: keepAlive, context: context)
            }
            var headers = HTTPHeaders([("content-type", "text/plain; version=0.0.4; charset=utf-8")])
            let text = processor.metrics.render()
            headers.add(name: "content-length", value: String(text.utf8.count))
            write(status: .ok, headers: headers, body: text, keepAlive: keepAlive, context: context)
        default:
            guard let methods = routes[path] else {
                let error = ServiceError(.notFound, "no route \(path)")
                return respond(.failure(error), keepAlive: keepAlive, context: context)
            }
            guard let opcode = methods[head.method.rawValue] else {
                let error = ServiceError(.methodNotAllowed, "\(path) does not take \(head.method.rawValue)")
                return respond(
                    .failure(error),
                    keepAlive: keepAlive,
                    context: context,
                    extraHeaders: [("allow", methods.keys.sorted().joined(separator: ", "))]
                )
            }
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            answering = true
            processor.handle(opcode, payload: body, transport: .http, level: level, on: context.eventLoop)
                .whenSuccess { response in
                    let (handler, context) = loopBound.value
                    handler.answering = false
                    handler.respond(response, keepAlive: keepAlive, context: context)
                }
        }
    }

    private func respond(
        _ response: ServiceResponse,
        keepAlive: Bool,
        context: ChannelHandlerContext,
        extraHeaders: [(String, String)] = []
    ) {
        let status = HTTPResponseStatus(statusCode: response.error?.httpStatus ?? 200)
        let text = response.json + "\n"
        var headers = HTTPHeaders([("content-type", "application/json")] + extraHeaders)
        headers.add(name: "content-length", value: String(text.utf8.count))
        if response.error?.code == ServiceError.Code.unauthorized.rawValue {
            headers.add(name: "www-authenticate", value: "Bearer")
        }
        write(status: status, headers: headers, body: text, keepAlive: keepAlive, context: context)
    }

    private func write(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        body: String,
        keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = headers
        let keepAlive = keepAlive && !draining
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// Whether the bytes of an unfinished request have arrived: shared by `RequestBytesMarker` (which sees raw bytes before
/// NIO's HTTP decoder) and `HTTPHandler` (which sees whole requests), on one event loop.
final class HTTPReadState {
    var partial = false
    /// The marker's place in the pipeline: writes from it reach the socket without the HTTP encoder.
    fileprivate var rawContext: ChannelHandlerContext?

    /// Writes a complete HTTP/1.1 error response as bytes and closes the connection.
    func answerRaw(status: String, json: String) {
        guard let context = rawContext else { return }
        let body = json + "\n"
        let text =
            "HTTP/1.1 \(status)\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
            + "connection: close\r\n\r\n\(body)"
        let channel = context.channel
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

/// Notes that request bytes arrived, so a client that sends half a header and stalls is timed out like one that
/// stalls in the body (the HTTP decoder emits nothing until a head is complete).
final class RequestBytesMarker: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let reading: HTTPReadState

    init(reading: HTTPReadState) {
        self.reading = reading
    }

    func handlerAdded(context: ChannelHandlerContext) {
        reading.rawContext = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        reading.rawContext = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if unwrapInboundIn(data).readableBytes > 0 { reading.partial = true }
        context.fireChannelRead(data)
    }
}

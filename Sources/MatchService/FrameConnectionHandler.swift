import Logging
import NIOCore

/// One framed-protocol connection: parses frames, starts each request, writes answers in request order, and keeps
/// the connection within its limits.
///
/// - Backpressure: with `maxInFlightPerConnection` requests unanswered, or answers piling up unsent because the client
///   does not read them (the channel is not writable), the handler stops parsing and swallows `read()`, so the kernel
///   buffer fills and the client's writes block; nothing queues without bound in either direction.
/// - Timeouts: a frame begun and not finished within `readTimeout` closes the connection (after a `read_timeout`
///   error frame); so does `idleTimeout` with nothing in flight. Image requests get `deadline_exceeded` at the deadline.
/// - Framing errors (a length over the limit or under 5) are answered with an error frame, after every earlier
///   answer, and then the connection closes: the byte stream cannot be trusted past them.
final class FrameConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let processor: RequestProcessor
    private let transport: Transport
    private let limits: ServiceLimits
    private let logger: Logger
    private var level: AccessLevel

    private var buffer = ByteBuffer()
    private var nextSequence = 0
    private var nextToWrite = 0
    private var outstanding: Set<Int> = []
    private var answers: [Int: (id: UInt32, response: ServiceResponse)] = [:]
    private var readHeld = false
    /// No more frames are parsed: a framing error, a read timeout, a drain, or the client's end of input.
    private var closing = false
    private var lastActivity = NIODeadline.now()
    private var partialSince: NIODeadline?
    private var timer: RepeatedTask?

    init(processor: RequestProcessor, transport: Transport, limits: ServiceLimits, logger: Logger) {
        self.processor = processor
        self.transport = transport
        self.limits = limits
        self.logger = logger
        self.level = processor.credentials.initialLevel(for: transport)
    }

    private var unanswered: Int { nextSequence - nextToWrite }

    /// Whether more requests may be started now.
    private func mayStart(_ context: ChannelHandlerContext) -> Bool {
        !closing && unanswered < limits.maxInFlightPerConnection && context.channel.isWritable
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let tick = TimeAmount(min(limits.readTimeout, limits.idleTimeout) / 4)
        let interval = min(max(tick, .milliseconds(20)), .seconds(1))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            handler.checkTimeouts(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        lastActivity = .now()
        guard !closing else { return }
        buffer.writeBuffer(&incoming)
        parseFrames(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if mayStart(context) {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { resume(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainEvent || event as? ChannelEvent == .inputClosed {
            closing = true
            closeIfDone(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error: \(error)")
        context.close(promise: nil)
    }

    private func parseFrames(context: ChannelHandlerContext) {
        var started = false
        while mayStart(context) {
            do {
                guard let frame = try FrameCodec.nextFrame(from: &buffer, maxFrameBytes: limits.maxFrameBytes) else {
                    break
                }
                start(frame, context: context)
                started = true
            } catch {
                logger.info("framing error, closing: \(error.serviceError.message)")
                fail(error.serviceError, id: error.id, context: context)
            }
        }
        // The bytes left are the start of a frame the client is still sending: its clock starts now if a frame
        // just ended in the same bytes (a steady stream rarely ends a read on a frame boundary), or when the first
        // of them arrived. Bytes held back by backpressure are not the client's delay.
        let waitingForBytes = mayStart(context) && buffer.readableBytes > 0
        partialSince = waitingForBytes ? (started ? .now() : (partialSince ?? .now())) : nil
        if buffer.readableBytes == 0 || buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
    }

    /// Answers a connection-level error after everything before it, then closes.
    private func fail(_ error: ServiceError, id: UInt32, context: ChannelHandlerContext) {
        closing = true
        buffer.clear()
        let sequence = nextSequence
        nextSequence += 1
        outstanding.insert(sequence)
        complete(sequence, id: id, .failure(error), context: context)
    }

    private func start(_ frame: RequestFrame, context: ChannelHandlerContext) {
        let sequence = nextSequence
        nextSequence += 1
        outstanding.insert(sequence)
        guard let opcode = Opcode(rawValue: frame.opcode) else {
            let error = ServiceError(.unknownOpcode, "opcode 0x\(String(frame.opcode, radix: 16)) names no operation")
            complete(sequence, id: frame.id, .failure(error), context: context)
            return
        }
        if opcode == .auth {
            complete(sequence, id: frame.id, authenticate(frame.payload), context: context)
            return
        }
        let future = processor.handle(
            opcode,
            payload: frame.payload,
            transport: transport,
            level: level,
            on: context.eventLoop
        )
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let deadlineTask: Scheduled<Void>? =
            if opcode == .hash || opcode == .match {
                context.eventLoop.scheduleTask(in: TimeAmount(limits.requestDeadline)) {
                    let (handler, context) = loopBound.value
                    let error = ServiceError(.deadlineExceeded, "not answered within \(handler.limits.requestDeadline)")
                    handler.complete(sequence, id: frame.id, .failure(error), context: context)
                }
            } else { nil }
        future.whenSuccess { response in
            deadlineTask?.cancel()
            let (handler, context) = loopBound.value
            handler.complete(sequence, id: frame.id, response, context: context)
        }
    }

    private func authenticate(_ payload: ByteBuffer) -> ServiceResponse {
        let start = NIODeadline.now()
        let response: ServiceResponse
        if let granted = processor.credentials.level(presenting: Array(payload.readableBytesView), on: transport) {
            level = max(level, granted)
            response = .ok([("authenticated", .bool(true)), ("admin", .bool(level == .admin))])
        } else {
            response = .failure(ServiceError(.unauthorized, "the token matches no configured token"))
        }
        processor.metrics.recordRequest(
            operation: "auth",
            transport: transport,
            error: response.error?.code,
            start: start
        )
        return response
    }

    /// Records an answer (the first one for a sequence wins) and writes every answer that is next in order.
    private func complete(_ sequence: Int, id: UInt32, _ response: ServiceResponse, context: ChannelHandlerContext) {
        guard outstanding.remove(sequence) != nil else { return }
        answers[sequence] = (id, response)
        var wrote = false
        while let answer = answers.removeValue(forKey: nextToWrite) {
            var out = context.channel.allocator.buffer(
                capacity: FrameCodec.headerBytes + answer.response.json.utf8.count
            )
            let status = answer.response.error == nil ? FrameCodec.statusOK : FrameCodec.statusError
            FrameCodec.writeResponse(status: status, id: answer.id, json: answer.response.json, into: &out)
            context.write(wrapOutboundOut(out), promise: nil)
            nextToWrite += 1
            wrote = true
        }
        guard wrote else { return }
        context.flush()
        if closeIfDone(context: context) { return }
        resume(context: context)
    }

    /// Starts the frames already buffered and reads again, if the limits now allow it.
    private func resume(context: ChannelHandlerContext) {
        parseFrames(context: context)
        if readHeld && mayStart(context) {
            readHeld = false
            context.read()
        }
    }

    /// Closes once nothing is left to answer, when closing. Returns whether it closed.
    @discardableResult
    private func closeIfDone(context: ChannelHandlerContext) -> Bool {
        guard closing, unanswered == 0 else { return false }
        timer?.cancel()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
        return true
    }

    private func checkTimeouts(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        if let partialSince, now - partialSince > TimeAmount(limits.readTimeout) {
            logger.info("closing a connection that began a frame and stalled")
            self.partialSince = nil
            fail(
                ServiceError(.readTimeout, "frame not completed within \(limits.readTimeout)"),
                id: FrameCodec.connectionErrorID,
                context: context
            )
        } else if unanswered == 0, buffer.readableBytes == 0, now - lastActivity > TimeAmount(limits.idleTimeout) {
            logger.debug("closing an idle connection")
            closing = true
            closeIfDone(context: context)
        }
    }
}

import NIOCore

/// What a framed request asks for: the byte after the length field.
public enum Opcode: UInt8, Sendable, CaseIterable {
    /// Liveness: answers `{"pong":true}`; needs no authentication.
    case ping = 0x01
    /// Authenticates the connection with a token (the payload).
    case auth = 0x02
    /// Hashes the image in the payload.
    case hash = 0x10
    /// Hashes the image in the payload and matches it against the loaded sets.
    case match = 0x11
    /// Looks up a JSON batch of given hashes.
    case lookup = 0x12
    /// Index and server statistics.
    case stats = 0x20
    /// Reloads the hash-set folder (admin).
    case reload = 0x30
    /// Adds entries to a set, durably (admin).
    case addEntries = 0x31
    /// Removes entries from a set, durably (admin).
    case removeEntries = 0x32

    /// The name used in metrics and logs.
    public var name: String {
        switch self {
        case .ping: "ping"
        case .auth: "auth"
        case .hash: "hash"
        case .match: "match"
        case .lookup: "lookup"
        case .stats: "stats"
        case .reload: "reload"
        case .addEntries: "add_entries"
        case .removeEntries: "remove_entries"
        }
    }
}

/// One request frame: `u32 length | u8 opcode | u32 request id | payload`, big-endian.
public struct RequestFrame: Sendable, Equatable {
    /// The opcode byte as sent (it may name no known operation).
    public var opcode: UInt8
    /// Chosen by the client, echoed in the response.
    public var id: UInt32
    /// Everything after the id.
    public var payload: ByteBuffer

    /// A frame.
    public init(opcode: UInt8, id: UInt32, payload: ByteBuffer) {
        self.opcode = opcode
        self.id = id
        self.payload = payload
    }
}

/// A framing error: the byte stream cannot be trusted past this point, so the connection ends after an error frame.
public enum FrameError: Error, Equatable, Sendable {
    /// The length field is larger than the limit (`id` is the request id read from the header).
    case tooLarge(length: UInt32, limit: Int, id: UInt32)
    /// The length field is smaller than the 5 bytes of opcode and id.
    case tooShort(length: UInt32)

    /// The request id to answer with: the frame's own id when it was read, else `FrameCodec.connectionErrorID`.
    public var id: UInt32 {
        switch self {
        case .tooLarge(_, _, let id): id
        case .tooShort: FrameCodec.connectionErrorID
        }
    }

    /// The wire error.
    public var serviceError: ServiceError {
        switch self {
        case .tooLarge(let length, let limit, _):
            ServiceError(.frameTooLarge, "frame of \(length) bytes exceeds the \(limit)-byte limit; closing")
        case .tooShort(let length):
            ServiceError(.badFrame, "frame length \(length) is below the 5-byte minimum; closing")
        }
    }
}

/// The framed protocol's byte layout (docs/PROTOCOL.md).
public enum FrameCodec {
    /// Length field, opcode/status byte, request id.
    public static let headerBytes = 9
    /// The id of error frames about the connection rather than one request (a length too small to hold an id).
    public static let connectionErrorID: UInt32 = 0xFFFF_FFFF
    /// Response status byte: success.
    public static let statusOK: UInt8 = 0
    /// Response status byte: the JSON payload is `{"error":{…}}` (possibly with partial results beside it).
    public static let statusError: UInt8 = 1

    /// Takes one complete frame off the front of `buffer`.
    ///
    /// - Parameters:
    ///   - buffer: received bytes; a complete frame is consumed, an incomplete one left in place.
    ///   - maxFrameBytes: the largest length field accepted.
    /// - Returns: the frame, or nil when more bytes are needed.
    /// - Throws: `FrameError` as soon as the header shows the frame is unacceptable (nothing more is read).
    public static func nextFrame(from buffer: inout ByteBuffer, maxFrameBytes: Int) throws(FrameError) -> RequestFrame?
    {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= 5 else { throw .tooShort(length: length) }
        guard buffer.readableBytes >= headerBytes,
            let opcode = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self),
            let id = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt32.self)
        else { return nil }
        guard Int(length) <= maxFrameBytes else { throw .tooLarge(length: length, limit: maxFrameBytes, id: id) }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: headerBytes)
        let payload = buffer.readSlice(length: Int(length) - 5)!
        return RequestFrame(opcode: opcode, id: id, payload: payload)
    }

    /// Whether `buffer` holds the start of a frame that has not fully arrived.
    public static func hasPartialFrame(_ buffer: ByteBuffer) -> Bool { buffer.readableBytes > 0 }

    /// Writes a request frame (for clients and tests).
    public static func writeRequest(
        opcode: UInt8,
        id: UInt32,
        payload: some Collection<UInt8>,
        into buffer: inout ByteBuffer
    ) {
        buffer.writeInteger(UInt32(5 + payload.count))
        buffer.writeInteger(opcode)
        buffer.writeInteger(id)
        buffer.writeBytes(payload)
    }

    /// Writes a response frame: `u32 length | u8 status | u32 request id | JSON`.
    public static func writeResponse(status: UInt8, id: UInt32, json: String, into buffer: inout ByteBuffer) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(status)
        buffer.writeInteger(id)
        let written = buffer.writeString(json)
        buffer.setInteger(UInt32(5 + written), at: lengthIndex)
    }
}

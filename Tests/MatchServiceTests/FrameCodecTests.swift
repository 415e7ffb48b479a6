import MatchService
import NIOCore
import Testing

/// The byte layout of docs/PROTOCOL.md, checked against frames written out by hand from the spec.
@Suite struct FrameCodecTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter(\.isHexDigit)
        return stride(from: 0, to: digits.count, by: 2).map {
            let start = digits.index(digits.startIndex, offsetBy: $0)
            return UInt8(digits[start..<digits.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    /// PROTOCOL.md's ping example: length 5, opcode 0x01, id 7, no payload.
    static let ping = bytes("00000005 01 00000007")
    /// PROTOCOL.md's lookup example header: length 5 + 2, opcode 0x12, id 0x0102_0304, payload `[]`.
    static let lookup = bytes("00000007 12 01020304 5b5d")

    @Test func aCompleteFrameIsTakenWhole() throws {
        var buffer = ByteBuffer(bytes: Self.lookup + Self.ping)
        let first = try #require(try FrameCodec.nextFrame(from: &buffer, maxFrameBytes: 1024))
        #expect(first.opcode == 0x12)
        #expect(first.id == 0x0102_0304)
        #expect(Array(first.payload.readableBytesView) == Array("[]".utf8))
        let second = try #require(try FrameCodec.nextFrame(from: &buffer, maxFrameBytes: 1024))
        #expect(second == RequestFrame(opcode: 1, id: 7, payload: ByteBuffer()))
        #expect(buffer.readableBytes == 0)
        #expect(try FrameCodec.nextFrame(from: &buffer, maxFrameBytes: 1024) == nil)
    }

    @Test func everyPrefixOfAFrameWaitsForMoreAndConsumesNothing() throws {
        for length in 0..<Self.lookup.count {
            var buffer = ByteBuffer(bytes: Self.lookup.prefix(length))
            #expect(try FrameCodec.nextFrame(from: &buffer, maxFrameBytes: 1024) == nil, "prefix \(length)")
            #expect(buffer.readableBytes == length)
        }
    }

    @Test func aLengthOverTheLimitIsRefusedFromTheHeaderAlone() {
        // 4 GB - 1 announced, nothing of the payload sent.
        var buffer = ByteBuffer(bytes: Self.bytes("ffffffff 11 0000002a"))
        #expect(throws: FrameError.tooLarge(length: 0xFFFF_FFFF, limit: 1024, id: 42)) {
            try FrameCodec.nextFrame(from: &buffer, maxFrameBytes: 1024)
        }
        var exact = ByteBuffer(bytes: Self.bytes("00000400 11 00000001"))
        #expect(throws: Never.self) { try FrameCodec.nextFrame(from: &exact, maxFrameBytes: 1024) }
    }

    @Test(arguments: [0, 1, 4])
    func aLengthBelowFiveIsAFramingError(length: UInt32) {
        var buffer = ByteBuffer()
        buffer.writeInteger(length)
        #expect(throws: FrameError.tooShort(length: length)) {
            try FrameCodec.nextFrame(from: &buffer, maxFrameBytes: 1024)
        }
        #expect(FrameError.tooShort(length: length).id == 0xFFFF_FFFF)
    }

    @Test func responsesAreLengthStatusIdJSON() {
        var buffer = ByteBuffer()
        FrameCodec.writeResponse(status: 0, id: 7, json: #"{"pong":true}"#, into: &buffer)
        #expect(Array(buffer.readableBytesView) == Self.bytes("00000012 00 00000007") + Array(#"{"pong":true}"#.utf8))
    }

    @Test func requestsWrittenByTheCodecParseBack() throws {
        var buffer = ByteBuffer()
        FrameCodec.writeRequest(opcode: 0x10, id: 0xDEAD_BEEF, payload: [1, 2, 3], into: &buffer)
        #expect(Array(buffer.readableBytesView) == Self.bytes("00000008 10 deadbeef 010203"))
    }

    @Test func opcodesAreTheDocumentedBytes() {
        let documented: [Opcode: UInt8] = [
            .ping: 0x01, .auth: 0x02, .hash: 0x10, .match: 0x11, .lookup: 0x12, .stats: 0x20, .reload: 0x30,
            .addEntries: 0x31, .removeEntries: 0x32,
        ]
        for opcode in Opcode.allCases { #expect(opcode.rawValue == documented[opcode]) }
    }
}

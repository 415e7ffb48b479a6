// libFuzzer target: the framed protocol's decoder, fed the input as one read and again in small chunks.
import FuzzDriver
import MatchService
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Drains every complete frame from `buffer`; returns the frames, and whether the decoder threw.
private func drain(_ buffer: inout ByteBuffer, maxFrameBytes: Int) -> (frames: [RequestFrame], error: FrameError?) {
    var frames: [RequestFrame] = []
    do {
        while let frame = try FrameCodec.nextFrame(from: &buffer, maxFrameBytes: maxFrameBytes) {
            precondition(frame.payload.readableBytes <= maxFrameBytes)
            frames.append(frame)
        }
        return (frames, nil)
    } catch {
        return (frames, error)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let maxFrameBytes = [5, 9, 64, 1 << 20, Int(UInt32.max)][Int(control % 5)]

    // Everything at once.
    var whole = ByteBuffer(bytes: bytes)
    let (frames, error) = drain(&whole, maxFrameBytes: maxFrameBytes)

    // The same bytes arriving in chunks must give the same frames and the same error.
    let chunk = Int(control >> 3) + 1
    var streamed = ByteBuffer()
    var streamedFrames: [RequestFrame] = []
    var streamedError: FrameError?
    var offset = 0
    while offset < bytes.count, streamedError == nil {
        let end = min(offset + chunk, bytes.count)
        streamed.writeBytes(UnsafeBufferPointer(rebasing: bytes[offset..<end]))
        offset = end
        let result = drain(&streamed, maxFrameBytes: maxFrameBytes)
        streamedFrames += result.frames
        streamedError = result.error
    }
    precondition(streamedFrames == frames, "chunked delivery changed the frames")
    precondition(
        streamedError == error,
        "chunked delivery changed the error: \(String(describing: streamedError)) vs \(String(describing: error))"
    )

    // Frames written by the encoder decode to themselves.
    var encoded = ByteBuffer()
    for frame in frames {
        FrameCodec.writeRequest(
            opcode: frame.opcode,
            id: frame.id,
            payload: frame.payload.readableBytesView,
            into: &encoded
        )
    }
    let (again, againError) = drain(&encoded, maxFrameBytes: maxFrameBytes)
    precondition(again == frames && againError == nil && encoded.readableBytes == 0, "re-encoded frames differ")
    if let error {
        _ = error.id
        _ = error.serviceError
    }
    return 0
}

runFuzzer(fuzz)

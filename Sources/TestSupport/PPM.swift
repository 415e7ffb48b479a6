import Foundation

/// A binary PPM (P6, 8-bit) as the shared PDQ vectors store the reference's exact pixels.
public struct PPM {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Interleaved RGB bytes.
    public let rgb: [UInt8]

    /// Reads a P6 file with maxval 255 (header comments allowed).
    public init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        var offset = 0
        func token() -> String {
            while offset < bytes.count {
                if bytes[offset] == UInt8(ascii: "#") {
                    while offset < bytes.count && bytes[offset] != 0x0A { offset += 1 }
                } else if bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D
                    || bytes[offset] == 0x09
                {
                    offset += 1
                } else {
                    break
                }
            }
            let start = offset
            while offset < bytes.count
                && !(bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D || bytes[offset] == 0x09)
            { offset += 1 }
            return String(decoding: bytes[start..<offset], as: UTF8.self)
        }
        guard token() == "P6", let width = Int(token()), let height = Int(token()), token() == "255" else {
            throw CocoaError(.fileReadCorruptFile)
        }
        offset += 1
        guard bytes.count - offset >= width * height * 3 else { throw CocoaError(.fileReadCorruptFile) }
        self.width = width
        self.height = height
        self.rgb = Array(bytes[offset..<offset + width * height * 3])
    }
}

import Foundation

/// A binary (P6) PPM, 8 bits per sample: the pixel dumps in `pdq/byte-arrays`.
public struct PPMImage {
    public let width: Int
    public let height: Int
    /// RGB, row-major, no padding.
    public let pixels: [UInt8]

    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        var position = 0
        // Header: magic, width, height, maxval, separated by whitespace, `#` comments to end of line.
        func token() throws -> String {
            while position < bytes.count {
                if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != UInt8(ascii: "\n") { position += 1 }
                } else if [9, 10, 13, 32].contains(bytes[position]) {
                    position += 1
                } else {
                    break
                }
            }
            let start = position
            while position < bytes.count && ![9, 10, 13, 32, UInt8(ascii: "#")].contains(bytes[position]) {
                position += 1
            }
            guard position > start else { throw FormatError(description: "\(url.lastPathComponent): truncated header") }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }
        guard try token() == "P6" else { throw FormatError(description: "\(url.lastPathComponent): not a P6 PPM") }
        guard let width = Int(try token()), let height = Int(try token()), let maxval = Int(try token()),
            width > 0, height > 0, maxval == 255
        else { throw FormatError(description: "\(url.lastPathComponent): bad header") }
        position += 1  // the single whitespace byte before the raster
        let count = width * height * 3
        guard bytes.count - position >= count else {
            throw FormatError(description: "\(url.lastPathComponent): raster truncated")
        }
        self.init(width: width, height: height, pixels: Array(bytes[position..<(position + count)]))
    }

    /// Every pixel repeated `across` times horizontally and `down` times vertically.
    public func duplicated(across: Int, down: Int) -> PPMImage {
        var out = [UInt8]()
        out.reserveCapacity(pixels.count * across * down)
        for y in 0..<height * down {
            let row = (y / down) * width * 3
            for x in 0..<width * across {
                let pixel = row + (x / across) * 3
                out.append(contentsOf: pixels[pixel..<(pixel + 3)])
            }
        }
        return PPMImage(width: width * across, height: height * down, pixels: out)
    }
}

import Foundation

/// A binary (P6) PPM, 8 bits per sample: the pixel dumps in `pdq/byte-arrays`.
struct PPMImage {
    let width: Int
    let height: Int
    /// RGB, row-major, no padding.
    let pixels: [UInt8]

    struct FormatError: Error, CustomStringConvertible {
        let description: String
    }

    init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    init(contentsOf url: URL) throws {
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
    func duplicated(across: Int, down: Int) -> PPMImage {
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

/// Little-endian float32 files (`pdq/intermediates/*.f32`).
func readFloat32(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in
        (0..<(data.count / 4)).map {
            Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        }
    }
}

/// `key=value` lines (`pdq/intermediates/*.meta.txt`).
func readMeta(_ url: URL) throws -> [String: String] {
    let text = try String(contentsOf: url, encoding: .utf8)
    var meta: [String: String] = [:]
    for line in text.split(whereSeparator: \.isNewline) {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { meta[String(parts[0])] = String(parts[1]) }
    }
    return meta
}

/// The first (up to 8) indices where two float arrays differ bit for bit, or nil when the counts differ.
func bitDifferences(_ a: [Float], _ b: [Float]) -> [Int]? {
    guard a.count == b.count else { return nil }
    return Array(a.indices.lazy.filter { a[$0].bitPattern != b[$0].bitPattern }.prefix(8))
}

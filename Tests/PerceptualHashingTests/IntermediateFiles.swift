import Foundation

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

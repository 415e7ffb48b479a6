// libFuzzer target: the textual (hex) form of every hash kind, with round-trip checks.
import FuzzDriver
import PerceptualHashing

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    let substring = text.dropFirst(size % 3)
    for algorithm in HashAlgorithm.allCases {
        for candidate in [text, String(substring)] {
            guard let value = try? algorithm.parse(candidate) else { continue }
            // Parsing accepts only hex of the exact length, so printing gives back the input in lowercase.
            precondition(value.hex == candidate.lowercased(), "\(algorithm) round trip: \(candidate) -> \(value.hex)")
            precondition(value.hex.utf8.count == algorithm.hexLength)
            precondition((try? algorithm.parse(value.hex)) == value)
        }
        _ = try? algorithm.parse(substring)
    }
    if let hash = try? Hash256(hex: text) { precondition(hash.hex == text.lowercased()) }
    if let hash = try? Hash64(hex: text) { precondition(hash.hex == text.lowercased()) }
    _ = try? ExactDigest(hex: text, byteCount: size / 2)
    return 0
}

runFuzzer(fuzz)

// libFuzzer target: the textual (hex) form of every hash kind, with round-trip checks.
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

// SwiftPM renames an executable's entry point and points `main` at it, so libFuzzer's own `main` is never
// linked; the top-level code hands control to libFuzzer's driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz))

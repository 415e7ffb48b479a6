// libFuzzer target: every hash-set importer and the native `.hashset` parser. The first byte picks which.
import FuzzDriver
import HashSets
import PerceptualHashing

#if canImport(Glibc)
import Glibc
#endif

/// The importers as `hashmatch hashset import --format` runs them (HashsetCommand.swift).
private let importers: [@Sendable ([UInt8], String) -> HashSetImport] = [
    { HexListImporter().parse($0, fileName: $1) },
    { HexListImporter(algorithm: .phash, labels: ["fuzz"]).parse($0, fileName: $1) },
    { HexListImporter(sixtyFourHexDigits: .sha256).parse($0, fileName: $1) },
    { ThreatExchangeLocalFileImporter().parse($0, fileName: $1) },
    { ThreatExchangeLocalFileImporter(signalType: "pdq").parse($0, fileName: $1) },
    { ThreatExchangeCSVImporter().parse($0, fileName: $1) },
    { PDQPhotoHasherImporter().parse($0, fileName: $1) },
    { NCMECXMLImporter().parse($0, fileName: $1) },
    { StopNCIIJSONImporter().parse($0, fileName: $1) },
    { TechAgainstTerrorismJSONImporter().parse($0, fileName: $1) },
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let selector = Int(data[0]) % (importers.count + 1)
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if selector == importers.count {
        // The native format: parse, render, and the rendering parses back to the same rendering.
        guard let parsed = try? HashSetFormat.parse(bytes, name: "fuzz", fileName: "fuzz.hashset") else { return 0 }
        precondition(parsed.completeLength + parsed.tornTailLength == bytes.count, "lengths do not cover the file")
        let rendered = HashSetFormat.render(parsed.set)
        let again = try! HashSetFormat.parse(Array(rendered.utf8), name: "fuzz", fileName: "rendered.hashset")
        precondition(again.issues.isEmpty, "rendering has issues: \(again.issues)")
        precondition(HashSetFormat.render(again.set) == rendered, "render/parse round trip changed the set")
        return 0
    }
    let result = importers[selector](bytes, "fuzz-input")
    _ = try? result.strictChanges()
    let set = result.makeSet(name: "fuzz")
    // Whatever an importer accepts must be writable in the native format and read back without complaint.
    let rendered = HashSetFormat.render(set)
    let again = try! HashSetFormat.parse(Array(rendered.utf8), name: "fuzz", fileName: "rendered.hashset")
    precondition(again.issues.isEmpty, "imported set renders with issues: \(again.issues)")
    precondition(HashSetFormat.render(again.set) == rendered, "imported set changed in the native round trip")
    return 0
}

runFuzzer(fuzz)

import Fingerprinting
import Foundation
import PerceptualHashing
import TestSupport
import Testing

/// Whole files in, hashes out, compared with what the reference tools printed for the same files.
@Suite(.enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors"))
struct ReferenceHashTests {
    struct Expected: CustomTestStringConvertible, Sendable {
        let path: String
        let hash: String
        let quality: Int
        var testDescription: String { path }
    }

    /// Rows `hash,quality,path` of a reference CSV that has a hash (the CLI leaves it empty for files it rejects).
    static func rows(_ file: String, imagesUnder folder: String) -> [Expected] {
        guard Vectors.sharedAvailable, let rows = try? Vectors.csvRows(Vectors.shared(file)) else { return [] }
        // WebP is not decoded (JPEG and PNG only); those rows are left out.
        return rows.filter { $0.count >= 3 && $0[0].count == 64 && !$0[2].hasSuffix(".webp") }.map {
            Expected(path: "\(folder)/\($0[2])", hash: $0[0], quality: Int($0[1]) ?? -1)
        }
    }

    static func fingerprint(_ path: String, mode: PDQHashingMode, dihedral: Bool = false) throws -> Fingerprint {
        var options = FingerprintOptions()
        options.algorithms = [.pdq]
        options.pdqMode = mode
        options.dihedral = dihedral
        var fingerprinter = Fingerprinter(options: options)
        let fingerprint = fingerprinter.fingerprint([UInt8](try Data(contentsOf: Vectors.shared(path))))
        if let error = fingerprint.decodeError { throw error }
        return fingerprint
    }

    @Test(
        "PDQ full resolution = pdqhash / python-threatexchange / HMA",
        arguments: rows("pdq/expected/cpp_core_fullres_no512.csv", imagesUnder: "pdq/images")
    )
    func fullResolution(expected: Expected) throws {
        let pdq = try #require(try Self.fingerprint(expected.path, mode: .full).pdq)
        let reference = try Hash256(hex: expected.hash)
        #expect(pdq.hash == reference, "distance \(pdq.hash.distance(to: reference))")
        #expect(pdq.quality == expected.quality)
    }

    @Test(
        "PDQ cli512 = pdq-photo-hasher built with libjpeg-turbo/libpng",
        arguments: rows("pdq/expected/cpp_ref_libjpeg.csv", imagesUnder: "pdq/images")
    )
    func referenceCLI(expected: Expected) throws {
        let pdq = try #require(try Self.fingerprint(expected.path, mode: .cli512).pdq)
        let reference = try Hash256(hex: expected.hash)
        #expect(pdq.hash == reference, "distance \(pdq.hash.distance(to: reference))")
        #expect(pdq.quality == expected.quality)
    }

    static let edgeCases: [Expected] = {
        guard Vectors.sharedAvailable, let rows = try? Vectors.csvRows(Vectors.shared("pdq/edge-cases/expected.csv"))
        else { return [] }
        return rows.map { Expected(path: "pdq/edge-cases/\($0[0])", hash: $0[3], quality: Int($0[4]) ?? -1) }
    }()

    @Test("PDQ edge cases (tiny, odd sizes, flat) = pdq-photo-hasher", arguments: edgeCases)
    func edgeCase(expected: Expected) throws {
        let pdq = try #require(try Self.fingerprint(expected.path, mode: .cli512).pdq)
        #expect(pdq.hash.hex == expected.hash)
        #expect(pdq.quality == expected.quality)
    }

    static let synthetic: [(Expected, Expected)] = {
        guard Vectors.sharedAvailable,
            let rows = try? Vectors.csvRows(Vectors.shared("pdq/synthetic/expected_all_220.csv"))
        else { return [] }
        return rows.compactMap { row in
            let path = "pdq/synthetic/\(row[0])_\(row[1])"
            guard FileManager.default.fileExists(atPath: Vectors.shared(path).path) else { return nil }
            return (
                Expected(path: path, hash: row[4], quality: Int(row[5]) ?? -1),
                Expected(path: path, hash: row[6], quality: Int(row[7]) ?? -1)
            )
        }
    }()

    @Test("PDQ on generated 1024×768 and 4000×3000 JPEGs, both paths", arguments: synthetic)
    func syntheticPhotos(cli: Expected, full: Expected) throws {
        #expect(try Self.fingerprint(cli.path, mode: .cli512).pdq?.hash.hex == cli.hash)
        #expect(try Self.fingerprint(full.path, mode: .full).pdq?.hash.hex == full.hash)
    }

    @Test("The 8 dihedral variants of bridge-1-original = pdq-photo-hasher --pdqdih-across")
    func dihedral() throws {
        let row = try #require(try Vectors.csvRows(Vectors.shared("pdq/expected/dihedral_bridge-1-original.csv")).first)
        let fingerprint = try Self.fingerprint("pdq/images/\(row[9])", mode: .cli512, dihedral: true)
        let variants = try #require(fingerprint.pdqDihedral)
        #expect(variants.hashes.map(\.hex) == Array(row[0..<8]))
        #expect(variants.quality == Int(row[8]))
    }

    @Test("pytx-style hashes (Pillow decode → pdqhash at full resolution)")
    func threatExchangeResources() throws {
        let rows = try Vectors.csvRows(Vectors.shared("pdq/pytx-resources/expected.csv"))
        for row in rows where row[1] != "I;16" {
            let pdq = try #require(try Self.fingerprint("pdq/pytx-resources/\(row[0])", mode: .full).pdq)
            #expect(pdq.hash.hex == row[3], "\(row[0])")
        }
    }

    /// Both references mangle this 16-bit file: pdqhash (via Pillow) clips every sample to 255, and the C++ CLI's
    /// hash equals the hash of the samples' low bytes alone (checked by re-encoding them as an 8-bit PNG). hashmatch
    /// scales the samples to 8 bits, which keeps the picture, so it must land far from both.
    @Test("16-bit grey PNG: scaled to 8 bits, unlike either reference")
    func sixteenBitGrey() throws {
        let row = try #require(
            try Vectors.csvRows(Vectors.shared("pdq/pytx-resources/expected.csv")).first { $0[1] == "I;16" }
        )
        let pdq = try #require(try Self.fingerprint("pdq/pytx-resources/I16.png", mode: .cli512).pdq)
        let lowBytes = try Hash256(hex: row[5])
        let clipped = try Hash256(hex: row[3])
        #expect(pdq.hash.distance(to: lowBytes) > 64 && pdq.hash.distance(to: clipped) > 64)
        #expect(pdq.quality == 100)
    }
}

import Foundation
import PerceptualHashing
import TestSupport
import Testing

/// Whole-hash checks against Meta's C++ reference on the exact pixels it hashed (`pdq/byte-arrays`).
@Suite(.enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors (pdq reference vectors)"))
struct PDQVectorTests {
    struct Expected: Sendable, CustomStringConvertible {
        let file: String
        let hash: String
        let quality: Int
        var description: String { file }
    }

    /// Rows of `byte-arrays/expected.csv`: file, original width, original height, hash, quality.
    static let byteArrays: [Expected] = {
        guard Vectors.sharedAvailable,
            let rows = try? Vectors.csvRows(Vectors.shared("pdq/byte-arrays/expected.csv"))
        else { return [] }
        return rows.map { Expected(file: $0[0], hash: $0[3], quality: Int($0[4])!) }
    }()

    static func hash(_ image: PPMImage, mode: PDQMode) -> PDQHash {
        var hasher = PDQHasher()
        return image.pixels.withUnsafeBufferPointer {
            hasher.hash(pixels: $0, width: image.width, height: image.height, channels: 3, mode: mode)
        }
    }

    static func image(_ file: String) throws -> PPMImage {
        try PPMImage(contentsOf: Vectors.shared("pdq/byte-arrays/\(file)"))
    }

    @Test func everyByteArrayVectorIsListed() {
        #expect(Self.byteArrays.count == 39)
    }

    @Test(arguments: byteArrays)
    func byteArrayHashIsBitExact(_ expected: Expected) throws {
        let result = Self.hash(try Self.image(expected.file), mode: .full)
        #expect(result.hash.hex == expected.hash)
        #expect(result.quality == expected.quality)
    }

    @Test func oneHasherReusedAcrossSizesGivesTheSameHashes() throws {
        var hasher = PDQHasher()
        for expected in Self.byteArrays {
            let image = try Self.image(expected.file)
            let result = image.pixels.withUnsafeBufferPointer {
                hasher.hash(pixels: $0, width: image.width, height: image.height, channels: 3, mode: .full)
            }
            #expect(result.hash.hex == expected.hash, "\(expected.file)")
        }
    }

    @Test func dihedralHashesOfBridgeMatchPdqdihAcross() throws {
        let rows = try Vectors.csvRows(Vectors.shared("pdq/expected/dihedral_bridge-1-original.csv"))
        let row = try #require(rows.first)
        let image = try Self.image("bridge-1-original.jpg.ppm")
        var hasher = PDQHasher()
        let hashes = image.pixels.withUnsafeBufferPointer {
            hasher.hashDihedral(pixels: $0, width: image.width, height: image.height, channels: 3, mode: .full)
        }
        #expect(hashes.hashes.map(\.hex) == Array(row[0..<8]))
        #expect(
            hashes.named.map(\.name) == [
                "orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1",
            ]
        )
        #expect(hashes.quality == Int(row[8]))
    }

    /// The seven transformed bridge images, hashed directly, land close to the dihedral variants of the original.
    @Test func dihedralVariantsAreCloseToHashesOfTransformedImages() throws {
        let image = try Self.image("bridge-1-original.jpg.ppm")
        var hasher = PDQHasher()
        let hashes = image.pixels.withUnsafeBufferPointer {
            hasher.hashDihedral(pixels: $0, width: image.width, height: image.height, channels: 3, mode: .full)
        }
        let transformed: [(String, PDQDihedralVariant)] = [
            ("bridge-2-rotate-90", .rot90), ("bridge-3-rotate-180", .rot180), ("bridge-4-rotate-270", .rot270),
            ("bridge-5-flipx", .flipX), ("bridge-6-flipy", .flipY), ("bridge-7-flip-plus-1", .flipPlus1),
            ("bridge-8-flip-minus-1", .flipMinus1),
        ]
        for (name, variant) in transformed {
            let expected = try #require(Self.byteArrays.first { $0.file == "\(name).jpg.ppm" })
            let distance = hashes[variant].distance(to: try Hash256(hex: expected.hash))
            #expect(distance <= 31, "\(name): \(distance) bits from \(variant)")
        }
    }

    /// `cli512` resamples with source index ⌊x·W/512⌋; for a 2× pixel-duplicated image that picks the
    /// original pixels back, so the hash must be the reference's hash of the original.
    @Test(arguments: [(2, 2), (2, 1), (1, 2), (3, 3)])
    func cli512ResizeOfDuplicatedImageRecoversTheOriginal(across: Int, down: Int) throws {
        let expected = try #require(Self.byteArrays.first { $0.file == "aaa-orig.jpg.ppm" })
        let big = try Self.image(expected.file).duplicated(across: across, down: down)
        let result = Self.hash(big, mode: .cli512)
        #expect(result.hash.hex == expected.hash)
        #expect(result.quality == expected.quality)
    }

    /// Images no larger than 512 on either side are not resized by `cli512`.
    @Test func cli512LeavesSmallImagesAlone() throws {
        for file in ["q0122.jpg.ppm", "wee.jpg.ppm", "small.jpg.ppm"] {
            let expected = try #require(Self.byteArrays.first { $0.file == file })
            #expect(Self.hash(try Self.image(file), mode: .cli512).hash.hex == expected.hash)
        }
    }
}

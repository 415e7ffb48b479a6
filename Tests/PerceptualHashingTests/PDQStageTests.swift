import Foundation
import TestSupport
import Testing

@testable import PerceptualHashing

/// Stage-by-stage checks against the reference's dumped intermediates (`pdq/intermediates`), bit for bit.
@Suite(.enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors (pdq reference vectors)"))
struct PDQStageTests {
    static let names = ["aaa-orig", "flat_200x200", "o_5x5", "q0003", "square-128x128", "wee"]

    struct Dump {
        let width: Int
        let height: Int
        let meta: [String: String]
        let luma: [Float]

        init(_ name: String) throws {
            let base = "pdq/intermediates/\(name)"
            meta = try readMeta(Vectors.shared("\(base).meta.txt"))
            width = Int(meta["cols"]!)!
            height = Int(meta["rows"]!)!
            luma = try readFloat32(Vectors.shared("\(base).luma.f32"))
        }

        func stage(_ suffix: String, of name: String) throws -> [Float] {
            try readFloat32(Vectors.shared("pdq/intermediates/\(name).\(suffix).f32"))
        }
    }

    /// Luma from the reference's pixels equals its luma dump (the byte-array images among the dumps).
    @Test(arguments: ["aaa-orig", "q0003", "square-128x128", "wee"])
    func lumaFromPixelsIsBitExact(_ name: String) throws {
        let dump = try Dump(name)
        let image = try PPMImage(contentsOf: Vectors.shared("pdq/byte-arrays/\(name).jpg.ppm"))
        #expect(image.width == dump.width && image.height == dump.height)
        var luma = [Float](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { pixels in
            luma.withUnsafeMutableBufferPointer { out in
                PDQLuma.fill(
                    pixels: pixels.baseAddress!,
                    width: image.width,
                    height: image.height,
                    channels: 3,
                    outputWidth: image.width,
                    outputHeight: image.height,
                    into: out.baseAddress!,
                    stride: image.width
                )
            }
        }
        #expect(bitDifferences(luma, dump.luma) == [])
    }

    @Test(arguments: names)
    func windowSizesMatch(_ name: String) throws {
        let dump = try Dump(name)
        #expect(JaroszBlur.windowSize(dump.width) == Int(dump.meta["window_along_rows"]!))
        #expect(JaroszBlur.windowSize(dump.height) == Int(dump.meta["window_along_cols"]!))
    }

    @Test(arguments: names)
    func blurIsBitExact(_ name: String) throws {
        let dump = try Dump(name)
        let blurred = JaroszBlur.blurred(dump.luma, width: dump.width, height: dump.height)
        #expect(bitDifferences(blurred, try dump.stage("blurred", of: name)) == [])
    }

    @Test(arguments: names)
    func downsampleDCTQualityMedianAndHashAreBitExact(_ name: String) throws {
        let dump = try Dump(name)
        var hasher = PDQHasher()
        let (buffer64, dct, quality, median) = try #require(
            dump.luma.withUnsafeBufferPointer { luma in
                hasher.withDCT(
                    of: .floats(luma.baseAddress!, width: dump.width, height: dump.height),
                    mode: .full,
                    dihedral: false
                ) { stages in
                    (
                        Array(UnsafeBufferPointer(start: stages.buffer64, count: 64 * 64)),
                        Array(UnsafeBufferPointer(start: stages.dct, count: 256)),
                        stages.quality,
                        PDQThreshold.lowerMedian(stages.dct)
                    )
                }
            }
        )
        #expect(bitDifferences(buffer64, try dump.stage("buf64x64", of: name)) == [])
        #expect(bitDifferences(dct, try dump.stage("dct16x16", of: name)) == [])
        #expect(quality == Int(dump.meta["quality"]!))
        #expect("0x" + String(median.bitPattern, radix: 16).leftPadded(to: 8) == dump.meta["median_bits"])
        let result = dump.luma.withUnsafeBufferPointer { hasher.hash(luma: $0, width: dump.width, height: dump.height) }
        #expect(result.hash.hex == dump.meta["hash"])
        #expect(result.quality == Int(dump.meta["quality"]!))
    }

    /// A 64×64 input is taken as already downsampled: feeding a reference 64×64 downsample back in
    /// must reproduce that image's DCT and hash.
    @Test(arguments: ["aaa-orig", "q0003", "wee"])
    func sixtyFourSquareInputSkipsTheBlur(_ name: String) throws {
        let dump = try Dump(name)
        let buffer64 = try dump.stage("buf64x64", of: name)
        var hasher = PDQHasher()
        let dct = try #require(
            buffer64.withUnsafeBufferPointer { luma in
                hasher.withDCT(of: .floats(luma.baseAddress!, width: 64, height: 64), mode: .full, dihedral: false) {
                    Array(UnsafeBufferPointer(start: $0.dct, count: 256))
                }
            }
        )
        #expect(bitDifferences(dct, try dump.stage("dct16x16", of: name)) == [])
        let result = buffer64.withUnsafeBufferPointer { hasher.hash(luma: $0, width: 64, height: 64) }
        #expect(result.hash.hex == dump.meta["hash"])
        #expect(result.quality == Int(dump.meta["quality"]!))
    }

    /// `cli512` on Float luma: a 2×-duplicated 512×512 luma resamples back to the original.
    @Test func cli512OnLumaResamplesLikeOnPixels() throws {
        let dump = try Dump("aaa-orig")
        var doubled = [Float](repeating: 0, count: 4 * dump.luma.count)
        for y in 0..<(2 * dump.height) {
            for x in 0..<(2 * dump.width) {
                doubled[y * 2 * dump.width + x] = dump.luma[(y / 2) * dump.width + x / 2]
            }
        }
        var hasher = PDQHasher()
        let result = doubled.withUnsafeBufferPointer {
            hasher.hash(luma: $0, width: 2 * dump.width, height: 2 * dump.height, mode: .cli512)
        }
        #expect(result.hash.hex == dump.meta["hash"])
        let dihedral = doubled.withUnsafeBufferPointer {
            hasher.hashDihedral(luma: $0, width: 2 * dump.width, height: 2 * dump.height, mode: .cli512)
        }
        #expect(dihedral.orig.hex == dump.meta["hash"])
    }

    /// The DCT matrix built without libm equals the reference formula evaluated with the platform's `cos`.
    @Test func dctMatrixMatchesPlatformCosine() {
        let scale = Double(Float((2.0 / 64.0).squareRoot()))
        var mismatches: [Int] = []
        for i in 0..<16 {
            for j in 0..<64 {
                let expected = Float(scale * cos((Double.pi / 2 / 64.0) * Double(i + 1) * Double(2 * j + 1)))
                if PDQDCT.matrix[i * 64 + j].bitPattern != expected.bitPattern { mismatches.append(i * 64 + j) }
            }
        }
        #expect(mismatches == [])
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}

import Foundation
import ImageDecoding
import TestSupport
import Testing

/// The reference PDQ hasher decoded each vector image with CImg + libjpeg-turbo 2.1.5 / libpng 1.6.39 and
/// saved the exact RGB it hashed (after its 512×512 nearest-neighbour resize) as `byte-arrays/*.ppm`.
/// Decoding the same files must give the same pixels.
@Suite(.enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors"))
struct DecodedPixelsTests {
    static let images: [String: String] = [
        "aaa-orig.jpg": "pdq/images/bridge-mods/aaa-orig.jpg",
        "high-saturation.jpg": "pdq/images/bridge-mods/high-saturation.jpg",
        "square-256x256.jpg": "pdq/images/bridge-mods/square-256x256.jpg",
        "square-512x512.jpg": "pdq/images/bridge-mods/square-512x512.jpg",
        "small.jpg": "pdq/images/misc-images/small.jpg",
        "wee.jpg": "pdq/images/misc-images/wee.jpg",
        "1.png": "pdq/images/misc-images/modes/1.png",
        "L.png": "pdq/images/misc-images/modes/L.png",
        "P.png": "pdq/images/misc-images/modes/P.png",
        "RGB.jpg": "pdq/images/misc-images/modes/RGB.jpg",
        "YCbCr.jpg": "pdq/images/misc-images/modes/YCbCr.jpg",
        "q0003.jpg": "pdq/images/reg-test-input/labelme-subset/q0003.jpg",
        "exif-rotn-6.jpg": "pdq/images/reg-test-input/exif-rotn/exif-rotn-6.jpg",
        "bridge-2-rotate-90.jpg": "pdq/images/reg-test-input/dih/bridge-2-rotate-90.jpg",
    ]

    @Test(arguments: images.keys.sorted())
    func pixelsEqualTheReferenceDecoder(name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Vectors.shared(Self.images[name]!)))
        let image = try ImageDecoder.decode(bytes)
        let expected = try PPMImage(contentsOf: Vectors.shared("pdq/byte-arrays/\(name).ppm"))
        // The reference resizes anything over 512 on a side to 512×512 by nearest neighbour.
        let resize = image.width > 512 || image.height > 512
        let width = resize ? 512 : image.width
        let height = resize ? 512 : image.height
        #expect(expected.width == width && expected.height == height)
        let pixels = image.pixels
        var mismatches = 0
        for y in 0..<height {
            let sourceY = resize ? y * image.height / 512 : y
            for x in 0..<width {
                let sourceX = resize ? x * image.width / 512 : x
                for c in 0..<3 {
                    // Greyscale sources decode to one channel; the reference replicated it into R, G and B.
                    let ours = pixels[(sourceY * image.width + sourceX) * image.channels + min(c, image.channels - 1)]
                    if ours != expected.pixels[(y * width + x) * 3 + c] { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) samples differ from the reference decoder")
    }

    @Test func greyscaleSourcesStayOneChannelAndColourIsThree() throws {
        let grey = try ImageDecoder.decode([UInt8](try Data(contentsOf: Vectors.shared(Self.images["L.png"]!))))
        #expect(grey.channels == 1 && grey.width == 1600 && grey.height == 1004)
        let colour = try ImageDecoder.decode([UInt8](try Data(contentsOf: Vectors.shared(Self.images["RGB.jpg"]!))))
        #expect(colour.channels == 3 && colour.format == .jpeg)
    }

    @Test func exifOrientationIsReportedButNotApplied() throws {
        let bytes = [UInt8](try Data(contentsOf: Vectors.shared(Self.images["exif-rotn-6.jpg"]!)))
        let image = try ImageDecoder.decode(bytes)
        #expect(image.exifOrientation == 6)
        let header = try bytes.withUnsafeBytes { try ImageDecoder.probe($0) }
        #expect(header.exifOrientation == 6 && header.width == image.width)
    }

    @Test(arguments: ["LA.png", "RGBA.png", "CMYK.jpg"])
    func modesTheReferenceCLIRejectsStillDecode(name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Vectors.shared("pdq/images/misc-images/modes/\(name)")))
        let image = try ImageDecoder.decode(bytes)
        #expect(image.width == 1600 && image.height == 1004)
        #expect(image.channels == (name == "LA.png" ? 1 : 3))
    }
}

import Foundation
import ImageDecoding
import TestSupport
import Testing

/// Damaged and hostile bytes: every one must come back as a `DecodeError` with a precise message, never a crash.
@Suite struct HostileInputTests {
    @Test func anEmptyFileIsTruncated() {
        #expect(throws: DecodeError.truncated("the file is empty")) { try ImageDecoder.decode([]) }
    }

    @Test func unknownBytesAreNamedAsSuch() throws {
        let error = try #require(throws: DecodeError.self) { try ImageDecoder.decode(Array("GIF89a....".utf8)) }
        #expect(error.code == "image_unknown_format")
    }

    @Test func aPNGDeclaring60000SquarePixelsIsRefusedBeforeAllocating() throws {
        var ihdr: [UInt8] = Array("IHDR".utf8)
        ihdr += bigEndian(60_000) + bigEndian(60_000) + [8, 2, 0, 0, 0]
        let png: [UInt8] =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + bigEndian(13) + ihdr + bigEndian(crc32(ihdr))
        let error = try #require(throws: DecodeError.self) { try ImageDecoder.decode(png) }
        #expect(error.code == "image_too_large")
        #expect(error.message == "60000x60000 pixels (3600.0 MP) exceeds the 100.0 MP limit")
        // With a (tiny) IDAT behind it, as a real bomb would have: still refused on the header.
        let idat: [UInt8] = Array("IDAT".utf8) + [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        let withData = png + bigEndian(8) + idat + bigEndian(crc32(idat))
        #expect(throws: error) { try ImageDecoder.decode(withData) }
    }

    @Test func aJPEGDeclaring60000SquarePixelsIsRefusedBeforeAllocating() throws {
        let error = try #require(throws: DecodeError.self) {
            try ImageDecoder.decode(jpegHeader(width: 60_000, height: 60_000))
        }
        #expect(error.code == "image_too_large")
        #expect(error.message.contains("60000x60000 pixels"))
    }

    @Test func limitsAreTheCallersToSet() throws {
        var options = DecodeOptions()
        options.maxPixels = 1_000
        let error = try #require(throws: DecodeError.self) {
            try ImageDecoder.decode(jpegHeader(width: 100, height: 100), options: options)
        }
        #expect(error.message == "100x100 pixels (0.0 MP) exceeds the 0.0 MP limit")
    }

    @Test(
        .enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors"),
        arguments: ["pdq/images/misc-images/wee.jpg", "pdq/edge-cases/o_64x64.png", "pdq/edge-cases/o_5x5.png"]
    )
    func everyProperPrefixFailsCleanly(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Vectors.shared(path)))
        #expect(throws: Never.self) { try ImageDecoder.decode(bytes) }
        var codes: [String: Int] = [:]
        for length in 0..<bytes.count {
            do {
                _ = try ImageDecoder.decode(Array(bytes[..<length]))
                Issue.record("a \(length)-byte prefix of \(bytes.count) decoded without error")
            } catch {
                codes[error.code, default: 0] += 1
            }
        }
        // Most prefixes are cut inside the pixel data; the first few are too short to recognise.
        #expect(codes["image_truncated", default: 0] > bytes.count / 2, "\(codes)")
    }

    @Test(
        .enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors"),
        arguments: ["pdq/images/misc-images/wee.jpg", "pdq/edge-cases/o_64x64.png"]
    )
    func randomByteFlipsNeverCrash(path: String) throws {
        let original = [UInt8](try Data(contentsOf: Vectors.shared(path)))
        var random = SplitMix64(seed: 0x5EED)
        var failures = 0
        for _ in 0..<2_000 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 8)) {
                let index = Int(random.next() % UInt64(bytes.count))
                bytes[index] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            }
            do {
                let image = try ImageDecoder.decode(bytes)
                #expect(image.width * image.height * image.channels == image.pixels.count)
            } catch {
                failures += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(failures > 0)
    }

    /// Thousands of APP1 segments are read one at a time (libjpeg's jpeg_save_markers kept a copy of each, so a
    /// 255 MB file of 64 KB segments cost 255 MB more; Scripts/bombs measures it). The orientation is still the
    /// first valid one, even behind 10,000 segments that are not EXIF, and later ones do not override it.
    @Test func tenThousandAPP1SegmentsStillGiveTheFirstOrientation() throws {
        let original = [UInt8](try Data(contentsOf: Vectors.fixtures.appendingPathComponent("images/baseline.jpg")))
        func app1(_ payload: [UInt8]) -> [UInt8] {
            [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        }
        func exif(orientation: UInt8) -> [UInt8] {
            // "Exif\0\0", big-endian TIFF header, IFD0 with one entry: Orientation (0x0112), SHORT, 1, value.
            Array("Exif".utf8) + [0, 0] + Array("MM".utf8) + [0, 42, 0, 0, 0, 8] + [0, 1]
                + [0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0] + [0, 0, 0, 0]
        }
        let junk = app1(Array("http://ns.adobe.com/xap/1.0/\0".utf8) + [UInt8](repeating: 0x20, count: 70))
        var bytes = Array(original[..<2])
        for _ in 0..<10_000 { bytes += junk }
        bytes += app1(exif(orientation: 6)) + app1(exif(orientation: 3))
        bytes += original[2...]
        let plain = try ImageDecoder.decode(original)
        let image = try ImageDecoder.decode(bytes)
        #expect(image.exifOrientation == 6)
        #expect(image.width == plain.width && image.height == plain.height && image.pixels == plain.pixels)
    }

    @Test(.enabled(if: Vectors.sharedAvailable, "needs ../shared/vectors"))
    func lenientModeKeepsATruncatedJPEGAndSaysWhy() throws {
        let bytes = [UInt8](try Data(contentsOf: Vectors.shared("pdq/images/misc-images/wee.jpg")))
        var options = DecodeOptions()
        options.strict = false
        let image = try ImageDecoder.decode(Array(bytes[..<(bytes.count - 300)]), options: options)
        #expect(image.width == 34 && image.height == 42)
        #expect(image.warnings.first?.contains("Premature end of JPEG file") == true)
    }
}

/// SOI, a baseline SOF0 of the given size with one component, and a SOS: enough for libjpeg to read the header.
func jpegHeader(width: UInt16, height: UInt16) -> [UInt8] {
    var bytes: [UInt8] = [0xFF, 0xD8]
    bytes += [0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: 1, count: 64)  // one quantisation table
    bytes += [0xFF, 0xC0, 0x00, 0x0B, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8)]
    bytes += [UInt8(width & 0xFF), 0x01, 0x01, 0x11, 0x00]
    bytes += [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]
    return bytes + [UInt8](repeating: 0, count: 16)
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// CRC-32 as PNG chunks use it (ISO 3309, reflected, polynomial 0xEDB88320).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

import CImageCodecs

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoded pixels: row-major, tightly packed, one byte per sample.
///
/// `channels` is 1 for greyscale sources (and for JPEGs decoded as luma only) and 3 for colour;
/// alpha never survives decoding (see `DecodeOptions.alpha`).
public struct Image: Sendable {
    /// Width of the pixel grid (after any JPEG DCT scaling).
    public let width: Int
    /// Height of the pixel grid (after any JPEG DCT scaling).
    public let height: Int
    /// Samples per pixel: 1 (grey) or 3 (RGB).
    public let channels: Int
    /// The container format the pixels came from.
    public let format: ImageFormat
    /// Width the file declares, before scaling.
    public let sourceWidth: Int
    /// Height the file declares, before scaling.
    public let sourceHeight: Int
    /// EXIF orientation (1…8) when the file carries one; nil otherwise. Decoding never applies it.
    public let exifOrientation: Int?
    /// Problems the decoder recovered from (lenient mode only); empty when the file was clean.
    public let warnings: [String]

    private let storage: PixelStorage

    init(decoded: hm_image, storage: PixelStorage, warnings: [String]) {
        self.width = Int(decoded.width)
        self.height = Int(decoded.height)
        self.channels = Int(decoded.channels)
        self.format = decoded.format == HM_FORMAT_PNG ? .png : .jpeg
        self.sourceWidth = Int(decoded.source_width)
        self.sourceHeight = Int(decoded.source_height)
        self.exifOrientation = decoded.exif_orientation == 0 ? nil : Int(decoded.exif_orientation)
        self.warnings = warnings
        self.storage = storage
    }

    /// Creates an image from pixels the caller already has (e.g. raw test data).
    ///
    /// - Precondition: `pixels.count == width * height * channels`, channels 1 or 3.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && (channels == 1 || channels == 3))
        precondition(pixels.count == width * height * channels, "pixel buffer does not match the dimensions")
        self.width = width
        self.height = height
        self.channels = channels
        self.format = .raw
        self.sourceWidth = width
        self.sourceHeight = height
        self.exifOrientation = nil
        self.warnings = []
        self.storage = PixelStorage(copying: pixels)
    }

    /// Calls `body` with the pixel bytes; the pointer must not escape the closure.
    public func withPixels<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: storage.pointer, count: width * height * channels))
    }

    /// The pixel bytes as an array (a copy).
    public var pixels: [UInt8] { withPixels { Array($0) } }
}

/// The container format an image was decoded from.
public enum ImageFormat: String, Sendable {
    case jpeg, png
    /// Pixels handed over directly, not decoded from a file.
    case raw
}

/// Owns the pixel buffer the C decoder allocated, so no copy is made on the way to Swift.
final class PixelStorage: @unchecked Sendable {
    // Immutable after init; the buffer is never written once the image exists.
    let pointer: UnsafeMutablePointer<UInt8>?

    init(taking pointer: UnsafeMutablePointer<UInt8>?) {
        self.pointer = pointer
    }

    init(copying bytes: [UInt8]) {
        let pointer = malloc(max(bytes.count, 1))!.bindMemory(to: UInt8.self, capacity: bytes.count)
        pointer.initialize(from: bytes, count: bytes.count)
        self.pointer = pointer
    }

    deinit {
        free(pointer)
    }
}

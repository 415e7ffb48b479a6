import CImageCodecs

/// Decodes JPEG and PNG bytes through libjpeg-turbo and libpng.
///
/// Stateless and thread-safe; every codec error is caught in C and comes back as a `DecodeError`.
public enum ImageDecoder {
    /// Decodes a whole image.
    ///
    /// - Parameters:
    ///   - bytes: the file contents.
    ///   - options: scale, colour and the limits checked before any large allocation.
    /// - Returns: the pixels, grey (1 channel) or RGB (3 channels).
    /// - Throws: `DecodeError` saying what is wrong with the bytes.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer,
        options: DecodeOptions = DecodeOptions()
    ) throws(DecodeError) -> Image {
        var raw = hm_decode_options()
        raw.max_pixels = UInt64(clamping: max(options.maxPixels, 0))
        raw.max_dimension = UInt32(clamping: max(options.maxDimension, 0))
        raw.scale_denom = Int32(clamping: options.scaleDenominator)
        raw.output = options.lumaOnly ? HM_PIXELS_GREY : HM_PIXELS_RGB
        raw.strict = options.strict ? 1 : 0
        raw.max_jpeg_scans = UInt32(clamping: max(options.maxJPEGScans, 0))
        if case .composite(let red, let green, let blue) = options.alpha {
            raw.composite_alpha = 1
            raw.background_rgb = (red, green, blue)
        }
        var decoded = hm_image()
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let status = withUnsafePointer(to: &raw) { hm_decode(base, bytes.count, $0, &decoded) }
        guard status == HM_STATUS_OK else { throw DecodeError(status: status, message: message(of: &decoded)) }
        let warnings = decoded.warnings > 0 ? ["\(decoded.warnings) recovered error(s): \(message(of: &decoded))"] : []
        return Image(decoded: decoded, storage: PixelStorage(taking: decoded.pixels), warnings: warnings)
    }

    /// Decodes a whole image from an array of bytes.
    ///
    /// - Throws: `DecodeError` saying what is wrong with the bytes.
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws(DecodeError) -> Image {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(DecodeError) -> Image in try decode(buffer, options: options) }
        }
        return try result.get()
    }

    /// Reads only the header: format, declared size and EXIF orientation, without decoding pixels.
    ///
    /// - Throws: `DecodeError` when the header cannot be read.
    public static func probe(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> ImageHeader {
        var decoded = hm_image()
        let status = hm_probe(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &decoded)
        guard status == HM_STATUS_OK else { throw DecodeError(status: status, message: message(of: &decoded)) }
        return ImageHeader(
            format: decoded.format == HM_FORMAT_PNG ? .png : .jpeg,
            width: Int(decoded.source_width),
            height: Int(decoded.source_height),
            exifOrientation: decoded.exif_orientation == 0 ? nil : Int(decoded.exif_orientation)
        )
    }

    /// The format the leading bytes name, or nil when they are neither JPEG nor PNG.
    public static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        switch hm_sniff(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count) {
        case HM_FORMAT_JPEG: .jpeg
        case HM_FORMAT_PNG: .png
        default: nil
        }
    }

    private static func message(of image: inout hm_image) -> String {
        withUnsafeBytes(of: &image.message) { buffer in
            String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// What a file's header declares.
public struct ImageHeader: Sendable, Equatable {
    /// JPEG or PNG.
    public let format: ImageFormat
    /// Declared width in pixels.
    public let width: Int
    /// Declared height in pixels.
    public let height: Int
    /// EXIF orientation (1…8) when present.
    public let exifOrientation: Int?
}

extension DecodeError {
    init(status: hm_status, message: String) {
        switch status {
        case HM_STATUS_UNKNOWN_FORMAT: self = .unknownFormat(message)
        case HM_STATUS_TRUNCATED: self = .truncated(message)
        case HM_STATUS_TOO_LARGE: self = .tooLarge(message)
        case HM_STATUS_UNSUPPORTED: self = .unsupported(message)
        case HM_STATUS_OUT_OF_MEMORY: self = .outOfMemory(message)
        default: self = .corrupt(message)
        }
    }
}

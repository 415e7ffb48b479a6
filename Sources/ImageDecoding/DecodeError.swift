/// Why bytes could not be decoded into an image. Each case maps to a stable wire/CLI code.
public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Neither a JPEG nor a PNG.
    case unknownFormat(String)
    /// The data ends before the image does.
    case truncated(String)
    /// The codec refused the data.
    case corrupt(String)
    /// Declared dimensions (or scan count) over the configured limits.
    case tooLarge(String)
    /// A valid file of a kind hashmatch does not decode.
    case unsupported(String)
    /// The pixels could not be allocated.
    case outOfMemory(String)

    /// Stable machine-readable code, e.g. `image_truncated`.
    public var code: String {
        switch self {
        case .unknownFormat: "image_unknown_format"
        case .truncated: "image_truncated"
        case .corrupt: "image_corrupt"
        case .tooLarge: "image_too_large"
        case .unsupported: "image_unsupported"
        case .outOfMemory: "image_out_of_memory"
        }
    }

    /// The human-readable reason, from the codec or our limit checks.
    public var message: String {
        switch self {
        case .unknownFormat(let message), .truncated(let message), .corrupt(let message), .tooLarge(let message),
            .unsupported(let message), .outOfMemory(let message):
            message
        }
    }

    public var description: String { message }
}

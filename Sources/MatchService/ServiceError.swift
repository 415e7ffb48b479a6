import Matching

/// An error answered on the wire: `{"error":{"code":"…","message":"…"}}`. Codes are stable; messages are for people.
public struct ServiceError: Error, Sendable, Equatable {
    /// The stable codes besides the image decoding ones (`DecodeError.code`: `image_truncated`, …).
    public enum Code: String, Sendable, CaseIterable {
        /// The opcode names no operation.
        case unknownOpcode = "unknown_opcode"
        /// The length field is over the limit (the connection then closes).
        case frameTooLarge = "frame_too_large"
        /// The length field is too small to hold an opcode and id (the connection then closes).
        case badFrame = "bad_frame"
        /// A payload that should be JSON is not, or lacks a member.
        case badRequest = "bad_request"
        /// A hash is not valid hex of its algorithm's width, or the algorithm is unknown.
        case badHash = "bad_hash"
        /// No or a wrong token: authenticate first.
        case unauthorized = "unauthorized"
        /// Authenticated, but the operation needs the admin token.
        case forbidden = "forbidden"
        /// Too many image requests queued or too many connections: retry later.
        case overloaded = "overloaded"
        /// A frame or HTTP request was begun and not finished within the read timeout (the connection then closes).
        case readTimeout = "read_timeout"
        /// The request was not answered within the request deadline.
        case deadlineExceeded = "deadline_exceeded"
        /// A reload found a file it could not load; the previous index is still served.
        case reloadFailed = "reload_failed"
        /// An admin change named a set name that is not valid.
        case badSetName = "bad_set_name"
        /// An added entry reuses an id of a different entry.
        case duplicateID = "duplicate_id"
        /// A removal named a set that does not exist.
        case noSuchSet = "no_such_set"
        /// Writing a hash-set file failed; nothing was changed in the index.
        case storageFailed = "storage_failed"
        /// The server is shutting down.
        case shuttingDown = "shutting_down"
        /// HTTP: no such route.
        case notFound = "not_found"
        /// HTTP: the route exists, not with this method.
        case methodNotAllowed = "method_not_allowed"
    }

    /// Stable machine-readable code.
    public var code: String
    /// What went wrong, in words.
    public var message: String

    /// An error with one of the service's own codes.
    public init(_ code: Code, _ message: String) {
        self.code = code.rawValue
        self.message = message
    }

    /// An error with a code from elsewhere (image decoding).
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The `error` object.
    var json: JSONValue { .object([("code", .string(code)), ("message", .string(message))]) }

    /// The HTTP status an error code maps to.
    var httpStatus: Int {
        switch Code(rawValue: code) {
        case .unknownOpcode, .badFrame, .badRequest, .badHash, .badSetName: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound, .noSuchSet: 404
        case .methodNotAllowed: 405
        case .duplicateID: 409
        case .frameTooLarge: 413
        case .overloaded, .shuttingDown: 503
        case .deadlineExceeded: 504
        case .readTimeout: 408
        case .reloadFailed, .storageFailed: 500
        case nil: code.hasPrefix("image_") ? 422 : 500
        }
    }
}

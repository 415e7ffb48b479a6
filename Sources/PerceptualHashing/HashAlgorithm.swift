/// Every kind of hash hashmatch computes, stores and matches.
///
/// The raw values are the names used everywhere a user sees them: CLI flags, JSON keys,
/// hash-set files and the wire protocol.
public enum HashAlgorithm: String, CaseIterable, Sendable, Codable {
    case pdq, phash, dhash, ahash, md5, sha1, sha256

    /// The perceptual hashes, matched by Hamming distance.
    public static let perceptual: [HashAlgorithm] = [.pdq, .phash, .dhash, .ahash]
    /// The exact digests of the file bytes, matched by equality.
    public static let digests: [HashAlgorithm] = [.md5, .sha1, .sha256]

    /// Whether a match means "Hamming distance within a threshold" rather than equality.
    public var isPerceptual: Bool { Self.perceptual.contains(self) }

    /// Length of the hash in bits.
    public var bitCount: Int {
        switch self {
        case .pdq, .sha256: 256
        case .phash, .dhash, .ahash: 64
        case .md5: 128
        case .sha1: 160
        }
    }

    /// Number of hex digits in the textual form.
    public var hexLength: Int { bitCount / 4 }

    /// Parses the textual (hex) form of a hash of this algorithm.
    ///
    /// - Throws: `HashParseError` when the text has the wrong length or a non-hex character.
    public func parse(_ hex: some StringProtocol) throws(HashParseError) -> HashValue {
        switch self {
        case .pdq: return .hash256(try Hash256(hex: hex))
        case .phash, .dhash, .ahash: return .hash64(try Hash64(hex: hex))
        case .md5, .sha1, .sha256: return .digest(try ExactDigest(hex: hex, byteCount: bitCount / 8))
        }
    }
}

/// One hash value of any algorithm.
public enum HashValue: Hashable, Sendable {
    /// PDQ.
    case hash256(Hash256)
    /// pHash, dHash or aHash.
    case hash64(Hash64)
    /// MD5, SHA-1 or SHA-256 of the file bytes.
    case digest(ExactDigest)

    /// Lowercase hex, as printed everywhere.
    public var hex: String {
        switch self {
        case .hash256(let hash): hash.hex
        case .hash64(let hash): hash.hex
        case .digest(let digest): digest.hex
        }
    }
}

/// The bytes of an exact digest (MD5, SHA-1, SHA-256).
public struct ExactDigest: Hashable, Sendable {
    /// The digest bytes, in the order the hex form lists them.
    public let bytes: [UInt8]

    /// Wraps digest bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses `2 × byteCount` hex digits.
    ///
    /// - Throws: `HashParseError` when the text has the wrong length or a non-hex character.
    public init(hex: some StringProtocol, byteCount: Int) throws(HashParseError) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == byteCount * 2 else { throw .wrongLength(expected: byteCount * 2, found: utf8.count) }
        var bytes = [UInt8](repeating: 0, count: byteCount)
        for index in 0..<utf8.count {
            guard let nibble = hexNibble(utf8[index]) else { throw .notHex(position: index) }
            bytes[index / 2] = bytes[index / 2] << 4 | nibble
        }
        self.bytes = bytes
    }

    /// Lowercase hex, two digits per byte.
    public var hex: String {
        bytes.map { hexDigits(UInt64($0), count: 2) }.joined()
    }
}

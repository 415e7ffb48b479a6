/// The 64-bit hashes of one image; a hash that was not asked for is nil.
public struct ImageHashes: Hashable, Sendable {
    /// `imagehash.average_hash`, if computed.
    public var ahash: Hash64?
    /// `imagehash.phash`, if computed.
    public var phash: Hash64?
    /// `imagehash.dhash`, if computed.
    public var dhash: Hash64?

    /// Creates a value from whichever hashes are known.
    public init(ahash: Hash64? = nil, phash: Hash64? = nil, dhash: Hash64? = nil) {
        self.ahash = ahash
        self.phash = phash
        self.dhash = dhash
    }

    /// The hash of `algorithm`, or nil when it was not computed or is not an image hash.
    public subscript(algorithm: HashAlgorithm) -> Hash64? {
        switch algorithm {
        case .ahash: ahash
        case .phash: phash
        case .dhash: dhash
        case .pdq, .md5, .sha1, .sha256: nil
        }
    }
}

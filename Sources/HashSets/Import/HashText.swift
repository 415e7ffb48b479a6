import PerceptualHashing

/// Hash parsing with the reasons every importer reports.
enum HashText {
    /// Parses `text` as a hash of `algorithm`, or says why it is not one (`pdq hash must be 64 hex digits, found 32`).
    static func parse(_ text: Substring, as algorithm: HashAlgorithm) -> Result<HashValue, HashTextError> {
        do {
            return .success(try algorithm.parse(text))
        } catch {
            switch error {
            case .wrongLength(let expected, let found):
                return .failure(
                    HashTextError("\(algorithm.rawValue) hash must be \(expected) hex digits, found \(found)")
                )
            case .notHex(let position):
                let character = text.unicodeScalars.dropFirst(position).first.map { "\($0)" } ?? "?"
                return .failure(
                    HashTextError(
                        "\(algorithm.rawValue) hash has a non-hex character '\(character)' at position \(position + 1)"
                    )
                )
            }
        }
    }

    /// The algorithm a bare hex string of this length most likely is, for lists that do not say.
    ///
    /// 64 hex digits are PDQ unless `sixtyFour` says otherwise (SHA-256 has the same length);
    /// 16 are ambiguous (pHash, dHash, aHash) and need the caller to say which.
    static func inferAlgorithm(hexLength: Int, sixtyFour: HashAlgorithm = .pdq) -> Result<HashAlgorithm, HashTextError>
    {
        switch hexLength {
        case 64: .success(sixtyFour)
        case 40: .success(.sha1)
        case 32: .success(.md5)
        case 16:
            .failure(HashTextError("16 hex digits could be phash, dhash or ahash; say which with the algorithm option"))
        default:
            .failure(
                HashTextError(
                    "cannot tell the algorithm of a \(hexLength)-character hash (expected 64 for pdq/sha256, 40 for sha1, 32 for md5, 16 for phash/dhash/ahash)"
                )
            )
        }
    }
}

/// Why a hash string was rejected; the text is the reason.
struct HashTextError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

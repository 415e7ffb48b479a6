import PerceptualHashing

/// Plain hex lists: one hash per line, `#` comments and blank lines allowed.
///
/// The algorithm comes from the caller, or from the length of each hash: 64 hex digits are PDQ
/// (or SHA-256 when `sixtyFourHexDigits` says so), 40 SHA-1, 32 MD5; 16 could be pHash, dHash or
/// aHash, so such lists need the algorithm given. Ids are `<algorithm>-<hex>`.
public struct HexListImporter: Sendable {
    /// Every line's algorithm, or nil to infer it from the length.
    public var algorithm: HashAlgorithm?
    /// What a 64-digit hash is when inferring (PDQ and SHA-256 share the length).
    public var sixtyFourHexDigits: HashAlgorithm
    /// Labels given to every entry.
    public var labels: [String]

    /// Creates an importer.
    public init(algorithm: HashAlgorithm? = nil, sixtyFourHexDigits: HashAlgorithm = .pdq, labels: [String] = []) {
        self.algorithm = algorithm
        self.sixtyFourHexDigits = sixtyFourHexDigits
        self.labels = labels
    }

    /// Reads a list.
    public func parse(_ bytes: [UInt8], fileName: String) -> HashSetImport {
        var builder = ImportBuilder(fileName: fileName)
        for (number, content) in builder.contentLines(of: bytes) {
            let fields = content.whitespaceFields
            guard fields.count == 1 else {
                builder.issue(line: number, "expected one hash per line, found \(fields.count) fields")
                continue
            }
            let algorithm: HashAlgorithm
            if let given = self.algorithm {
                algorithm = given
            } else {
                switch HashText.inferAlgorithm(hexLength: content.utf8.count, sixtyFour: sixtyFourHexDigits) {
                case .success(let inferred): algorithm = inferred
                case .failure(let error):
                    builder.issue(line: number, error.reason)
                    continue
                }
            }
            guard let value = builder.hash(content, as: algorithm, line: number) else { continue }
            builder.add(
                HashSetEntry(
                    id: HashSetEntry.derivedID(algorithm: algorithm, value: value),
                    algorithm: algorithm,
                    value: value,
                    labels: labels
                ),
                line: number
            )
        }
        return builder.result
    }
}

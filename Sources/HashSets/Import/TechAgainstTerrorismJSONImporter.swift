import PerceptualHashing

/// Tech Against Terrorism (TCAP) hash-list responses:
/// `{"count":…, "next":…, "results":[{"id":2819, "hash_digest":"…", "algorithm":"MD5", "ideology":"…",
/// "file_type":"mp4", "deleted":false, …}]}`; a bare array of such records is read too.
///
/// `algorithm` `MD5`, `SHA1`, `SHA256` and `PDQ` (any case) are imported; others are reported.
/// A record with `"deleted": true` removes the hash (a tombstone by hash). The entry id is
/// `tat-<id>` when the record has an id, else `<algorithm>-<hex>`; the ideology becomes a label.
public struct TechAgainstTerrorismJSONImporter: Sendable {
    /// Creates an importer.
    public init() {}

    /// Reads a response.
    public func parse(_ bytes: [UInt8], fileName: String) -> HashSetImport {
        var builder = ImportBuilder(fileName: fileName)
        guard let root = builder.parseJSON(bytes) else { return builder.result }
        guard let records = root["results"]?.array ?? root.array else {
            builder.issue(line: root.line, "expected an object with a \"results\" array")
            return builder.result
        }
        for record in records { read(record, into: &builder) }
        return builder.result
    }

    private func read(_ record: JSONNode, into builder: inout ImportBuilder) {
        let line = record.line
        guard let digest = record["hash_digest"]?.string else {
            return builder.issue(line: line, "record has no \"hash_digest\" string")
        }
        guard let algorithmName = record["algorithm"]?.string else {
            return builder.issue(line: line, "record has no \"algorithm\" string")
        }
        guard let algorithm = HashAlgorithm(rawValue: algorithmName.lowercased().replacing("-", with: "")),
            [.md5, .sha1, .sha256, .pdq].contains(algorithm)
        else {
            return builder.issue(line: line, "algorithm '\(algorithmName)' is not supported (MD5, SHA1, SHA256, PDQ)")
        }
        let deleted: Bool
        switch record["deleted"]?.value {
        case nil, .null?: deleted = false
        case .bool(let flag)?: deleted = flag
        default: return builder.issue(line: line, "\"deleted\" must be true or false")
        }
        guard let value = builder.hash(Substring(digest), as: algorithm, line: line) else { return }
        if deleted {
            builder.remove(.hash(algorithm, value))
            return
        }
        let id =
            record["id"]?.scalarText.map { "tat-\($0)" } ?? HashSetEntry.derivedID(algorithm: algorithm, value: value)
        let labels = record["ideology"]?.string.map { [$0] } ?? []
        builder.add(HashSetEntry(id: id, algorithm: algorithm, value: value, labels: labels), line: line)
    }
}

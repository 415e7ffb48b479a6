import PerceptualHashing

/// Output of Meta's C++ `pdq-photo-hasher`: `hash,quality,filename` per line.
///
/// The file name is everything after the second comma (it may itself hold commas) and becomes the
/// entry id; a line without one gets the id `pdq-<hex>`. Hashes whose quality is below
/// `minimumQuality` (PDQ's own advice: under 50 the hash says little about the image) are
/// reported and skipped, as are the hasher's own error rows (`UNSUPPORTED(…),,file`). Lines
/// starting with `#` and blank lines are skipped.
public struct PDQPhotoHasherImporter: Sendable {
    /// Quality (0…100) a hash needs to be imported.
    public var minimumQuality: Int

    /// Creates an importer.
    public init(minimumQuality: Int = 50) {
        self.minimumQuality = minimumQuality
    }

    /// Reads a file.
    public func parse(_ bytes: [UInt8], fileName: String) -> HashSetImport {
        var builder = ImportBuilder(fileName: fileName)
        for (number, content) in builder.contentLines(of: bytes) {
            let fields = content.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2 else {
                builder.issue(line: number, "expected 'hash,quality,filename', found no comma")
                continue
            }
            let hashField = fields[0].trimmed
            if fields[1].trimmed.isEmpty, !hashField.allSatisfy(\.isHexDigit) {
                // The hasher writes `UNSUPPORTED(…),,file` (or another message) when it cannot hash a file.
                builder.issue(line: number, "the hasher could not hash this file: \(hashField)")
                continue
            }
            guard let value = builder.hash(hashField, as: .pdq, line: number) else { continue }
            guard let quality = Int(fields[1].trimmed), (0...100).contains(quality) else {
                builder.issue(line: number, "quality must be a whole number from 0 to 100, found '\(fields[1])'")
                continue
            }
            guard quality >= minimumQuality else {
                builder.issue(
                    line: number,
                    "quality \(quality) is below \(minimumQuality): the hash is not trustworthy; skipped"
                )
                continue
            }
            let fileField = fields.count == 3 ? String(fields[2]) : ""
            let id = fileField.isEmpty ? HashSetEntry.derivedID(algorithm: .pdq, value: value) : fileField
            builder.add(HashSetEntry(id: id, algorithm: .pdq, value: value), line: number)
        }
        return builder.result
    }
}

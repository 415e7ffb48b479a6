import PerceptualHashing

/// python-threatexchange `threatexchange dataset -P --csv` output:
/// `signal_type,signal_str,collab,category,tags`.
///
/// The header row is optional; when present its column names decide the order (older versions
/// wrote `collab` first). `tags` are separated by spaces (as python-threatexchange writes them) or
/// commas, and become labels. Rows whose category is `NEGATIVE_CLASS` (marked as false positives)
/// are reported and not imported. The same signal listed once per collaboration becomes one entry
/// with the union of the tags. Ids are `<algorithm>-<hex>`.
public struct ThreatExchangeCSVImporter: Sendable {
    /// The columns when the file has no header row.
    public static let defaultColumns = ["signal_type", "signal_str", "collab", "category", "tags"]

    /// Creates an importer.
    public init() {}

    /// Reads a file.
    public func parse(_ bytes: [UInt8], fileName: String) -> HashSetImport {
        var builder = ImportBuilder(fileName: fileName)
        var (records, unterminated) = CSVReader.records(bytes)
        var columns = Self.defaultColumns
        if let first = records.first, first.fields.contains("signal_type"), first.fields.contains("signal_str") {
            columns = first.fields
            records.removeFirst()
        }
        let column = { (name: String) in columns.firstIndex(of: name) }
        guard let typeColumn = column("signal_type"), let signalColumn = column("signal_str") else {
            builder.issue(line: 1, "header has no signal_type and signal_str columns")
            return builder.result
        }
        for record in records {
            let line = record.line
            guard record.fields.count == columns.count else {
                builder.issue(line: line, "expected \(columns.count) columns, found \(record.fields.count)")
                continue
            }
            if let categoryColumn = column("category"), record.fields[categoryColumn] == "NEGATIVE_CLASS" {
                builder.issue(line: line, "category NEGATIVE_CLASS (a false positive); not imported")
                continue
            }
            let algorithm: HashAlgorithm
            switch ThreatExchangeSignalType.algorithm(for: Substring(record.fields[typeColumn]).trimmed) {
            case .success(let found): algorithm = found
            case .failure(let error):
                builder.issue(line: line, error.reason)
                continue
            }
            let signal = Substring(record.fields[signalColumn]).trimmed
            guard let value = builder.hash(signal, as: algorithm, line: line) else { continue }
            var labels: [String] = []
            if let tagsColumn = column("tags") {
                for tag in record.fields[tagsColumn].split(whereSeparator: { $0 == " " || $0 == "," })
                where !labels.contains(String(tag)) {
                    labels.append(String(tag))
                }
            }
            builder.add(
                HashSetEntry(
                    id: HashSetEntry.derivedID(algorithm: algorithm, value: value),
                    algorithm: algorithm,
                    value: value,
                    labels: labels
                ),
                line: line
            )
        }
        if let unterminated {
            builder.issue(line: unterminated, "quoted field is never closed; the rest of the file was skipped")
        }
        return builder.result
    }
}

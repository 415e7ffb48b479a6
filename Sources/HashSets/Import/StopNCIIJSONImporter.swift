import PerceptualHashing

/// StopNCII.org `FetchHashes` responses:
/// `{"count":…, "hashRecords":[{"signalType":"ImagePDQ", "hashValue":"…", "hashStatus":"Active", …}], …}`.
///
/// `signalType` `ImagePDQ` (or `PDQ`) is imported as PDQ; other types (`VideoMD5`, `VideoTMK`, …)
/// are reported. `hashStatus` `Active` and `Received` add the hash; `Withdrawn` and `Deleted` remove
/// it (a tombstone by hash: the person withdrew their case). Ids are `pdq-<hex>`. A file may also
/// be a bare array of records, or several responses concatenated into an array of pages.
public struct StopNCIIJSONImporter: Sendable {
    /// Creates an importer.
    public init() {}

    /// Reads a response.
    public func parse(_ bytes: [UInt8], fileName: String) -> HashSetImport {
        var builder = ImportBuilder(fileName: fileName)
        guard let root = builder.parseJSON(bytes) else { return builder.result }
        let recordLists: [[JSONNode]]
        if let records = root["hashRecords"]?.array {
            recordLists = [records]
        } else if let items = root.array {
            let pages = items.compactMap { $0["hashRecords"]?.array }
            recordLists = !items.isEmpty && pages.count == items.count ? pages : [items]
        } else {
            builder.issue(line: root.line, "expected an object with a \"hashRecords\" array")
            return builder.result
        }
        for record in recordLists.joined() { read(record, into: &builder) }
        return builder.result
    }

    private func read(_ record: JSONNode, into builder: inout ImportBuilder) {
        let line = record.line
        guard let signalType = record["signalType"]?.string else {
            return builder.issue(line: line, "hash record has no \"signalType\" string")
        }
        guard let hashValue = record["hashValue"]?.string else {
            return builder.issue(line: line, "hash record has no \"hashValue\" string")
        }
        guard let status = record["hashStatus"]?.string else {
            return builder.issue(line: line, "hash record has no \"hashStatus\" string")
        }
        guard ["imagepdq", "pdq"].contains(signalType.lowercased()) else {
            return builder.issue(line: line, "signalType '\(signalType)' is not supported (only ImagePDQ)")
        }
        guard let value = builder.hash(Substring(hashValue), as: .pdq, line: line) else { return }
        switch status {
        case "Active", "Received":
            builder.add(
                HashSetEntry(id: HashSetEntry.derivedID(algorithm: .pdq, value: value), algorithm: .pdq, value: value),
                line: line
            )
        case "Withdrawn", "Deleted":
            builder.remove(.hash(.pdq, value))
        default:
            builder.issue(line: line, "hashStatus '\(status)' is not Active, Received, Withdrawn or Deleted; skipped")
        }
    }
}

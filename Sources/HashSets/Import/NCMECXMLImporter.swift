import PerceptualHashing

/// NCMEC hash-sharing API (v2) entries responses.
///
/// The layout, as python-threatexchange's NCMEC client reads it:
/// ```
/// <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
///   <images count="2" maxTimestamp="…">
///     <image>
///       <member id="42">Example Member</member>
///       <timestamp>…</timestamp>
///       <id>image1</id>
///       <classification>A1</classification>
///       <fingerprints><md5>…</md5><sha1>…</sha1><pdq>…</pdq><pdna>…</pdna></fingerprints>
///     </image>
///     <deletedImage><member id="43">…</member><id>image4</id><timestamp>…</timestamp></deletedImage>
///   </images>
///   <videos>…</videos>
/// </queryResult>
/// ```
/// `md5`, `sha1` and `pdq` fingerprints are imported (as do `<fingerprint type="md5">…</fingerprint>`
/// children); PhotoDNA (`pdna`, proprietary) and other types are skipped with one issue per type.
/// Videos are skipped with one issue. Each fingerprint becomes an entry with the id
/// `ncmec-<member>-<id>.<algorithm>` and the classification as its label; a `deletedImage` removes the
/// entries of that id (a tombstone by id for each imported algorithm).
public struct NCMECXMLImporter: Sendable {
    /// The algorithms NCMEC fingerprints are imported as.
    public static let importedAlgorithms: [HashAlgorithm] = [.md5, .sha1, .pdq]

    /// Creates an importer.
    public init() {}

    /// The entry id for one fingerprint of one NCMEC record.
    public static func entryID(member: String?, id: String, algorithm: HashAlgorithm) -> String {
        let owner = member.map { "\($0)-" } ?? ""
        return "ncmec-\(owner)\(id).\(algorithm.rawValue)"
    }

    /// Reads a response.
    ///
    /// The XML is read by a small hand parser (`XMLReader`), not FoundationXML: on Linux,
    /// `XMLParser` traps on some malformed input, and an import must never crash. A document that
    /// is not well-formed keeps what was read before the error and reports its line.
    public func parse(_ bytes: [UInt8], fileName: String) -> HashSetImport {
        var reader = NCMECReader(fileName: fileName)
        var xml = XMLReader(bytes)
        do {
            while let event = try xml.next() { reader.handle(event) }
        } catch {
            reader.builder.issue(line: error.line, "invalid XML (\(error.reason)); the rest of the file was skipped")
        }
        reader.finish()
        return reader.builder.result
    }
}

/// A small state machine over the events of an entries response.
private struct NCMECReader {
    var builder: ImportBuilder
    private var record: Record?
    private var path: [String] = []
    private var text = ""
    private var fingerprintType: String?
    private var fingerprintLine = 0
    private var unsupported: [String: (line: Int, count: Int)] = [:]
    private var unsupportedOrder: [String] = []

    struct Record {
        var deleted: Bool
        var line: Int
        var member: String?
        var id: String?
        var classification: String?
        var fingerprints: [(type: String, value: String, line: Int)] = []
    }

    init(fileName: String) {
        builder = ImportBuilder(fileName: fileName)
    }

    private static func localName(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    mutating func handle(_ event: XMLEvent) {
        switch event {
        case .start(let qualified, let attributes, let line): start(Self.localName(qualified), attributes, line)
        case .text(let string): text += string
        case .end(let qualified): end(Self.localName(qualified))
        }
    }

    private mutating func start(_ name: String, _ attributes: [String: String], _ line: Int) {
        let parent = path.last
        path.append(name)
        text = ""
        switch name {
        case "image" where parent == "images", "deletedImage" where parent == "images":
            record = Record(deleted: name == "deletedImage", line: line)
        case "video" where parent == "videos":
            note(unsupported: "video entries", line: line)
        case "member" where parent == "image" || parent == "deletedImage":
            record?.member = attributes["id"]
        default:
            if record != nil, parent == "fingerprints" {
                fingerprintType = name == "fingerprint" ? attributes["type"] ?? "" : name
                fingerprintLine = line
            }
        }
    }

    private mutating func end(_ name: String) {
        path.removeLast()
        let value = Substring(text).trimmedXMLWhitespace
        let parent = path.last
        if record != nil {
            if let type = fingerprintType, parent == "fingerprints" {
                record?.fingerprints.append((type.lowercased(), String(value), fingerprintLine))
                fingerprintType = nil
            } else if name == "id", parent == "image" || parent == "deletedImage" {
                record?.id = String(value)
            } else if name == "classification", parent == "image" {
                record?.classification = value.isEmpty ? nil : String(value)
            } else if name == "image" || name == "deletedImage", parent == "images", let finished = record {
                emit(finished)
                record = nil
            }
        }
        text = ""
    }
    private mutating func emit(_ record: Record) {
        guard let id = record.id, !id.isEmpty else {
            let kind = record.deleted ? "deletedImage" : "image"
            return builder.issue(line: record.line, "\(kind) has no <id>; skipped")
        }
        if record.deleted {
            for algorithm in NCMECXMLImporter.importedAlgorithms {
                builder.remove(.id(NCMECXMLImporter.entryID(member: record.member, id: id, algorithm: algorithm)))
            }
            return
        }
        for fingerprint in record.fingerprints {
            guard let algorithm = HashAlgorithm(rawValue: fingerprint.type),
                NCMECXMLImporter.importedAlgorithms.contains(algorithm)
            else {
                let label =
                    fingerprint.type == "pdna" ? "pdna (PhotoDNA) fingerprints" : "'\(fingerprint.type)' fingerprints"
                note(unsupported: label, line: fingerprint.line)
                continue
            }
            guard let value = builder.hash(Substring(fingerprint.value), as: algorithm, line: fingerprint.line) else {
                continue
            }
            builder.add(
                HashSetEntry(
                    id: NCMECXMLImporter.entryID(member: record.member, id: id, algorithm: algorithm),
                    algorithm: algorithm,
                    value: value,
                    labels: record.classification.map { [$0] } ?? []
                ),
                line: fingerprint.line
            )
        }
    }

    private mutating func note(unsupported kind: String, line: Int) {
        if let seen = unsupported[kind] {
            unsupported[kind] = (seen.line, seen.count + 1)
        } else {
            unsupported[kind] = (line, 1)
            unsupportedOrder.append(kind)
        }
    }

    /// Reports each unsupported kind once, at its first line, with a count.
    mutating func finish() {
        for kind in unsupportedOrder {
            guard let seen = unsupported[kind] else { continue }
            builder.issue(
                line: seen.line,
                "\(kind) are not supported by hashmatch; \(seen.count) skipped (first here)"
            )
        }
        builder.sortIssuesByLine()
    }
}

extension Substring {
    /// The text without leading and trailing XML whitespace (space, tab, CR, LF).
    fileprivate var trimmedXMLWhitespace: Substring {
        let isSpace = { (c: Character) in c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\r\n" }
        var result = self
        while let first = result.first, isSpace(first) { result.removeFirst() }
        while let last = result.last, isSpace(last) { result.removeLast() }
        return result
    }
}

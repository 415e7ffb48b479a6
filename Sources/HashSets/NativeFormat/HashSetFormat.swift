import PerceptualHashing

/// The native `.hashset` format: parse and render, pure (bytes in, values out).
///
/// ```
/// #hashmatch-hashset v1
/// #set description=Benign sample set built from generated test images
/// #set threshold.pdq=31
/// #set algorithms=pdq,md5
/// #set labels=sample
/// # any other line starting with '#' is a comment
/// pdq 3bc5…(64 hex) img-0001 benign,sample
/// md5 0f3e…(32 hex) img-0001-md5
/// remove img-0001
/// -md5 0f3e…(32 hex)
/// ```
///
/// The full specification is `hashsets/README.md`. In short: the header line comes first;
/// `#set key=value` lines set settings (a later line overrides an earlier one, so settings can be
/// appended too); an entry line is `<algorithm> <hex> <id> [labels]`, with the id and the
/// comma-separated labels percent-encoded; `remove <id>` and `-<algorithm> <hex>` are tombstones.
/// A setting with an empty value (`#set threshold.pdq=`) goes back to "not set".
/// Lines apply in order, so the file is a log: appending is the only write besides compaction.
public enum HashSetFormat {
    /// The first line of every native file.
    public static let header = "#hashmatch-hashset v1"

    /// Parses a whole native file.
    ///
    /// Bad lines are reported in `issues` and skipped; a final line without a trailing newline
    /// (what a crash during an append leaves) is ignored and reported, and `completeLength` tells
    /// a writer where to truncate before appending.
    ///
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - name: the set's name (the file stem).
    ///   - fileName: how issues name the file.
    /// - Throws: `HashSetError.notAHashSet` when the header is missing or names another version:
    ///   without it no line's meaning is known.
    public static func parse(
        _ bytes: [UInt8],
        name: String,
        fileName: String
    ) throws(HashSetError) -> HashSetParseResult {
        let text = TextLines(bytes)
        try checkHeader(text.lines.first, fileName: fileName)
        var parser = LineParser(fileName: fileName, set: HashSet(name: name))
        for line in text.lines.dropFirst() {
            parser.parse(line)
        }
        if !text.tail.isEmpty {
            parser.issues.append(tornTailIssue(fileName: fileName, line: text.lines.count + 1, length: text.tail.count))
        }
        return HashSetParseResult(
            set: parser.set,
            issues: parser.issues,
            completeLength: text.completeLength,
            tornTailLength: text.tail.count
        )
    }

    /// The issue reporting a last line without a newline.
    static func tornTailIssue(fileName: String, line: Int, length: Int) -> HashSetIssue {
        HashSetIssue(
            file: fileName,
            line: line,
            reason: "incomplete last line (no newline; torn by an interrupted write) ignored: \(length) bytes"
        )
    }

    /// Throws unless `first` (the first line, nil when there is none) is the header.
    static func checkHeader(_ first: TextLine?, fileName: String) throws(HashSetError) {
        guard let first, let headerLine = first.text?.trimmed, headerLine == header else {
            let found = first?.text.map { String($0.prefix(60)) } ?? ""
            let reason =
                found.hasPrefix("#hashmatch-hashset ")
                ? "unsupported version '\(found)'; this hashmatch reads '\(header)'"
                : "missing header line '\(header)'"
            throw .notAHashSet(file: fileName, reason: reason)
        }
    }

    /// The changes recorded by lines appended to a set file after its first `completeLength` bytes, for replaying
    /// them onto an index built from those bytes (`MatcherSnapshotFile`).
    public struct AppendedChanges: Sendable {
        /// The adds and removals, in file order, each as written: what it does depends on the lines before.
        public var changes: [HashSetChange]
        /// Whether a `#set` line was among them (settings change how every entry matches).
        public var changedSettings: Bool
        /// The complete lines parsed (a torn last line not counted).
        public var lineCount: Int
        /// Bad lines, skipped.
        public var issues: [HashSetIssue]
    }

    /// Parses `bytes` appended to a set file whose earlier bytes held `earlierLines` lines, as the lines of a full
    /// parse would be; a torn last line (no newline) is ignored and reported.
    public static func appendedChanges(_ bytes: [UInt8], fileName: String, earlierLines: Int) -> AppendedChanges {
        let text = TextLines(bytes, startOfFile: false)
        var parser = LineParser(fileName: fileName, set: HashSet(name: fileName))
        parser.recorded = []
        for var line in text.lines {
            line.number += earlierLines
            parser.parse(line)
        }
        if !text.tail.isEmpty {
            parser.issues.append(
                tornTailIssue(fileName: fileName, line: earlierLines + text.lines.count + 1, length: text.tail.count)
            )
        }
        return AppendedChanges(
            changes: parser.recorded ?? [],
            changedSettings: parser.changedSettings,
            lineCount: text.lines.count,
            issues: parser.issues
        )
    }

    /// The whole file for `set`: header, settings, live entries in order (what compaction writes).
    public static func render(_ set: HashSet) -> String {
        var out = header + "\n"
        for line in settingLines(set.settings) { out += line + "\n" }
        for entry in set.entries { out += line(for: .add(entry)) + "\n" }
        return out
    }

    /// The `#set` lines for `settings`, in a stable order.
    public static func settingLines(_ settings: HashSetSettings) -> [String] {
        var lines: [String] = []
        // One line, without the spaces and tabs the parser trims from a value's ends, so that rendering what was
        // parsed gives the same text again. A description that is nothing but newlines and blanks is not written.
        if let description = settings.description {
            let flat = String(description.map { $0.isNewline ? " " : $0 })[...].trimmed
            if !flat.isEmpty { lines.append("#set description=\(flat)") }
        }
        for algorithm in HashAlgorithm.allCases {
            if let distance = settings.maxDistance[algorithm] {
                lines.append("#set threshold.\(algorithm.rawValue)=\(distance)")
            }
        }
        if let enabled = settings.enabledAlgorithms {
            let names = HashAlgorithm.allCases.filter(enabled.contains).map(\.rawValue)
            lines.append("#set algorithms=\(names.joined(separator: ","))")
        }
        if !settings.defaultLabels.isEmpty {
            lines.append("#set labels=\(settings.defaultLabels.map(FieldCoding.encode).joined(separator: ","))")
        }
        return lines
    }

    /// One line (without its newline) recording `change`.
    public static func line(for change: HashSetChange) -> String {
        switch change {
        case .add(let entry):
            var line = "\(entry.algorithm.rawValue) \(entry.value.hex) \(FieldCoding.encode(entry.id))"
            if !entry.labels.isEmpty {
                line += " " + entry.labels.map(FieldCoding.encode).joined(separator: ",")
            }
            return line
        case .remove(.id(let id)):
            return "remove \(FieldCoding.encode(id))"
        case .remove(.hash(let algorithm, let value)):
            return "-\(algorithm.rawValue) \(value.hex)"
        }
    }
}

/// What parsing a native file found.
public struct HashSetParseResult: Sendable {
    /// The set after applying every valid line in order.
    public var set: HashSet
    /// Every line that was skipped, and why.
    public var issues: [HashSetIssue]
    /// Bytes up to and including the last newline: the valid prefix of the file.
    public var completeLength: Int
    /// Bytes after the last newline (a torn line); 0 for a clean file.
    public var tornTailLength: Int
}

/// Parses the lines after the header, applying them to `set` as it goes.
struct LineParser {
    let fileName: String
    var set: HashSet
    var issues: [HashSetIssue] = []
    /// Where each live id was added, to point duplicates at the original.
    var lineOfID: [String: Int] = [:]
    /// Every change parsed, in order, when recording (`appendedChanges`).
    var recorded: [HashSetChange]?
    /// Whether any `#set` line was parsed.
    var changedSettings = false

    init(fileName: String, set: HashSet) {
        self.fileName = fileName
        self.set = set
    }

    mutating func parse(_ line: TextLine) {
        guard let text = line.text else {
            return report(line, "line is not valid UTF-8")
        }
        let content = text.trimmed
        if content.isEmpty { return }
        if content.hasPrefix("#set ") || content.hasPrefix("#set\t") {
            return parseSetting(content.dropFirst(5).trimmed, line)
        }
        if content.hasPrefix("#") { return }
        let fields = content.whitespaceFields
        let keyword = fields[0]
        if keyword == "remove" {
            guard fields.count == 2 else {
                return report(line, "a removal by id is 'remove <id>', found \(fields.count - 1) fields after 'remove'")
            }
            guard let id = decodeID(fields[1], line) else { return }
            apply(.remove(.id(id)), line)
        } else if keyword.hasPrefix("-") {
            guard let algorithm = algorithm(keyword.dropFirst(), line) else { return }
            guard fields.count == 2 else {
                return report(line, "a removal by hash is '-<algorithm> <hex>', found \(fields.count) fields")
            }
            switch HashText.parse(fields[1], as: algorithm) {
            case .success(let value): apply(.remove(.hash(algorithm, value)), line)
            case .failure(let error): report(line, error.reason)
            }
        } else {
            guard let algorithm = algorithm(keyword, line) else { return }
            guard fields.count == 3 || fields.count == 4 else {
                return report(line, "an entry is '<algorithm> <hex> <id> [labels]', found \(fields.count) fields")
            }
            let value: HashValue
            switch HashText.parse(fields[1], as: algorithm) {
            case .success(let parsed): value = parsed
            case .failure(let error): return report(line, error.reason)
            }
            guard let id = decodeID(fields[2], line) else { return }
            var labels: [String] = []
            if fields.count == 4 {
                guard let decoded = decodeLabels(fields[3], line) else { return }
                labels = decoded
            }
            apply(.add(HashSetEntry(id: id, algorithm: algorithm, value: value, labels: labels)), line)
        }
    }

    private mutating func apply(_ change: HashSetChange, _ line: TextLine) {
        if recorded != nil {
            // What a change does depends on lines this parser has not seen: the replay decides.
            recorded!.append(change)
            return
        }
        switch set.apply(change) {
        case .added:
            if case .add(let entry) = change { lineOfID[entry.id] = line.number }
        case .removed:
            break
        case .unchanged:
            if case .add(let entry) = change {
                report(line, "entry '\(entry.id)' repeats line \(lineOfID[entry.id] ?? 0) exactly; ignored")
            }
        case .duplicateID(let existing):
            report(line, "duplicate id '\(existing.id)' (already used on line \(lineOfID[existing.id] ?? 0)); ignored")
        }
    }

    private mutating func parseSetting(_ setting: Substring, _ line: TextLine) {
        changedSettings = true
        guard let equals = setting.firstIndex(of: "=") else {
            return report(line, "a setting is '#set key=value', found no '='")
        }
        let key = setting[..<equals].trimmed
        let value = setting[setting.index(after: equals)...].trimmed
        switch key {
        case "description":
            set.settings.description = value.isEmpty ? nil : String(value)
        case "algorithms" where value.isEmpty:
            set.settings.enabledAlgorithms = nil
        case "algorithms":
            var enabled = Set<HashAlgorithm>()
            for name in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard let algorithm = algorithm(name.trimmed, line) else { return }
                enabled.insert(algorithm)
            }
            set.settings.enabledAlgorithms = enabled
        case "labels":
            if value.isEmpty {
                set.settings.defaultLabels = []
            } else if let labels = decodeLabels(value, line) {
                set.settings.defaultLabels = labels
            }
        default:
            guard key.hasPrefix("threshold.") else {
                return report(line, "unknown setting '\(key)'; ignored")
            }
            guard let algorithm = algorithm(key.dropFirst("threshold.".count), line) else { return }
            if value.isEmpty {
                set.settings.maxDistance[algorithm] = nil
                return
            }
            guard algorithm.isPerceptual else {
                return report(line, "\(algorithm.rawValue) is matched exactly; it takes no threshold")
            }
            guard let distance = Int(value), (0...algorithm.bitCount).contains(distance) else {
                return report(
                    line,
                    "threshold.\(algorithm.rawValue) must be a whole number of bits from 0 to \(algorithm.bitCount), found '\(value)'"
                )
            }
            set.settings.maxDistance[algorithm] = distance
        }
    }

    private mutating func algorithm(_ name: Substring, _ line: TextLine) -> HashAlgorithm? {
        if let algorithm = HashAlgorithm(rawValue: String(name)) { return algorithm }
        let known = HashAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
        report(line, "unknown algorithm '\(name)' (known: \(known))")
        return nil
    }

    private mutating func decodeID(_ field: Substring, _ line: TextLine) -> String? {
        guard let id = FieldCoding.decode(field), !id.isEmpty else {
            report(line, "id '\(field)' has a malformed %-escape")
            return nil
        }
        return id
    }

    private mutating func decodeLabels(_ field: Substring, _ line: TextLine) -> [String]? {
        var labels: [String] = []
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else {
                report(line, "empty label in '\(field)'")
                return nil
            }
            guard let label = FieldCoding.decode(part) else {
                report(line, "label '\(part)' has a malformed %-escape")
                return nil
            }
            labels.append(label)
        }
        return labels
    }

    private mutating func report(_ line: TextLine, _ reason: String) {
        issues.append(HashSetIssue(file: fileName, line: line.number, reason: reason))
    }
}

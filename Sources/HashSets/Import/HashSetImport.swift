import PerceptualHashing

/// What an importer read from one file: the changes in document order and every skipped row.
///
/// Importers are pure: bytes in, this value out. Nothing is written until the caller applies the
/// changes (for example with `HashSetFile.append(_:)`), so a strict caller checks `issues` first:
/// `try result.strictChanges()` throws when there is any issue and nothing has been written.
public struct HashSetImport: Sendable {
    /// Additions and removals (tombstones) in the order the file lists them.
    public var changes: [HashSetChange]
    /// Rows skipped, and why, as `file:line: reason`.
    public var issues: [HashSetIssue]

    /// Creates a result.
    public init(changes: [HashSetChange] = [], issues: [HashSetIssue] = []) {
        self.changes = changes
        self.issues = issues
    }

    /// The added entries, in order.
    public var entries: [HashSetEntry] {
        changes.compactMap { if case .add(let entry) = $0 { entry } else { nil } }
    }

    /// The removals (tombstones), in order.
    public var removals: [HashSetRemoval] {
        changes.compactMap { if case .remove(let removal) = $0 { removal } else { nil } }
    }

    /// The changes, or an error listing every issue: all-or-nothing imports.
    ///
    /// - Throws: `HashSetError.issues` when any row was skipped.
    public func strictChanges() throws(HashSetError) -> [HashSetChange] {
        guard issues.isEmpty else { throw .issues(issues) }
        return changes
    }

    /// The set these changes make when applied to an empty set named `name`.
    public func makeSet(name: String, settings: HashSetSettings = HashSetSettings()) -> HashSet {
        var set = HashSet(name: name, settings: settings)
        for change in changes { set.apply(change) }
        return set
    }
}

/// Collects changes and issues for an importer.
///
/// A second row with the same id and hash merges its labels into the first (one signal listed
/// once per collaboration, say); the same id with a different hash is reported and skipped.
struct ImportBuilder {
    let fileName: String
    private(set) var changes: [HashSetChange] = []
    private(set) var issues: [HashSetIssue] = []
    private var addIndexByID: [String: (index: Int, line: Int)] = [:]

    init(fileName: String) {
        self.fileName = fileName
    }

    /// The changes, and the issues in line order (`contentLines` reports undecodable lines before the rest).
    var result: HashSetImport {
        let ordered = issues.enumerated().sorted {
            ($0.element.line ?? .max, $0.offset) < ($1.element.line ?? .max, $1.offset)
        }
        return HashSetImport(changes: changes, issues: ordered.map(\.element))
    }

    /// The JSON document in `bytes`, or nil with its syntax error reported at its line.
    mutating func parseJSON(_ bytes: [UInt8]) -> JSONNode? {
        do {
            return try JSONReader.parse(bytes)
        } catch {
            issue(line: error.line, error.reason)
            return nil
        }
    }

    /// The lines of a line-oriented list that carry content, trimmed, with their numbers: blank and `#` comment
    /// lines are skipped, and a line that is not UTF-8 is reported here.
    mutating func contentLines(of bytes: [UInt8]) -> [(number: Int, content: Substring)] {
        var lines: [(number: Int, content: Substring)] = []
        for line in TextLines(bytes).allLines() {
            guard let text = line.text else {
                issue(line: line.number, "line is not valid UTF-8")
                continue
            }
            let content = text.trimmed
            if !content.isEmpty && !content.hasPrefix("#") { lines.append((line.number, content)) }
        }
        return lines
    }

    mutating func add(_ entry: HashSetEntry, line: Int) {
        guard let (index, firstLine) = addIndexByID[entry.id], case .add(var existing) = changes[index] else {
            addIndexByID[entry.id] = (changes.count, line)
            changes.append(.add(entry))
            return
        }
        guard existing.algorithm == entry.algorithm, existing.value == entry.value else {
            return issue(
                line: line,
                "duplicate id '\(entry.id)' with a different hash (first on line \(firstLine)); skipped"
            )
        }
        for label in entry.labels where !existing.labels.contains(label) { existing.labels.append(label) }
        changes[index] = .add(existing)
    }

    mutating func remove(_ removal: HashSetRemoval) {
        switch removal {
        case .id(let id):
            addIndexByID[id] = nil
        case .hash(let algorithm, let value):
            for (id, position) in addIndexByID {
                if case .add(let entry) = changes[position.index], entry.algorithm == algorithm, entry.value == value {
                    addIndexByID[id] = nil
                }
            }
        }
        changes.append(.remove(removal))
    }

    /// Orders issues by line (stable), for importers that report some issues after the fact.
    mutating func sortIssuesByLine() {
        issues = issues.enumerated().sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
            .map(\.element)
    }

    mutating func issue(line: Int?, _ reason: String) {
        issues.append(HashSetIssue(file: fileName, line: line, reason: reason))
    }

    /// Parses `text` as `algorithm`, reporting a bad hash; nil when it was reported.
    mutating func hash(_ text: Substring, as algorithm: HashAlgorithm, line: Int) -> HashValue? {
        switch HashText.parse(text, as: algorithm) {
        case .success(let value): return value
        case .failure(let error):
            issue(line: line, error.reason)
            return nil
        }
    }
}

/// The hashmatch algorithms as a list for messages.
let supportedAlgorithmList = HashAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")

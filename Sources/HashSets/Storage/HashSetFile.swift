/// One native `.hashset` file on disk and the set it holds.
///
/// Durability policy (see also `hashsets/README.md`):
/// - `append`, `add`, `remove` and `updateSettings` write every new line with one `write(2)` of the
///   whole buffer on an `O_APPEND` descriptor under an exclusive `flock(2)`, then `fsync(2)`, and
///   return only after that; a crash leaves at most a torn prefix of the last line.
/// - A torn last line is ignored (and reported) on load, and truncated away before the next append.
/// - A batch is durable line by line, not as a whole: a crash may keep a prefix of a batch. Appending
///   the same batch again is safe, since identical entries are skipped and tombstones are idempotent.
/// - `create` and `compact` rewrite the whole file through a temporary file, `fsync`, `rename(2)` and
///   an `fsync` of the directory, so the file is always either the old or the new one.
///
/// A `HashSetFile` is a value: it does not watch the file. Two writers appending to one file keep
/// every line whole (the lock), but each one's `set` only reflects its own appends until reloaded.
public struct HashSetFile: Sendable {
    /// Where the file is.
    public let path: String
    /// The set as loaded plus every change appended through this value.
    public private(set) var set: HashSet
    /// Lines skipped when the file was loaded (a torn last line among them).
    public private(set) var issues: [HashSetIssue]
    /// Whether `set` holds only some of the file's entries (`load(_:selecting:)`).
    public let isSelection: Bool

    private init(path: String, set: HashSet, issues: [HashSetIssue], isSelection: Bool = false) {
        self.path = path
        self.set = set
        self.issues = issues
        self.isSelection = isSelection
    }

    /// The set name a path gives: its file name without the `.hashset` extension.
    public static func setName(forPath path: String) -> String {
        let file = DurableFile.lastComponent(path)
        return file.hasSuffix(".hashset") ? String(file.dropLast(".hashset".count)) : file
    }

    /// Loads a native file. Bad lines become `issues`; a torn last line is ignored (not yet truncated).
    ///
    /// - Throws: `HashSetError.io` when the file cannot be read, `.notAHashSet` without a valid header.
    public static func load(_ path: String) throws(HashSetError) -> HashSetFile {
        let bytes = try DurableFile.readAll(path)
        let result = try HashSetFormat.parse(
            bytes,
            name: setName(forPath: path),
            fileName: DurableFile.lastComponent(path)
        )
        return HashSetFile(path: path, set: result.set, issues: result.issues)
    }

    /// Loads only the entries with these ids, to add or remove them without parsing a large file whole: the file is
    /// read through a small buffer and only the lines that can concern those ids are parsed (`SelectiveParse`), so
    /// a set of 1M entries takes a fraction of a second instead of several, and no more memory than the selection.
    ///
    /// `set` holds the settings and exactly the selected entries a full load would hold, so `add`, `remove` and
    /// `updateSettings` of those ids behave as after `load(_:)`; `set.count` counts the selection, `issues` the lines
    /// parsed, and `compact` and removals by hash are refused.
    ///
    /// - Throws: as `load(_:)`.
    public static func load(_ path: String, selecting ids: Set<String>) throws(HashSetError) -> HashSetFile {
        var parse = SelectiveParse(
            name: setName(forPath: path),
            fileName: DurableFile.lastComponent(path),
            ids: ids
        )
        let tail = try DurableFile.forEachLine(path) { parse.feed(number: $0, line: $1) }
        let result = try parse.finish(tornTailLength: tail)
        return HashSetFile(path: path, set: result.set, issues: result.issues, isSelection: true)
    }

    /// Creates a new file holding `settings` and `entries` (atomically: it appears whole or not at all).
    ///
    /// - Throws: `HashSetError.io` with `EEXIST` when the file exists; `.duplicateID` when two
    ///   entries share an id.
    public static func create(
        _ path: String,
        settings: HashSetSettings = HashSetSettings(),
        entries: [HashSetEntry] = []
    ) throws(HashSetError) -> HashSetFile {
        var set = HashSet(name: setName(forPath: path), settings: settings)
        for entry in entries {
            if case .duplicateID = set.apply(.add(entry)) {
                throw .duplicateID(set: set.name, id: entry.id)
            }
        }
        try DurableFile.replace(path, with: Array(HashSetFormat.render(set).utf8), noClobber: true)
        return HashSetFile(path: path, set: set, issues: [])
    }

    /// What an append did.
    public struct AppendSummary: Hashable, Sendable {
        /// Entries added.
        public var added = 0
        /// Entries removed by tombstones.
        public var removed = 0
        /// Changes that changed nothing (an identical entry already present, a tombstone naming
        /// nothing present); they are not written.
        public var unchanged = 0
        /// Bytes of a torn last line truncated before writing.
        public var repairedBytes = 0

        /// Creates a summary.
        public init(added: Int = 0, removed: Int = 0, unchanged: Int = 0, repairedBytes: Int = 0) {
            self.added = added
            self.removed = removed
            self.unchanged = unchanged
            self.repairedBytes = repairedBytes
        }
    }

    /// Appends changes and returns once they are durable (written and `fsync`ed).
    ///
    /// All changes are checked first: if an added entry's id is already used by a different entry,
    /// nothing is written. Changes that would change nothing are skipped.
    ///
    /// - Precondition: on a selection (`isSelection`), no removal by hash: it would miss the entries not selected.
    /// - Throws: `HashSetError.duplicateID` (nothing written) or `.io`.
    @discardableResult
    public mutating func append(_ changes: [HashSetChange]) throws(HashSetError) -> AppendSummary {
        precondition(
            !isSelection || !changes.contains { if case .remove(.hash) = $0 { true } else { false } },
            "a removal by hash needs the whole set loaded"
        )
        var updated = set
        var summary = AppendSummary()
        var text = ""
        for change in changes {
            switch updated.apply(change) {
            case .added:
                summary.added += 1
            case .removed(let count) where count > 0:
                summary.removed += count
            case .removed, .unchanged:
                summary.unchanged += 1
                continue
            case .duplicateID(let existing):
                throw .duplicateID(set: set.name, id: existing.id)
            }
            text += HashSetFormat.line(for: change) + "\n"
        }
        if !text.isEmpty {
            summary.repairedBytes = try DurableFile.append(Array(text.utf8), to: path, create: false)
        }
        set = updated
        return summary
    }

    /// Adds entries durably; see `append(_:)`.
    @discardableResult
    public mutating func add(_ entries: [HashSetEntry]) throws(HashSetError) -> AppendSummary {
        try append(entries.map { .add($0) })
    }

    /// Removes the entries with these ids durably (writes `remove <id>` tombstones); see `append(_:)`.
    @discardableResult
    public mutating func remove(ids: [String]) throws(HashSetError) -> AppendSummary {
        try append(ids.map { .remove(.id($0)) })
    }

    /// Appends `#set` lines so that the file's settings become `settings`.
    public mutating func updateSettings(_ settings: HashSetSettings) throws(HashSetError) {
        var lines = HashSetFormat.settingLines(settings)
        // A cleared setting needs an explicit empty line, since later lines only override earlier ones.
        if settings.description == nil, set.settings.description != nil { lines.append("#set description=") }
        if settings.defaultLabels.isEmpty, !set.settings.defaultLabels.isEmpty { lines.append("#set labels=") }
        if settings.enabledAlgorithms == nil, set.settings.enabledAlgorithms != nil {
            lines.append("#set algorithms=")
        }
        for algorithm in set.settings.maxDistance.keys.sorted(by: { $0.rawValue < $1.rawValue })
        where settings.maxDistance[algorithm] == nil {
            lines.append("#set threshold.\(algorithm.rawValue)=")
        }
        try DurableFile.append(Array(lines.map { $0 + "\n" }.joined().utf8), to: path, create: false)
        set.settings = settings
    }

    /// Rewrites the file with only the live entries and current settings (tombstones, comments and
    /// overridden settings are dropped), atomically.
    ///
    /// - Precondition: the whole file was loaded (not `isSelection`).
    public mutating func compact() throws(HashSetError) {
        precondition(!isSelection, "compacting a selection would drop every entry not selected")
        try DurableFile.replace(path, with: Array(HashSetFormat.render(set).utf8))
        issues = []
    }
}

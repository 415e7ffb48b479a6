/// A folder of `.hashset` files, one set per file, named by the file stem: the default catalogue.
public struct HashSetStore: Sendable {
    /// The folder.
    public let directory: String

    /// A store over `directory` (nothing is read until asked).
    public init(directory: String) {
        self.directory = directory
    }

    /// Every set in the folder, and every problem found loading them.
    public struct Load: Sendable {
        /// The sets, sorted by name.
        public var sets: [HashSet]
        /// Bad lines, torn last lines, and files that could not be read at all (with no line).
        public var issues: [HashSetIssue]
    }

    /// The names of the sets in the folder (stems of its `*.hashset` files), sorted.
    public func setNames() throws(HashSetError) -> [String] {
        try DurableFile.list(directory)
            .filter { $0.hasSuffix(".hashset") && !$0.hasPrefix(".") }
            .map { HashSetFile.setName(forPath: $0) }
    }

    /// Loads every `*.hashset` file in the folder.
    ///
    /// A file that cannot be read or is not a hash-set file is reported in `issues` and skipped, so
    /// one bad file does not keep the others from loading.
    ///
    /// - Throws: `HashSetError.io` only when the folder itself cannot be listed.
    public func loadAll() throws(HashSetError) -> Load {
        var load = Load(sets: [], issues: [])
        for name in try setNames() {
            do throws(HashSetError) {
                let file = try HashSetFile.load(path(for: name))
                load.sets.append(file.set)
                load.issues += file.issues
            } catch {
                let reason =
                    switch error {
                    case .notAHashSet(_, let reason): "not a hashmatch hash-set file: \(reason)"
                    case .io(let operation, _, let code): "\(operation) failed: \(errnoDescription(code))"
                    default: error.description
                    }
                load.issues.append(HashSetIssue(file: "\(name).hashset", line: nil, reason: reason))
            }
        }
        return load
    }

    /// The path of the set named `name`.
    public func path(for name: String) -> String {
        "\(directory)/\(name).hashset"
    }

    /// Loads one set by name.
    ///
    /// - Throws: `HashSetError.noSuchSet` when there is no such file, else as `HashSetFile.load`.
    public func open(_ name: String) throws(HashSetError) -> HashSetFile {
        guard DurableFile.exists(path(for: name)) else { throw .noSuchSet(name) }
        return try HashSetFile.load(path(for: name))
    }

    /// Loads the entries with these ids of one set, to add or remove them (`HashSetFile.load(_:selecting:)`).
    ///
    /// - Throws: `HashSetError.noSuchSet` when there is no such file, else as `HashSetFile.load`.
    public func open(_ name: String, selecting ids: Set<String>) throws(HashSetError) -> HashSetFile {
        guard DurableFile.exists(path(for: name)) else { throw .noSuchSet(name) }
        return try HashSetFile.load(path(for: name), selecting: ids)
    }

    /// Creates a new set file.
    ///
    /// - Throws: `.invalidSetName` unless the name is letters, digits, `-`, `_` and `.` (not leading);
    ///   `.setExists` when the set exists.
    public func create(
        _ name: String,
        settings: HashSetSettings = HashSetSettings(),
        entries: [HashSetEntry] = []
    ) throws(HashSetError) -> HashSetFile {
        guard Self.isValidSetName(name) else { throw .invalidSetName(name) }
        guard !DurableFile.exists(path(for: name)) else { throw .setExists(name) }
        return try HashSetFile.create(path(for: name), settings: settings, entries: entries)
    }

    /// Whether `name` can name a set: ASCII letters, digits, `-`, `_`, `.`, not starting with `.`.
    public static func isValidSetName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "."), name.utf8.count <= 200 else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                true
            default: false
            }
        }
    }
}

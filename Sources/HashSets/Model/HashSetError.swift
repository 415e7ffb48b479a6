/// Why a hash-set operation failed as a whole (row-level problems are `HashSetIssue`s instead).
public enum HashSetError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file is not a native hash-set file this version reads.
    case notAHashSet(file: String, reason: String)
    /// A system call failed; `operation` names it and the path, `errno` is the C error number.
    case io(operation: String, path: String, errno: Int32)
    /// Strict mode: the input had issues, so nothing was written.
    case issues([HashSetIssue])
    /// An added entry uses an id the set already holds for a different hash or labels.
    case duplicateID(set: String, id: String)
    /// A set name that cannot be a file stem (empty, a path, hidden).
    case invalidSetName(String)
    /// A set with this name already exists.
    case setExists(String)
    /// No set with this name exists.
    case noSuchSet(String)
    /// A match-log record could not be encoded as one JSON line; nothing was written.
    case unencodableRecord(String)

    public var description: String {
        switch self {
        case .notAHashSet(let file, let reason): "\(file): not a hashmatch hash-set file: \(reason)"
        case .io(let operation, let path, let code): "\(path): \(operation) failed: \(errnoDescription(code))"
        case .issues(let issues):
            "\(issues.count) problem(s), nothing written:\n"
                + issues.map(\.description).joined(separator: "\n")
        case .duplicateID(let set, let id):
            "set '\(set)' already has an entry '\(id)' with a different hash or labels; remove it first"
        case .invalidSetName(let name):
            "'\(name)' is not a valid set name (letters, digits, '-', '_', '.'; no leading '.')"
        case .setExists(let name): "a set named '\(name)' already exists"
        case .noSuchSet(let name): "no set named '\(name)'"
        case .unencodableRecord(let reason): "match-log record cannot be written as JSON: \(reason)"
        }
    }
}

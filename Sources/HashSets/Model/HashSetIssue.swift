/// A problem found in one line (or record) of an input, reported as `file:line: reason`.
///
/// Loading and importing never stop at a bad row: the row is skipped and an issue names it.
/// Callers that want all-or-nothing check `issues.isEmpty` (or use the strict helpers) before writing.
public struct HashSetIssue: Hashable, Sendable, CustomStringConvertible {
    /// The file name as the user gave it (usually the last path component).
    public var file: String
    /// 1-based line number; nil when the issue concerns the whole file.
    public var line: Int?
    /// What is wrong, in words a moderator understands.
    public var reason: String

    /// Creates an issue.
    public init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// `file:line: reason`, or `file: reason` without a line.
    public var description: String {
        if let line { "\(file):\(line): \(reason)" } else { "\(file): \(reason)" }
    }
}

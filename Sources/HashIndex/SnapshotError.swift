/// Why snapshot bytes were refused by `init(snapshot:)`. Every malformed input ends here; none traps.
public enum SnapshotError: Error, Hashable, Sendable {
    /// Fewer (or more) bytes than the header announces.
    case wrongSize(expected: Int, found: Int)
    /// The first four bytes are not `HMIX`: not a hashmatch index snapshot.
    case badMagic
    /// A format version this build does not read.
    case unsupportedVersion(UInt16)
    /// The snapshot holds hashes of another width (e.g. 64-bit entries loaded into a 256-bit index).
    case wrongHashWidth(expected: Int, found: Int)
    /// The entry count cannot be right (larger than any index can hold).
    case implausibleCount(UInt64)
    /// The checksum over the snapshot does not match its content: the file is damaged.
    case checksumMismatch(stored: UInt64, computed: UInt64)
    /// An id appears twice; a snapshot written by `serialize()` never does that.
    case duplicateID(UInt32)
    /// The multi-index hashing tables stored with the entries are inconsistent (what is wrong, in words).
    case malformedTables(String)
}

extension SnapshotError: CustomStringConvertible {
    /// A sentence for a moderator or an operator.
    public var description: String {
        switch self {
        case .wrongSize(let expected, let found):
            "index snapshot is \(found) bytes but its header announces \(expected) (truncated or padded)"
        case .badMagic: "not an index snapshot (missing HMIX signature)"
        case .unsupportedVersion(let version): "index snapshot version \(version) is not supported"
        case .wrongHashWidth(let expected, let found):
            "index snapshot holds \(found)-bit hashes, expected \(expected)-bit"
        case .implausibleCount(let count): "index snapshot announces an implausible \(count) entries"
        case .checksumMismatch(let stored, let computed):
            "index snapshot is damaged: checksum \(stored) stored, \(computed) computed"
        case .duplicateID(let id): "index snapshot lists id \(id) twice"
        case .malformedTables(let what): "index snapshot's multi-index tables are malformed: \(what)"
        }
    }
}

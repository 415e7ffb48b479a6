import HashSets
import Matching
import PerceptualHashing

/// A fingerprint record plus what it matched.
struct MatchRecord {
    let fingerprint: FingerprintRecord
    let outcome: MatchOutcome

    var matched: Bool { !outcome.matches.isEmpty }

    /// The `hash` record's keys, then `matches` (best first) and any `notes`.
    func json() -> JSONValue {
        var members = fingerprint.jsonMembers()
        let error = members.firstIndex { $0.0 == "error" }.map { members.remove(at: $0) }
        members += outcome.jsonMembers
        if let error { members.append(error) }
        return .object(members)
    }

    /// CSV/table columns: the hash columns, then the matches as `set/id algorithm:distance` joined by `; `.
    func columns(algorithms: [HashAlgorithm]) -> [String] {
        var columns = fingerprint.columns(algorithms: algorithms)
        let errors = columns.suffix(2)
        columns.removeLast(2)
        columns.append(String(outcome.matches.count))
        columns.append(outcome.matches.map(Self.summary).joined(separator: "; "))
        return columns + errors
    }

    static func columnNames(algorithms: [HashAlgorithm]) -> [String] {
        var names = FingerprintRecord.columnNames(algorithms: algorithms)
        names.removeLast(2)
        return names + ["match_count", "matches", "error_code", "error_message"]
    }

    static func summary(_ match: Match) -> String {
        "\(match.set)/\(match.id) \(match.algorithm.rawValue):\(match.distance)"
            + (match.variant.map { "(\($0))" } ?? "")
    }

    /// The table's last column: the error, else why the file was not hashed as an image, else the matcher's notes
    /// (a hash reported but not matched), so that a row with no match says why.
    var note: String {
        if let message = fingerprint.errorMessage { return "\(fingerprint.errorCode ?? "error"): \(message)" }
        if fingerprint.notAnImage { return "not a JPEG or PNG: matched by its digests only" }
        return outcome.notes.joined(separator: "; ")
    }

    /// The best two matches and how many more, for the table.
    static func shortSummary(_ matches: [Match]) -> String {
        let shown = matches.prefix(2).map(summary).joined(separator: "; ")
        return matches.count > 2 ? shown + "; +\(matches.count - 2) more" : shown
    }

    /// One match-log line per match.
    func logRecords(hashes: [HashAlgorithm: HashValue]) -> [MatchLogRecord] {
        outcome.matches.map {
            MatchLogRecord(
                source: fingerprint.path,
                hashes: hashes,
                set: $0.set,
                entryID: $0.id,
                labels: $0.labels,
                algorithm: $0.algorithm,
                distance: $0.distance,
                variant: $0.variant
            )
        }
    }
}

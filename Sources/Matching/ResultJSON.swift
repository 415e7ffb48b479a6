import Fingerprinting
import PerceptualHashing

// The JSON shapes of results, shared by the CLI's records and the service's responses so the two never drift.

extension Fingerprint {
    /// `width`, `height`, one key per computed algorithm (lowercase hex; `pdq_quality` right after `pdq`),
    /// `pdq_dihedral`, `exif_orientation` and `warnings` when present.
    public var jsonMembers: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        if let width, let height { members += [("width", .int(width)), ("height", .int(height))] }
        for algorithm in HashAlgorithm.allCases {
            guard let value = value(for: algorithm) else { continue }
            members.append((algorithm.rawValue, .string(value.hex)))
            if algorithm == .pdq, let pdq { members.append(("pdq_quality", .int(pdq.quality))) }
        }
        if let pdqDihedral {
            members.append(("pdq_dihedral", .object(pdqDihedral.named.map { ($0.name, .string($0.hash.hex)) })))
        }
        if let exifOrientation { members.append(("exif_orientation", .int(exifOrientation))) }
        if !warnings.isEmpty { members.append(("warnings", .array(warnings.map(JSONValue.string)))) }
        return members
    }
}

extension Match {
    /// `{set, id, labels, algorithm, distance, variant}`.
    public var json: JSONValue {
        .object([
            ("set", .string(set)), ("id", .string(id)), ("labels", .array(labels.map(JSONValue.string))),
            ("algorithm", .string(algorithm.rawValue)), ("distance", .int(distance)),
            ("variant", variant.map(JSONValue.string) ?? .null),
        ])
    }
}

extension MatchOutcome {
    /// `matches` (best first), then `notes` when there are any.
    public var jsonMembers: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("matches", .array(matches.map(\.json)))]
        if !notes.isEmpty { members.append(("notes", .array(notes.map(JSONValue.string)))) }
        return members
    }
}

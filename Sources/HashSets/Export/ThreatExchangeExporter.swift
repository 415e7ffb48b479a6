import PerceptualHashing

/// Writes a set in python-threatexchange's formats, for tools that read them (HMA, `threatexchange`).
///
/// python-threatexchange knows photo PDQ as `pdq`; it has no signal type for the exact digests of
/// photos or for pHash/dHash/aHash, so by default only PDQ entries are written and the rest are
/// returned as `skipped`. With `includeAllAlgorithms` they are written under hashmatch's names,
/// which hashmatch's importers read back but python-threatexchange does not.
public enum ThreatExchangeExporter {
    /// The output and the entries left out.
    public struct Export: Sendable {
        /// The file contents.
        public var text: String
        /// Entries whose algorithm the format has no name for.
        public var skipped: [HashSetEntry]
    }

    /// `dataset --csv` layout: a header, then `signal_type,signal_str,collab,category,tags` rows.
    ///
    /// `collab` is the set's name, `category` is `POSITIVE_CLASS`, and `tags` are the entry's labels
    /// (the set's default labels first) joined by spaces, with spaces inside a label written as `_`.
    public static func csv(_ set: HashSet, includeAllAlgorithms: Bool = false) -> Export {
        var text = ThreatExchangeCSVImporter.defaultColumns.joined(separator: ",") + "\n"
        var skipped: [HashSetEntry] = []
        for entry in set.entries {
            guard includeAllAlgorithms || entry.algorithm == .pdq else {
                skipped.append(entry)
                continue
            }
            let tags = set.labels(for: entry).map { String($0.map { $0.isWhitespace ? "_" : $0 }) }
            let fields = [
                entry.algorithm.rawValue, entry.value.hex, set.name, "POSITIVE_CLASS", tags.joined(separator: " "),
            ]
            text += fields.map(csvField).joined(separator: ",") + "\n"
        }
        return Export(text: text, skipped: skipped)
    }

    /// `local_file` layout: `<signal_type> <hash>` per line.
    public static func localFile(_ set: HashSet, includeAllAlgorithms: Bool = false) -> Export {
        var text = ""
        var skipped: [HashSetEntry] = []
        for entry in set.entries {
            guard includeAllAlgorithms || entry.algorithm == .pdq else {
                skipped.append(entry)
                continue
            }
            text += "\(entry.algorithm.rawValue) \(entry.value.hex)\n"
        }
        return Export(text: text, skipped: skipped)
    }

    /// A field quoted the way Python's `csv` module quotes (only when needed).
    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }
}

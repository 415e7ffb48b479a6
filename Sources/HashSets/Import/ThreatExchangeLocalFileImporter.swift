import PerceptualHashing

/// python-threatexchange `local_file` signal files: `<signal_type> <signal>` per line.
///
/// As in python-threatexchange, a collaboration may fix the signal type for the whole file, in
/// which case each line is just the signal. Lines starting with `#` and blank lines are skipped.
/// Ids are `<algorithm>-<hex>`.
public struct ThreatExchangeLocalFileImporter: Sendable {
    /// The signal type of every line, when the file's lines carry none (the collab's `signal_type`).
    public var signalType: String?

    /// Creates an importer.
    public init(signalType: String? = nil) {
        self.signalType = signalType
    }

    /// Reads a file.
    public func parse(_ bytes: [UInt8], fileName: String) -> HashSetImport {
        var builder = ImportBuilder(fileName: fileName)
        for (number, content) in builder.contentLines(of: bytes) {
            let typeName: Substring
            let signal: Substring
            if let fixed = signalType {
                typeName = Substring(fixed)
                signal = content
            } else {
                guard let space = content.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                    builder.issue(line: number, "expected '<signal_type> <hash>', found one field")
                    continue
                }
                typeName = content[..<space]
                signal = content[space...].trimmed
            }
            let algorithm: HashAlgorithm
            switch ThreatExchangeSignalType.algorithm(for: typeName) {
            case .success(let found): algorithm = found
            case .failure(let error):
                builder.issue(line: number, error.reason)
                continue
            }
            guard let value = builder.hash(signal, as: algorithm, line: number) else { continue }
            builder.add(
                HashSetEntry(
                    id: HashSetEntry.derivedID(algorithm: algorithm, value: value),
                    algorithm: algorithm,
                    value: value
                ),
                line: number
            )
        }
        return builder.result
    }
}

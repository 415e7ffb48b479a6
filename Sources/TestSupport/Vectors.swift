import Foundation

/// Where the test suites find their inputs: the shared reference vectors beside the checkout,
/// and the project's own fixtures under `Tests/Fixtures`.
public enum Vectors {
    /// The package root, derived from this file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/vectors` beside the checkout (or `$HASHMATCH_VECTORS`), nil when absent.
    ///
    /// Tests that need it are disabled with a message when it is nil.
    public static let shared: URL? = {
        let candidates = [
            ProcessInfo.processInfo.environment["HASHMATCH_VECTORS"].map { URL(fileURLWithPath: $0) },
            packageRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors"),
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0.path) }
    }()

    /// True when the shared reference vectors are present.
    public static var sharedAvailable: Bool { shared != nil }

    /// The project's own fixtures (generated, benign), always present.
    public static let fixtures: URL = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// A file under the shared vectors, e.g. `shared("pdq/expected/cpp_ref_libjpeg.csv")`.
    public static func shared(_ relativePath: String) -> URL {
        guard let shared else { fatalError("shared vectors are absent; guard the test with .enabled(if:)") }
        return shared.appendingPathComponent(relativePath)
    }

    /// The data rows of a CSV file: comment lines (`#`) and blank lines dropped; with `header`,
    /// the first remaining line too. Fields are split on commas (the vector files quote nothing).
    public static func csvRows(_ url: URL, header: Bool = false) throws -> [[String]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var rows = text.split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        if header, !rows.isEmpty { rows.removeFirst() }
        return rows
    }
}

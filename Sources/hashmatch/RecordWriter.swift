import Foundation
import Matching

/// Prints records to standard output as JSON lines, CSV, or an aligned table.
///
/// The table keeps streaming: its column widths come from the first rows (up to `tableSample`), and later
/// rows that are wider simply overflow.
final class RecordWriter {
    private let format: OutputFormat
    private let header: [String]
    private var pending: [[String]] = []
    private var widths: [Int]?
    private let tableSample = 200

    init(format: OutputFormat, header: [String]) {
        self.format = format
        self.header = header
        if format == .csv { Self.write(header.map(Self.csvField).joined(separator: ",")) }
    }

    /// One record: `json` for JSON lines, `columns` (matching `header`) for CSV and the table.
    func write(json: @autoclosure () -> JSONValue, columns: @autoclosure () -> [String]) {
        switch format {
        case .jsonl: Self.write(json().serialized())
        case .csv: Self.write(columns().map(Self.csvField).joined(separator: ","))
        case .table:
            pending.append(columns())
            if widths == nil && pending.count >= tableSample { flushTable() }
            if widths != nil { flushTable() }
        }
    }

    /// Prints whatever the table still holds; call once at the end.
    func finish() {
        if format == .table { flushTable() }
        Console.flush()
    }

    private func flushTable() {
        if widths == nil {
            var widths = header.map(\.count)
            for row in pending {
                for (index, field) in row.enumerated() { widths[index] = max(widths[index], field.count) }
            }
            self.widths = widths
            Self.write(Self.pad(header, widths))
            Self.write(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        }
        for row in pending { Self.write(Self.pad(row, widths!)) }
        pending.removeAll(keepingCapacity: true)
    }

    private static func pad(_ row: [String], _ widths: [Int]) -> String {
        var line = ""
        for (index, field) in row.enumerated() {
            if index > 0 { line += "  " }
            line += field
            if index < row.count - 1 { line += String(repeating: " ", count: max(widths[index] - field.count, 0)) }
        }
        while line.hasSuffix(" ") { line.removeLast() }
        return line
    }

    private static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func write(_ line: String) {
        Console.line(line)
    }
}

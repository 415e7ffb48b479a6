/// One line of an input file, with its 1-based number.
struct TextLine {
    var number: Int
    /// The line without its terminator (`\n`, or `\r\n`); nil when the bytes are not UTF-8.
    var text: Substring?
}

/// Splits bytes into lines for the line-oriented parsers.
///
/// A UTF-8 byte-order mark is skipped. The bytes after the last `\n` form the "tail": for files
/// written by appending, a tail is a line torn by a crash.
struct TextLines {
    var lines: [TextLine]
    /// Bytes after the last newline (empty when the input ends with one, or is empty).
    var tail: ArraySlice<UInt8>
    /// Offset just past the last newline: the length a torn file is truncated to.
    var completeLength: Int

    /// The lines of `bytes`; a leading byte-order mark is skipped when the bytes begin a file.
    init(_ bytes: [UInt8], startOfFile: Bool = true) {
        var start = 0
        if startOfFile, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        var lines: [TextLine] = []
        var number = 1
        var lineStart = start
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                var end = index
                if end > lineStart, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                lines.append(TextLine(number: number, text: Self.decode(bytes[lineStart..<end])))
                number += 1
                lineStart = index + 1
            }
            index += 1
        }
        self.lines = lines
        self.tail = bytes[lineStart...]
        self.completeLength = lineStart
    }

    /// Every line including a final unterminated one (for formats that are not appended to).
    func allLines() -> [TextLine] {
        guard !tail.isEmpty else { return lines }
        var end = tail.endIndex
        if end > tail.startIndex, tail[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return lines + [TextLine(number: lines.count + 1, text: Self.decode(tail[tail.startIndex..<end]))]
    }

    private static func decode(_ bytes: ArraySlice<UInt8>) -> Substring? {
        String(validating: bytes, as: UTF8.self).map { Substring($0) }
    }
}

// Both split and trim on Unicode scalars, not Characters: a blank followed by a combining mark is one Character,
// which glued together two fields the writer had written apart (an entry whose first label starts with a combining
// mark came back with the label in its id).
extension Substring {
    /// Fields separated by runs of spaces or tabs.
    var whitespaceFields: [Substring] {
        unicodeScalars.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(Substring.init)
    }

    /// The text without leading and trailing spaces and tabs (and a trailing carriage return).
    var trimmed: Substring {
        var scalars = unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars = scalars.dropLast() }
        return Substring(scalars)
    }
}

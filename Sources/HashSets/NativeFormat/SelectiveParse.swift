/// Parses a native file for a few entries only: what an edit of those entries needs, without parsing every line.
///
/// Adding or removing entries must know whether their ids are already used, and by what. Parsing a whole file of 1M
/// entries for that took 5–7 s. An entry's state depends only on the lines that name its id, the removals by hash
/// and the settings, so those are parsed (by the same `LineParser` as a full load) and every other line is skipped
/// after reading its id field, without decoding the rest.
///
/// The resulting set holds exactly the entries with the selected ids that a full parse would hold, with the same
/// settings; issues are reported only for the lines parsed.
struct SelectiveParse {
    private let ids: Set<String>
    /// Whether some selected id has this UTF-8 length, by length, when the ids are all ASCII: then an ASCII field of
    /// any other length is skipped without a lookup. (Ids compare as Swift strings, by canonical equivalence:
    /// `cafe\u{301}` is `café`, and the Kelvin sign `\u{212A}` is `K`, so lengths alone cannot rule out a field or an
    /// id that is not ASCII.) A table, not a `Set`: hashing the length of every line was a tenth of a 10M-line pass.
    private let asciiLengths: [Bool]?
    private let fileName: String
    private var parser: LineParser
    private var header: Result<Void, HashSetError>?
    private var lineCount = 0

    /// A parse of a file named `fileName` holding set `name`, keeping the entries with `ids`.
    init(name: String, fileName: String, ids: Set<String>) {
        self.ids = ids
        if ids.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) {
            var lengths = [Bool](repeating: false, count: (ids.map(\.utf8.count).max() ?? 0) + 1)
            for id in ids { lengths[id.utf8.count] = true }
            self.asciiLengths = lengths
        } else {
            self.asciiLengths = nil
        }
        self.fileName = fileName
        self.parser = LineParser(fileName: fileName, set: HashSet(name: name))
    }

    /// Takes the next line (without its terminator), numbered from 1.
    mutating func feed(number: Int, line: UnsafeBufferPointer<UInt8>) {
        lineCount = number
        if number == 1 {
            let first = TextLine(number: 1, text: String(validating: line, as: UTF8.self).map { Substring($0) })
            header = Result { () throws(HashSetError) in try HashSetFormat.checkHeader(first, fileName: fileName) }
            return
        }
        guard case .success = header, concernsSelection(line) else { return }
        parser.parse(TextLine(number: number, text: String(validating: line, as: UTF8.self).map { Substring($0) }))
    }

    /// The set of the selected entries and the issues of the lines parsed.
    ///
    /// - Parameter tornTailLength: the bytes after the last newline, reported as a torn line when not 0.
    /// - Throws: `HashSetError.notAHashSet` when the first line is not the header (or there is no line).
    func finish(tornTailLength: Int) throws(HashSetError) -> HashSetParseResult {
        try (header ?? Result { () throws(HashSetError) in try HashSetFormat.checkHeader(nil, fileName: fileName) })
            .get()
        var issues = parser.issues
        if tornTailLength > 0 {
            issues.append(HashSetFormat.tornTailIssue(fileName: fileName, line: lineCount + 1, length: tornTailLength))
        }
        return HashSetParseResult(set: parser.set, issues: issues, completeLength: 0, tornTailLength: tornTailLength)
    }

    /// Whether a line may change a selected entry: a setting, a removal by hash, or an entry or `remove` line whose
    /// id is selected. Blank lines, comments and malformed lines without an id are not.
    private func concernsSelection(_ whole: UnsafeBufferPointer<UInt8>) -> Bool {
        // Trailing blanks and carriage returns go, as `trimmed` drops them before the parser splits the fields.
        var end = whole.count
        while end > 0, Self.isBlank(whole[end - 1]) || whole[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = UnsafeBufferPointer(rebasing: whole[..<end])
        guard let first = Self.field(in: line, from: 0) else { return false }
        switch line[first.lowerBound] {
        case UInt8(ascii: "#"): return line[first].elementsEqual("#set".utf8)
        case UInt8(ascii: "-"): return true
        default: break
        }
        guard let second = Self.field(in: line, from: first.upperBound) else { return false }
        let idField = Self.isRemove(line[first]) ? second : Self.field(in: line, from: second.upperBound)
        guard let idField else { return false }
        let bytes = UnsafeBufferPointer(rebasing: line[idField])
        let escaped = bytes.contains(UInt8(ascii: "%"))
        let ascii = bytes.allSatisfy { $0 < 0x80 }
        if !escaped, ascii, let asciiLengths, bytes.count >= asciiLengths.count || !asciiLengths[bytes.count] {
            return false
        }
        // ASCII is valid UTF-8 as it is; `String(validating:)` is generic and unspecialised, and its metadata lookups
        // were a quarter of a 10M-line pass whose ids all had the length asked for.
        let decoded = ascii ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        guard let text = decoded else { return false }
        guard escaped else { return ids.contains(text) }
        return FieldCoding.decode(text[...]).map(ids.contains) ?? false  // a malformed escape: the line is skipped
    }

    /// Whether a field is `remove` (compared byte by byte: the generic `elementsEqual` was 2 % of a pass).
    private static func isRemove(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard field.count == 6 else { return false }
        var index = field.startIndex
        for byte in "remove".utf8 {
            guard field[index] == byte else { return false }
            index += 1
        }
        return true
    }

    /// The next run of bytes other than spaces and tabs at or after `start`.
    private static func field(in line: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        var lower = start
        while lower < line.count, isBlank(line[lower]) { lower += 1 }
        guard lower < line.count else { return nil }
        return lower..<firstBlank(in: line, from: lower)
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// The first space or tab at or after `start`, or the end: eight bytes at a time, since most of what is skipped
    /// is a hash's hex digits (a byte-by-byte loop was half the time of an admin change on a 10M-entry set).
    private static func firstBlank(in line: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        if let base = UnsafeRawPointer(line.baseAddress) {
            while index + 8 <= line.count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                // A byte of `x` is zero where `word` holds the blank; the lowest flagged byte is always a true one.
                let spaces = word ^ (ones &* 0x20)
                let tabs = word ^ (ones &* 0x09)
                let flagged = ((spaces &- ones) & ~spaces | (tabs &- ones) & ~tabs) & highs
                if flagged != 0 { return index + flagged.trailingZeroBitCount / 8 }
                index += 8
            }
        }
        while index < line.count, !isBlank(line[index]) { index += 1 }
        return index
    }
}

/// One event of an XML document.
enum XMLEvent {
    case start(name: String, attributes: [String: String], line: Int)
    case end(name: String)
    case text(String)
}

struct XMLSyntaxError: Error {
    var line: Int
    var reason: String
}

/// A small pull parser for the XML that hash-sharing APIs send: elements, attributes, text,
/// character and the five predefined entity references, CDATA, comments, processing instructions.
///
/// It exists because FoundationXML's `XMLParser` traps on some malformed input on Linux, and an
/// importer must never crash. Document type declarations are refused (no entity expansion, no
/// external entities), nesting is limited, and every error names its line.
struct XMLReader {
    static let maxDepth = 256

    private let bytes: [UInt8]
    private var index = 0
    private(set) var line = 1
    private var open: [String] = []
    private var pendingEnd: String?
    private var sawRoot = false

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    private func error(_ reason: String) -> XMLSyntaxError {
        XMLSyntaxError(line: line, reason: reason)
    }

    /// The next event, or nil at the end of a well-formed document.
    mutating func next() throws(XMLSyntaxError) -> XMLEvent? {
        if let name = pendingEnd {
            pendingEnd = nil
            return .end(name: name)
        }
        while index < bytes.count {
            if bytes[index] != UInt8(ascii: "<") {
                let text = try characterData()
                if open.isEmpty {
                    guard text.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else {
                        throw error("text outside the root element")
                    }
                    continue
                }
                return .text(text)
            }
            if starts(with: "<!--") {
                try skip(past: "-->", what: "comment")
            } else if starts(with: "<?") {
                try skip(past: "?>", what: "processing instruction")
            } else if starts(with: "<![CDATA[") {
                guard !open.isEmpty else { throw error("CDATA outside the root element") }
                index += 9
                let start = index
                try skip(past: "]]>", what: "CDATA section")
                return .text(String(decoding: bytes[start..<(index - 3)], as: UTF8.self))
            } else if starts(with: "<!") {
                throw error("document type declarations are not accepted")
            } else if starts(with: "</") {
                index += 2
                let name = try self.name()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
                    throw error("expected '>' in </\(name)>")
                }
                index += 1
                guard let expected = open.last else { throw error("</\(name)> closes nothing") }
                guard expected == name else { throw error("</\(name)> closes <\(expected)>") }
                open.removeLast()
                return .end(name: name)
            } else {
                return try startTag()
            }
        }
        if let unclosed = open.last { throw error("unexpected end of document inside <\(unclosed)>") }
        guard sawRoot else { throw error("no root element") }
        return nil
    }

    private mutating func startTag() throws(XMLSyntaxError) -> XMLEvent {
        let tagLine = line
        guard !(open.isEmpty && sawRoot) else { throw error("a second root element") }
        index += 1
        let name = try self.name()
        var attributes: [String: String] = [:]
        while true {
            let hadSpace = skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of document in <\(name)>") }
            if bytes[index] == UInt8(ascii: ">") {
                index += 1
                break
            }
            if starts(with: "/>") {
                index += 2
                pendingEnd = name
                break
            }
            guard hadSpace else { throw error("expected whitespace, '>' or '/>' in <\(name)>") }
            let attribute = try self.name()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
                throw error("expected '=' after \(attribute)")
            }
            index += 1
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw error("attribute value must be quoted")
            }
            let quote = bytes[index]
            index += 1
            guard let end = bytes[index...].firstIndex(of: quote) else {
                throw error("attribute value is never closed")
            }
            let raw = bytes[index..<end]
            guard !raw.contains(UInt8(ascii: "<")) else { throw error("'<' in an attribute value") }
            attributes[attribute] = try decodeEntities(raw)
            for byte in raw where byte == UInt8(ascii: "\n") { line += 1 }
            index = end + 1
        }
        sawRoot = true
        if pendingEnd == nil {
            open.append(name)
            guard open.count <= Self.maxDepth else { throw error("elements nested deeper than \(Self.maxDepth)") }
        }
        return .start(name: name, attributes: attributes, line: tagLine)
    }

    private mutating func characterData() throws(XMLSyntaxError) -> String {
        let start = index
        let end = bytes[index...].firstIndex(of: UInt8(ascii: "<")) ?? bytes.count
        index = end
        let text = try decodeEntities(bytes[start..<end])
        for byte in bytes[start..<end] where byte == UInt8(ascii: "\n") { line += 1 }
        return text
    }

    private func decodeEntities(_ raw: ArraySlice<UInt8>) throws(XMLSyntaxError) -> String {
        guard raw.contains(UInt8(ascii: "&")) else {
            guard let text = String(validating: raw, as: UTF8.self) else { throw error("text is not valid UTF-8") }
            return text
        }
        var out: [UInt8] = []
        var position = raw.startIndex
        while position < raw.endIndex {
            let byte = raw[position]
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                position += 1
                continue
            }
            guard let semicolon = raw[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw error("'&' that does not start an entity reference")
            }
            let entity = String(decoding: raw[(position + 1)..<semicolon], as: UTF8.self)
            switch entity {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let value: UInt32?
                if entity.hasPrefix("#x") {
                    value = UInt32(entity.dropFirst(2), radix: 16)
                } else if entity.hasPrefix("#") {
                    value = UInt32(entity.dropFirst(), radix: 10)
                } else {
                    value = nil
                }
                guard let value, value != 0, let scalar = Unicode.Scalar(value) else {
                    throw error("unknown entity '&\(entity);'")
                }
                out += Array(String(Character(scalar)).utf8)
            }
            position = semicolon + 1
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw error("text is not valid UTF-8") }
        return text
    }

    private mutating func name() throws(XMLSyntaxError) -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            let isNameByte =
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") || byte >= 0x80
            guard isNameByte else { break }
            index += 1
        }
        guard index > start, let name = String(validating: bytes[start..<index], as: UTF8.self) else {
            throw error("expected a name")
        }
        return name
    }

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"): line += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): break
            default: return index > start
            }
            index += 1
        }
        return index > start
    }

    private func starts(with prefix: String) -> Bool {
        bytes[index...].starts(with: prefix.utf8)
    }

    private mutating func skip(past terminator: String, what: String) throws(XMLSyntaxError) {
        let pattern = Array(terminator.utf8)
        while index < bytes.count {
            if bytes[index...].starts(with: pattern) {
                index += pattern.count
                return
            }
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
        throw error("\(what) is never closed")
    }
}

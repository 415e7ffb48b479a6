/// A minimal RFC 4180 reader (what Python's `csv` module writes): comma-separated fields, double
/// quotes around fields holding commas, quotes or newlines, `""` for a quote inside quotes.
struct CSVReader {
    struct Record {
        /// Line on which the record starts (1-based).
        var line: Int
        var fields: [String]
    }

    /// The records, plus the line of an unterminated quoted field if the input ends inside one.
    static func records(_ bytes: [UInt8]) -> (records: [Record], unterminatedQuoteLine: Int?) {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        let text = String(decoding: body, as: UTF8.self)
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var quoteLine = 0
        var line = 1
        var recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endRecord() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
        }
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        field.unicodeScalars.append("\"")
                    } else {
                        inQuotes = false
                        pending = next
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty:
                inQuotes = true
                quoteLine = line
            case ",":
                fields.append(field)
                field = ""
            case "\r":
                break
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { return (records, quoteLine) }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return (records, nil)
    }
}

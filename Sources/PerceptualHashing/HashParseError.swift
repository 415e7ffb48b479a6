/// Why a hash string could not be parsed.
public enum HashParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The string has the wrong number of characters for this kind of hash.
    case wrongLength(expected: Int, found: Int)
    /// The character at `position` (0-based) is not a hex digit.
    case notHex(position: Int)

    public var description: String {
        switch self {
        case .wrongLength(let expected, let found):
            "expected \(expected) hex digits, found \(found) characters"
        case .notHex(let position):
            "character \(position + 1) is not a hex digit"
        }
    }
}

/// The value of one ASCII hex digit, or nil.
func hexNibble(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// `value` as exactly `count` lowercase hex digits (leading zeros kept).
func hexDigits(_ value: UInt64, count: Int) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8](repeating: 0, count: count)
    var rest = value
    for index in stride(from: count - 1, through: 0, by: -1) {
        out[index] = digits[Int(rest & 0xF)]
        rest >>= 4
    }
    return String(decoding: out, as: UTF8.self)
}

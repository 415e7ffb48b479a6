/// A 64-bit perceptual hash (pHash, dHash, aHash as Python `imagehash` computes them).
///
/// The hex form is imagehash's: the 8×8 bit grid flattened row-major and read as one
/// big-endian integer, 16 lowercase hex digits. Bit [0,0] alone is `8000000000000000`.
public struct Hash64: Hashable, Sendable, Comparable {
    /// The bits as one integer; the first grid cell is the most significant bit.
    public var value: UInt64

    /// Creates a hash from its integer value.
    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses 16 hex digits (either case, no prefix).
    ///
    /// - Throws: `HashParseError` naming what is wrong with the text.
    public init(hex: some StringProtocol) throws(HashParseError) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 16 else { throw .wrongLength(expected: 16, found: utf8.count) }
        var value: UInt64 = 0
        for (index, byte) in utf8.enumerated() {
            guard let nibble = hexNibble(byte) else { throw .notHex(position: index) }
            value = value << 4 | UInt64(nibble)
        }
        self.value = value
    }

    /// Builds a hash from grid cells in row-major order; the first cell becomes the most significant bit.
    ///
    /// - Precondition: exactly 64 cells.
    public init(bits: some Sequence<Bool>) {
        var value: UInt64 = 0
        var count = 0
        for bit in bits {
            value = value << 1 | (bit ? 1 : 0)
            count += 1
        }
        precondition(count == 64, "a Hash64 needs exactly 64 bits")
        self.value = value
    }

    /// 16 lowercase hex digits.
    public var hex: String { hexDigits(value, count: 16) }

    /// Hamming distance: the number of bits in which the two hashes differ (0…64).
    @inlinable
    public func distance(to other: Hash64) -> Int {
        (value ^ other.value).nonzeroBitCount
    }

    public static func < (lhs: Hash64, rhs: Hash64) -> Bool { lhs.value < rhs.value }
}

extension Hash64: CustomStringConvertible {
    public var description: String { hex }
}

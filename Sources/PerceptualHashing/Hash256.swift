/// A 256-bit perceptual hash (PDQ), stored as four 64-bit limbs, most significant first.
///
/// The hex form is the one every PDQ tool prints: 64 lowercase hex digits of one big-endian
/// 256-bit integer. Bit `k` of that integer (k = 0 is the least significant) is bit `k` of the hash,
/// which is how the reference numbers the 16×16 DCT cells (`k = row·16 + column`).
public struct Hash256: Hashable, Sendable, Comparable {
    /// Limbs, most significant first: `w0` holds bits 255…192, `w3` bits 63…0.
    public var w0: UInt64
    public var w1: UInt64
    public var w2: UInt64
    public var w3: UInt64

    /// The hash whose bits are all zero (what PDQ gives for images under 5 pixels on a side).
    public static let zero = Hash256(w0: 0, w1: 0, w2: 0, w3: 0)

    /// Creates a hash from its four limbs, most significant first.
    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Parses 64 hex digits (either case, no prefix, no separators).
    ///
    /// - Throws: `HashParseError` naming what is wrong with the text.
    public init(hex: some StringProtocol) throws(HashParseError) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { throw .wrongLength(expected: 64, found: utf8.count) }
        var limbs: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in utf8.enumerated() {
            guard let nibble = hexNibble(byte) else { throw .notHex(position: index) }
            limbs[index / 16] = limbs[index / 16] << 4 | UInt64(nibble)
        }
        self.init(w0: limbs[0], w1: limbs[1], w2: limbs[2], w3: limbs[3])
    }

    /// 64 lowercase hex digits.
    public var hex: String {
        hexDigits(w0, count: 16) + hexDigits(w1, count: 16) + hexDigits(w2, count: 16) + hexDigits(w3, count: 16)
    }

    /// Bit `k` of the 256-bit integer, `k` in 0..<256 (0 = least significant).
    public subscript(bit k: Int) -> Bool {
        get {
            precondition((0..<256).contains(k), "bit index out of range")
            return limb(3 - k >> 6) >> UInt64(k & 63) & 1 == 1
        }
        set {
            precondition((0..<256).contains(k), "bit index out of range")
            let mask = UInt64(1) << UInt64(k & 63)
            let value = newValue ? limb(3 - k >> 6) | mask : limb(3 - k >> 6) & ~mask
            switch 3 - k >> 6 {
            case 0: w0 = value
            case 1: w1 = value
            case 2: w2 = value
            default: w3 = value
            }
        }
    }

    private func limb(_ index: Int) -> UInt64 {
        switch index {
        case 0: w0
        case 1: w1
        case 2: w2
        default: w3
        }
    }

    /// Hamming distance: the number of bits in which the two hashes differ (0…256).
    @inlinable
    public func distance(to other: Hash256) -> Int {
        (w0 ^ other.w0).nonzeroBitCount + (w1 ^ other.w1).nonzeroBitCount
            + (w2 ^ other.w2).nonzeroBitCount + (w3 ^ other.w3).nonzeroBitCount
    }

    /// The number of set bits.
    public var popCount: Int {
        w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount
    }

    public static func < (lhs: Hash256, rhs: Hash256) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }
}

extension Hash256: CustomStringConvertible {
    public var description: String { hex }
}

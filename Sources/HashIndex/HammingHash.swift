import PerceptualHashing

/// A fixed-width binary hash that the indexes can store as packed 64-bit limbs.
///
/// Every index in this module is generic over `HammingHash`; the hot loops work on the limbs directly,
/// so adding a width means adding a conformance and (for speed) a kernel in `HammingKernels.swift`.
/// Limb 0 holds the most significant bits, as in `Hash256`.
public protocol HammingHash: Hashable, Sendable {
    /// The number of 64-bit limbs (1 for `Hash64`, 4 for `Hash256`).
    static var limbCount: Int { get }

    /// The hash whose bits are all zero.
    static var zero: Self { get }

    /// Creates a hash from its limbs, most significant first.
    ///
    /// - Parameter limb: called with `0..<limbCount`, returns that limb.
    init(limbs limb: (Int) -> UInt64)

    /// Limb `index` in `0..<limbCount`, most significant first.
    func limb(_ index: Int) -> UInt64

    /// Hamming distance: the number of bits in which the two hashes differ.
    func distance(to other: Self) -> Int
}

extension HammingHash {
    /// The number of bits: `64 × limbCount`.
    public static var bitWidth: Int { limbCount * 64 }

    /// `count` bits (1…32) starting at bit `start` of the limb sequence, counted from the most significant
    /// bit of limb 0; used by multi-index hashing to cut a hash into slots.
    ///
    /// - Complexity: O(1).
    @inlinable
    public func slot(start: Int, count: Int) -> UInt32 {
        precondition(count > 0 && count <= 32 && start >= 0 && start + count <= Self.bitWidth, "slot out of range")
        let first = start >> 6
        let offset = start & 63
        var bits = limb(first) << UInt64(offset)
        if offset + count > 64 { bits |= limb(first + 1) >> UInt64(64 - offset) }
        return UInt32(truncatingIfNeeded: bits >> UInt64(64 - count))
    }
}

extension Hash64: HammingHash {
    /// One limb.
    public static var limbCount: Int { 1 }

    /// The all-zero hash.
    public static var zero: Hash64 { Hash64(0) }

    /// Creates a hash from its single limb, `limb(0)`.
    public init(limbs limb: (Int) -> UInt64) { self.init(limb(0)) }

    /// The value itself (only index 0 exists).
    @inlinable
    public func limb(_ index: Int) -> UInt64 { value }
}

extension Hash256: HammingHash {
    /// Four limbs, `w0` first.
    public static var limbCount: Int { 4 }

    /// Creates a hash from `limb(0)…limb(3)` = `w0…w3`.
    public init(limbs limb: (Int) -> UInt64) { self.init(w0: limb(0), w1: limb(1), w2: limb(2), w3: limb(3)) }

    /// `w0`, `w1`, `w2` or `w3`.
    @inlinable
    public func limb(_ index: Int) -> UInt64 {
        switch index {
        case 0: w0
        case 1: w1
        case 2: w2
        default: w3
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Bulk copies between integer arrays and little-endian snapshot bytes, and the snapshot checksum: the byte-level
/// half of the module's unsafe code (the other half is `HammingKernels`). Callers check every size first.
enum SnapshotBytes {
    /// Appends the little-endian bytes of `values`.
    ///
    /// - Complexity: O(n), a `memcpy` on little-endian machines.
    static func append<T: FixedWidthInteger>(_ values: [T], to bytes: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for value in values { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
    }

    /// `count` little-endian integers starting at byte `offset`.
    ///
    /// - Precondition: `offset + count × size` is within `bytes`.
    /// - Complexity: O(n), a `memcpy` on little-endian machines.
    static func load<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int) -> [T] {
        let size = MemoryLayout<T>.size
        precondition(offset >= 0 && count >= 0 && offset + count * size <= bytes.count)
        return [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            let source = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count * size])
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            #if !_endian(little)
            for k in 0..<count { buffer[k] = T(littleEndian: buffer[k]) }
            #endif
            initialised = count
        }
    }
}

/// Asks the kernel to back `buffer` with transparent huge pages before it is first written. Loading a 10M-entry
/// snapshot fills ~1.3 GB of fresh arrays; with 4 KiB pages that is ~330k page faults, which cost more than the
/// copies themselves (perf: 57 % of the load in the kernel's fault path). A hint only: ignored where unsupported.
func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    let hugePage = 2 << 20
    guard let base = buffer.baseAddress, buffer.count >= 2 * hugePage else { return }
    let page = Int(getpagesize())
    let start = (Int(bitPattern: base) + page - 1) / page * page
    let end = (Int(bitPattern: base) + buffer.count) / page * page
    _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE)
    #endif
}

/// The checksum of index and matcher snapshots: detects damage (not an adversary; snapshots are written by
/// hashmatch itself) at memory speed.
///
/// FNV-1a-64 run over the 64-bit little-endian words of the bytes (one multiply per 8 bytes) in four interleaved
/// lanes (word k goes to lane k mod 4, each lane starting from the FNV offset basis); the four lane values are then
/// folded the same way into one FNV-1a-64 state, and any bytes after the last whole word into that state one by one.
public enum SnapshotChecksum {
    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    /// The checksum of `bytes`.
    ///
    /// - Complexity: O(n); four independent multiply chains keep it near memory speed.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let wordCount = bytes.count / 8
        var lanes = (fnvOffset, fnvOffset, fnvOffset, fnvOffset)
        func word(_ k: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: k &* 8, as: UInt64.self))
        }
        var k = 0
        while k &+ 4 <= wordCount {
            lanes.0 = (lanes.0 ^ word(k)) &* fnvPrime
            lanes.1 = (lanes.1 ^ word(k &+ 1)) &* fnvPrime
            lanes.2 = (lanes.2 ^ word(k &+ 2)) &* fnvPrime
            lanes.3 = (lanes.3 ^ word(k &+ 3)) &* fnvPrime
            k &+= 4
        }
        if k < wordCount { lanes.0 = (lanes.0 ^ word(k)) &* fnvPrime }
        if k &+ 1 < wordCount { lanes.1 = (lanes.1 ^ word(k &+ 1)) &* fnvPrime }
        if k &+ 2 < wordCount { lanes.2 = (lanes.2 ^ word(k &+ 2)) &* fnvPrime }
        var hash = fnvOffset
        for lane in [lanes.0, lanes.1, lanes.2, lanes.3] { hash = (hash ^ lane) &* fnvPrime }
        for byte in bytes[(wordCount * 8)...] { hash = (hash ^ UInt64(byte)) &* fnvPrime }
        return hash
    }

    /// The checksum of `bytes`.
    public static func of(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.withUnsafeBytes { of($0) } }
}

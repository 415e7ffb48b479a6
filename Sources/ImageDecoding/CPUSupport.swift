import CImageCodecs

/// Whether this CPU runs the instructions the release build uses (x86-64-v2 on x86-64: POPCNT, SSSE3, SSE4.1/4.2; see Package.swift).
///
/// Call it before any hashing: on a CPU without them the process would otherwise die of an illegal instruction.
public enum CPUSupport {
    /// True when the CPU has what the build needs.
    public static var isSupported: Bool { hm_cpu_supported() != 0 }
}

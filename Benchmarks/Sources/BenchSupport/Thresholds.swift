import Benchmark

/// The tolerances `thresholds check` applies against `Thresholds/`, for both suites.
///
/// Allocation counts are deterministic: 2 more mallocs at the median (4 at p90) than recorded is a regression. Time
/// is not: the 2-core VM the thresholds were recorded on moves about 2× with its load (aHash on 1024×768 measured p90
/// 424 µs, then 649 µs minutes later; one index run put LinearScan 64-bit 10k clustered r=10 40 % slower and random
/// r=8 47 % faster against thresholds recorded together), so `timePercent` is 100 or more: the check catches a
/// change in kind, not 30 %. `peakMemory` adds a 10 % bound on peak RSS, for suites that measure it.
public func regressionThresholds(timePercent: Double, peakMemory: Bool) -> [BenchmarkMetric: BenchmarkThresholds] {
    var thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p50: timePercent, .p90: timePercent]),
        .cpuTotal: .init(relative: [.p50: timePercent, .p90: timePercent]),
        .mallocCountTotal: .init(absolute: [.p50: 2, .p90: 4]),
    ]
    if peakMemory { thresholds[.peakMemoryResident] = .init(relative: [.p90: 10.0]) }
    return thresholds
}

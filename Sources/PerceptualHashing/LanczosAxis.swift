#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The fixed-point Lanczos weights of one axis, as Pillow's `precompute_coeffs` and
/// `normalize_coeffs_8bpc` compute them.
struct LanczosAxis: Sendable {
    static let precisionBits: Int32 = 32 - 8 - 2

    let inSize: Int
    let outSize: Int
    /// Room per output in `weights` (Pillow's `ksize`).
    let kernelSize: Int
    /// First input index each output reads (Pillow's `xmin`).
    private(set) var starts: [Int]
    /// Number of inputs each output reads (Pillow's `xmax` after subtracting `xmin`).
    private(set) var counts: [Int]
    /// `outSize × kernelSize` weights in 2⁻²² units; unused slots are zero.
    private(set) var weights: [Int32]
    /// The same weights laid out for whole-vector loops, or nil when the axis is shorter than one such window:
    /// every output reads exactly `laneTaps` inputs from `laneStarts[x]` (moved left near the end so the window
    /// stays inside the line), its weights shifted to match and zero elsewhere. Integer sums do not depend on
    /// order, so the extra zero taps leave Pillow's result unchanged.
    private(set) var lanes: LaneLayout?

    /// Weights padded to a whole number of vectors; see ``lanes``.
    struct LaneLayout: Sendable {
        static let width = 16
        /// Inputs every output reads: `kernelSize` rounded up to a multiple of `width`.
        let taps: Int
        let starts: [Int]
        /// `outSize × taps` weights.
        let weights: [Int32]
    }

    init(inSize: Int, outSize: Int) {
        self.inSize = inSize
        self.outSize = outSize
        // Pillow passes the box edges as C floats: (float)inSize - 0.0f, then divides in double.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = 3.0 * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        let inverseFilterScale = 1.0 / filterScale
        self.kernelSize = kernelSize
        starts = [Int](repeating: 0, count: outSize)
        counts = [Int](repeating: 0, count: outSize)
        weights = [Int32](repeating: 0, count: outSize * kernelSize)
        var kernel = [Double](repeating: 0, count: kernelSize)
        for x in 0..<outSize {
            let center = (Double(x) + 0.5) * scale
            // C's (int) cast truncates toward zero, as Int(_:) does.
            let first = max(Int(center - support + 0.5), 0)
            let count = min(Int(center + support + 0.5), inSize) - first
            var total = 0.0
            for tap in 0..<count {
                let weight = Self.lanczos((Double(tap + first) - center + 0.5) * inverseFilterScale)
                kernel[tap] = weight
                total += weight
            }
            if total != 0.0 {
                for tap in 0..<count { kernel[tap] /= total }
            }
            for tap in 0..<count {
                let scaled = kernel[tap] * Double(1 << Self.precisionBits)
                weights[x * kernelSize + tap] = kernel[tap] < 0 ? Int32(-0.5 + scaled) : Int32(0.5 + scaled)
            }
            starts[x] = first
            counts[x] = count
        }
        lanes = Self.laneLayout(
            inSize: inSize,
            kernelSize: kernelSize,
            starts: starts,
            counts: counts,
            weights: weights
        )
    }

    private static func laneLayout(
        inSize: Int,
        kernelSize: Int,
        starts: [Int],
        counts: [Int],
        weights: [Int32]
    ) -> LaneLayout? {
        let width = LaneLayout.width
        let taps = (kernelSize + width - 1) / width * width
        guard taps <= inSize else { return nil }
        var laneStarts = [Int](repeating: 0, count: starts.count)
        var laneWeights = [Int32](repeating: 0, count: starts.count * taps)
        for x in starts.indices {
            let start = min(starts[x], inSize - taps)
            let shift = starts[x] - start
            laneStarts[x] = start
            for tap in 0..<counts[x] { laneWeights[x * taps + shift + tap] = weights[x * kernelSize + tap] }
        }
        return LaneLayout(taps: taps, starts: laneStarts, weights: laneWeights)
    }

    /// Pillow's `lanczos_filter`: a sinc windowed by a three-times-wider sinc.
    static func lanczos(_ x: Double) -> Double {
        guard -3.0 <= x && x < 3.0 else { return 0.0 }
        return sinc(x) * sinc(x / 3)
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0.0 { return 1.0 }
        let angle = x * Double.pi
        return sin(angle) / angle
    }
}

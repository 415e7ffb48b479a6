import TestSupport
import Testing

@testable import PerceptualHashing

/// The horizontal Lanczos pass has three loops (scalar, Swift SIMD, AVX2 in C); the reference tests exercise the one
/// this CPU picks, so these check that the others give the same bytes. Integer sums do not depend on order, so any
/// difference would be a window, weight or clamping bug in one loop.
@Suite struct LanczosKernelTests {
    static let sizes = [
        (1024, 768, 8, 8), (1024, 768, 9, 8), (1024, 768, 32, 32), (333, 517, 32, 32), (17, 300, 9, 8),
        (2000, 3, 7, 3), (64, 40, 63, 40), (40, 64, 100, 100), (301, 1, 16, 1),
    ]

    @Test(arguments: sizes.indices)
    func everyKernelGivesTheSameBytes(_ index: Int) {
        let (width, height, toWidth, toHeight) = Self.sizes[index]
        var random = SplitMix64(seed: UInt64(index + 1))
        // Noise over smooth gradients: large sums (near the clamp) and signed lobes both occur.
        let pixels = (0..<width * height).map { i in
            UInt8(truncatingIfNeeded: (i % width) * 255 / max(width - 1, 1) / 2 + Int(random.next() % 128))
        }
        let results = PillowLanczos.Kernel.allCases.map { kernel -> [UInt8] in
            guard kernel != .avx2 || PillowLanczos.Kernel.best == .avx2 else { return [] }
            var lanczos = PillowLanczos()
            lanczos.kernel = kernel
            return lanczos.resized(pixels, width: width, height: height, toWidth: toWidth, toHeight: toHeight)
        }
        #expect(results[0] == results[1], "scalar vs vector, \(width)×\(height) → \(toWidth)×\(toHeight)")
        if PillowLanczos.Kernel.best == .avx2 {
            #expect(results[0] == results[2], "scalar vs AVX2, \(width)×\(height) → \(toWidth)×\(toHeight)")
        }
    }
}

import Testing

@testable import PerceptualHashing

/// Sizes, channel layouts and inputs with no reference vector of their own.
@Suite struct PDQEdgeCaseTests {
    /// A deterministic pseudo-random RGB image.
    static func noise(width: Int, height: Int, channels: Int, seed: UInt64 = 1) -> [UInt8] {
        var state = seed
        return (0..<(width * height * channels)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    static func hash(_ pixels: [UInt8], width: Int, height: Int, channels: Int, mode: PDQMode = .full) -> PDQHash {
        var hasher = PDQHasher()
        return pixels.withUnsafeBufferPointer {
            hasher.hash(pixels: $0, width: width, height: height, channels: channels, mode: mode)
        }
    }

    @Test(arguments: [(1, 1), (4, 4), (4, 9), (9, 4), (3, 3), (1, 1000), (600, 4)])
    func imagesUnderFivePixelsOnASideGiveTheZeroHash(width: Int, height: Int) {
        let pixels = Self.noise(width: width, height: height, channels: 3)
        #expect(Self.hash(pixels, width: width, height: height, channels: 3) == .zero)
        var hasher = PDQHasher()
        let dihedral = pixels.withUnsafeBufferPointer {
            hasher.hashDihedral(pixels: $0, width: width, height: height, channels: 3, mode: .full)
        }
        #expect(dihedral == .zero)
    }

    /// The CLI resizes before it checks the size, so a 600×4 image becomes 512×512 and gets a hash.
    @Test func cli512ResizesBeforeTheSizeCheck() {
        let pixels = Self.noise(width: 600, height: 4, channels: 3)
        #expect(Self.hash(pixels, width: 600, height: 4, channels: 3, mode: .cli512).hash != .zero)
    }

    @Test(arguments: [(5, 5), (100, 100), (640, 480)])
    func flatImagesHaveQualityZero(width: Int, height: Int) {
        let pixels = [UInt8](repeating: 137, count: width * height * 3)
        #expect(Self.hash(pixels, width: width, height: height, channels: 3).quality == 0)
    }

    @Test func alphaIsIgnoredAndGreyIsUsedAsLuma() {
        let (width, height) = (70, 90)
        let rgb = Self.noise(width: width, height: height, channels: 3)
        let alpha = Self.noise(width: width, height: height, channels: 1, seed: 7)
        var rgba: [UInt8] = []
        for n in 0..<(width * height) { rgba += rgb[(n * 3)..<(n * 3 + 3)] + [alpha[n]] }
        #expect(
            Self.hash(rgba, width: width, height: height, channels: 4)
                == Self.hash(rgb, width: width, height: height, channels: 3)
        )
        let grey = Self.noise(width: width, height: height, channels: 1, seed: 3)
        var hasher = PDQHasher()
        let fromLuma = grey.map(Float.init).withUnsafeBufferPointer {
            hasher.hash(luma: $0, width: width, height: height)
        }
        #expect(Self.hash(grey, width: width, height: height, channels: 1) == fromLuma)
        var rgbGrey: [UInt8] = []
        for value in grey { rgbGrey += [value, value, value] }
        // (0.299f·v + 0.587f·v) + 0.114f·v is not always exactly v, so RGB grey may differ slightly.
        #expect(Self.hash(rgbGrey, width: width, height: height, channels: 3).hash.distance(to: fromLuma.hash) <= 8)
    }

    @Test func hashersOnConcurrentTasksAgree() async {
        let (width, height) = (300, 200)
        let pixels = Self.noise(width: width, height: height, channels: 3)
        let expected = Self.hash(pixels, width: width, height: height, channels: 3)
        let results = await withTaskGroup(of: PDQHash.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var hasher = PDQHasher()
                    var last = PDQHash.zero
                    for _ in 0..<5 {
                        last = pixels.withUnsafeBufferPointer {
                            hasher.hash(pixels: $0, width: width, height: height, channels: 3, mode: .full)
                        }
                    }
                    return last
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == expected })
    }

    @Test func aBufferShorterThanTheImageIsAPreconditionFailure() async {
        await #expect(processExitsWith: .failure) {
            var hasher = PDQHasher()
            let pixels = [UInt8](repeating: 0, count: 10 * 10 * 3 - 1)
            _ = pixels.withUnsafeBufferPointer {
                hasher.hash(pixels: $0, width: 10, height: 10, channels: 3, mode: .full)
            }
        }
        await #expect(processExitsWith: .failure) {
            var hasher = PDQHasher()
            let luma = [Float](repeating: 0, count: 4)
            _ = luma.withUnsafeBufferPointer { hasher.hash(luma: $0, width: 0, height: 4) }
        }
    }

    /// The SIMD, transposed and output-skipping blur equals a plain transcription of the reference's
    /// scalar loops, including windows that are not powers of two (3, 5, 6, 7, 13).
    @Test(arguments: [(300, 129), (777, 555), (1600, 700), (129, 300), (64, 64), (5, 5), (33, 700)])
    func fastDownsampleEqualsScalarReferenceLoops(width: Int, height: Int) {
        let luma = Self.noise(width: width, height: height, channels: 1).map { Float($0) * 0.731 }
        var expected = luma
        var temporary = luma
        for _ in 0..<2 {
            for row in 0..<height {
                scalarBox(expected, &temporary, start: row * width, count: width, step: 1, window: (width + 127) / 128)
            }
            for column in 0..<width {
                scalarBox(temporary, &expected, start: column, count: height, step: width, window: (height + 127) / 128)
            }
        }
        var decimated = [Float](repeating: 0, count: 64 * 64)
        for i in 0..<64 {
            for j in 0..<64 {
                let row = Int(((Double(i) + 0.5) * Double(height)) / 64)
                let column = Int(((Double(j) + 0.5) * Double(width)) / 64)
                decimated[i * 64 + j] = expected[row * width + column]
            }
        }
        var hasher = PDQHasher()
        let fast = luma.withUnsafeBufferPointer { luma in
            hasher.withDCT(of: .floats(luma.baseAddress!, width: width, height: height), mode: .full, dihedral: true) {
                Array(UnsafeBufferPointer(start: $0.buffer64, count: 64 * 64))
            }
        }
        #expect(fast.flatMap { bitDifferences($0, decimated) } == [])
        #expect(JaroszBlur.blurred(luma, width: width, height: height).map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// `box1DFloat` from the reference's downscaling.cpp, loop for loop.
    private func scalarBox(_ input: [Float], _ output: inout [Float], start: Int, count: Int, step: Int, window: Int) {
        let half = (window + 2) / 2
        var sum: Float = 0
        var size = 0
        var (left, right, out) = (start, start, start)
        for _ in 0..<(half - 1) {
            sum += input[right]
            size += 1
            right += step
        }
        for _ in 0..<(window - half + 1) {
            sum += input[right]
            size += 1
            output[out] = sum / Float(size)
            right += step
            out += step
        }
        for _ in 0..<max(0, count - window) {
            sum += input[right]
            sum -= input[left]
            output[out] = sum / Float(size)
            left += step
            right += step
            out += step
        }
        for _ in 0..<(half - 1) {
            sum -= input[left]
            size -= 1
            output[out] = sum / Float(size)
            left += step
            out += step
        }
    }
}

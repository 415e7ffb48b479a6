import PerceptualHashing
import Testing

// Expected values come from outside hashmatch: worked by hand from the formulas in
// ../shared/vectors/imagehash/README.md, or printed by Pillow 13.0.0 / imagehash 4.3.2 for the
// small images spelled out next to them (the Python expression is quoted with each case).

/// One resize case: an 8-bit grey image and what Pillow 13's LANCZOS filter makes of it.
struct ResizeCase: Sendable, CustomTestStringConvertible {
    let pixels: [UInt8]
    let width: Int
    let height: Int
    let toWidth: Int
    let toHeight: Int
    let expected: [UInt8]

    var testDescription: String { "\(width)×\(height) → \(toWidth)×\(toHeight)" }
}

@Suite struct PillowLanczosTests {
    @Test func halvingTwoPixelsRoundsTheirMeanUp() {
        // scale 2, support 6, centre 1.0: taps at ∓0.25 get equal weight ½ = 2²¹, so the output
        // is (2²¹ + (a + b)·2²¹) >> 22 = ⌊(a + b + 1) / 2⌋.
        var lanczos = PillowLanczos()
        #expect(lanczos.resized([0, 255], width: 2, height: 1, toWidth: 1, toHeight: 1) == [128])
        #expect(lanczos.resized([10, 21], width: 2, height: 1, toWidth: 1, toHeight: 1) == [16])
        #expect(lanczos.resized([10, 21], width: 1, height: 2, toWidth: 1, toHeight: 1) == [16])
    }

    @Test func aSinglePixelUpscalesToItself() {
        // Every output reads the one input with weight 1 (normalised), i.e. 2²² in fixed point.
        var lanczos = PillowLanczos()
        #expect(lanczos.resized([77], width: 1, height: 1, toWidth: 3, toHeight: 2) == [77, 77, 77, 77, 77, 77])
    }

    @Test func aConstantImageStaysConstant() {
        // Weights are normalised to sum 1, so a flat image stays flat at any size.
        var lanczos = PillowLanczos()
        let flat = [UInt8](repeating: 93, count: 37 * 23)
        for (toWidth, toHeight) in [(8, 8), (9, 8), (32, 32), (1, 1), (100, 3)] {
            let out = lanczos.resized(flat, width: 37, height: 23, toWidth: toWidth, toHeight: toHeight)
            #expect(out == [UInt8](repeating: 93, count: toWidth * toHeight))
        }
    }

    @Test func anUnchangedSizeIsACopy() {
        var lanczos = PillowLanczos()
        let pixels: [UInt8] = [1, 2, 3, 250, 251, 252]
        #expect(lanczos.resized(pixels, width: 3, height: 2, toWidth: 3, toHeight: 2) == pixels)
    }

    @Test(arguments: [
        // Image.frombytes('L', (1, 4), bytes([0, 85, 170, 255])).resize((1, 2), Image.LANCZOS)
        ResizeCase(pixels: [0, 85, 170, 255], width: 1, height: 4, toWidth: 1, toHeight: 2, expected: [46, 209]),
        // A 16-pixel ramp i·255//15 (one pixel high) to 4 and to 5 pixels.
        ResizeCase(
            pixels: (0..<16).map { UInt8($0 * 255 / 15) },
            width: 16,
            height: 1,
            toWidth: 4,
            toHeight: 1,
            expected: [26, 92, 163, 229]
        ),
        ResizeCase(
            pixels: (0..<16).map { UInt8($0 * 255 / 15) },
            width: 16,
            height: 1,
            toWidth: 5,
            toHeight: 1,
            expected: [19, 72, 128, 183, 236]
        ),
        // Upscaling rings below zero and clamps: bytes([0, 100, 200, 50]) from 4×1 to 7×1.
        ResizeCase(
            pixels: [0, 100, 200, 50],
            width: 4,
            height: 1,
            toWidth: 7,
            toHeight: 1,
            expected: [0, 20, 88, 186, 193, 101, 29]
        ),
    ])
    func matchesPillow(_ sample: ResizeCase) {
        var lanczos = PillowLanczos()
        let out = lanczos.resized(
            sample.pixels,
            width: sample.width,
            height: sample.height,
            toWidth: sample.toWidth,
            toHeight: sample.toHeight
        )
        #expect(out == sample.expected)
    }

    @Test func tallImagesAreResizedVerticallyFirstAsInPillow13() {
        // 3×12 → 2×3: H − h = 9 > 2·(W − w) = 2, so Pillow 13 runs the vertical pass first and
        // gives [166, 121, 92, 123, 147, 153]; Pillow ≤ 12's horizontal-first order (what
        // im.resize((2, 12)).resize((2, 3)) still computes) gives 120 for the second pixel.
        let pixels: [UInt8] = [
            241, 160, 175, 229, 148, 198, 213, 57, 14, 76, 72, 223, 233, 1, 127, 210, 33, 204,
            30, 119, 209, 77, 87, 71, 184, 65, 253, 113, 122, 129, 149, 141, 130, 254, 206, 202,
        ]
        var lanczos = PillowLanczos()
        #expect(
            lanczos.resized(pixels, width: 3, height: 12, toWidth: 2, toHeight: 3) == [166, 121, 92, 123, 147, 153]
        )
        let horizontalOnly = lanczos.resized(pixels, width: 3, height: 12, toWidth: 2, toHeight: 12)
        #expect(
            lanczos.resized(horizontalOnly, width: 2, height: 12, toWidth: 2, toHeight: 3) == [
                166, 120, 92, 123, 147, 153,
            ]
        )
    }
}

@Suite struct ImageHashTests {
    @Test func greyLevelsFollowPillowsFixedPointFormula() {
        // (R·19595 + G·38470 + B·7471 + 0x8000) >> 16, worked by hand.
        #expect(ImageHasher.greyLevel(red: 255, green: 0, blue: 0) == 76)
        #expect(ImageHasher.greyLevel(red: 0, green: 255, blue: 0) == 150)
        #expect(ImageHasher.greyLevel(red: 0, green: 0, blue: 255) == 29)
        #expect(ImageHasher.greyLevel(red: 255, green: 255, blue: 255) == 255)
        // The three factors sum to 65536, so any grey pixel keeps its level.
        for level in 0...255 {
            let value = UInt8(level)
            #expect(ImageHasher.greyLevel(red: value, green: value, blue: value) == value)
        }
    }

    @Test func aloneInTheFirstCellIsTheTopBit() {
        // An 8×8 image is not resized; only pixel [0, 0] is above the mean 255/64.
        var pixels = [UInt8](repeating: 0, count: 64)
        pixels[0] = 255
        var hasher = ImageHasher()
        #expect(hasher.hashes(pixels: pixels, width: 8, height: 8, channels: 1).ahash?.hex == "8000000000000000")
    }

    @Test func averageHashReadsTheGridRowMajor() {
        // 8×8, right half bright: every row is 00001111.
        let pixels = (0..<64).map { $0 % 8 >= 4 ? UInt8(200) : UInt8(20) }
        var hasher = ImageHasher()
        #expect(hasher.hashes(pixels: pixels, width: 8, height: 8, channels: 1).ahash?.hex == "0f0f0f0f0f0f0f0f")
    }

    @Test func differenceHashComparesEachPixelWithItsLeftNeighbour() {
        // 9×8 is dHash's own size, so no resize: rising rows give all ones, falling rows zeros.
        let rising = (0..<72).map { (index: Int) -> UInt8 in UInt8(index % 9 * 20 + index / 9) }
        let falling = (0..<72).map { (index: Int) -> UInt8 in UInt8(200 - index % 9 * 20) }
        var hasher = ImageHasher()
        #expect(hasher.hashes(pixels: rising, width: 9, height: 8, channels: 1).dhash?.hex == "ffffffffffffffff")
        #expect(hasher.hashes(pixels: falling, width: 9, height: 8, channels: 1).dhash?.hex == "0000000000000000")
    }

    @Test func aFlatImageHasOnlyItsDCCoefficientAboveTheMedian() {
        // Flat: no pixel above the mean, no pixel brighter than its neighbour, and every DCT
        // coefficient but DC is zero, so the median is 0 and only DC (the first bit) is above it.
        // A black image has a zero DC too. imagehash agrees (13×10 images of 7 and of 0).
        var hasher = ImageHasher()
        let flat = hasher.hashes(pixels: [UInt8](repeating: 7, count: 130), width: 13, height: 10, channels: 1)
        #expect(flat == ImageHashes(ahash: Hash64(0), phash: Hash64(0x8000_0000_0000_0000), dhash: Hash64(0)))
        let black = hasher.hashes(pixels: [UInt8](repeating: 0, count: 130), width: 13, height: 10, channels: 1)
        #expect(black == ImageHashes(ahash: Hash64(0), phash: Hash64(0), dhash: Hash64(0)))
    }

    @Test(arguments: ImagehashCase.all)
    func matchesImagehash(_ sample: ImagehashCase) throws {
        var hasher = ImageHasher()
        let hashes = hasher.hashes(pixels: sample.pixels, width: sample.width, height: sample.height, channels: 1)
        #expect(hashes.ahash == (try Hash64(hex: sample.ahash)))
        #expect(hashes.phash == (try Hash64(hex: sample.phash)))
        #expect(hashes.dhash == (try Hash64(hex: sample.dhash)))
    }

    @Test func greyRGBAndRGBAOfTheSameGreyImageHashAlike() {
        // R = G = B = v gives grey level v, and alpha is ignored.
        let grey = (0..<(40 * 30)).map { (index: Int) -> UInt8 in UInt8((index % 40 * 5) ^ (index / 40 * 3)) }
        let rgb: [UInt8] = grey.flatMap { (level: UInt8) -> [UInt8] in [level, level, level] }
        let rgba: [UInt8] = grey.enumerated().flatMap { (index: Int, level: UInt8) -> [UInt8] in
            [level, level, level, UInt8(index % 256)]
        }
        var hasher = ImageHasher()
        let expected = hasher.hashes(pixels: grey, width: 40, height: 30, channels: 1)
        #expect(hasher.hashes(pixels: rgb, width: 40, height: 30, channels: 3) == expected)
        #expect(hasher.hashes(pixels: rgba, width: 40, height: 30, channels: 4) == expected)
    }

    @Test func onlyTheRequestedHashesAreComputed() {
        let pixels = [UInt8](repeating: 9, count: 25)
        var hasher = ImageHasher()
        let some = hasher.hashes(pixels: pixels, width: 5, height: 5, channels: 1, algorithms: [.phash])
        #expect(some.ahash == nil && some.dhash == nil && some.phash != nil)
        #expect(some[.phash] == some.phash && some[.pdq] == nil)
        #expect(ImageHashKinds([.pdq, .dhash, .sha1, .ahash]) == [.dhash, .ahash])
        #expect(hasher.hashes(pixels: pixels, width: 5, height: 5, channels: 1, algorithms: []) == ImageHashes())
    }
}

/// A grey image given by a formula, and the hashes imagehash 4.3.2 (Pillow 13.0.0) gives it:
/// `y, x = np.mgrid[0:height, 0:width]; imagehash.*(Image.fromarray(formula.astype(np.uint8)))`.
struct ImagehashCase: Sendable, CustomTestStringConvertible {
    let formula: String
    let width: Int
    let height: Int
    let pixels: [UInt8]
    let ahash: String
    let phash: String
    let dhash: String

    var testDescription: String { "\(formula), \(width)×\(height)" }

    static let all: [ImagehashCase] = [
        // pHash's own size, so its DCT sees these very pixels.
        ImagehashCase("(x·7 + y·3) % 256", 32, 32, "070f0f1f1e1e3c3c", "94294a5569baeb56", "fffffffefefcfcf9") {
            x,
            y in (x * 7 + y * 3) % 256
        },
        ImagehashCase("(x² + 3y) % 256", 64, 48, "24725b755ddfd9f2", "800155927779b77d", "c8e692adadbdb32a") {
            x,
            y in (x * x + 3 * y) % 256
        },
        // A one-step ramp, upscaled horizontally.
        ImagehashCase("x·200 + y", 2, 50, "0f0f0f0f0f0f0f0f", "bf7a507d50795068", "7f7f7f7ffffefefe") {
            x,
            y in x * 200 + y
        },
        // Tall: resized vertically first.
        ImagehashCase("(2y + 40x) % 256", 3, 100, "0000070f1ffffff8", "98334cb34eb14eb5", "ffffffffffffffe0") {
            x,
            y in (2 * y + 40 * x) % 256
        },
    ]

    init(
        _ formula: String,
        _ width: Int,
        _ height: Int,
        _ ahash: String,
        _ phash: String,
        _ dhash: String,
        pixel: (Int, Int) -> Int
    ) {
        self.formula = formula
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { pixels[y * width + x] = UInt8(pixel(x, y)) }
        }
        self.pixels = pixels
        self.ahash = ahash
        self.phash = phash
        self.dhash = dhash
    }
}

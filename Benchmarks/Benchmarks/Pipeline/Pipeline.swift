// Decode, hash and fingerprint, one stage at a time, with malloc counts.
//
// Inputs: Tests/Fixtures/images (always present) and ../shared/vectors/pdq/synthetic/m1024_img000.jpg (the
// 1024×768 benchmark JPEG; the fixture large-1024x768.jpg stands in when the shared vectors are absent).
import BenchSupport
import Benchmark
import Fingerprinting
import ImageDecoding
import PerceptualHashing

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .microseconds,
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 200,
        thresholds: regressionThresholds(timePercent: 100, peakMemory: true)
    )

    let photo1024 = Inputs.shared("pdq/synthetic/m1024_img000.jpg", fallback: "large-1024x768.jpg")

    // MARK: Decoding per format

    let formats: [(String, [UInt8])] = [
        ("JPEG baseline 320×240", Inputs.fixture("baseline.jpg")),
        ("JPEG progressive 300×200", Inputs.fixture("progressive.jpg")),
        ("JPEG grey 240×180", Inputs.fixture("grey.jpg")),
        ("JPEG 1024×768", photo1024),
        ("PNG RGB 256×192", Inputs.fixture("gradient-rgb.png")),
        ("PNG RGB interlaced 97×61", Inputs.fixture("interlaced-rgb.png")),
        ("PNG RGBA 200×150", Inputs.fixture("shapes-rgba.png")),
    ]
    for (name, bytes) in formats {
        Benchmark(safeName("Decode/\(name)")) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try ImageDecoder.decode(bytes))
            }
        }
    }

    // MARK: JPEG scale (DCT-domain downscaling) and luma only

    for (label, denominator, lumaOnly) in [
        ("1/1", 1, false), ("1/2", 2, false), ("1/8", 8, false), ("1/1 luma", 1, true),
        ("1/8 luma", 8, true),
    ] {
        var options = DecodeOptions()
        options.scaleDenominator = denominator
        options.lumaOnly = lumaOnly
        Benchmark(safeName("Decode/JPEG 1024×768 scale \(label)")) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try ImageDecoder.decode(photo1024, options: options))
            }
        }
    }

    // MARK: PDQ stages on 512×512 luma (the hash itself, no decoding)

    let side = 512
    var rng = SplitMix64(seed: 512)
    // Smooth content (a random walk per row plus a vertical gradient) so quality is realistic, not noise.
    var luma = [Float](repeating: 0, count: side * side)
    for y in 0..<side {
        var value = Float(rng.next() % 256)
        for x in 0..<side {
            value = min(max(value + Float(Int(rng.next() % 9) - 4), 0), 255)
            luma[y * side + x] = (value + Float(y) / 2).truncatingRemainder(dividingBy: 256)
        }
    }
    Benchmark(safeName("PDQ/hash 512×512 luma")) { benchmark in
        var hasher = PDQHasher()
        luma.withUnsafeBufferPointer { luma in
            blackHole(hasher.hash(luma: luma, width: side, height: side))  // first call sizes the buffers
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(hasher.hash(luma: luma, width: side, height: side))
            }
            benchmark.stopMeasurement()
        }
    }
    Benchmark(safeName("PDQ/hash+dihedral 512×512 luma")) { benchmark in
        var hasher = PDQHasher()
        luma.withUnsafeBufferPointer { luma in
            blackHole(hasher.hashDihedral(luma: luma, width: side, height: side))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(hasher.hashDihedral(luma: luma, width: side, height: side))
            }
            benchmark.stopMeasurement()
        }
    }

    // MARK: Fingerprinter: 1024×768 RGB, PDQ per mode; from decoded pixels and from JPEG bytes

    let decoded1024 = try! ImageDecoder.decode(photo1024)
    for mode in PDQHashingMode.allCases {
        var options = FingerprintOptions()
        options.algorithms = [.pdq]
        options.pdqMode = mode
        Benchmark(safeName("Fingerprinter/pdq \(mode.rawValue), JPEG 1024×768 bytes")) { benchmark in
            var fingerprinter = Fingerprinter(options: options)
            blackHole(fingerprinter.fingerprint(photo1024))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(fingerprinter.fingerprint(photo1024))
            }
            benchmark.stopMeasurement()
        }
        if mode != .fast {  // fast works on the JPEG's DCT scale, so only from bytes
            Benchmark(safeName("Fingerprinter/pdq \(mode.rawValue), decoded 1024×768 RGB")) { benchmark in
                var fingerprinter = Fingerprinter(options: options)
                blackHole(fingerprinter.fingerprint(image: decoded1024))
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(fingerprinter.fingerprint(image: decoded1024))
                }
                benchmark.stopMeasurement()
            }
        }
    }
    Benchmark(safeName("Fingerprinter/all hashes + digests, JPEG 1024×768 bytes")) { benchmark in
        var fingerprinter = Fingerprinter()
        blackHole(fingerprinter.fingerprint(photo1024))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(fingerprinter.fingerprint(photo1024))
        }
        benchmark.stopMeasurement()
    }

    // MARK: imagehash (pHash, dHash, aHash) on decoded 1024×768 RGB

    let pixels1024 = decoded1024.pixels
    for (name, kinds) in [("phash", ImageHashKinds.phash), ("dhash", .dhash), ("ahash", .ahash), ("all three", .all)] {
        Benchmark(safeName("imagehash/\(name), 1024×768 RGB")) { benchmark in
            var hasher = ImageHasher()
            let (width, height, channels) = (decoded1024.width, decoded1024.height, decoded1024.channels)
            blackHole(hasher.hashes(pixels: pixels1024, width: width, height: height, channels: channels))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(
                    hasher.hashes(
                        pixels: pixels1024,
                        width: width,
                        height: height,
                        channels: channels,
                        algorithms: kinds
                    )
                )
            }
            benchmark.stopMeasurement()
        }
    }
}

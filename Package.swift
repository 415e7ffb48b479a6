// swift-tools-version:6.1
//
// Data flows top to bottom through the targets below:
//   bytes ─► CImageCodecs (C: libjpeg-turbo, libpng) ─► ImageDecoding (Image value, typed errors)
//         ─► PerceptualHashing (PDQ, pHash, dHash, aHash; Hash256/Hash64; + CKernels: AVX2 loops in C)
//         ─► Fingerprinting (decode + every hash + MD5/SHA digests of one input)
//         ─► HashIndex (BK-tree, linear scan, multi-index hashing; + CKernels: the prefetch hint)
//         ─► HashSets (hash-set files, importers, exporters)
//         ─► Matching (Matcher: thresholds, quality gate, dihedral; the catalogue of loaded sets)
//         ─► MatchService (the match socket: framed protocol + HTTP/1.1 on swift-nio; worker pool, hot reload)
//         ─► hashmatch (the CLI, including `serve` and `client`)
import PackageDescription

// Hamming distances are popcounts, and the Lanczos loops multiply 32-bit integers in vectors.
// Swift's default x86-64 target has neither POPCNT nor SSE4.1's PMULLD: the bit-trick popcount makes lookups 2-4x
// slower and the emulated multiply makes imagehash thumbnails ~2x slower (docs/BENCHMARKS.md). So the hashing and
// index modules are compiled for x86-64-v2 (POPCNT, SSSE3, SSE4.1/4.2: every x86-64 CPU since 2009); `hashmatch`
// checks for it at start-up and refuses with a clear message. AVX2/FMA are not assumed (FMA would also change the
// rounding that keeps PDQ bit-exact).
#if arch(x86_64)
let x86_64_v2: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v2"])]
#else
let x86_64_v2: [SwiftSetting] = []
#endif

let package = Package(
    name: "hashmatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hashmatch", targets: ["hashmatch"]),
        .library(name: "Matching", targets: ["Matching"]),
        .library(name: "MatchService", targets: ["MatchService"]),
        // For the separate benchmark package (Benchmarks/), which measures each stage on its own.
        .library(name: "ImageDecoding", targets: ["ImageDecoding"]),
        .library(name: "PerceptualHashing", targets: ["PerceptualHashing"]),
        .library(name: "Fingerprinting", targets: ["Fingerprinting"]),
        .library(name: "HashIndex", targets: ["HashIndex"]),
        .library(name: "HashSets", targets: ["HashSets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("z")]
        ),
        .target(name: "ImageDecoding", dependencies: ["CImageCodecs"]),
        // AVX2 kernels in C, compiled per function and chosen at run time (the baseline stays x86-64-v2), and the
        // prefetch hint the index searches use.
        .target(name: "CKernels"),
        .target(name: "PerceptualHashing", dependencies: ["CKernels"], swiftSettings: x86_64_v2),
        .target(
            name: "Fingerprinting",
            dependencies: [
                "ImageDecoding", "PerceptualHashing",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "HashIndex", dependencies: ["CKernels", "PerceptualHashing"], swiftSettings: x86_64_v2),
        .target(name: "HashSets", dependencies: ["PerceptualHashing"]),
        .target(
            name: "Matching",
            dependencies: [
                "Fingerprinting", "HashIndex", "HashSets", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: x86_64_v2
        ),
        .target(
            name: "MatchService",
            dependencies: [
                "Matching", "Fingerprinting", "HashSets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "hashmatch",
            dependencies: [
                "Matching", "MatchService",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test-only: locates the shared reference vectors and the project's fixtures.
        .target(name: "TestSupport", path: "Sources/TestSupport"),
        .testTarget(name: "ImageDecodingTests", dependencies: ["ImageDecoding", "TestSupport"]),
        .testTarget(name: "PerceptualHashingTests", dependencies: ["PerceptualHashing", "TestSupport"]),
        .testTarget(name: "FingerprintingTests", dependencies: ["Fingerprinting", "TestSupport"]),
        .testTarget(name: "HashIndexTests", dependencies: ["HashIndex", "TestSupport"]),
        .testTarget(name: "HashSetsTests", dependencies: ["HashSets", "TestSupport"]),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "HashIndex", "TestSupport"]),
        .testTarget(
            name: "MatchServiceTests",
            dependencies: ["MatchService", "TestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["hashmatch", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

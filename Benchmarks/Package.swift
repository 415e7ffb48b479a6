// swift-tools-version:6.1
//
// hashmatch's benchmarks, kept out of the consumer build (a user who builds hashmatch never compiles
// the harness). Run from this folder: `swift package benchmark` (see README.md).
//
//   Pipeline    decode per format and JPEG scale, PDQ stages, imagehash, Fingerprinter, malloc counts
//   Indexes     LinearScan / BKTree / MultiIndexHashing / AutoIndex at 10k and 1M, Matcher.match
//   IndexBench  plain executable for Scripts/bench-references: times our indexes on a shared hash file
import PackageDescription

import struct Foundation.URL

/// SwiftPM names a path dependency after its folder (`hashmatch`, `main`, a worktree's name…), so the
/// products below are looked up under whatever the checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let hashmatch = root.lastPathComponent.lowercased()

let package = Package(
    name: "hashmatch-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PerceptualHashing", package: hashmatch),
                .product(name: "HashIndex", package: hashmatch),
            ],
            path: "Sources/BenchSupport"
        ),
        .executableTarget(
            name: "Pipeline",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchSupport",
                .product(name: "ImageDecoding", package: hashmatch),
                .product(name: "PerceptualHashing", package: hashmatch),
                .product(name: "Fingerprinting", package: hashmatch),
            ],
            path: "Benchmarks/Pipeline",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Indexes",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchSupport",
                .product(name: "PerceptualHashing", package: hashmatch),
                .product(name: "HashIndex", package: hashmatch),
                .product(name: "HashSets", package: hashmatch),
                .product(name: "Fingerprinting", package: hashmatch),
                .product(name: "Matching", package: hashmatch),
            ],
            path: "Benchmarks/Indexes",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "IndexBench",
            dependencies: [
                .product(name: "PerceptualHashing", package: hashmatch),
                .product(name: "HashIndex", package: hashmatch),
            ],
            path: "Sources/IndexBench"
        ),
    ],
    swiftLanguageModes: [.v6]
)

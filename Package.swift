// swift-tools-version:6.1
//
// Data flows top to bottom through the targets below:
//   bytes ─► CImageCodecs (C: libjpeg-turbo, libpng) ─► ImageDecoding (Image value, typed errors)
//         ─► PerceptualHashing (PDQ, pHash, dHash, aHash; Hash256/Hash64)
//         ─► Fingerprinting (decode + every hash + MD5/SHA digests of one input)
//         ─► HashIndex (BK-tree, linear scan, multi-index hashing)
//         ─► HashSets (hash-set files, importers, exporters)
//         ─► Matching (Matcher: thresholds, quality gate, dihedral; the catalogue of loaded sets)
//         ─► hashmatch (the CLI)
import PackageDescription

let package = Package(
    name: "hashmatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hashmatch", targets: ["hashmatch"]),
        .library(name: "Matching", targets: ["Matching"]),
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
    ],
    targets: [
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("z")]
        ),
        .target(name: "ImageDecoding", dependencies: ["CImageCodecs"]),
        .target(name: "PerceptualHashing"),
        .target(
            name: "Fingerprinting",
            dependencies: [
                "ImageDecoding", "PerceptualHashing",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "HashIndex", dependencies: ["PerceptualHashing"]),
        .target(name: "HashSets", dependencies: ["PerceptualHashing"]),
        .target(name: "Matching", dependencies: ["Fingerprinting", "HashIndex", "HashSets"]),
        .executableTarget(
            name: "hashmatch",
            dependencies: [
                "Matching",
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
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["hashmatch", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.1
//
// hashmatch's libFuzzer targets, kept out of the consumer build like Benchmarks/. Build and run one with
// `Scripts/fuzz TARGET SECONDS` (see README.md); the sanitizer flags are passed on the command line so that
// every module, the root package's included, is instrumented for coverage and AddressSanitizer.
//
//   FuzzImage      image bytes -> ImageDecoder.probe/decode (several option sets) -> Fingerprinter (every hash)
//   FuzzImporters  selector byte + file bytes -> one of the hash-set importers, or the native .hashset parser
//   FuzzHashText   text -> HashAlgorithm.parse for every algorithm, Hash256/Hash64(hex:), ExactDigest(hex:)
//   FuzzFrame      received bytes -> FrameCodec.nextFrame until it needs more bytes or throws
import PackageDescription

import struct Foundation.URL

/// SwiftPM names a path dependency after its folder (`hashmatch`, `main`, a worktree's name…), so the
/// products below are looked up under whatever the checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let hashmatch = root.lastPathComponent.lowercased()

let package = Package(
    name: "hashmatch-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    ],
    targets: [
        // libFuzzer's entry point, shared by every target.
        .target(name: "FuzzDriver", path: "Targets/FuzzDriver"),
        .executableTarget(
            name: "FuzzImage",
            dependencies: [
                "FuzzDriver",
                .product(name: "ImageDecoding", package: hashmatch),
                .product(name: "PerceptualHashing", package: hashmatch),
                .product(name: "Fingerprinting", package: hashmatch),
            ],
            path: "Targets/FuzzImage"
        ),
        .executableTarget(
            name: "FuzzImporters",
            dependencies: [
                "FuzzDriver",
                .product(name: "HashSets", package: hashmatch),
                .product(name: "PerceptualHashing", package: hashmatch),
            ],
            path: "Targets/FuzzImporters"
        ),
        .executableTarget(
            name: "FuzzHashText",
            dependencies: [
                "FuzzDriver", .product(name: "PerceptualHashing", package: hashmatch),
            ],
            path: "Targets/FuzzHashText"
        ),
        .executableTarget(
            name: "FuzzFrame",
            dependencies: [
                "FuzzDriver",
                .product(name: "MatchService", package: hashmatch),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Targets/FuzzFrame"
        ),
    ],
    swiftLanguageModes: [.v6]
)

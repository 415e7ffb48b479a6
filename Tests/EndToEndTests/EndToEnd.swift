import Foundation
import TestSupport
import Testing

/// Helpers the end-to-end suites share: JSON lines, ImageMagick, fixture folders.
enum EndToEnd {
    /// The project's generated images.
    static let images = Vectors.fixtures.appendingPathComponent("images")
    /// Transformed copies of three of them (`Tests/Fixtures/README.md`).
    static let variants = Vectors.fixtures.appendingPathComponent("variants")
    /// Lists from other systems, with malformed rows on purpose.
    static let importFiles = Vectors.fixtures.appendingPathComponent("hashsets-import")

    /// Every line of standard output parsed as a JSON object.
    static func records(_ result: Binary.Result) throws -> [[String: Any]] {
        try result.lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw Failure("not a JSON object: \(line)")
            }
            return object
        }
    }

    /// The `matches` array of a `match`/`scan` record.
    static func matches(_ record: [String: Any]) -> [[String: Any]] {
        record["matches"] as? [[String: Any]] ?? []
    }

    /// A record by the last component of its path.
    static func record(_ records: [[String: Any]], named name: String) -> [String: Any]? {
        records.first { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } == name }
    }

    /// A random 256-bit PDQ hash as 64 hex digits, drawn from `random`.
    static func randomPDQ(_ random: inout SplitMix64) -> String {
        (0..<4).map { _ in String(format: "%016llx", random.next()) }.joined()
    }

    /// The entries of a `hashset export` (native format) as id → hash.
    static func exportedEntries(_ export: Binary.Result) -> [String: String] {
        var entries: [String: String] = [:]
        for line in export.lines where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            if fields.count >= 3 { entries[String(fields[2])] = String(fields[1]) }
        }
        return entries
    }

    /// Hamming distance between two hex strings of equal length (nil when they are not hex).
    static func distance(_ a: String, _ b: String) -> Int? {
        guard a.count == b.count else { return nil }
        var bits = 0
        for (x, y) in zip(a, b) {
            guard let p = x.hexDigitValue, let q = y.hexDigitValue else { return nil }
            bits += (p ^ q).nonzeroBitCount
        }
        return bits
    }

    /// Copies `files` into a fresh folder `name` under `root` and returns the folder.
    static func folder(_ name: String, in root: URL, copying files: [URL]) throws -> URL {
        let folder = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in files {
            try FileManager.default.copyItem(at: file, to: folder.appendingPathComponent(file.lastPathComponent))
        }
        return folder
    }

    /// A test failure with a message.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// ImageMagick's `convert`, to transform copies of images at test time.
///
/// `/usr/local/bin/convert` may be some other program of the same name, so only ImageMagick's own
/// Debian paths are used (`apt-get install imagemagick`; `Scripts/test` installs it).
enum ImageMagick {
    static let convert: URL? = [
        "/usr/bin/convert-im6.q16", "/usr/bin/convert-im6", "/usr/bin/magick", "/usr/bin/convert",
    ].map(URL.init(fileURLWithPath:)).first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// True when ImageMagick is installed; tests that need it are disabled with a message otherwise.
    static var available: Bool { convert != nil }

    /// `convert input <options> output`; throws with ImageMagick's message when it fails.
    static func convert(_ input: URL, _ options: [String], to output: URL) throws {
        _ = try run([input.path] + options + [output.path])
    }

    /// An image's width and height as ImageMagick reads them.
    static func size(_ input: URL) throws -> (width: Int, height: Int) {
        let numbers = try run([input.path, "-format", "%w %h", "info:"]).split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 2 else { throw EndToEnd.Failure("cannot read the size of \(input.path)") }
        return (numbers[0], numbers[1])
    }

    private static func run(_ arguments: [String]) throws -> String {
        guard let convert else { throw EndToEnd.Failure("ImageMagick is not installed") }
        let process = Process()
        process.executableURL = convert
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EndToEnd.Failure("convert \(arguments) failed: \(String(decoding: message, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }
}

/// One edit of an image, as ImageMagick options, and the file extension it is written with.
struct Transformation: Sendable, CustomStringConvertible {
    let name: String
    /// The options for an image of the given width and height.
    let options: @Sendable (_ width: Int, _ height: Int) -> [String]
    var fileExtension = "jpg"

    init(name: String, options: [String]) {
        self.name = name
        self.options = { _, _ in options }
    }

    init(name: String, options: @escaping @Sendable (_ width: Int, _ height: Int) -> [String]) {
        self.name = name
        self.options = options
    }

    var description: String { name }

    /// Edits PDQ is built to survive: its distance stays under the threshold on photographs.
    static let survivable: [Transformation] = [
        Transformation(name: "q50", options: ["-quality", "50"]),
        Transformation(name: "half", options: ["-resize", "50%", "-quality", "85"]),
        Transformation(name: "gamma1.4", options: ["-gamma", "1.4", "-quality", "85"]),
        Transformation(name: "brighter", options: ["-modulate", "115", "-quality", "85"]),
        // A small opaque light box with a dark frame, 1/24 of each side, near the bottom-right corner.
        watermark(name: "watermark", widthFraction: 24, heightFraction: 24),
    ]

    /// Mirror images and rotations: about half of PDQ's bits change, only a dihedral lookup finds them.
    static let dihedral: [Transformation] = [
        Transformation(name: "mirror", options: ["-flop", "-quality", "85"]),
        Transformation(name: "rot90", options: ["-rotate", "90", "-quality", "85"]),
    ]

    /// Edits that defeat PDQ by design (it hashes the whole frame), or can: measured, not asserted.
    static let defeating: [Transformation] = [
        // Larger boxes: 1/16 of each side, and that of Tests/Fixtures/variants (1/8 × 1/12).
        watermark(name: "watermark16", widthFraction: 16, heightFraction: 16),
        watermark(name: "watermark-large", widthFraction: 8, heightFraction: 12),
        Transformation(name: "crop95", options: ["-gravity", "center", "-crop", "95%x95%+0+0", "+repage"]),
        Transformation(name: "crop90", options: ["-gravity", "center", "-crop", "90%x90%+0+0", "+repage"]),
        Transformation(name: "crop80", options: ["-gravity", "center", "-crop", "80%x80%+0+0", "+repage"]),
        Transformation(name: "pad5", options: ["-bordercolor", "white", "-border", "5%"]),
        Transformation(name: "pad10", options: ["-bordercolor", "white", "-border", "10%"]),
    ]

    /// An opaque light box with a dark 2-pixel frame, `width / widthFraction` × `height / heightFraction`,
    /// inset by 1/40 of each side from the bottom-right corner.
    static func watermark(name: String, widthFraction: Int, heightFraction: Int) -> Transformation {
        Transformation(name: name) { width, height in
            let (right, bottom) = (width - max(2, width / 40), height - max(2, height / 40))
            let (left, top) = (right - width / widthFraction, bottom - height / heightFraction)
            return [
                "-fill", "#f5f5f5", "-stroke", "#141414", "-strokewidth", "2",
                "-draw", "rectangle \(left),\(top) \(right),\(bottom)", "-quality", "85",
            ]
        }
    }

    /// Writes `transformation`'s copy of every file in `originals` to `folder`, named `<stem>.<name>.<ext>`.
    static func apply(_ transformations: [Transformation], to originals: [URL], in folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var made: [URL] = []
        for original in originals {
            let size = try ImageMagick.size(original)
            let stem = original.deletingPathExtension().lastPathComponent
            for transformation in transformations {
                let output = folder.appendingPathComponent(
                    "\(stem).\(transformation.name).\(transformation.fileExtension)"
                )
                try ImageMagick.convert(original, transformation.options(size.width, size.height), to: output)
                made.append(output)
            }
        }
        return made
    }
}

import HashIndex
import HashSets
import PerceptualHashing

/// A source file a snapshot was built from, so a loader can tell whether the snapshot is still current, or only
/// behind by lines appended since.
public struct SnapshotSource: Hashable, Sendable {
    /// The file's name within the hash-set folder.
    public var name: String
    /// Its size in bytes when the snapshot was built.
    public var size: UInt64
    /// Its modification time (nanoseconds since 1970) when the snapshot was built.
    public var modified: Int64
    /// The SHA-256 of its first `size` bytes, which a file that was only appended to still starts with.
    public var digest: [UInt8]

    /// Describes one source file.
    public init(name: String, size: UInt64, modified: Int64, digest: [UInt8]) {
        self.name = name
        self.size = size
        self.modified = modified
        self.digest = digest
    }
}

/// Why snapshot bytes could not be loaded. A snapshot is a cache: on any of these, load the sets instead.
public enum MatcherSnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a hashmatch index snapshot, or another version.
    case notASnapshot
    /// Shorter than it says, or a field runs past the end.
    case truncated
    /// The checksum does not match: the file was damaged.
    case checksumMismatch
    /// A field holds an impossible value.
    case malformed(String)

    public var description: String {
        switch self {
        case .notASnapshot:
            "not a hashmatch index snapshot of this version (run `hashmatch index build` to write one)"
        case .truncated: "the snapshot is truncated"
        case .checksumMismatch: "the snapshot's checksum does not match its contents"
        case .malformed(let what): "the snapshot is malformed: \(what)"
        }
    }
}

extension Matcher {
    /// Version 3 added the sources' digests.
    static let snapshotMagic: [UInt8] = Array("HMMATCH3".utf8)

    /// The loaded sets and their indexes as bytes, with the `sources` they came from.
    ///
    /// Layout: magic `HMMATCH3`, u64 payload length, payload, u64 `SnapshotChecksum` of the payload; all integers
    /// little-endian. Loading it skips parsing the text files and rebuilding the indexes.
    ///
    /// - Complexity: O(entries).
    public func snapshot(sources: [SnapshotSource]) -> [UInt8] {
        var writer = SnapshotWriter()
        writer.u32(sources.count)
        for source in sources {
            writer.string(source.name)
            writer.u64(source.size)
            writer.u64(UInt64(bitPattern: source.modified))
            writer.u32(source.digest.count)
            writer.raw(source.digest)
        }
        writer.u32(sets.count)
        for set in sets {
            writer.string(set.name)
            writer.string(HashSetFormat.settingLines(set.settings).joined(separator: "\n"))
        }
        writer.u32(rows.count)
        for (index, row) in rows.enumerated() {
            writer.u32(Int(row.set))
            ids.withUTF8(index) { id in
                writer.u32(id.count)
                writer.raw(id)
            }
            let labels = labelLists[row.labels]
            writer.u32(labels.count)
            for label in labels { writer.string(label) }
        }
        var indexes: [(HashAlgorithm, [UInt8])] = pdq.count > 0 ? [(.pdq, pdq.serialize())] : []
        indexes += sixtyFour.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key, $0.value.serialize()) }
        writer.u32(indexes.count)
        for (algorithm, bytes) in indexes {
            writer.string(algorithm.rawValue)
            writer.bytes(bytes)
        }
        writer.u32(digests.count)
        for (algorithm, table) in digests.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            writer.string(algorithm.rawValue)
            writer.u32(table.count)
            table.forEach { key, row in
                key.withBytes(count: table.width) { writer.raw($0) }
                writer.u32(Int(row))
            }
        }
        return writer.finish(magic: Self.snapshotMagic)
    }

    /// Loads a snapshot written by `snapshot(sources:)`, with `thresholds` applied afresh.
    ///
    /// - Returns: the matcher and the sources it was built from (compare them with the folder's files).
    /// - Throws: `MatcherSnapshotError`; untrusted bytes never trap.
    public static func load(
        snapshot bytes: [UInt8],
        thresholds: MatchThresholds = MatchThresholds()
    ) throws(MatcherSnapshotError) -> (matcher: Matcher, sources: [SnapshotSource]) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(MatcherSnapshotError) -> (matcher: Matcher, sources: [SnapshotSource]) in
                try load(snapshot: raw, thresholds: thresholds)
            }
        }
        return try result.get()
    }

    /// Loads a snapshot from bytes in place (a mapped file), which must stay valid for the call.
    ///
    /// - Returns: the matcher and the sources it was built from (compare them with the folder's files).
    /// - Throws: `MatcherSnapshotError`; untrusted bytes never trap.
    public static func load(
        snapshot bytes: UnsafeRawBufferPointer,
        thresholds: MatchThresholds = MatchThresholds()
    ) throws(MatcherSnapshotError) -> (matcher: Matcher, sources: [SnapshotSource]) {
        var reader = try SnapshotReader(bytes, magic: snapshotMagic)
        var sources: [SnapshotSource] = []
        for _ in 0..<(try reader.count(minimumBytesEach: 24)) {
            sources.append(
                SnapshotSource(
                    name: try reader.string(),
                    size: try reader.u64(),
                    modified: Int64(bitPattern: try reader.u64()),
                    digest: try reader.raw(try reader.count(minimumBytesEach: 1))
                )
            )
        }
        var sets: [HashSet] = []
        for _ in 0..<(try reader.count(minimumBytesEach: 8)) {
            let name = try reader.string()
            let settingsText = "\(HashSetFormat.header)\n\(try reader.string())\n"
            guard let parsed = try? HashSetFormat.parse(Array(settingsText.utf8), name: name, fileName: name) else {
                throw .malformed("settings of set \(name)")
            }
            sets.append(HashSet(name: name, settings: parsed.set.settings))
        }
        var matcher = Matcher(sets: sets, thresholds: thresholds)
        let rowCount = try reader.count(minimumBytesEach: 12)
        var labels: [String] = []  // reused: a row whose labels repeat the previous row's allocates nothing
        for _ in 0..<rowCount {
            let set = try reader.u32()
            guard set < sets.count else { throw .malformed("row names set \(set) of \(sets.count)") }
            guard matcher.ids.append(utf8: try reader.stringBytes()) else { throw .malformed("entry ids too long") }
            labels.removeAll(keepingCapacity: true)
            for _ in 0..<(try reader.count(minimumBytesEach: 4)) { labels.append(try reader.string()) }
            matcher.rows.append(Row(set: Int32(set), labels: matcher.labelLists.index(of: labels)))
        }
        for _ in 0..<(try reader.count(minimumBytesEach: 12)) {
            let name = try reader.string()
            let bytes = try reader.blob()
            guard let algorithm = HashAlgorithm(rawValue: name), algorithm.isPerceptual else {
                throw .malformed("index for '\(name)'")
            }
            let radius = matcher.searchRadius[algorithm] ?? thresholds.distance(for: algorithm)
            do {
                if algorithm == .pdq {
                    matcher.pdq = try AutoIndex(snapshot: bytes, radius: radius)
                } else {
                    matcher.sixtyFour[algorithm] = try AutoIndex(snapshot: bytes, radius: radius)
                }
            } catch {
                throw .malformed("\(name) index: \(error)")
            }
        }
        for _ in 0..<(try reader.count(minimumBytesEach: 8)) {
            let name = try reader.string()
            guard let algorithm = HashAlgorithm(rawValue: name), !algorithm.isPerceptual else {
                throw .malformed("digest table for '\(name)'")
            }
            let width = algorithm.bitCount / 8
            var table = DigestTable(width: width)
            for _ in 0..<(try reader.count(minimumBytesEach: width + 4)) {
                let key = DigestTable.Key(bytes: try reader.view(width))
                table.append(UInt32(try reader.u32()), for: key)
            }
            matcher.digests[algorithm] = table
        }
        return (matcher, sources)
    }
}

import Crypto
import HashSets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The index snapshot of a hash-set folder on disk (`<folder>/.hashmatch-index`): written by `hashmatch index build`,
/// loaded by the CLI and the service instead of parsing the text sets while it is current.
///
/// It is a cache, never the source of truth: it records the size, modification time and SHA-256 of every
/// `.hashset` file it was built from. A file whose size and time still match is current. A file that grew and
/// still starts with exactly the bytes the snapshot was built from was only appended to (admin adds and removes,
/// `hashset add`): the appended lines are parsed and replayed onto the loaded index, so a snapshot stays usable
/// after edits instead of sending every start back to parsing the whole folder (78 s for 10M entries). Any other
/// change makes it stale, and the sets are loaded instead.
public enum MatcherSnapshotFile {
    /// The file's name inside the hash-set folder.
    public static let fileName = ".hashmatch-index"

    /// Why a snapshot on disk was not used.
    public enum Skipped: Error, Sendable, CustomStringConvertible {
        /// The sets changed since it was built, other than by appended lines it can replay.
        case stale(path: String, reason: String)
        /// It could not be read or failed its checks.
        case unusable(path: String, reason: String)

        public var description: String {
            switch self {
            case .stale(let path, let reason):
                "\(path) is out of date (\(reason)); run `hashmatch index build` to refresh it"
            case .unusable(let path, let reason): "\(path): \(reason)"
            }
        }
    }

    /// A snapshot loaded, and what was replayed onto it.
    public struct Loaded: Sendable {
        /// The index.
        public var matcher: Matcher
        /// Lines appended to the sets since the snapshot was built, replayed onto it (0 when it was current; blank
        /// and bad lines counted, a torn last line not).
        public var replayedLines: Int
        /// Bad lines among them, skipped.
        public var issues: [HashSetIssue]
    }

    /// The snapshot's path in `directory`.
    public static func path(in directory: String) -> String { "\(directory)/\(fileName)" }

    /// Every `.hashset` file of the folder as a snapshot records it: size, modification time and SHA-256 of those
    /// bytes (every file is read whole).
    public static func sources(in directory: String) -> [SnapshotSource] {
        files(in: directory).compactMap { file in
            guard let read = read("\(directory)/\(file.name)", splitAt: Int(file.size)), read.rest != nil else {
                return nil
            }
            return SnapshotSource(name: file.name, size: file.size, modified: file.modified, digest: read.digest)
        }
    }

    /// Every `.hashset` file of the folder with its size and modification time (no digest).
    private static func files(in directory: String) -> [SnapshotSource] {
        let names = (try? HashSetStore(directory: directory).setNames()) ?? []
        return names.compactMap { name in
            let file = "\(name).hashset"
            var status = stat()
            guard stat("\(directory)/\(file)", &status) == 0 else { return nil }
            let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
            return SnapshotSource(name: file, size: UInt64(status.st_size), modified: modified, digest: [])
        }
    }

    /// Loads the folder's snapshot when it exists and is current, or behind only by appended lines, which are
    /// replayed onto it.
    ///
    /// - Returns: nil when there is no snapshot; `.failure` (say why, then load the sets) when it is stale or damaged.
    public static func load(from directory: String, thresholds: MatchThresholds) -> Result<Loaded, Skipped>? {
        let path = path(in: directory)
        guard access(path, F_OK) == 0 else { return nil }
        var loaded: Loaded
        var sources: [SnapshotSource]
        do {
            let file = try DurableFile.map(path)
            defer { withExtendedLifetime(file) {} }
            let (matcher, recorded) = try Matcher.load(snapshot: file.bytes, thresholds: thresholds)
            loaded = Loaded(matcher: matcher, replayedLines: 0, issues: [])
            sources = recorded
        } catch {
            return .failure(.unusable(path: path, reason: "\(error)"))
        }
        let now = Dictionary(files(in: directory).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        guard Set(now.keys) == Set(sources.map(\.name)) else {
            return .failure(.stale(path: path, reason: "a set file was added, removed or renamed since it was built"))
        }
        for source in sources {
            let current = now[source.name]!
            guard current.size != source.size || current.modified != source.modified else { continue }
            guard let appended = appendedBytes("\(directory)/\(source.name)", after: source) else {
                return .failure(.stale(path: path, reason: "\(source.name) changed other than by appended lines"))
            }
            let changes = HashSetFormat.appendedChanges(
                appended.bytes,
                fileName: source.name,
                earlierLines: appended.earlierLines
            )
            guard !changes.changedSettings,
                loaded.matcher.replay(changes.changes, onSet: HashSetFile.setName(forPath: source.name))
            else {
                return .failure(.stale(path: path, reason: "the lines appended to \(source.name) cannot be replayed"))
            }
            loaded.replayedLines += changes.lineCount
            loaded.issues += changes.issues
        }
        return .success(loaded)
    }

    /// The bytes of `path` after the `source.size` it had when the snapshot was built, and the number of lines
    /// before them; nil unless the file grew and still starts with exactly the bytes recorded, ending in a newline.
    private static func appendedBytes(
        _ path: String,
        after source: SnapshotSource
    ) -> (bytes: [UInt8], earlierLines: Int)? {
        guard let read = read(path, splitAt: Int(source.size)), let rest = read.rest, !rest.isEmpty,
            read.endsInNewline, read.digest == source.digest
        else { return nil }
        return (rest, read.earlierLines)
    }

    /// A file read once, split at `size`: the SHA-256 of its first `size` bytes, their lines and whether the last
    /// ends them, and the bytes after (nil when the file is shorter than `size`); nil when it cannot be read.
    private static func read(
        _ path: String,
        splitAt size: Int
    ) -> (digest: [UInt8], earlierLines: Int, endsInNewline: Bool, rest: [UInt8]?)? {
        var hash = SHA256()
        var offset = 0
        var earlierLines = 0
        var lastEarlierByte: UInt8?
        var rest: [UInt8] = []
        let read = try? DurableFile.forEachChunk(path) { chunk in
            let taken = max(0, min(size - offset, chunk.count))
            let earlier = UnsafeRawBufferPointer(rebasing: chunk[..<taken])
            hash.update(bufferPointer: earlier)
            earlierLines += newlines(in: earlier)
            if let last = earlier.last { lastEarlierByte = last }
            rest += chunk[taken...]
            offset += chunk.count
        }
        guard read != nil else { return nil }
        return (
            Array(hash.finalize()), earlierLines, lastEarlierByte == UInt8(ascii: "\n"), offset >= size ? rest : nil
        )
    }

    private static func newlines(in bytes: UnsafeRawBufferPointer) -> Int {
        guard var next = bytes.baseAddress else { return 0 }
        let end = next + bytes.count
        var count = 0
        while next < end, let found = memchr(next, 0x0A, end - next) {
            count += 1
            next = UnsafeRawPointer(found) + 1
        }
        return count
    }

    /// Writes the snapshot of `matcher`, built from the folder's current files (temp file, fsync, rename).
    ///
    /// - Returns: the snapshot's size in bytes.
    /// - Throws: `HashSetError.io` when the file cannot be written.
    @discardableResult
    public static func write(
        _ matcher: Matcher,
        directory: String,
        sources: [SnapshotSource]
    ) throws(HashSetError)
        -> Int
    {
        let bytes = matcher.snapshot(sources: sources)
        try DurableFile.replace(path(in: directory), with: bytes)
        return bytes.count
    }
}

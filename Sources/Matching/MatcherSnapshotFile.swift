import HashSets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The index snapshot of a hash-set folder on disk (`<folder>/.hashmatch-index`): written by `hashmatch index build`,
/// loaded by the CLI and the service instead of parsing the text sets while it is current.
///
/// It is a cache, never the source of truth: it records the size and modification time of every `.hashset` file it
/// was built from, and is used only while every one of them still matches.
public enum MatcherSnapshotFile {
    /// The file's name inside the hash-set folder.
    public static let fileName = ".hashmatch-index"

    /// Why a snapshot on disk was not used.
    public enum Skipped: Error, Sendable, CustomStringConvertible {
        /// The sets changed since it was built.
        case stale(path: String)
        /// It could not be read or failed its checks.
        case unusable(path: String, reason: String)

        public var description: String {
            switch self {
            case .stale(let path):
                "\(path) is out of date (the sets changed since it was built); run `hashmatch index build` to refresh it"
            case .unusable(let path, let reason): "\(path): \(reason)"
            }
        }
    }

    /// The snapshot's path in `directory`.
    public static func path(in directory: String) -> String { "\(directory)/\(fileName)" }

    /// Every `.hashset` file of the folder with its size and modification time.
    public static func sources(in directory: String) -> [SnapshotSource] {
        let names = (try? HashSetStore(directory: directory).setNames()) ?? []
        return names.compactMap { name in
            let file = "\(name).hashset"
            var status = stat()
            guard stat("\(directory)/\(file)", &status) == 0 else { return nil }
            let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
            return SnapshotSource(name: file, size: UInt64(status.st_size), modified: modified)
        }
    }

    /// Loads the folder's snapshot when it exists and is current.
    ///
    /// - Returns: nil when there is no snapshot; `.failure` (say why, then load the sets) when it is stale or damaged.
    public static func load(from directory: String, thresholds: MatchThresholds) -> Result<Matcher, Skipped>? {
        let path = path(in: directory)
        guard access(path, F_OK) == 0 else { return nil }
        do {
            let file = try DurableFile.map(path)
            defer { withExtendedLifetime(file) {} }
            let (matcher, sources) = try Matcher.load(snapshot: file.bytes, thresholds: thresholds)
            guard sources == self.sources(in: directory) else { return .failure(.stale(path: path)) }
            return .success(matcher)
        } catch {
            return .failure(.unusable(path: path, reason: "\(error)"))
        }
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

import ArgumentParser
import Foundation
import HashSets
import Matching

/// `hashmatch index build`: a binary snapshot of the loaded sets and their indexes, for fast start-up.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build the binary index snapshot that `match`, `scan` and `serve` load instead of parsing the sets.",
        subcommands: [IndexBuild.self]
    )
}

struct IndexBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Write <hashsets>/\(IndexSnapshot.fileName) (atomic rename, fsync'd, checksummed).",
        discussion: """
            The snapshot records the size and modification time of every .hashset file it was built from; \
            when any of them changes, commands ignore the stale snapshot (with a warning) and parse the sets.
            """
    )

    @OptionGroup var hashSets: HashSetOptions

    func run() throws {
        let directory = hashSets.directory
        let sources = IndexSnapshot.sources(in: directory)
        let matcher = try hashSets.loadMatcher(useSnapshot: false)
        let bytes = matcher.snapshot(sources: sources)
        let path = IndexSnapshot.path(in: directory)
        do { try DurableFile.replace(path, with: bytes) } catch {
            warn("cannot write \(path): \(error)")
            throw ExitCode(2)
        }
        warn("\(path): \(bytes.count) bytes; \(MatchRunOptions.describe(matcher))")
    }
}

/// Where the snapshot lives and how its freshness is judged.
enum IndexSnapshot {
    static let fileName = ".hashmatch-index"

    static func path(in directory: String) -> String { "\(directory)/\(fileName)" }

    /// Every `.hashset` file of the folder with its size and modification time.
    static func sources(in directory: String) -> [SnapshotSource] {
        let names = (try? HashSetStore(directory: directory).setNames()) ?? []
        return names.compactMap { name in
            let file = "\(name).hashset"
            var status = stat()
            guard stat("\(directory)/\(file)", &status) == 0 else { return nil }
            let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
            return SnapshotSource(name: file, size: UInt64(status.st_size), modified: modified)
        }
    }

    /// The snapshot's matcher when a current one exists; nil (with the reason printed) otherwise.
    static func load(from directory: String, thresholds: MatchThresholds) -> Matcher? {
        let path = path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let (matcher, sources) = try Matcher.load(snapshot: try DurableFile.readAll(path), thresholds: thresholds)
            guard sources == self.sources(in: directory) else {
                warn(
                    "warning: \(path) is out of date (the sets changed since it was built); loading the sets instead. "
                        + "Run `hashmatch index build` to refresh it."
                )
                return nil
            }
            return matcher
        } catch {
            warn("warning: \(path): \(error); loading the sets instead")
            return nil
        }
    }
}

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
        abstract: "Write <hashsets>/\(MatcherSnapshotFile.fileName) (atomic rename, fsync'd, checksummed).",
        discussion: """
            The snapshot records the size and modification time of every .hashset file it was built from; \
            when any of them changes, commands ignore the stale snapshot (with a warning) and parse the sets.
            """
    )

    @OptionGroup var hashSets: HashSetOptions

    func run() throws {
        let directory = hashSets.directory
        let sources = MatcherSnapshotFile.sources(in: directory)
        let matcher = try hashSets.loadMatcher(useSnapshot: false)
        let path = MatcherSnapshotFile.path(in: directory)
        do {
            let size = try MatcherSnapshotFile.write(matcher, directory: directory, sources: sources)
            warn("\(path): \(size) bytes; \(MatchRunOptions.describe(matcher))")
        } catch {
            warn("cannot write \(path): \(error)")
            throw ExitCode(2)
        }
    }
}

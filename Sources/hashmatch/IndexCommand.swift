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
            The snapshot records the size, modification time and SHA-256 of every .hashset file it was built \
            from. Lines appended to a set since then (admin adds and removes, hashset add and remove) are replayed \
            onto it when it is loaded, with a note. Any other change (a rewrite, hashset compact, a set file added \
            or removed, an appended #set line or removal by hash) makes it stale: commands then ignore it (with a \
            warning) and parse the sets.
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

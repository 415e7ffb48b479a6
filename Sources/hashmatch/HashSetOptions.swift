import ArgumentParser
import Foundation
import HashSets
import Matching

/// `--hashsets DIR` and the thresholds, shared by every command that matches.
struct HashSetOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Folder of .hashset files (default: $HASHMATCH_HASHSETS, else ./hashsets, else the sample sets "
                + "this binary was built with).",
            valueName: "dir"
        )
    )
    var hashsets: String?

    @Option(name: .long, help: ArgumentHelp("Largest PDQ distance that matches (of 256 bits).", valueName: "bits"))
    var pdqThreshold: Int?

    @Option(name: .long, help: ArgumentHelp("PDQ hashes of lower quality are reported, never matched.", valueName: "q"))
    var minPdqQuality: Int?

    /// The folder to load: the flag, the environment, `./hashsets`, or the repository's sample sets.
    var directory: String {
        if let hashsets { return hashsets }
        if let fromEnvironment = ProcessInfo.processInfo.environment["HASHMATCH_HASHSETS"] { return fromEnvironment }
        if FileManager.default.fileExists(atPath: "hashsets") { return "hashsets" }
        return Self.embeddedDefault
    }

    /// `hashsets/` of the checkout this binary was built from.
    static let embeddedDefault = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("hashsets").path

    var thresholds: MatchThresholds {
        var thresholds = MatchThresholds()
        if let pdqThreshold { thresholds.maxDistance[.pdq] = pdqThreshold }
        if let minPdqQuality { thresholds.minimumPDQQuality = minPdqQuality }
        return thresholds
    }

    /// The folder's current index snapshot when there is one, else every set in the folder, indexed.
    /// Problems in the files are printed, not fatal.
    func loadMatcher(useSnapshot: Bool = true) throws -> Matcher {
        switch useSnapshot ? MatcherSnapshotFile.load(from: directory, thresholds: thresholds) : nil {
        case .success(let loaded):
            for issue in loaded.issues { warn("warning: \(issue)") }
            if loaded.replayedLines > 0 {
                warn(
                    "note: replayed \(loaded.replayedLines) lines appended to the sets since the index snapshot was built;"
                        + " `hashmatch index build` refreshes it"
                )
            }
            return loaded.matcher
        case .failure(let skipped): warn("warning: \(skipped); loading the sets instead")
        case nil: break
        }
        let load: HashSetStore.Load
        do {
            load = try HashSetStore(directory: directory).loadAll()
        } catch {
            warn("cannot load hash sets from \(directory): \(error)")
            throw ExitCode(2)
        }
        for issue in load.issues { warn("warning: \(issue)") }
        if load.sets.isEmpty { warn("warning: no hash sets in \(directory): nothing can match") }
        return Matcher(sets: load.sets, thresholds: thresholds)
    }
}

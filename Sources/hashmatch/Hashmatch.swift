import ArgumentParser
import Foundation
import ImageDecoding

/// The `hashmatch` command line.
@main
struct Hashmatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hashmatch",
        abstract: "Match images against lists of known-harmful perceptual hashes (PDQ, pHash, dHash, aHash, MD5, SHA).",
        discussion: "Exit status (grep/clamscan convention): 0 no match, 1 match found, 2 error.",
        subcommands: [
            HashCommand.self, CompareCommand.self, MatchCommand.self, ScanCommand.self, HashsetCommand.self,
            IndexCommand.self, BenchCommand.self, ServeCommand.self, ClientCommand.self,
        ]
    )

    /// Runs the command; usage errors exit 2 like every other error, never ArgumentParser's 64.
    static func main() async {
        guard CPUSupport.isSupported else {
            Console.error(
                "hashmatch: this CPU lacks POPCNT or SSE4 (x86-64-v2: every x86-64 CPU since 2009), which this build requires\n"
            )
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || code.rawValue == 1 || code.rawValue == 2 {
                exit(withError: error)
            }
            Console.error(fullMessage(for: error) + "\n")
            Foundation.exit(2)
        }
    }
}

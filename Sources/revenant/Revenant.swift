import ArgumentParser
import Foundation
import RevenantNet

/// revenant proves that dead credentials are dead.
@main
struct Revenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revenant",
        abstract: "Prove that dead credentials are dead: try each one against the systems it opens and report residual access.",
        discussion: """
        Exit codes: 0 no finding at or above --fail-on; 1 at least one such finding;
        2 usage, configuration or input error (nothing probed); 3 run incomplete (partial report written).

        Examples:
          revenant verify --inventory inventory.yaml
          revenant verify --inventory inv.json --config config.json --format json --output report.json --ledger evidence.jsonl
          revenant verify --inventory inv.csv --dry-run
          revenant verify --inventory inventory.yaml --owner dana.okafor@example.com
          revenant probes list
          revenant probes lint Probes/
          revenant inventory lint inventory.yaml
          revenant evidence verify evidence.jsonl
          revenant import gitleaks gitleaks-report.json --output leaked.yaml
        """,
        version: "0.1.0",
        subcommands: [Verify.self, Watch.self, Certs.self, HistoryCommand.self, Probes.self, InventoryCommand.self, Evidence.self, Import.self, Merge.self]
    )

    /// Like the default entry point, but a usage or validation error exits 2 (DESIGN.md §3),
    /// not swift-argument-parser's 64.
    static func main() async {
        MallocArenas.limit()
        Interrupts.install(runStops: ["verify", "watch"].contains(CommandLine.arguments.dropFirst().first ?? ""))
        LDAPProber.prepareProcess()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

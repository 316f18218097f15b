import ArgumentParser
import Foundation
import RevenantCore
import RevenantFiles
import RevenantEngine
import RevenantFrontend
import RevenantHistory
import RevenantProbes
import RevenantReports

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Try every credential of the inventory against the systems it opens and report residual access.",
        discussion: """
        Examples:
          revenant verify --inventory offboarding.yaml
          revenant verify --inventory inv.json --config config.json --format json --output report.json --ledger evidence.jsonl
          revenant verify --inventory inv.csv --dry-run
          revenant verify --inventory inv.yaml --format table --format json --output reports/ --fail-on critical
          revenant verify --inventory offboarding.yaml --history history.db
          revenant verify --inventory offboarding.yaml --owner dana.okafor@example.com
          revenant verify --inventory inv.yaml --group-by owner --format json --output report.json
          revenant verify --inventory inv.yaml --ledger evidence.jsonl --seal-key seal-key.pem
          revenant verify --inventory inv.yaml --shard 0/3 --format json --output shard-0.json

        --owner NAME (repeatable) checks only the credentials of that owner: the whole name, in any \
        case. The table opens with one line per owner (proven dead, still live, unverified); the \
        JSON report carries the same as summary.owners.

        --shard I/N (0 ≤ I < N ≤ 1000) checks only part I of N of the credentials (by a hash of \
        the id, the same on every machine), with each host's limits divided by N; `revenant merge` \
        joins the N JSON reports into one (docs/shards.md).
        """
    )

    @OptionGroup var options: RunOptions

    @Flag(name: .customLong("dry-run"), help: "Resolve inventory, secrets, probes and targets and print the plan; send nothing.")
    var dryRun = false

    @Option(name: .long, help: "Check only part I of N (0 ≤ I < N ≤ 1000) of the credentials; host limits are divided by N (docs/shards.md).")
    var shard: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard takes I/N: a shard index I from 0 to N-1 and a count N from \(Shard.counts.lowerBound) to \(Shard.counts.upperBound)")
        }
        if dryRun, let other = output.format.first(where: { !PlanPrinter.formats.contains($0) }) {
            throw ValidationError("--dry-run prints the plan as " + PlanPrinter.formats.map(\.rawValue).joined(separator: ", ")
                                  + "; --format \(other.rawValue) is a report of a run")
        }
    }

    func run() async throws {
        // Watched since the process started (Interrupts): a signal while the inventory is read
        // still gets a partial report.
        let stop = Interrupts.stop
        let timing = PhaseTimer()
        let prepared = try options.prepare(configuration: output.config, shard: shard.flatMap(Shard.init), timing: timing)
        let seal = try options.signingKey()
        if dryRun {
            try ReportOutput.write(formats: output.format.isEmpty ? [.table] : output.format, output: output.output) { format, emit in
                emit(Array(PlanPrinter.render(prepared.plan, format: format, groupBy: output.groupBy).utf8))
            }
            // A signal while the inputs were read (a pipe's writer waited for): the plan is not whole.
            if let reason = stop.reason {
                warn("error: \(reason) while the inputs were read: the plan is incomplete")
                throw Exit.incomplete
            }
            return
        }
        // Fail before sending anything if the report, the ledger or history cannot be written: exit 2 means "nothing probed".
        let sinks = try options.openSinks(prepared, output: output, seal: seal)
        let progress = (!output.noProgress && Terminal.stderrIsTTY) ? ProgressLine() : nil
        var onProgress: (@Sendable (ProgressUpdate) -> Void)?
        if let progress { onProgress = { progress.update($0) } }
        // Handed over: the secrets as bytes go once sent, the planned checks and the pairs before the report is written.
        var report = await VerifyFrontend.run(consume prepared, ledger: sinks.ledger, stop: stop, progress: onProgress)
        progress?.finish()
        sinks.sealLedger(&report)
        report.inputs = RunInputDigests(inventory: sinks.inputs.inventoryDigest, configuration: sinks.inputs.configurationDigest)
        if let store = sinks.history { HistoryFrontend.compareAndRecord(&report, in: store, inputs: sinks.inputs) }
        timing.mark("probe")
        try ReportOutput.write(report, options: output)
        timing.mark("report")
        if !report.complete { throw Exit.incomplete }
        if report.hasFinding(atOrAbove: output.threshold) { throw Exit.findings }
    }
}

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

        --owner NAME (repeatable) checks only the credentials of that owner: the whole name, in any \
        case. The table opens with one line per owner (proven dead, still live, unverified); the \
        JSON report carries the same as summary.owners.
        """
    )

    @Option(name: .long, help: "Inventory file (JSON, YAML or CSV); repeat for several.")
    var inventory: [String] = []

    @Option(name: .long, help: "Extra directory (or file) of probe definitions; repeat for several.")
    var probes: [String] = []

    @Option(name: .long, help: "Append one hash-chained evidence record per attempt to this JSON Lines file.")
    var ledger: String?

    @Option(name: .long, help: "Maximum probes in flight at once (overrides the config file).")
    var concurrency: Int?

    @Option(name: .long, help: "Only check the credential with this id; repeat for several.")
    var only: [String] = []

    @Option(name: .long, help: "Remember this run in a history store (SQLite file or postgresql:// URL): finds credentials that came back to life, lists changes since the last run.")
    var history: String?

    @Flag(name: .customLong("dry-run"), help: "Resolve inventory, secrets, probes and targets and print the plan; send nothing.")
    var dryRun = false

    @OptionGroup var owners: OwnerOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if inventory.isEmpty { throw ValidationError("--inventory FILE is required") }
        if let c = concurrency, !Limits.concurrency.contains(c) {
            throw ValidationError("--concurrency must be from \(Limits.concurrency.lowerBound) to \(Limits.concurrency.upperBound)")
        }
    }

    func run() async throws {
        // Watched since the process started (Interrupts): a signal while the inventory is read
        // still gets a partial report.
        let stop = Interrupts.stop
        var request = VerifyRequest(inventories: inventory)
        (request.probeDirectories, request.configurationFile, request.concurrency, request.only) = (probes, output.config, concurrency, only)
        request.owners = owners.owner
        let timing = PhaseTimer()
        let prepared: PreparedVerify
        do { prepared = try VerifyFrontend.prepare(request, timing: timing) } catch {
            for w in error.warnings { warn("warning: " + w) }
            throw failInput(error.lines)
        }
        for w in prepared.plan.warnings { warn("warning: " + w) }
        if dryRun {
            try ReportOutput.write(formats: output.format.isEmpty ? [.table] : output.format, output: output.output) { format, emit in
                emit(Array(PlanPrinter.render(prepared.plan, format: format).utf8))
            }
            return
        }
        // Fail before sending anything if the report or the ledger cannot be written: exit 2 means "nothing probed".
        try ReportOutput.checkWritable(formats: output.formats, output: output.output)
        var store: HistoryStore?
        if let target = HistoryFrontend.target(flag: history, configuration: prepared.configuration) {
            do { store = try HistoryFrontend.open(target) } catch { throw failInput(error.lines) }
        }
        var ledgerFile: EvidenceLedger?
        if let path = ledger {
            do { ledgerFile = try EvidenceLedger(path: path) } catch { throw failInput([error.message]) }
        }
        let progress = (!output.noProgress && Terminal.stderrIsTTY) ? ProgressLine() : nil
        var onProgress: (@Sendable (ProgressUpdate) -> Void)?
        if let progress { onProgress = { progress.update($0) } }
        var report = await VerifyFrontend.run(prepared, ledger: ledgerFile, stop: stop, progress: onProgress)
        progress?.finish()
        if let store {
            HistoryFrontend.compareAndRecord(&report, in: store, inputs: HistoryFrontend.inputs(inventories: inventory, configuration: output.config))
        }
        timing.mark("probe")
        try ReportOutput.write(report, options: output)
        timing.mark("report")
        if !report.complete { throw Exit.incomplete }
        if report.hasFinding(atOrAbove: output.threshold) { throw Exit.findings }
    }
}

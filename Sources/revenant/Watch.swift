import ArgumentParser
import Foundation
import RevenantCore
import RevenantEngine
import RevenantFiles
import RevenantFrontend
import RevenantHistory
import RevenantReports

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-check every should-be-dead credential until each is proven dead everywhere, or a deadline passes.",
        discussion: """
        Revocation takes time: token caches, CRL refresh intervals and directory sync. `watch` runs \
        the inventory's should-be-dead credentials (active ones are verify's) round after round, every \
        --interval, sending each round only the checks not yet proven dead; controls run again every \
        round and per-host rate limits hold across rounds. Only a rejection the controls back counts \
        as dead: an inconclusive answer (a timeout, a 503) never does. The report gives, per credential \
        and target, `dead_at` and how long that took from `revoked_at` (when the inventory records it) \
        and from the watch's start.

        Exit 0 when everything is proven dead; 1 when the deadline passes first (what is still live \
        is residual_access, what is unknown revocation_unverified); 3 when interrupted (the report \
        so far is written); 2 on an input error, before anything is sent.

        Examples:
          revenant watch --inventory leaked-key.yaml --interval 30s --deadline 2h
          revenant watch --inventory offboarding.yaml --interval 1m --deadline 4h --format json --output watch.json --ledger evidence.jsonl
          revenant watch --inventory inv.yaml --only gh-deploy-key --interval 10s --deadline 15m --history history.db
          revenant watch --inventory offboarding.yaml --owner dana.okafor@example.com --interval 1m --deadline 8h
        """
    )

    @Option(name: .long, help: "Inventory file (JSON, YAML or CSV); repeat for several.")
    var inventory: [String] = []

    @Option(name: .long, help: "Extra directory (or file) of probe definitions; repeat for several.")
    var probes: [String] = []

    @Option(name: .long, help: "Time between the starts of two rounds: 30s, 5m, 1h (1s to 24h).")
    var interval: String = "30s"

    @Option(name: .long, help: "Give up after this long: 15m, 2h, 1d (at most 30d).")
    var deadline: String = "2h"

    @Option(name: .long, help: "Append one hash-chained evidence record per attempt to this JSON Lines file.")
    var ledger: String?

    @Option(name: .long, help: "Record every round in a history store (SQLite file or postgresql:// URL).")
    var history: String?

    @Option(name: .long, help: "Maximum probes in flight at once (overrides the config file).")
    var concurrency: Int?

    @Option(name: .long, help: "Only watch the credential with this id; repeat for several.")
    var only: [String] = []

    @OptionGroup var owners: OwnerOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if inventory.isEmpty { throw ValidationError("--inventory FILE is required") }
        guard let i = DurationText.seconds(interval), (1...86_400).contains(i) else {
            throw ValidationError("--interval takes a duration from 1s to 24h, such as 30s, 5m or 1h")
        }
        guard let d = DurationText.seconds(deadline), d >= i, d <= 30 * 86_400 else {
            throw ValidationError("--deadline takes a duration at least --interval and at most 30d, such as 15m, 2h or 1d")
        }
        if let c = concurrency, !Limits.concurrency.contains(c) {
            throw ValidationError("--concurrency must be from \(Limits.concurrency.lowerBound) to \(Limits.concurrency.upperBound)")
        }
    }

    func run() async throws {
        let stop = Interrupts.stop
        var request = VerifyRequest(inventories: inventory)
        (request.probeDirectories, request.configurationFile, request.concurrency, request.only) = (probes, output.config, concurrency, only)
        request.shouldBeDeadOnly = true
        request.owners = owners.owner
        let prepared: PreparedVerify
        do { prepared = try VerifyFrontend.prepare(request) } catch {
            for w in error.warnings { warn("warning: " + w) }
            throw failInput(error.lines)
        }
        for w in prepared.plan.warnings { warn("warning: " + w) }
        try ReportOutput.checkWritable(formats: output.formats, output: output.output)
        var store: HistoryStore?
        if let target = HistoryFrontend.target(flag: history, configuration: prepared.configuration) {
            do { store = try HistoryFrontend.open(target) } catch { throw failInput(error.lines) }
        }
        var ledgerFile: EvidenceLedger?
        if let path = ledger {
            do { ledgerFile = try EvidenceLedger(path: path) } catch { throw failInput([error.message]) }
        }
        let board = !output.noProgress && Terminal.stderrIsTTY
        let schedule = WatchFrontend.Schedule(interval: DurationText.seconds(interval)!, deadline: DurationText.seconds(deadline)!)
        let report = await WatchFrontend.run(prepared, schedule: schedule, ledger: ledgerFile, history: store,
                                             inputs: HistoryFrontend.inputs(inventories: inventory, configuration: output.config), stop: stop) { state in
            guard board else { return }
            let elapsed = DurationText.text(Date().timeIntervalSince(state.startedAt))
            var lines = "round \(state.rounds) (+\(elapsed)):\n"
            for t in state.board { lines += "  \(t.target): \(t.live) still live, \(t.dead) dead, \(t.unknown) unknown\n" }
            FileHandle.standardError.write(Data(lines.utf8))
        }
        try ReportOutput.write(report, options: output)
        if !report.complete { throw Exit.incomplete }
        if let watch = report.watch, !watch.allDead(report) { throw Exit.findings }
        if report.hasFinding(atOrAbove: output.threshold) { throw Exit.findings }
    }
}

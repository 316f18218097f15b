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

    @OptionGroup var options: RunOptions

    @Option(name: .long, help: "Time between the starts of two rounds: 30s, 5m, 1h (1s to 24h).")
    var interval: String = "30s"

    @Option(name: .long, help: "Give up after this long: 15m, 2h, 1d (at most 30d).")
    var deadline: String = "2h"

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard let i = DurationText.seconds(interval), (1...86_400).contains(i) else {
            throw ValidationError("--interval takes a duration from 1s to 24h, such as 30s, 5m or 1h")
        }
        guard let d = DurationText.seconds(deadline), d >= i, d <= 30 * 86_400 else {
            throw ValidationError("--deadline takes a duration at least --interval and at most 30d, such as 15m, 2h or 1d")
        }
    }

    func run() async throws {
        let stop = Interrupts.stop
        let prepared = try options.prepare(configuration: output.config, shouldBeDeadOnly: true)
        let sinks = try options.openSinks(prepared, output: output, seal: try options.signingKey())
        let board = !output.noProgress && Terminal.stderrIsTTY
        let schedule = WatchFrontend.Schedule(interval: DurationText.seconds(interval)!, deadline: DurationText.seconds(deadline)!)
        var report = await WatchFrontend.run(prepared, schedule: schedule, ledger: sinks.ledger, history: sinks.history,
                                             inputs: sinks.inputs, stop: stop) { state in
            guard board else { return }
            let elapsed = DurationText.text(Date().timeIntervalSince(state.startedAt))
            var lines = "round \(state.rounds) (+\(elapsed)):\n"
            for t in state.board { lines += "  \(t.target): \(t.live) still live, \(t.dead) dead, \(t.unknown) unknown\n" }
            FileHandle.standardError.write(Data(lines.utf8))
        }
        sinks.sealLedger(&report)
        try ReportOutput.write(report, options: output)
        if !report.complete { throw Exit.incomplete }
        if let watch = report.watch, !watch.allDead(report) { throw Exit.findings }
        if report.hasFinding(atOrAbove: output.threshold) { throw Exit.findings }
    }
}

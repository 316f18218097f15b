import Foundation
import RevenantCore
import RevenantEngine
import RevenantFiles
import RevenantHistory

/// `revenant watch` as a library: the plan again and again, each round sending only what is not
/// yet proven dead (controls re-run every round), until everything is proven dead, the deadline
/// passes, or a stop.
public enum WatchFrontend {
    /// When and how often.
    public struct Schedule: Sendable {
        public var interval: Double
        public var deadline: Double

        public init(interval: Double, deadline: Double) { (self.interval, self.deadline) = (interval, deadline) }
    }

    /// The last round's report with every round folded into `watch`. `onRound` sees the state after each round.
    public static func run(_ prepared: PreparedVerify, schedule: Schedule, ledger: EvidenceLedger?, history: HistoryStore?,
                           inputs: HistoryStore.RunInputs, stop: StopFlag, onRound: (WatchState) -> Void) async -> RunReport {
        let startedAt = Date()
        let plan = prepared.plan
        var state = WatchState(startedAt: startedAt, deadline: startedAt.addingTimeInterval(schedule.deadline), interval: schedule.interval,
                               credentials: plan.inventory.credentials,
                               plannedChecks: plan.checks.map { $0.map { (probe: $0.probeID, target: $0.displayURL) } })
        let transport = VerifyFrontend.makeTransport(prepared)
        defer { transport.close() }
        // One clock and one scheduler for every round: per-host rate limits hold across rounds.
        let clock = MonotonicClock()
        let scheduler = SchedulerCarry()
        let watchID = UUID().uuidString.lowercased()
        var report: RunReport
        while true {
            let roundStart = Date()
            // A new engine each round: the CA's answers are judged fresh against the round's own time.
            let engine = VerifyFrontend.makeEngine(prepared, transport: transport, clock: clock, carrying: scheduler)
            report = await engine.run(plan, runID: "\(watchID).\(state.rounds + 1)", ledger: ledger, fingerprinter: prepared.fingerprinter,
                                      stop: stop, decided: state.decided)
            ledger?.flush()
            report.markIncomplete(ifLedgerFailed: ledger)
            if let history { HistoryFrontend.compareAndRecord(&report, in: history, inputs: inputs) }
            state.absorb(report)
            onRound(state)
            if stop.isStopped || !report.complete || state.allDead(report) { break }
            let next = roundStart.addingTimeInterval(schedule.interval)
            if next > state.deadline { break }
            while Date() < next && !stop.isStopped { try? await Task.sleep(nanoseconds: 50_000_000) }
            if stop.isStopped {
                report.complete = false
                report.incompleteReason = stop.reason ?? "interrupted"
                break
            }
        }
        report.command = "watch"
        report.runID = watchID
        report.startedAt = startedAt
        report.watch = state
        report.ownerSelection = prepared.ownerSelection
        report.onlySelection = prepared.onlySelection
        return report
    }
}

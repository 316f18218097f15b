import Foundation

/// One (credential, target) a watch waits on: dead from the round that proved it rejected, and how
/// long that took from the recorded revocation and from the watch's start.
public struct WatchEntry: Sendable, Equatable {
    public enum Status: String, Sendable { case live, dead, unknown }

    public var credential: String
    public var owner: String?
    public var probe: String
    public var target: String
    public var revokedAt: Date?
    public var status: Status = .unknown
    public var deadAt: Date?
    public var deadRound: Int?
    /// The last round's word when not dead (why it is live or unknown).
    public var lastReason = ""

    public func latency(from start: Date) -> Double? { deadAt.map { $0.timeIntervalSince(start) } }
}

/// A watch's rounds folded together: what is proven dead (and stays settled), what is still live
/// or unknown, and whether the watch may end. Pure: each round's report is an argument.
public struct WatchState: Sendable {
    public let startedAt: Date
    public let deadline: Date
    public let interval: Double
    public private(set) var rounds = 0
    /// Per credential, per planned check (the plan's order; a CA lookup is not a target to wait on).
    public private(set) var entries: [[WatchEntry]]
    /// The proven-dead checks, as the next round is to report them without sending them again.
    public private(set) var decided: [[ProbeCheck?]]

    public init(startedAt: Date, deadline: Date, interval: Double, credentials: [Credential], plannedChecks: [[(probe: String, target: String)]]) {
        (self.startedAt, self.deadline, self.interval) = (startedAt, deadline, interval)
        entries = zip(credentials, plannedChecks).map { c, checks in
            checks.map { WatchEntry(credential: c.id, owner: c.owner, probe: $0.probe, target: $0.target, revokedAt: c.revokedAt) }
        }
        decided = plannedChecks.map { Array(repeating: nil, count: $0.count) }
    }

    /// Folds in one round. Only a proven rejection (controls held) makes a check dead; an
    /// inconclusive answer, a skip or an acceptance the controls did not back leave it unknown.
    public mutating func absorb(_ report: RunReport) {
        rounds += 1
        for (ci, result) in report.results.enumerated() where ci < entries.count {
            for k in entries[ci].indices where k < result.checks.count && decided[ci][k] == nil {
                let check = result.checks[k]
                switch check.verdict {
                case .rejected:
                    entries[ci][k].status = .dead
                    entries[ci][k].deadAt = check.at ?? report.finishedAt
                    entries[ci][k].deadRound = rounds
                    decided[ci][k] = check
                case .authenticated:
                    entries[ci][k].status = .live
                case .unproven:
                    entries[ci][k].status = .unknown
                }
                entries[ci][k].lastReason = check.outcome.reason
            }
        }
    }

    /// Every target proven dead and nothing else serious left (a CA still saying good, a credential
    /// with no probe): the watch may end with exit 0.
    public func allDead(_ report: RunReport) -> Bool {
        entries.allSatisfy { $0.allSatisfy { $0.status == .dead } }
            && !report.results.contains { r in r.findings.contains { $0.severity >= .high } }
    }

    /// Per target: how many still live, dead, unknown (the terminal's board).
    public var board: [(target: String, live: Int, dead: Int, unknown: Int)] {
        var order: [String] = []
        var counts: [String: (Int, Int, Int)] = [:]
        for e in entries.joined() {
            if counts[e.target] == nil { order.append(e.target) }
            var c = counts[e.target] ?? (0, 0, 0)
            switch e.status {
            case .live: c.0 += 1
            case .dead: c.1 += 1
            case .unknown: c.2 += 1
            }
            counts[e.target] = c
        }
        return order.map { (target: $0, live: counts[$0]!.0, dead: counts[$0]!.1, unknown: counts[$0]!.2) }
    }
}

import Foundation

/// A check's verdict after controls, as history keeps it: proof of acceptance, proof of
/// rejection, or neither. Only the first two are ever compared across runs.
public enum RecordedVerdict: String, Sendable, CaseIterable {
    case authenticated, rejected, unproven

    public init(_ verdict: CheckVerdict) {
        switch verdict {
        case .authenticated: self = .authenticated
        case .rejected: self = .rejected
        case .unproven: self = .unproven
        }
    }

    /// Words for people: a proven acceptance is "live", a proven rejection "dead".
    public var word: String {
        switch self {
        case .authenticated: "live"
        case .rejected: "dead"
        case .unproven: "unproven"
        }
    }
}

/// Which secret at which system: the key history remembers checks by. The fingerprint, not the
/// credential id, so a secret renamed in the inventory keeps its past and a new secret under an
/// old id starts a new one.
public struct CheckKey: Sendable, Hashable {
    public var fingerprint: String
    public var probe: String
    public var target: String

    public init(fingerprint: String, probe: String, target: String) {
        (self.fingerprint, self.probe, self.target) = (fingerprint, probe, target)
    }
}

/// A moment of a run: which run, and when.
public struct RunMoment: Sendable, Equatable {
    public var run: String
    public var at: Date

    public init(run: String, at: Date) { (self.run, self.at) = (run, at) }
}

/// What history knows of one (secret, probe, target) before this run.
public struct PriorCheck: Sendable, Equatable {
    /// The last run that checked it at all, and the inventory state it was in then.
    public var last: RunMoment
    public var state: LifecycleState?
    /// The last definitive verdict (live or dead), and when.
    public var definitive: RecordedVerdict?
    public var definitiveAt: RunMoment?
    /// The last time a run proved it rejected (controls held).
    public var provenDead: RunMoment?

    public init(last: RunMoment, state: LifecycleState? = nil, definitive: RecordedVerdict? = nil, definitiveAt: RunMoment? = nil,
                provenDead: RunMoment? = nil) {
        (self.last, self.state, self.definitive, self.definitiveAt, self.provenDead) = (last, state, definitive, definitiveAt, provenDead)
    }
}

/// A difference from the last run that checked the same secret: a verdict at a target flipped
/// (live → dead, dead → live), or the inventory's state for the credential changed.
public struct StateChange: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case verdict, state }

    public var kind: Kind
    public var credential: String
    public var fingerprint: String
    /// For a verdict change: where.
    public var probe: String?
    public var target: String?
    public var from: String
    public var to: String
    /// The run that last saw `from`.
    public var since: RunMoment

    public init(kind: Kind, credential: String, fingerprint: String, probe: String?, target: String?, from: String, to: String, since: RunMoment) {
        (self.kind, self.credential, self.fingerprint, self.probe, self.target) = (kind, credential, fingerprint, probe, target)
        (self.from, self.to, self.since) = (from, to, since)
    }

    public var summary: String {
        switch kind {
        case .verdict: "\(credential) at \(target ?? "?") (\(probe ?? "?")): \(from) → \(to) (was \(from) in run \(since.run) at \(Timestamp.format(since.at)))"
        case .state: "\(credential): inventory state \(from) → \(to)"
        }
    }
}

/// One check as history stores it: no secret, its fingerprint.
public struct RecordedCheck: Sendable, Equatable {
    public var credential: String
    public var owner: String?
    public var state: LifecycleState
    public var key: CheckKey
    public var outcome: String
    public var verdict: RecordedVerdict
    public var reason: String
    public var at: Date

    public init(credential: String, owner: String?, state: LifecycleState, key: CheckKey, outcome: String,
                verdict: RecordedVerdict, reason: String, at: Date) {
        (self.credential, self.owner, self.state, self.key) = (credential, owner, state, key)
        (self.outcome, self.verdict, self.reason, self.at) = (outcome, verdict, reason, at)
    }

    /// Every check of a report that history can key (a check of an unread secret has no fingerprint).
    public static func all(in report: RunReport) -> [RecordedCheck] {
        var out: [RecordedCheck] = []
        for r in report.results {
            guard let fingerprint = r.fingerprint else { continue }
            let c = r.credential
            for check in r.checks {
                out.append(RecordedCheck(
                    credential: c.id, owner: c.owner, state: c.state,
                    key: CheckKey(fingerprint: fingerprint, probe: check.probe, target: check.target),
                    outcome: check.outcome.name, verdict: RecordedVerdict(check.verdict), reason: check.outcome.reason,
                    at: check.at ?? report.finishedAt))
            }
        }
        return out
    }
}

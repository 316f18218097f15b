import Foundation

/// The result of one attempt to use a credential. Only `authenticated` and `rejected` are proof.
public enum ProbeOutcome: Sendable, Equatable {
    case authenticated(reason: String)
    case rejected(reason: String)
    case inconclusive(reason: String)
    case skipped(reason: String)

    public var name: String {
        switch self {
        case .authenticated: "authenticated"
        case .rejected: "rejected"
        case .inconclusive: "inconclusive"
        case .skipped: "skipped"
        }
    }

    public var reason: String {
        switch self {
        case .authenticated(let r), .rejected(let r), .inconclusive(let r), .skipped(let r): r
        }
    }

    /// The same outcome with another reason text.
    public func withReason(_ r: String) -> ProbeOutcome {
        switch self {
        case .authenticated: .authenticated(reason: r)
        case .rejected: .rejected(reason: r)
        case .inconclusive: .inconclusive(reason: r)
        case .skipped: .skipped(reason: r)
        }
    }

    public var isAuthenticated: Bool { if case .authenticated = self { true } else { false } }
    public var isRejected: Bool { if case .rejected = self { true } else { false } }
}

/// What the controls of one (probe, target) pair showed.
public struct ControlStatus: Sendable, Equatable {
    /// The random credential's outcome; nil when no negative control ran.
    public var negative: ProbeOutcome?
    /// The known-good credential's outcome; nil when the inventory has none for this pair.
    public var positive: ProbeOutcome?

    public init(negative: ProbeOutcome?, positive: ProbeOutcome? = nil) {
        self.negative = negative
        self.positive = positive
    }

    /// An acceptance counts unless a random credential of the same shape was accepted too (then the
    /// target accepts anything) or no negative control ran. When the control was inconclusive (a 429,
    /// a timeout), the acceptance still counts: a live credential reported as merely "unverified"
    /// would slip under `--fail-on critical`; the finding says the control was not confirmed.
    public var acceptanceIsProof: Bool {
        guard let negative else { return false }
        return !negative.isAuthenticated
    }

    /// Why an acceptance, though counted, was not cross-checked (nil when the negative control was rejected).
    public var acceptanceCaveat: String? {
        guard let negative, !negative.isRejected, !negative.isAuthenticated else { return nil }
        return "negative control \(negative.name) (\(negative.reason)): not cross-checked"
    }

    /// A rejection is proof unless the target accepted a random credential (then nothing there
    /// proves anything) or a configured known-good credential failed to authenticate.
    public var rejectionIsProof: Bool {
        negative?.isAuthenticated != true && (positive.map(\.isAuthenticated) ?? true)
    }

    /// Why an outcome at this pair cannot be trusted, for messages.
    public var acceptanceDoubt: String {
        switch negative {
        case .none: "no negative control ran"
        case .authenticated?: "the target also accepted a random credential (negative control failed): it accepts anything"
        case .some(let o): "the negative control was \(o.name) (\(o.reason))"
        }
    }

    public var rejectionDoubt: String {
        if negative?.isAuthenticated == true {
            return "the target also accepted a random credential (negative control failed): no result there proves anything"
        }
        guard let p = positive else { return "" }
        return "the known-good control credential was \(p.name) (\(p.reason)): the target may be rejecting everything"
    }
}

/// One probe attempt on a credential as the classifier sees it.
public struct ProbeCheck: Sendable, Equatable {
    public var probe: String
    public var target: String
    public var outcome: ProbeOutcome
    public var controls: ControlStatus {
        get { storedControls.value ?? ControlStatus(negative: nil) }
        set { storedControls = OutOfLine(newValue) }
    }
    /// Every check of a (probe, target) pair has the same controls: the engine hands each the same box.
    var storedControls: OutOfLine<ControlStatus>
    public var httpStatus: Int?
    public var attempts: Int
    public var durationMs: Int
    public var evidence: String?
    /// When the answer that decided it arrived (nil: not sent, or a caller that does not say).
    public var at: Date?
    /// Set when this check is a CRL or OCSP lookup (probe `crl`/`ocsp`, target the URL).
    public var revocation: RevocationLookup? {
        get { storedRevocation.value }
        set { storedRevocation.value = newValue }
    }
    var storedRevocation: OutOfLine<RevocationLookup>

    public init(
        probe: String, target: String, outcome: ProbeOutcome, controls: ControlStatus,
        httpStatus: Int? = nil, attempts: Int = 1, durationMs: Int = 0, evidence: String? = nil,
        revocation: RevocationLookup? = nil, at: Date? = nil
    ) {
        self.init(probe: probe, target: target, outcome: outcome, sharedControls: OutOfLine(controls), httpStatus: httpStatus,
                  attempts: attempts, durationMs: durationMs, evidence: evidence, revocation: revocation, at: at)
    }

    /// As above, with controls boxed once for many checks (`OutOfLine` copies share the box).
    public init(
        probe: String, target: String, outcome: ProbeOutcome, sharedControls: OutOfLine<ControlStatus>,
        httpStatus: Int? = nil, attempts: Int = 1, durationMs: Int = 0, evidence: String? = nil,
        revocation: RevocationLookup? = nil, at: Date? = nil
    ) {
        self.at = at
        self.probe = probe
        self.target = target
        self.outcome = outcome
        storedControls = sharedControls
        self.httpStatus = httpStatus
        self.attempts = attempts
        self.durationMs = durationMs
        self.evidence = evidence
        storedRevocation = OutOfLine(revocation)
    }

    /// The outcome once controls are taken into account.
    public var verdict: CheckVerdict {
        switch outcome {
        case .authenticated:
            controls.acceptanceIsProof ? .authenticated : .unproven("authenticated, but \(controls.acceptanceDoubt)")
        case .rejected:
            controls.rejectionIsProof ? .rejected : .unproven("rejected, but \(controls.rejectionDoubt)")
        case .inconclusive(let r): .unproven("inconclusive: \(r)")
        case .skipped(let r): .unproven("skipped: \(r)")
        }
    }
}

/// A check's outcome after controls: proof of acceptance, proof of rejection, or neither.
public enum CheckVerdict: Sendable, Equatable {
    case authenticated
    case rejected
    case unproven(String)

    public var name: String {
        switch self {
        case .authenticated: "authenticated"
        case .rejected: "rejected"
        case .unproven: "unproven"
        }
    }
}

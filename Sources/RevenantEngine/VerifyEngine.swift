import Foundation
import RevenantCore
import RevenantCrypto
import RevenantProbes

/// Progress of a run, for the terminal.
public struct ProgressUpdate: Sendable {
    public var phase: String
    public var done: Int
    public var total: Int
    public var authenticated: Int
    public var inconclusive: Int

    public init(phase: String, done: Int, total: Int, authenticated: Int = 0, inconclusive: Int = 0) {
        (self.phase, self.done, self.total, self.authenticated, self.inconclusive) = (phase, done, total, authenticated, inconclusive)
    }
}

/// Set from a signal handler to stop a run early; the report is then marked incomplete.
public final class StopFlag: @unchecked Sendable {
    // @unchecked: `stopped` is read and written only under `lock`.
    private let lock = NSLock()
    private var stopped = false
    private var reasonText: String?
    private var onStop: (@Sendable () -> Void)?

    public init() {}

    public func stop(_ reason: String) {
        let wake = lock.withLock { () -> (@Sendable () -> Void)? in
            stopped = true
            reasonText = reason
            return onStop
        }
        wake?()
    }

    /// Runs `wake` when `stop` is called (the engine uses it to leave a long wait at once).
    func whenStopped(_ wake: (@Sendable () -> Void)?) { lock.withLock { onStop = wake } }
    public var isStopped: Bool { lock.withLock { stopped } }
    public var reason: String? { lock.withLock { reasonText } }
}

/// Runs a plan: controls first, then every credential check, under the global concurrency cap and
/// per-host limits; retries 429/503 with capped Retry-After; records every attempt in the ledger.
public final class VerifyEngine: Sendable {
    let transport: any ProbeTransport
    let configuration: Configuration
    /// Asks the CA about `x509_certificate` credentials (nil: not asked).
    let revocation: (any RevocationService)?
    /// The run loop's time (the scheduler's time base).
    let clock: any RunClock
    /// The per-host scheduler between runs (`watch`'s rounds share one, with one clock): rate limits hold across them.
    let carriedScheduler: SchedulerCarry

    /// `revocation`: who asks the CA about `x509_certificate` credentials; nil never asks (the
    /// CA's findings are then absent: say so where a library caller passes nil).
    public init(transport: any ProbeTransport, configuration: Configuration, revocation: (any RevocationService)?,
                clock: any RunClock = MonotonicClock(), carrying scheduler: SchedulerCarry = SchedulerCarry()) {
        self.carriedScheduler = scheduler
        self.transport = transport
        self.configuration = configuration
        self.revocation = revocation
        self.clock = clock
    }

    /// One try to send, by what it names: a large run queues every check at once, so it holds no
    /// secret and no login name (`AttemptSecrets` looks them up when it is sent) and packs its
    /// numbers in 32 bits (16 bytes an attempt, not 72). A run of 2^31 checks would not fit in memory.
    struct Attempt: Sendable {
        enum Role: Sendable, Equatable {
            case credential(index: Int, check: Int)
            case negative
            case positive
        }

        /// The credential's index, or -1 (negative control), -2 (positive control).
        private let credential: Int32
        private let check: Int32
        private let pairIndex: Int32
        private var attemptNumber: Int32 = 1

        init(role: Role, pair: Int) {
            switch role {
            case .credential(let index, let check): (credential, self.check) = (Int32(index), Int32(check))
            case .negative: (credential, check) = (-1, 0)
            case .positive: (credential, check) = (-2, 0)
            }
            pairIndex = Int32(pair)
        }

        var role: Role {
            switch credential {
            case -1: .negative
            case -2: .positive
            default: .credential(index: Int(credential), check: Int(check))
            }
        }

        var pair: Int { Int(pairIndex) }

        /// 1 for the first try, then each retry's.
        var number: Int {
            get { Int(attemptNumber) }
            set { attemptNumber = Int32(newValue) }
        }
    }

    /// What each attempt sends, looked up when it is sent: a credential's secret and login name from
    /// the plan, a positive control's from its pair, a negative control's random ones made once per run.
    struct AttemptSecrets {
        let plan: VerifyPlan
        /// By pair: the negative control's secret and login name (the controls' phase only).
        var negative: [Int: (secret: Secret, username: String?)] = [:]

        /// Twice per attempt: the pair is read in place (a copy of it retains and releases every field).
        func of(_ attempt: Attempt) -> (secret: Secret, username: String?) {
            switch attempt.role {
            case .credential(let ci, _):
                // Only a credential whose secret was read is queued (runCredentials).
                return (plan.secrets[ci]!, VerifyPlanner.loginName(plan.inventory.credentials[ci], probe: plan.pairs[attempt.pair].probe))
            case .negative:
                return negative[attempt.pair]!
            case .positive:
                return (plan.pairs[attempt.pair].positiveSecret!, plan.pairs[attempt.pair].positiveUsername)
            }
        }
    }

    struct Completion: Sendable {
        var attempt: Attempt
        /// What was sent (the secret for the ledger's fingerprint and for redaction; the login name).
        var secret: Secret
        var username: String?
        var result: ProbeResult
        var outcome: ProbeOutcome
        var durationMs: Int
    }

    /// What a run has learned so far: the controls' answers, each check's state, the CA's answers.
    struct RunState {
        var negative: [ProbeOutcome?]
        var positive: [ProbeOutcome?]
        var checks: CheckStates
        var revocation: [Int: (checks: [ProbeCheck], findings: [Finding])] = [:]
        var decided: [[ProbeCheck?]]?

        func isDecided(_ ci: Int, _ k: Int) -> Bool { decided?[ci][k] != nil }

        init(_ plan: VerifyPlan) {
            negative = Array(repeating: nil, count: plan.pairs.count)
            positive = Array(repeating: nil, count: plan.pairs.count)
            checks = CheckStates(counts: plan.checks.map(\.count))
        }
    }

    /// Where a run's records go: the ledger, with the run's id and clock.
    struct Recorder {
        let plan: VerifyPlan
        let runID: String
        let ledger: (any EvidenceSink)?
        let fingerprinter: Fingerprinter
        let now: @Sendable () -> Date
    }

    /// Runs a plan in four phases: controls, credentials, the CA, the verdicts.
    /// `decided`: checks an earlier run of the same plan settled (`watch` carries the proven-dead
    /// ones): not sent again, reported as they were. Indexed as `plan.checks`. A caller that hands
    /// the plan over (`consume`) lets the run free its secrets before the verdicts build the results.
    public func run(
        _ plan: consuming VerifyPlan, runID: String, ledger: (any EvidenceSink)?, fingerprinter: Fingerprinter,
        stop: StopFlag = StopFlag(), now: @escaping @Sendable () -> Date = { Date() },
        progress: (@Sendable (ProgressUpdate) -> Void)? = nil, decided: [[ProbeCheck?]]? = nil
    ) async -> RunReport {
        // An ordinary variable (a consuming parameter may not be copied implicitly): its copies are
        // the recorder's and the phases' own, all gone before the secrets are dropped below.
        var plan = consume plan
        let startedAt = now()
        var state = RunState(plan)
        state.decided = decided
        do {
            let recorder = Recorder(plan: plan, runID: runID, ledger: ledger, fingerprinter: fingerprinter, now: now)
            // One scheduler for both phases (and every run of this engine), so per-host rates hold across them.
            var scheduler = carriedScheduler.take() ?? HostScheduler<Attempt>()
            for (host, limits) in plan.hostLimits { scheduler.configure(host: host, limits: limits) }
            await runControls(plan, &state, &scheduler, recorder: recorder, stop: stop)
            await runCredentials(plan, &state, &scheduler, recorder: recorder, stop: stop, progress: progress)
            carriedScheduler.put(scheduler)
            askCAs(plan, &state, recorder: recorder, startedAt: startedAt, stop: stop)
        }
        // Everything is sent and the recorder is gone: nothing reads the secrets again. A million of
        // them are freed here (when the caller handed the plan over) for the results to take their room.
        plan.secrets = []
        let finishedAt = now()
        return RunReport(
            runID: runID, startedAt: startedAt, finishedAt: finishedAt, complete: !stop.isStopped,
            incompleteReason: stop.reason, inventories: plan.inventory.files, ledgerHead: ledger?.head,
            results: verdicts(plan, &state, startedAt: startedAt, stop: stop))
    }

    /// 1. Controls: a random credential per pair (and the known-good one where given).
    func runControls(_ plan: VerifyPlan, _ state: inout RunState, _ scheduler: inout HostScheduler<Attempt>,
                     recorder: Recorder, stop: StopFlag) async {
        var rng = SystemRandomNumberGenerator()
        var attempts: [Attempt] = []
        var secrets = AttemptSecrets(plan: plan)
        // A pair none of whose checks will be sent (all settled by an earlier round) needs no controls.
        var needed = Array(repeating: state.decided == nil, count: plan.pairs.count)
        if state.decided != nil {
            for (ci, planned) in plan.checks.enumerated() {
                for (k, check) in planned.enumerated() where !state.isDecided(ci, k) { if let p = check.pair { needed[p] = true } }
            }
        }
        for (i, pair) in plan.pairs.enumerated() where needed[i] {
            let random = pair.probe.negativeControl.generate(using: &rng)
            // SigV4's random credential is a random key id too: a real id with a wrong secret gets
            // SignatureDoesNotMatch, which is not the answer a dead key gets (InvalidClientTokenId).
            let user = pair.probe.kind.unit.negativeControlLogin(pair.username, using: &rng)
            secrets.negative[i] = (pair.negativeSecret ?? Secret(random), user)
            attempts.append(Attempt(role: .negative, pair: i))
            if pair.positiveSecret != nil {
                attempts.append(Attempt(role: .positive, pair: i))
            } else if let problem = pair.positiveProblem {
                state.positive[i] = .skipped(reason: problem)
            }
        }
        await drive(plan: plan, scheduler: &scheduler, stop: stop, attempts: { add in attempts.forEach(add) }, secrets: secrets) { completion in
            let a = completion.attempt
            self.record(completion, recorder)
            if a.role == .negative { state.negative[a.pair] = completion.outcome } else { state.positive[a.pair] = completion.outcome }
            return self.retry(completion)
        }
    }

    /// 2. Credentials, except on pairs that accepted a random credential: sending real secrets to a
    ///    target that accepts anything proves nothing and only spreads them.
    func runCredentials(_ plan: VerifyPlan, _ state: inout RunState, _ scheduler: inout HostScheduler<Attempt>,
                        recorder: Recorder, stop: StopFlag, progress: (@Sendable (ProgressUpdate) -> Void)?) async {
        var counts = ProgressUpdate(phase: "probing", done: 0, total: 0, authenticated: 0, inconclusive: 0)
        // Outcome reasons repeat ("status 401 matched rejected[0]"): keep one copy of each.
        var reasons: [String: String] = [:]
        func shared(_ outcome: ProbeOutcome) -> ProbeOutcome {
            let r = outcome.reason
            if let known = reasons[r] { return outcome.withReason(known) }
            if reasons.count < 4096 { reasons[r] = r }
            return outcome
        }
        // Each check to send goes straight into the scheduler's queues, never into a list of its own
        // first: a large run would hold every attempt twice.
        await drive(plan: plan, scheduler: &scheduler, stop: stop, attempts: { add in
            for (ci, planned) in plan.checks.enumerated() {
                for (k, check) in planned.enumerated() where !state.isDecided(ci, k) {
                    if let reason = check.skipReason {
                        state.checks[ci, k] = CheckState(outcome: .skipped(reason: reason), attempts: 0, durationMs: 0)
                    } else if let p = check.pair, state.negative[p]?.isAuthenticated == true {
                        state.checks[ci, k] = CheckState(
                            outcome: .skipped(reason: "not sent: the target accepted a random credential (negative control), so no result there proves anything"),
                            attempts: 0, durationMs: 0)
                    } else if let p = check.pair, plan.secrets[ci] != nil {
                        add(Attempt(role: .credential(index: ci, check: k), pair: p))
                        counts.total += 1
                    }
                }
            }
        }, secrets: AttemptSecrets(plan: plan)) { finished in
            var completion = finished
            // The probe is read in place (plan.pairs[p].probe), never copied: once per answer.
            let p = finished.attempt.pair
            var unproven = plan.pairs[p].probe.rejectionUnproven
            if unproven == nil, case .credential = finished.attempt.role {
                unproven = plan.pairs[p].probe.kind.unit.refusalUnproven(of: finished.secret, username: finished.username,
                                                                         probe: plan.pairs[p].probe)
            }
            completion.outcome = OutcomeRules.unprovenRefusal(finished.outcome, why: unproven)
            let hash = self.record(completion, recorder)
            let retry = self.retry(completion)
            guard case .credential(let ci, let k) = completion.attempt.role else { return retry }
            var status: Int?
            if case .success(.http(let r)) = completion.result { status = r.status }
            let previous = state.checks[ci, k]?.durationMs ?? 0
            state.checks[ci, k] = CheckState(outcome: shared(completion.outcome), status: status, attempts: completion.attempt.number,
                                             durationMs: previous + completion.durationMs, evidence: hash, at: recorder.now())
            if retry == nil {
                counts.done += 1
                if completion.outcome.isAuthenticated { counts.authenticated += 1 }
                if case .inconclusive = completion.outcome { counts.inconclusive += 1 }
                progress?(counts)
            }
            return retry
        }
        recorder.ledger?.flush()
    }

    /// 3. The CA's view of every x509 credential: CRL and OCSP lookups (each a check and a ledger record).
    func askCAs(_ plan: VerifyPlan, _ state: inout RunState, recorder: Recorder, startedAt: Date, stop: StopFlag) {
        guard let service = revocation, configuration.revocation.crl || configuration.revocation.ocsp, !stop.isStopped else { return }
        for (ci, info) in plan.certificateInfos.sorted(by: { $0.key < $1.key }) where !stop.isStopped {
            let credential = plan.inventory.credentials[ci]
            guard let files = credential.certificate,
                  let lookups = service.lookups(files, state: credential.state, credential: credential.id,
                                                fingerprint: plan.fingerprints[ci], runID: recorder.runID, ledger: recorder.ledger) else { continue }
            let findings = RevocationVerdict.findings(lookups: lookups, state: credential.state, notAfter: info.notAfter,
                                                      softFail: configuration.revocation.softFail, now: startedAt)
            state.revocation[ci] = (lookups.map(\.check), findings)
        }
        recorder.ledger?.flush()
    }

    /// 4. Each credential's checks and findings: what was observed, handed to the verdicts. Built on
    /// every core, a block of credentials at a time: at the end of the probe phase nothing else
    /// runs, and one core took as long as a tenth of the probing.
    func verdicts(_ plan: VerifyPlan, _ state: inout RunState, startedAt: Date, stop: StopFlag) -> [CredentialResult] {
        var results: [CredentialResult] = []
        let count = plan.inventory.credentials.count
        results.reserveCapacity(count)
        let shared = CredentialList(plan.inventory.credentials)
        // Most credentials of a large run end with the same findings (the same code and message): one copy of each list.
        var sharedFindings = ValueInterner<[Finding]>()
        // Each pair's controls, boxed once for all of its checks.
        let pairControls = plan.pairs.indices.map { OutOfLine(ControlStatus(negative: state.negative[$0], positive: state.positive[$0])) }
        let context = VerdictContext(pairControls: pairControls, noControls: OutOfLine(ControlStatus(negative: nil)),
                                     sameClient: plan.pairs.map(VerifyEngine.sameClientRule), shared: shared,
                                     startedAt: startedAt, stopReason: stop.reason ?? "stopped", policy: configuration.policy)
        var start = 0
        while start < count {
            let end = min(count, start + 8_192)
            let block = ParallelMap.map(Array(start..<end), minimumPerWorker: 512) { ci in
                VerifyEngine.result(of: ci, plan, state, context)
            }
            // Freed as results are built, so both never peak together.
            state.checks.release(through: end - 1)
            for var result in block {
                result.findings = sharedFindings.intern(result.findings)
                results.append(result)
            }
            start = end
        }
        return results
    }

    /// What every credential's verdict reads besides the plan and the run's state.
    struct VerdictContext {
        let pairControls: [OutOfLine<ControlStatus>]
        let noControls: OutOfLine<ControlStatus>
        /// By pair: `sameClientRule`.
        let sameClient: [(method: String, controlClient: String?)?]
        let shared: CredentialList
        let startedAt: Date
        let stopReason: String
        let policy: Policy
    }

    /// One credential's checks and findings. Reads only what it is given: safe on several threads at once.
    static func result(of ci: Int, _ plan: VerifyPlan, _ state: RunState, _ context: VerdictContext) -> CredentialResult {
        let startedAt = context.startedAt
        let credential = plan.inventory.credentials[ci]
        var checks: [ProbeCheck] = []
        let info = plan.certificateInfos[ci]
        let ca = state.revocation[ci]
        let caRevoked = ca?.checks.contains { $0.revocation?.status.isRevocation == true } ?? false
        for (k, planned) in plan.checks[ci].enumerated() {
            if let settled = state.decided?[ci][k] {
                checks.append(settled)
                continue
            }
            let checkState = state.checks[ci, k] ?? CheckState(
                outcome: .skipped(reason: "not probed: the run was interrupted (\(context.stopReason))"), attempts: 0, durationMs: 0)
            let controls = planned.pair.map { context.pairControls[$0] } ?? context.noControls
            var outcome = checkState.outcome
            if let info, let p = planned.pair, plan.pairs[p].probe.kind == .tlsClientCertificate {
                outcome = OutcomeRules.explainedRefusal(outcome, saysWhy: TLSClientCertificateProtocol.refusalSaysWhy(outcome.reason),
                                                        caRevoked: caRevoked, leafExpired: info.notAfter <= startedAt)
            }
            if let until = plan.jwtValidUntil[ci], let p = planned.pair, plan.pairs[p].probe.kind == .oauth2Introspection {
                outcome = OutcomeRules.introspectedJWT(outcome, validUntil: until, now: startedAt)
            }
            if let p = planned.pair {
                outcome = OutcomeRules.unprovenRefusal(outcome, why: VerifyEngine.otherClientsControl(context.sameClient[p], clientID: credential.username))
            }
            // Found by an adversarial run: a JWT refused before its nbf read as dead, and was let in two minutes later.
            if let from = plan.jwtValidFrom[ci], from > (checkState.at ?? startedAt) {
                outcome = OutcomeRules.unprovenRefusal(outcome, why: "the JWT is not valid before \(Timestamp.format(from)) (its nbf or iat), "
                                                       + "and a server refuses it until then, live or not")
            }
            checks.append(ProbeCheck(
                probe: planned.probeID, target: planned.displayURL, outcome: outcome, sharedControls: controls,
                httpStatus: checkState.status, attempts: checkState.attempts, durationMs: checkState.durationMs, evidence: checkState.evidence,
                at: checkState.at))
        }
        var observed = CredentialObservations(credential: credential, checks: checks, secretFindings: plan.secretFindings[ci] ?? [],
                                              certificate: info?.facts)
        observed.sshCertificate = plan.sshCertificates[ci]
        if let info, let ca {
            observed.caFindings = ca.findings
            // On hold, and not also revoked for good by another source, and not expired (the CA's answer then says nothing).
            observed.caHeld = !caRevoked && info.notAfter > startedAt && ca.checks.contains { $0.revocation?.status.isHold == true }
            checks += ca.checks
        }
        let findings = CredentialVerdict.findings(observed, policy: context.policy, now: startedAt)
        return CredentialResult(in: context.shared, at: ci, fingerprints: plan.fingerprints, checks: checks, findings: findings)
    }

    /// Runs attempts with the global cap and per-host limits. `attempts` hands each attempt to the
    /// function it is given, which queues it in the scheduler; `secrets` says what each one sends.
    /// `handle` runs on this task, one completion at a time, and may return a retry with the time it may start.
    func drive(plan: VerifyPlan, scheduler: inout HostScheduler<Attempt>, stop: StopFlag, attempts: ((Attempt) -> Void) -> Void,
               secrets: AttemptSecrets, handle: (Completion) -> (Attempt, Double)?) async {
        let clock = self.clock
        let elapsed: @Sendable () -> Double = { clock.now() }
        // Host indices per pair, so the per-request path never hashes a host name.
        var hostOfPair: [Int] = []
        hostOfPair.reserveCapacity(plan.pairs.count)
        for pair in plan.pairs { hostOfPair.append(scheduler.index(of: pair.target.authority)) }
        var queued = 0
        attempts { a in
            scheduler.enqueue(a, hostIndex: hostOfPair[a.pair])
            queued += 1
        }
        guard queued > 0 else { return }
        let cap = configuration.concurrency
        let timeout = configuration.timeout
        let prepared = plan.pairs.map {
            PreparedProbeRequest($0.probe, target: $0.target, authSecret: $0.authSecret, hostKeySHA256: $0.hostKeySHA256)
        }
        let hasCertificates = !plan.certificates.isEmpty
        // Completions and timer ticks land in one inbox; this loop wakes once for a whole batch of
        // finished transfers instead of once per transfer.
        let sink = EventInbox<DriveEvent>()
        let callbackTransport = transport as? any CallbackTransport
        // A stop must not wait for the next rate-limit slot or timer: wake the loop now.
        stop.whenStopped { sink.yield(.tick) }
        defer { stop.whenStopped(nil) }
        // Built only for a host whose answers quote the server (ServerText), once.
        var gramsOfHost: [Int: SecretGrams] = [:]
        // The scheduler moves into the loop (left behind, it would make the loop's first change copy
        // every queue) and comes back, its hosts' rates intact, for the next phase.
        var loop = RunLoop(scheduler: scheduler, cap: cap)
        scheduler = HostScheduler()
        defer { scheduler = loop.scheduler }
        await withTaskGroup(of: Void.self) { group in
            while true {
                if stop.isStopped {
                    transport.cancelAll()
                    group.cancelAll()
                    return
                }
                var polling = false
                for step in loop.steps(now: elapsed()) {
                    switch step {
                    case .start(let attempt, let host):
                        var certificate: [UInt8]?
                        if hasCertificates, case .credential(let ci, _) = attempt.role { certificate = plan.certificates[ci] }
                        if attempt.role == .positive { certificate = plan.pairs[attempt.pair].positiveCertificate }
                        // A positive control is attached only to a pair of its own kind of login (VerifyPlanner).
                        let sent = secrets.of(attempt)
                        let request = prepared[attempt.pair].request(secret: sent.secret, username: sent.username, timeout: timeout,
                                                                     negativeControl: attempt.role == .negative, certificate: certificate,
                                                                     keyLogin: plan.pairs[attempt.pair].keyLogin)
                        let started = elapsed()
                        if let callbackTransport {
                            callbackTransport.start(request) { result in
                                sink.yield(.finished(attempt, host, result, started, elapsed()))
                            }
                        } else {
                            group.addTask { [transport] in
                                let result = await transport.send(request)
                                sink.yield(.finished(attempt, host, result, started, elapsed()))
                            }
                        }
                    case .setTimer(let at):
                        group.addTask {
                            await clock.sleep(until: at)
                            sink.yield(.tick)
                        }
                    case .poll:
                        polling = true
                    case .wait:
                        break
                    case .done:
                        return
                    }
                }
                if polling {
                    await clock.sleep(until: elapsed() + 0.01)
                    continue
                }
                // The whole batch is handled before anything new starts, so its starts reach the
                // transport together (one wake-up of its loop, not one per finished transfer).
                for event in await sink.take() {
                    switch event {
                    case .tick:
                        loop.ticked(now: elapsed())
                    case .finished(let attempt, let host, let result, let started, let ended):
                        // The probe is read in place (plan.pairs[p].probe), never copied: once per answer.
                        let p = attempt.pair
                        let kind = plan.pairs[p].probe.kind
                        let sent = secrets.of(attempt)
                        // The probe's own secret (an operator token, a client secret) never shows either; in
                        // the server's words, no secret this host was sent does.
                        // Only a SCIM lookup reads the name it asked about (decoding it for every answer would be wasted).
                        let lookup = kind == .scim ? (sent.secret.text ?? "") : ""
                        let outcome = VerifyEngine.redact(ResponseClassifier.classify(result, probe: plan.pairs[p].probe, lookup: lookup),
                                                          own: plan.pairs[p].authSecret.map { [sent.secret, $0] } ?? [sent.secret],
                                                          everyOutcome: !kind.isHTTP) {
                            if let grams = gramsOfHost[host] { return grams }
                            let grams = SecretGrams(VerifyEngine.secrets(sentTo: host, plan: plan, hostOfPair: hostOfPair))
                            gramsOfHost[host] = grams
                            return grams
                        }
                        let completion = Completion(attempt: attempt, secret: sent.secret, username: sent.username, result: result, outcome: outcome, durationMs: Int((ended - started) * 1000))
                        loop.finished(hostIndex: host, retry: handle(completion).map { (job: $0.0, delay: $0.1) }, now: elapsed())
                    }
                }
            }
        }
    }

    enum DriveEvent: Sendable {
        case finished(Attempt, Int, ProbeResult, Double, Double)
        case tick
    }


    /// When a client secret's `invalid_client` proves nothing on this pair: the token endpoint's
    /// method and the positive control's client, or nil for a pair where it always proves what it
    /// says. RFC 6749 §5.2 also gives `invalid_client` to a client that may not authenticate this
    /// way (registered for `client_secret_post`, sent `client_secret_basic`): only an accepted
    /// positive control of the *same* client (its new secret) shows this is its method (found by an
    /// adversarial run: another client's control let a live post-only secret read as dead).
    static func sameClientRule(_ pair: ControlPair) -> (method: String, controlClient: String?)? {
        guard case .tokenRequest(let method, _) = pair.probe.auth, method != .jwtBearer, pair.positiveSecret != nil else { return nil }
        return (method.rawValue, pair.positiveUsername)
    }

    /// Why `invalid_client` for client `clientID` proves nothing under `rule`, or nil.
    static func otherClientsControl(_ rule: (method: String, controlClient: String?)?, clientID: String?) -> String? {
        guard let rule, rule.controlClient != clientID else { return nil }
        return "invalid_client is also the answer to a client that may not use \(rule.method) (RFC 6749 §5.2), "
            + "and the positive control here is another client's: only one of the same client (its new secret) shows the method is its own"
    }

    /// A retry of a transient answer (429, 503, connection failure), or nil. Retry-After is honoured
    /// up to `retries.max_retry_after_seconds`; beyond that the outcome stays inconclusive.
    func retry(_ completion: Completion) -> (Attempt, Double)? {
        let a = completion.attempt
        guard a.number < configuration.retries.attempts else { return nil }
        var delay = Double(configuration.retries.backoffMs) / 1000 * pow(2, Double(a.number - 1))
        switch completion.result {
        case .success(.http(let response)) where response.status == 429 || response.status == 503:
            if let header = response.header("retry-after") {
                guard let seconds = VerifyEngine.retryAfterSeconds(header) else { break }
                if seconds > configuration.retries.maxRetryAfterSeconds { return nil }
                delay = max(delay, seconds)
            }
        case .failure(let f) where f.kind == .connect:
            break
        default:
            return nil
        }
        var next = a
        next.number += 1
        return (next, delay)
    }

    /// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
    static func retryAfterSeconds(_ value: String, now: Date = Date()) -> Double? {
        let v = value.trimmingCharacters(in: .whitespaces)
        if let n = Double(v), n >= 0 { return n }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: v).map { max(0, $0.timeIntervalSince(now)) }
    }

    /// A server's or libcurl's text must never carry a secret into a report or the ledger. The
    /// server's words (ServerText) lose any run of any secret sent to that server (`grams`, made
    /// when first needed); revenant's own words around them lose this attempt's whole secrets
    /// (`own`). Matched HTTP outcomes carry only our own text ("status 200 matched
    /// authenticated[0]") and are left as they are.
    static func redact(_ outcome: ProbeOutcome, own: [Secret], everyOutcome: Bool = false, grams: () -> SecretGrams) -> ProbeOutcome {
        let marked = ServerText.isMarked(outcome.reason)
        if !marked && !everyOutcome && (outcome.isAuthenticated || outcome.isRejected) { return outcome }
        let scrubber = SecretScrubber(grams: marked ? grams() : SecretGrams([]), own: own)
        let reason = scrubber.scrub(outcome.reason)
        return reason == outcome.reason ? outcome : outcome.withReason(reason)
    }

    /// As above, with the grams of exactly these secrets.
    static func redact(_ outcome: ProbeOutcome, secrets: [Secret], everyOutcome: Bool = false) -> ProbeOutcome {
        redact(outcome, own: secrets, everyOutcome: everyOutcome) { SecretGrams(secrets) }
    }

    /// Every secret the run sends to host `host`: its credentials', its positive controls' and its
    /// probes' own (operator tokens, client secrets).
    static func secrets(sentTo host: Int, plan: VerifyPlan, hostOfPair: [Int]) -> [Secret] {
        let pairs = Set(plan.pairs.indices.filter { hostOfPair[$0] == host })
        var out: [Secret] = pairs.flatMap { [plan.pairs[$0].positiveSecret, plan.pairs[$0].authSecret].compactMap { $0 } }
        for (ci, checks) in plan.checks.enumerated() where checks.contains(where: { $0.pair.map(pairs.contains) ?? false }) {
            if let secret = plan.secrets[ci] { out.append(secret) }
        }
        return out
    }

    /// Writes one attempt to the ledger; returns its hash (the report's `evidence`).
    @discardableResult
    func record(_ c: Completion, _ recorder: Recorder) -> String? {
        guard let ledger = recorder.ledger else { return nil }
        // The plan and its pair are read in place, never bound to a local: a copy of either (every
        // probe field retained and released) is paid once per answer.
        let p = c.attempt.pair
        var fields: [(String, Tree)] = [
            ("time", .string(Timestamp.formatPrecise(recorder.now()))),
            ("run", .string(recorder.runID)),
            ("probe", .string(recorder.plan.pairs[p].probe.id)),
            ("target", .string(ProbeRequestBuilder.displayURL(recorder.plan.pairs[p].probe, target: recorder.plan.pairs[p].target))),
            ("fingerprint", .string(recorder.fingerprinter.fingerprint(c.secret))),
            ("outcome", .string(c.outcome.name)),
            ("reason", .string(c.outcome.reason)),
            ("attempt", .int(c.attempt.number)),
            ("duration_ms", .int(c.durationMs)),
        ]
        switch c.attempt.role {
        case .credential(let ci, _): fields.append(("credential", .string(recorder.plan.inventory.credentials[ci].id)))
        case .negative: fields.append(("control", .string("negative")))
        case .positive: fields.append(("control", .string("positive")))
        }
        if case .success(.http(let r)) = c.result {
            fields.append(("http_status", .int(r.status)))
            // Whose key it was, as the evidence of an AWS key that still works (never the ARN's user path).
            if recorder.plan.pairs[p].probe.kind == .awsSigV4, r.status == 200, let account = AWSSigV4Protocol.account(r.body) {
                fields.append(("account", .string(account)))
            }
        }
        return ledger.append(fields)
    }
}

import Foundation
import Testing
@testable import RevenantCore

/// `Classifier.findings` with `now` injected: every code it produces, its boundaries, and the
/// safety property that a should-be-dead credential is only called dead on proof.
@Suite struct ClassifierTests {
    static let now = Timestamp.parse("2026-11-29T12:00:00Z")!
    static let day: TimeInterval = 86_400
    static let targetA = "https://a.example.com/user"
    static let targetB = "https://b.example.com/me"

    // MARK: helpers

    static func credential(
        _ state: LifecycleState, kind: CredentialKind = .apiKey, owner: String? = "team-payments",
        issuedAt: Date? = nil, rotatedAt: Date? = nil, revokedAt: Date? = nil, expiresAt: Date? = nil
    ) -> Credential {
        Credential(id: "cred-1", kind: kind, state: state, owner: owner, issuedAt: issuedAt, rotatedAt: rotatedAt,
                   revokedAt: revokedAt, expiresAt: expiresAt, secret: .environment("X"))
    }

    static func daysAgo(_ n: Double) -> Date { now.addingTimeInterval(-n * day) }
    static func daysAhead(_ n: Double) -> Date { now.addingTimeInterval(n * day) }

    static let authenticated = ProbeOutcome.authenticated(reason: "status 200 matched authenticated[0]")
    static let rejected = ProbeOutcome.rejected(reason: "status 401 matched rejected[0]")
    static let inconclusive = ProbeOutcome.inconclusive(reason: "status 503: server error")
    static let skipped = ProbeOutcome.skipped(reason: "target host not in allowed_hosts")

    /// A check whose negative control was rejected (the target does not accept anything) unless told otherwise.
    static func check(
        _ outcome: ProbeOutcome, at target: String = targetA,
        negative: ProbeOutcome? = rejected, positive: ProbeOutcome? = nil
    ) -> ProbeCheck {
        ProbeCheck(probe: "github", target: target, outcome: outcome,
                   controls: ControlStatus(negative: negative, positive: positive))
    }

    static func findings(_ credential: Credential, _ checks: [ProbeCheck], policy: Policy = Policy()) -> [Finding] {
        Classifier.findings(for: credential, checks: checks, policy: policy, now: now)
    }

    static func codes(_ findings: [Finding]) -> [FindingCode] {
        findings.map(\.code).sorted { $0.rawValue < $1.rawValue }
    }

    static func codes(_ credential: Credential, _ checks: [ProbeCheck], policy: Policy = Policy()) -> [FindingCode] {
        codes(findings(credential, checks, policy: policy))
    }

    // MARK: the table: every state × what the probes saw

    /// What the probes showed for a credential with one target (controls passed).
    enum Seen: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case authenticated, rejected, inconclusive, skipped, noProbe
        var testDescription: String { rawValue }

        var checks: [ProbeCheck] {
            switch self {
            case .authenticated: [ClassifierTests.check(ClassifierTests.authenticated)]
            case .rejected: [ClassifierTests.check(ClassifierTests.rejected)]
            case .inconclusive: [ClassifierTests.check(ClassifierTests.inconclusive)]
            case .skipped: [ClassifierTests.check(ClassifierTests.skipped)]
            case .noProbe: []
            }
        }
    }

    static let stateTable: [(LifecycleState, Seen, [FindingCode])] = [
        (.active, .authenticated, [.ok]),
        (.active, .rejected, [.inventoryDrift]),
        (.active, .inconclusive, [.checkFailed]),
        (.active, .skipped, [.checkFailed]),
        (.active, .noProbe, []),
        (.rotated, .authenticated, [.residualAccess]),
        (.rotated, .rejected, [.revocationVerified]),
        (.rotated, .inconclusive, [.revocationUnverified]),
        (.rotated, .skipped, [.revocationUnverified]),
        (.rotated, .noProbe, [.revocationUnverified]),
        (.revoked, .authenticated, [.residualAccess]),
        (.revoked, .rejected, [.revocationVerified]),
        (.revoked, .inconclusive, [.revocationUnverified]),
        (.revoked, .skipped, [.revocationUnverified]),
        (.revoked, .noProbe, [.revocationUnverified]),
        (.offboarded, .authenticated, [.residualAccess]),
        (.offboarded, .rejected, [.revocationVerified]),
        (.offboarded, .inconclusive, [.revocationUnverified]),
        (.offboarded, .skipped, [.revocationUnverified]),
        (.offboarded, .noProbe, [.revocationUnverified]),
        (.expired, .authenticated, [.residualAccess]),
        (.expired, .rejected, [.revocationVerified]),
        (.expired, .inconclusive, [.revocationUnverified]),
        (.expired, .skipped, [.revocationUnverified]),
        (.expired, .noProbe, [.revocationUnverified]),
    ]

    @Test func stateTableCoversEveryStateAndOutcome() {
        for state in LifecycleState.allCases {
            for seen in Seen.allCases {
                #expect(Self.stateTable.contains { $0.0 == state && $0.1 == seen }, "missing row \(state) × \(seen)")
            }
        }
    }

    @Test(arguments: stateTable)
    func everyStateAndOutcomeGivesItsFindings(state: LifecycleState, seen: Seen, expected: [FindingCode]) {
        let got = Self.codes(Self.credential(state), seen.checks)
        #expect(got == expected.sorted { $0.rawValue < $1.rawValue })
    }

    // MARK: residual access

    @Test func revokedKeyStillAcceptedIsResidualAccess() throws {
        let revokedAt = Timestamp.parse("2026-11-01T09:30:00Z")!
        let found = Self.findings(Self.credential(.revoked, revokedAt: revokedAt), [Self.check(Self.authenticated)])
        #expect(Self.codes(found) == [.residualAccess])
        let finding = try #require(found.first)
        #expect(finding.severity == .critical)
        #expect(finding.message.contains("revoked credential still authenticates at \(Self.targetA)"))
        #expect(finding.message.contains("recorded revoked at 2026-11-01T09:30:00Z"))
    }

    @Test func acceptanceAtOneTargetOutweighsRejectionsElsewhere() {
        let found = Self.findings(Self.credential(.offboarded), [
            Self.check(Self.rejected, at: Self.targetA),
            Self.check(Self.authenticated, at: Self.targetB),
        ])
        #expect(Self.codes(found) == [.residualAccess])
        #expect(found[0].message.contains(Self.targetB))
        #expect(!found[0].message.contains(Self.targetA))
    }

    @Test func residualAccessListsEveryTargetThatAccepted() {
        let found = Self.findings(Self.credential(.rotated), [
            Self.check(Self.authenticated, at: Self.targetA),
            Self.check(Self.authenticated, at: Self.targetB),
        ])
        #expect(Self.codes(found) == [.residualAccess])
        #expect(found[0].message.contains("\(Self.targetA), \(Self.targetB)"))
    }

    // MARK: controls

    @Test func acceptanceWhereRandomCredentialWasAlsoAcceptedIsUnverifiedNotResidual() {
        let found = Self.findings(Self.credential(.revoked), [Self.check(Self.authenticated, negative: Self.authenticated)])
        #expect(Self.codes(found) == [.revocationUnverified])
        #expect(found[0].message.contains("negative control failed"))
        #expect(found[0].message.contains(Self.targetA))
    }

    /// A live answer stays critical when the random credential got no clear answer (a 429, a
    /// timeout): reporting it as merely "unverified" would hide it under `--fail-on critical`.
    @Test func acceptanceWithInconclusiveNegativeControlIsResidualAccessWithACaveat() {
        let found = Self.findings(Self.credential(.revoked), [Self.check(Self.authenticated, negative: Self.inconclusive)])
        #expect(Self.codes(found) == [.residualAccess])
        #expect(found[0].message.contains("negative control inconclusive"))
        #expect(found[0].message.contains("not cross-checked"))
    }

    @Test func acceptanceWithoutAnyNegativeControlIsUnverified() {
        let found = Self.findings(Self.credential(.revoked), [Self.check(Self.authenticated, negative: nil)])
        #expect(Self.codes(found) == [.revocationUnverified])
        #expect(found[0].message.contains("no negative control ran"))
    }

    @Test func acceptanceWithSkippedNegativeControlIsResidualAccessWithACaveat() {
        let found = Self.findings(Self.credential(.offboarded), [Self.check(Self.authenticated, negative: Self.skipped)])
        #expect(Self.codes(found) == [.residualAccess])
        #expect(found[0].message.contains("not cross-checked"))
    }

    @Test(arguments: [rejected, inconclusive, skipped])
    func rejectionWhereKnownGoodCredentialFailedIsUnverified(positive: ProbeOutcome) {
        let found = Self.findings(Self.credential(.revoked), [Self.check(Self.rejected, positive: positive)])
        #expect(Self.codes(found) == [.revocationUnverified])
        #expect(found[0].message.contains("known-good control credential was \(positive.name)"))
    }

    @Test func rejectionWhereKnownGoodCredentialAuthenticatedIsVerified() {
        let found = Self.findings(Self.credential(.revoked), [Self.check(Self.rejected, positive: Self.authenticated)])
        #expect(Self.codes(found) == [.revocationVerified])
    }

    /// DESIGN.md §1.2: "If the target accepts [a random credential], the target accepts anything:
    /// no result on it proves anything." A rejection there is contradictory evidence, not proof.
    @Test func rejectionAtTargetThatAcceptedRandomCredentialIsNotProof() {
        let found = Self.findings(Self.credential(.revoked), [Self.check(Self.rejected, negative: Self.authenticated)])
        #expect(!found.contains { $0.code == .revocationVerified })
        #expect(Self.codes(found) == [.revocationUnverified])
    }

    // MARK: revocation unverified / verified

    @Test func rejectedAtOneTargetButInconclusiveAtAnotherIsUnverified() {
        let found = Self.findings(Self.credential(.offboarded), [
            Self.check(Self.rejected, at: Self.targetA),
            Self.check(Self.inconclusive, at: Self.targetB),
        ])
        #expect(Self.codes(found) == [.revocationUnverified])
        #expect(found[0].severity == .high)
        #expect(found[0].message.contains("\(Self.targetB): inconclusive: status 503"))
        #expect(!found[0].message.contains("\(Self.targetA):"))
    }

    @Test func skippedCheckIsUnverifiedWithItsReason() {
        let found = Self.findings(Self.credential(.rotated), [Self.check(Self.skipped)])
        #expect(Self.codes(found) == [.revocationUnverified])
        #expect(found[0].message.contains("skipped: target host not in allowed_hosts"))
    }

    @Test func deadCredentialWithoutProbeIsUnverified() {
        let found = Self.findings(Self.credential(.offboarded), [])
        #expect(Self.codes(found) == [.revocationUnverified])
        #expect(found[0].message.contains("no probe"))
    }

    @Test func rejectedEverywhereIsRevocationVerified() {
        let found = Self.findings(Self.credential(.offboarded), [
            Self.check(Self.rejected, at: Self.targetA),
            Self.check(Self.rejected, at: Self.targetB),
        ])
        #expect(Self.codes(found) == [.revocationVerified])
        #expect(found[0].severity == .info)
        #expect(found[0].message.contains(Self.targetA))
        #expect(found[0].message.contains(Self.targetB))
    }

    /// The key safety property, over every combination of outcome and controls for one and two
    /// targets: `revocation_verified` only when every check is a rejection that counts, and
    /// `residual_access` whenever an acceptance counts (a negative control ran and did not also
    /// authenticate).
    @Test(arguments: [LifecycleState.rotated, .revoked, .offboarded, .expired])
    func deadCredentialIsCalledDeadOnlyOnProof(state: LifecycleState) {
        let outcomes = [Self.authenticated, Self.rejected, Self.inconclusive, Self.skipped]
        let controls: [ProbeOutcome?] = [nil, Self.authenticated, Self.rejected, Self.inconclusive]
        var singles: [ProbeCheck] = []
        for outcome in outcomes {
            for negative in controls {
                for positive in controls {
                    singles.append(Self.check(outcome, negative: negative, positive: positive))
                }
            }
        }
        func acceptanceCounts(_ c: ProbeCheck) -> Bool {
            c.outcome.isAuthenticated && c.controls.negative != nil && c.controls.negative?.isAuthenticated == false
        }
        func rejectionCounts(_ c: ProbeCheck) -> Bool {
            c.outcome.isRejected && c.controls.negative?.isAuthenticated != true
                && (c.controls.positive == nil || c.controls.positive?.isAuthenticated == true)
        }
        var combinations = singles.map { [$0] }
        for a in singles {
            for b in singles { combinations.append([a, b]) }
        }
        var failures = 0
        for checks in combinations {
            let got = Set(Self.codes(Self.credential(state), checks))
            let residual = checks.contains(where: acceptanceCounts)
            let verified = !residual && checks.allSatisfy(rejectionCounts)
            let expected: FindingCode = residual ? .residualAccess : verified ? .revocationVerified : .revocationUnverified
            if got != [expected] {
                failures += 1
                if failures <= 5 {
                    Issue.record("\(state) with \(checks.map { "\($0.outcome.name)/neg=\($0.controls.negative?.name ?? "nil")/pos=\($0.controls.positive?.name ?? "nil")" }): got \(got), expected \(expected)")
                }
            }
        }
        #expect(failures == 0)
    }

    // MARK: expiry

    @Test func activeCredentialPastExpiryIsExpired() {
        let expires = Timestamp.parse("2026-11-20T00:00:00Z")!
        let found = Self.findings(Self.credential(.active, expiresAt: expires), [])
        #expect(Self.codes(found) == [.expired])
        #expect(found[0].severity == .high)
        #expect(found[0].message.contains("expired at 2026-11-20T00:00:00Z"))
    }

    @Test func expiryAtExactlyNowCountsAsExpired() {
        #expect(Self.codes(Self.credential(.active, expiresAt: Self.now), []) == [.expired])
    }

    @Test func expiredActiveCredentialThatStillAuthenticatesIsExpiredStillAccepted() {
        let found = Self.findings(Self.credential(.active, expiresAt: Self.daysAgo(3)), [Self.check(Self.authenticated)])
        #expect(Self.codes(found) == [.expired, .expiredStillAccepted])
        #expect(found.first?.code == .expiredStillAccepted)
        #expect(found.first?.severity == .critical)
        #expect(found.first?.message.contains("still authenticates at \(Self.targetA)") == true)
    }

    @Test(arguments: [LifecycleState.revoked, .expired, .rotated, .offboarded])
    func deadCredentialPastExpiryThatAuthenticatesIsBothResidualAndExpiredStillAccepted(state: LifecycleState) {
        let got = Self.codes(Self.credential(state, expiresAt: Self.daysAgo(10)), [Self.check(Self.authenticated)])
        #expect(got == [.expiredStillAccepted, .residualAccess])
    }

    @Test func expiredCredentialAcceptedOnlyWithFailedNegativeControlIsNotExpiredStillAccepted() {
        let got = Self.codes(Self.credential(.active, expiresAt: Self.daysAgo(1)), [Self.check(Self.authenticated, negative: Self.authenticated)])
        #expect(got == [.checkFailed, .expired])
    }

    @Test func deadCredentialPastExpiryIsNotReportedAsExpired() {
        let got = Self.codes(Self.credential(.expired, expiresAt: Self.daysAgo(100)), [Self.check(Self.rejected)])
        #expect(got == [.revocationVerified])
    }

    /// (days until expiry, warning days, expiring_soon expected)
    static let expiryBoundaries: [(Double, Int, Bool)] = [
        (30, 30, true),
        (30 + 1.0 / 86_400, 30, false),
        (29.5, 30, true),
        (1.0 / 86_400, 30, true),
        (7, 7, true),
        (8, 7, false),
        (45, 60, true),
        (0.5, 0, false),
    ]

    @Test(arguments: expiryBoundaries)
    func expiringSoonAtMostWarningDaysAway(daysLeft: Double, warningDays: Int, expected: Bool) {
        let found = Self.findings(
            Self.credential(.active, expiresAt: Self.daysAhead(daysLeft)), [], policy: Policy(expiryWarningDays: warningDays))
        #expect(found.contains { $0.code == .expiringSoon } == expected)
        #expect(!found.contains { $0.code == .expired })
    }

    @Test func expiringSoonSaysWhenAndTheWarningThreshold() throws {
        let found = Self.findings(Self.credential(.active, expiresAt: Self.daysAhead(30)), [])
        let finding = try #require(found.first { $0.code == .expiringSoon })
        #expect(finding.severity == .medium)
        #expect(finding.message.contains("expires at 2026-12-29T12:00:00Z"))
        #expect(finding.message.contains("in 30 days; warning at 30"))
    }

    // MARK: rotation

    @Test func rotatedAtIsPreferredOverIssuedAt() throws {
        let fresh = Self.credential(.active, issuedAt: Self.daysAgo(400), rotatedAt: Self.daysAgo(10))
        #expect(!Self.codes(fresh, []).contains(.rotationOverdue))
        let stale = Self.credential(.active, issuedAt: Self.daysAgo(10), rotatedAt: Self.daysAgo(400))
        let finding = try #require(Self.findings(stale, []).first { $0.code == .rotationOverdue })
        #expect(finding.message.contains("400 days since rotated_at"))
    }

    @Test func issuedAtIsUsedWhenNeverRotated() throws {
        let found = Self.findings(Self.credential(.active, issuedAt: Self.daysAgo(100)), [])
        let finding = try #require(found.first { $0.code == .rotationOverdue })
        #expect(finding.severity == .medium)
        #expect(finding.message.contains("100 days since issued_at"))
        #expect(finding.message.contains("policy allows 90"))
    }

    @Test func noDatesMeansNoRotationFinding() {
        #expect(Self.codes(Self.credential(.active), []).isEmpty)
    }

    /// (kind, days since rotation, overdue expected) under default 90 and ssh_key 365.
    static let rotationLimits: [(CredentialKind, Double, Bool)] = [
        (.apiKey, 90, false),
        (.apiKey, 90 + 1.0 / 86_400, true),
        (.apiKey, 200, true),
        (.sshKey, 200, false),
        (.sshKey, 365, false),
        (.sshKey, 366, true),
        (.password, 91, true),
    ]

    @Test(arguments: rotationLimits)
    func rotationOverdueUsesPerKindLimitElseDefault(kind: CredentialKind, age: Double, expected: Bool) {
        let policy = Policy(maxRotationAgeDays: [.sshKey: 365], defaultMaxRotationAgeDays: 90)
        let found = Self.findings(Self.credential(.active, kind: kind, rotatedAt: Self.daysAgo(age)), [], policy: policy)
        let finding = found.first { $0.code == .rotationOverdue }
        #expect((finding != nil) == expected)
        if let finding {
            #expect(finding.message.contains("policy allows \(kind == .sshKey ? 365 : 90)"))
        }
    }

    @Test func justPastTheLimitDoesNotReadAsWithinIt() throws {
        let found = Self.findings(Self.credential(.active, rotatedAt: Self.daysAgo(90.5)), [])
        let finding = try #require(found.first { $0.code == .rotationOverdue })
        #expect(finding.message.hasPrefix("more than 90 days since rotated_at"))
        #expect(finding.message.contains("policy allows 90"))
    }

    @Test(arguments: [LifecycleState.rotated, .revoked, .offboarded, .expired])
    func lifecycleAgeFindingsApplyOnlyToActiveCredentials(state: LifecycleState) {
        let c = Self.credential(state, issuedAt: Self.daysAgo(1000), expiresAt: Self.daysAhead(2))
        let got = Self.codes(c, [Self.check(Self.rejected)])
        #expect(got == [.revocationVerified])
    }

    // MARK: inventory drift, ownerless, ok

    @Test func activeCredentialRejectedIsInventoryDrift() {
        let found = Self.findings(Self.credential(.active), [Self.check(Self.rejected)])
        #expect(Self.codes(found) == [.inventoryDrift])
        #expect(found[0].severity == .low)
        #expect(found[0].message.contains("rejected at \(Self.targetA)"))
    }

    @Test func activeCredentialRejectedAtOneTargetAndAcceptedAtAnotherIsDriftNotOk() {
        let got = Self.codes(Self.credential(.active), [
            Self.check(Self.authenticated, at: Self.targetA), Self.check(Self.rejected, at: Self.targetB),
        ])
        #expect(got == [.inventoryDrift])
    }

    @Test func activeRejectionWithFailedPositiveControlIsNotDrift() {
        let got = Self.codes(Self.credential(.active), [Self.check(Self.rejected, positive: Self.rejected)])
        #expect(got == [.checkFailed], "a rejection the controls do not back is no drift, and no answer either")
    }

    @Test(arguments: [nil, "", "   ", " \t ", "\n"] as [String?])
    func missingOrBlankOwnerIsOwnerless(owner: String?) {
        let found = Self.findings(Self.credential(.revoked, owner: owner), [Self.check(Self.rejected)])
        #expect(Self.codes(found) == [.ownerless, .revocationVerified])
        #expect(found.first { $0.code == .ownerless }?.severity == .low)
    }

    @Test func namedOwnerIsNotOwnerless() {
        #expect(!Self.codes(Self.credential(.active, owner: " secops "), []).contains(.ownerless))
    }

    @Test func activeAuthenticatedEverywhereWithinPolicyIsOk() {
        let c = Self.credential(.active, issuedAt: Self.daysAgo(10), expiresAt: Self.daysAhead(300))
        let found = Self.findings(c, [Self.check(Self.authenticated, at: Self.targetA), Self.check(Self.authenticated, at: Self.targetB)])
        #expect(Self.codes(found) == [.ok])
        #expect(found[0].severity == .info)
    }

    @Test func lowFindingsStillAllowOk() {
        #expect(Self.codes(Self.credential(.active, owner: nil), [Self.check(Self.authenticated)]) == [.ok, .ownerless])
    }

    /// Cases where an active credential authenticates somewhere but is not `ok`.
    static let notOkCases: [(String, Credential, [ProbeCheck])] = [
        ("expiring soon", credential(.active, expiresAt: daysAhead(3)), [check(authenticated)]),
        ("rotation overdue", credential(.active, issuedAt: daysAgo(365)), [check(authenticated)]),
        ("expired", credential(.active, expiresAt: daysAgo(1)), [check(authenticated)]),
        ("inconclusive elsewhere", credential(.active), [check(authenticated), check(inconclusive, at: targetB)]),
        ("skipped elsewhere", credential(.active), [check(authenticated), check(skipped, at: targetB)]),
        ("negative control failed", credential(.active), [check(authenticated, negative: authenticated)]),
        ("no negative control", credential(.active), [check(authenticated, negative: nil)]),
        ("no probe", credential(.active), []),
    ]

    @Test(arguments: notOkCases)
    func okOnlyWhenAuthenticatedEverywhereAndNothingMediumOrWorse(name: String, credential: Credential, checks: [ProbeCheck]) {
        #expect(!Self.codes(credential, checks).contains(.ok), "\(name)")
    }

    @Test func deadCredentialIsNeverOk() {
        for state in LifecycleState.allCases where state.shouldBeDead {
            #expect(!Self.codes(Self.credential(state), [Self.check(Self.authenticated)]).contains(.ok))
        }
    }

    // MARK: ordering and severities

    @Test func findingsAreSortedWorstFirst() {
        let c = Self.credential(.active, owner: nil, issuedAt: Self.daysAgo(200), expiresAt: Self.daysAgo(1))
        let found = Self.findings(c, [Self.check(Self.authenticated), Self.check(Self.rejected, at: Self.targetB)])
        #expect(Set(found.map(\.code)) == [.expiredStillAccepted, .expired, .rotationOverdue, .inventoryDrift, .ownerless])
        let severities = found.map(\.severity)
        #expect(severities == severities.sorted(by: >))
        #expect(found.first?.code == .expiredStillAccepted)
    }

    static let severityTable: [(FindingCode, Severity)] = [
        (.residualAccess, .critical), (.cameBackToLife, .critical), (.expiredStillAccepted, .critical), (.notRevokedAtCA, .critical),
        (.rotationNotDeployed, .high), (.revocationUnverified, .high), (.expired, .high),
        (.expiringSoon, .medium), (.rotationOverdue, .medium), (.weakCrypto, .medium), (.checkFailed, .medium),
        (.inventoryDrift, .low), (.ownerless, .low), (.revocationVerified, .info), (.ok, .info),
        (.crlStale, .high), (.crlExpiring, .medium), (.ocspResponderDown, .high), (.ocspResponderUnauthorized, .high),
        (.ocspResponderCertExpiring, .medium),
    ]

    @Test(arguments: severityTable)
    func everyCodeHasTheSeverityOfTheDesignTable(code: FindingCode, severity: Severity) {
        #expect(code.defaultSeverity == severity)
        #expect(Finding(code: code, message: "m").severity == severity)
    }

    @Test func severityTableNamesEveryCode() {
        #expect(Set(Self.severityTable.map(\.0)) == Set(FindingCode.allCases))
    }

    @Test func severitiesOrderFromInfoToCritical() {
        #expect(Severity.info < .low && Severity.low < .medium && Severity.medium < .high && Severity.high < .critical)
    }

    /// The fast test of an owner keeps the rule it stands for: every Character whitespace.
    @Test(arguments: [nil, "", " ", "\t\n", "\u{2003}", "\u{85}", "\u{A0}", "a", " a", "team-a", "é", "x\u{301}",
                      "\u{2003}x", "\r\n", "~", "\u{7F}", "\u{1F}", "👤"] as [String?])
    func aBlankOwnerIsOneOfWhitespaceOnly(_ owner: String?) {
        #expect(Classifier.isBlank(owner) == (owner?.allSatisfy(\.isWhitespace) ?? true), "\(String(reflecting: owner))")
    }
}


/// An active credential nothing could check is said so, never left out of the report.
@Suite struct CheckFailedTests {
    @Test func anActiveCredentialWhoseChecksAllFailedIsCheckFailed() {
        let c = ClassifierTests.credential(.active, owner: "team")
        let inconclusive = ClassifierTests.findings(c, [ClassifierTests.check(.inconclusive(reason: "timeout: no answer"))])
        #expect(inconclusive.map(\.code) == [.checkFailed], "\(inconclusive)")
        #expect(inconclusive.first?.message.contains("timeout: no answer") == true)
        let skipped = ClassifierTests.findings(c, [ClassifierTests.check(.skipped(reason: "environment variable X is not set"))])
        #expect(skipped.map(\.code) == [.checkFailed])
        // No probe at all is a lifecycle-only credential, not a failed check; one answer is enough.
        #expect(ClassifierTests.findings(c, []).isEmpty)
        let oneAnswered = ClassifierTests.findings(c, [ClassifierTests.check(ClassifierTests.authenticated),
                                                       ClassifierTests.check(.inconclusive(reason: "timeout"), at: ClassifierTests.targetB)])
        #expect(!oneAnswered.map(\.code).contains(.checkFailed))
        // Should-be-dead credentials have revocation_unverified for this.
        let dead = ClassifierTests.findings(ClassifierTests.credential(.revoked, owner: "team"), [ClassifierTests.check(.inconclusive(reason: "t"))])
        #expect(dead.map(\.code) == [.revocationUnverified])
    }
}

import Foundation
import Testing
@testable import RevenantCore

/// The offboarding summary: which should-be-dead credentials count as proven dead, still live or
/// unverified, and how owners are grouped. The property that matters most: nothing without a
/// definitive rejection ever counts as dead.
@Suite struct OwnerSummaryTests {
    static let now = Timestamp.parse("2026-11-29T12:00:00Z")!
    static let targetA = "https://a.example.com/user"
    static let targetB = "https://b.example.com/me"

    static let authenticated = ProbeOutcome.authenticated(reason: "status 200 matched authenticated[0]")
    static let rejected = ProbeOutcome.rejected(reason: "status 401 matched rejected[0]")
    static let inconclusive = ProbeOutcome.inconclusive(reason: "status 503: server error")
    static let skipped = ProbeOutcome.skipped(reason: "target host not in allowed_hosts")

    static func check(_ outcome: ProbeOutcome, probe: String = "github", at target: String = targetA,
                      negative: ProbeOutcome? = rejected, positive: ProbeOutcome? = nil) -> ProbeCheck {
        ProbeCheck(probe: probe, target: target, outcome: outcome, controls: ControlStatus(negative: negative, positive: positive))
    }

    /// A result whose findings come from the real verdict rules (the Classifier), as a run gives them.
    static func classified(id: String = "cred", state: LifecycleState, owner: String? = "dana", expiresAt: Date? = nil,
                           checks: [ProbeCheck]) -> CredentialResult {
        let credential = Credential(id: id, kind: .apiKey, state: state, owner: owner, expiresAt: expiresAt, secret: .environment("X"))
        return CredentialResult(credential: credential, fingerprint: nil, checks: checks,
                                findings: Classifier.findings(for: credential, checks: checks, policy: Policy(), now: now))
    }

    /// A result with the findings given, for what other rules (the CA, `certs`) produce.
    static func given(id: String = "cred", state: LifecycleState, owner: String? = "dana", checks: [ProbeCheck] = [],
                      findings: [FindingCode]) -> CredentialResult {
        let credential = Credential(id: id, kind: .x509Certificate, state: state, owner: owner)
        return CredentialResult(credential: credential, fingerprint: nil, checks: checks,
                                findings: findings.map { Finding(code: $0, message: "\($0.rawValue) message") })
    }

    static func report(_ results: [CredentialResult], complete: Bool = true) -> RunReport {
        RunReport(runID: "r", startedAt: now, finishedAt: now, complete: complete, inventories: [], ledgerHead: nil, results: results)
    }

    /// The standing without its details.
    enum Kind: String, Sendable { case active, dead, live, unverified }

    static func kind(_ standing: CredentialStanding) -> Kind {
        switch standing {
        case .active: .active
        case .provenDead: .dead
        case .stillLive: .live
        case .unverified: .unverified
        }
    }

    // MARK: the rule, one credential at a time

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let result: CredentialResult
        let expected: Kind
        var testDescription: String { name }
    }

    static let ocspGood = ProbeCheck(probe: "ocsp", target: "http://ocsp.example", outcome: .authenticated(reason: "ocsp: good"),
                                     controls: ControlStatus(negative: nil),
                                     revocation: RevocationLookup(source: .ocsp, url: "http://ocsp.example", status: .good))
    static let crlUnavailable = ProbeCheck(probe: "crl", target: "http://crl.example", outcome: .inconclusive(reason: "crl: unreachable"),
                                           controls: ControlStatus(negative: nil),
                                           revocation: RevocationLookup(source: .crl, url: "http://crl.example", status: .unavailable("unreachable")))

    static let cases: [Case] = [
        Case(name: "revoked, rejected under passing controls", result: classified(state: .revoked, checks: [check(rejected)]), expected: .dead),
        Case(name: "revoked, rejected everywhere it was tried",
             result: classified(state: .offboarded, checks: [check(rejected), check(rejected, probe: "slack", at: targetB)]), expected: .dead),
        Case(name: "revoked, authenticated", result: classified(state: .revoked, checks: [check(authenticated)]), expected: .live),
        Case(name: "rejected at one target, authenticated at another",
             result: classified(state: .offboarded, checks: [check(rejected), check(authenticated, probe: "slack", at: targetB)]), expected: .live),
        Case(name: "inconclusive never counts as dead", result: classified(state: .revoked, checks: [check(inconclusive)]), expected: .unverified),
        Case(name: "skipped never counts as dead", result: classified(state: .rotated, checks: [check(skipped)]), expected: .unverified),
        Case(name: "rejected at one target, inconclusive at another",
             result: classified(state: .offboarded, checks: [check(rejected), check(inconclusive, at: targetB)]), expected: .unverified),
        Case(name: "no probe at all", result: classified(state: .revoked, checks: []), expected: .unverified),
        Case(name: "controls failed: the target accepts a random credential",
             result: classified(state: .revoked, checks: [check(rejected, negative: authenticated)]), expected: .unverified),
        Case(name: "controls failed: the known-good credential was rejected",
             result: classified(state: .revoked, checks: [check(rejected, positive: rejected)]), expected: .unverified),
        Case(name: "no negative control ran: an acceptance proves nothing",
             result: classified(state: .revoked, checks: [check(authenticated, negative: nil)]), expected: .unverified),
        Case(name: "accepted where a random credential is accepted too",
             result: classified(state: .offboarded, checks: [check(authenticated, negative: authenticated)]), expected: .unverified),
        Case(name: "expired and still accepted",
             result: classified(state: .expired, expiresAt: now.addingTimeInterval(-86_400), checks: [check(authenticated)]), expected: .live),
        Case(name: "active and accepted is not dead", result: classified(state: .active, checks: [check(authenticated)]), expected: .active),
        Case(name: "active and rejected (drift) is not counted as dead", result: classified(state: .active, checks: [check(rejected)]),
             expected: .active),
        Case(name: "active that could not be checked", result: classified(state: .active, checks: [check(inconclusive)]), expected: .active),
        Case(name: "revocation_verified beside revocation_unverified (a CA hold)",
             result: given(state: .revoked, checks: [check(rejected)], findings: [.revocationUnverified, .revocationVerified]), expected: .unverified),
        Case(name: "revocation_verified with a check that proved nothing (a rule gone wrong)",
             result: given(state: .revoked, checks: [check(inconclusive)], findings: [.revocationVerified]), expected: .unverified),
        Case(name: "revocation_verified with an accepted check (a rule gone wrong)",
             result: given(state: .revoked, checks: [check(authenticated)], findings: [.revocationVerified]), expected: .unverified),
        Case(name: "check_failed doubts it", result: given(state: .revoked, checks: [check(rejected)], findings: [.revocationVerified, .checkFailed]),
             expected: .unverified),
        Case(name: "revoked at the CA, an unreachable CRL beside it", result: given(state: .revoked, checks: [crlUnavailable], findings: [.revocationVerified]),
             expected: .dead),
        Case(name: "no finding either way", result: given(state: .expired, findings: []), expected: .unverified),
        Case(name: "only findings that say nothing about death", result: given(state: .revoked, findings: [.ownerless, .weakCrypto, .ok]),
             expected: .unverified),
        Case(name: "good at the CA", result: given(state: .revoked, checks: [ocspGood], findings: [.notRevokedAtCA]), expected: .live),
        Case(name: "good at the CA beats rejected by the probes",
             result: given(state: .revoked, checks: [check(rejected), ocspGood], findings: [.notRevokedAtCA, .revocationVerified]), expected: .live),
        Case(name: "still served by an endpoint", result: given(state: .rotated, findings: [.rotationNotDeployed]), expected: .live),
    ]

    @Test(arguments: cases)
    func standingFollowsTheRule(_ c: Case) {
        #expect(Self.kind(OwnerSummary.standing(of: c.result)) == c.expected)
    }

    @Test(arguments: LifecycleState.allCases)
    func everyShouldBeDeadStateIsDeadOnlyOnARejection(_ state: LifecycleState) {
        let dead = OwnerSummary.standing(of: Self.classified(state: state, checks: [Self.check(Self.rejected)]))
        #expect(Self.kind(dead) == (state.shouldBeDead ? .dead : .active))
        for outcome in [Self.inconclusive, Self.skipped] {
            let unproven = OwnerSummary.standing(of: Self.classified(state: state, checks: [Self.check(outcome)]))
            #expect(Self.kind(unproven) == (state.shouldBeDead ? .unverified : .active), "\(outcome)")
        }
    }

    /// Every mix of outcomes and controls over two targets: only all counted rejections make a
    /// should-be-dead credential dead.
    @Test func nothingButCountedRejectionsIsEverDead() {
        let outcomes = [Self.authenticated, Self.rejected, Self.inconclusive, Self.skipped]
        let controls: [(ProbeOutcome?, ProbeOutcome?)] = [(Self.rejected, nil), (Self.authenticated, nil), (nil, nil),
                                                         (Self.inconclusive, nil), (Self.rejected, Self.rejected), (Self.rejected, Self.authenticated)]
        var checked = 0
        for a in outcomes { for b in outcomes { for (na, pa) in controls { for (nb, pb) in controls {
            let checks = [Self.check(a, negative: na, positive: pa), Self.check(b, at: Self.targetB, negative: nb, positive: pb)]
            let result = Self.classified(state: .offboarded, checks: checks)
            let dead = Self.kind(OwnerSummary.standing(of: result)) == .dead
            #expect(dead == checks.allSatisfy { $0.verdict == .rejected }, "\(checks.map(\.verdict))")
            checked += 1
        } } } }
        #expect(checked == 576)
    }

    @Test func stillLiveNamesWhereItWorks() {
        let result = Self.classified(id: "leak", state: .expired, expiresAt: Self.now.addingTimeInterval(-86_400),
                                     checks: [Self.check(Self.authenticated), Self.check(Self.rejected, probe: "slack", at: Self.targetB)])
        // residual_access and expired_still_accepted both point at the same check: named once.
        #expect(OwnerSummary.standing(of: result)
                == .stillLive([LivePlace(credential: "leak", finding: .residualAccess, probe: "github", target: Self.targetA)]))
        let ca = Self.given(id: "cert", state: .revoked, checks: [Self.ocspGood], findings: [.notRevokedAtCA])
        #expect(OwnerSummary.standing(of: ca)
                == .stillLive([LivePlace(credential: "cert", finding: .notRevokedAtCA, probe: "ocsp", target: "http://ocsp.example")]))
        let served = Self.given(id: "10.0.0.5:443", state: .rotated, findings: [.rotationNotDeployed])
        #expect(OwnerSummary.standing(of: served)
                == .stillLive([LivePlace(credential: "10.0.0.5:443", finding: .rotationNotDeployed, probe: "tls", target: "10.0.0.5:443")]))
    }

    @Test func unverifiedSaysWhy() {
        let flaky = Self.classified(id: "flaky", state: .revoked, checks: [Self.check(Self.rejected), Self.check(Self.inconclusive, probe: "ldap", at: Self.targetB)])
        #expect(OwnerSummary.standing(of: flaky)
                == .unverified([UnverifiedReason(credential: "flaky", probe: "ldap", target: Self.targetB, reason: "inconclusive: status 503: server error")]))
        let open = Self.classified(id: "open", state: .revoked, checks: [Self.check(Self.rejected, negative: Self.authenticated)])
        guard case .unverified(let reasons) = OwnerSummary.standing(of: open) else { Issue.record("not unverified"); return }
        #expect(reasons.count == 1)
        #expect(reasons[0].reason.contains("negative control failed"), "\(reasons)")
        let unprobed = Self.classified(id: "unprobed", state: .revoked, checks: [])
        guard case .unverified(let why) = OwnerSummary.standing(of: unprobed) else { Issue.record("not unverified"); return }
        #expect(why.map(\.probe) == [nil])
        #expect(why.first?.reason.contains("no probe") == true)
    }

    @Test(arguments: [
        ("inconclusive: status 503: server error", "ldap", "ldap: status 503: server error"),
        ("skipped: not sent: the target accepted a random credential (negative control), so no result there proves anything", "open",
         "open: not sent: the target accepted a random credential"),
        ("inconclusive: status 302: redirect to http://127.0.0.2:18081/landing not followed (a secret is never sent on)", "sso",
         "sso: status 302: redirect to http://127.0.0.2:18081/landing not followed"),
        ("revoked in the inventory (`cert-a`), and nothing here proves it dead: add --revocation to ask the CA, or probe its endpoints", nil,
         "revoked in the inventory, and nothing here proves it dead"),
        ("inconclusive: timeout; the server (at 10.0.0.1) never answered", "ldap", "ldap: timeout"),
        (String(repeating: "x", count: 100), nil, String(repeating: "x", count: 71) + "…"),
    ] as [(String, String?, String)])
    func briefReasonIsOneShortClause(_ reason: String, _ probe: String?, _ expected: String) {
        #expect(UnverifiedReason(credential: "c", probe: probe, target: nil, reason: reason).brief == expected)
    }

    // MARK: per owner

    @Test func countsPerOwner() throws {
        let summary = OwnerSummary(Self.report([
            Self.classified(id: "d1", state: .revoked, owner: "dana", checks: [Self.check(Self.rejected)]),
            Self.classified(id: "d2", state: .offboarded, owner: "dana", checks: [Self.check(Self.authenticated)]),
            Self.classified(id: "d3", state: .revoked, owner: "dana", checks: [Self.check(Self.inconclusive)]),
            Self.classified(id: "d4", state: .active, owner: "dana", checks: [Self.check(Self.authenticated)]),
            Self.classified(id: "s1", state: .rotated, owner: "sam", checks: [Self.check(Self.rejected)]),
        ]))
        #expect(summary.owners.map(\.owner) == ["dana", "sam"])
        let dana = summary.owners[0]
        #expect((dana.credentials, dana.active, dana.shouldBeDead, dana.provenDead, dana.stillLive, dana.unverified) == (4, 1, 3, 1, 1, 1))
        #expect(dana.results == [0, 1, 2, 3])
        #expect(dana.live.map(\.credential) == ["d2"])
        #expect(dana.unverifiedReasons.map(\.credential) == ["d3"])
        #expect(!dana.allProvenDead)
        let sam = summary.owners[1]
        #expect((sam.credentials, sam.provenDead) == (1, 1))
        #expect(sam.allProvenDead)
    }

    @Test func allProvenDeadNeedsEveryShouldBeDeadCredentialProven() {
        func tally(_ results: [CredentialResult]) -> OwnerTally { OwnerSummary(Self.report(results)).owners[0] }
        let dead = Self.classified(id: "a", state: .revoked, checks: [Self.check(Self.rejected)])
        let flaky = Self.classified(id: "b", state: .revoked, checks: [Self.check(Self.inconclusive)])
        let active = Self.classified(id: "c", state: .active, checks: [Self.check(Self.authenticated)])
        #expect(tally([dead]).allProvenDead)
        #expect(tally([dead, active]).allProvenDead, "active credentials are counted apart")
        #expect(!tally([dead, flaky]).allProvenDead)
        #expect(!tally([active]).allProvenDead, "nothing should be dead, so nothing was proven dead")
    }

    @Test func ownersGroupIgnoringCaseAndSpaceAndNoOwnerComesLast() {
        let summary = OwnerSummary(Self.report([
            Self.classified(id: "1", state: .revoked, owner: nil, checks: []),
            Self.classified(id: "2", state: .revoked, owner: " Dana@Example.com ", checks: []),
            Self.classified(id: "3", state: .revoked, owner: "", checks: []),
            Self.classified(id: "4", state: .revoked, owner: "alice", checks: []),
            Self.classified(id: "5", state: .revoked, owner: "dana@example.com", checks: []),
            Self.classified(id: "6", state: .active, owner: "   ", checks: []),
        ]))
        #expect(summary.owners.map(\.owner) == ["alice", "Dana@Example.com", nil])
        #expect(summary.owners.map(\.results) == [[3], [1, 4], [0, 2, 5]])
        #expect(summary.owners[2].active == 1)
    }

    @Test func worstFirstPutsLiveThenUnverifiedFirst() {
        let summary = OwnerSummary(Self.report([
            Self.classified(id: "a", state: .revoked, owner: "a-clean", checks: [Self.check(Self.rejected)]),
            Self.classified(id: "b", state: .revoked, owner: "b-flaky", checks: [Self.check(Self.inconclusive)]),
            Self.classified(id: "c", state: .revoked, owner: "c-live", checks: [Self.check(Self.authenticated)]),
            Self.classified(id: "d", state: .active, owner: "d-active", checks: [Self.check(Self.authenticated)]),
            Self.classified(id: "e", state: .revoked, owner: "e-live", checks: [Self.check(Self.authenticated)]),
        ]))
        #expect(summary.worstFirst.map(\.owner) == ["c-live", "e-live", "b-flaky", "a-clean", "d-active"])
    }

    @Test func emptyRunHasNoOwners() {
        #expect(OwnerSummary(Self.report([])).owners.isEmpty)
    }
}

/// `--owner`: which credentials a name selects, and the error for a name that selects none.
@Suite struct OwnerSelectionTests {
    @Test(arguments: [
        ("dana@example.com", "dana@example.com", true),
        ("Dana@Example.COM", "dana@example.com", true),
        ("dana@example.com", "  dana@example.com\n", true),
        ("dana", "dana@example.com", false),
        ("dana@example.com", "dana", false),
        ("ana", "dana", false),
        ("dana", nil, false),
        ("dana", "", false),
    ] as [(String, String?, Bool)])
    func aNameMatchesTheWholeOwnerInAnyCase(_ name: String, _ owner: String?, _ matches: Bool) {
        #expect(OwnerSelection([name]).matches(owner) == matches)
    }

    /// The key is the owner trimmed and lower-cased, whether or not it takes the ASCII shortcut.
    @Test(arguments: ["dana", "team payments", "Dana", "dana ", " dana", "dana\t", "\u{85}dana", "dana\u{A0}", "Émile", "émile",
                      "\u{2028}x", "x\u{0B}", "a\u{1}", "\u{1}a", "", " ", "ÄBC", "ǅ", "İ", "d\u{0301}"])
    func theKeyIsTheOwnerTrimmedAndLowerCased(_ owner: String) {
        let trimmed = owner.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(OwnerSelection.key(owner) == (trimmed.isEmpty ? nil : trimmed.lowercased()))
    }

    @Test func noNameSelectsEverything() {
        #expect(OwnerSelection([]).isEmpty)
        #expect(OwnerSelection([]).matches(nil))
        #expect(OwnerSelection([]).matches("anyone"))
    }

    @Test func severalNamesSelectEachOfThem() {
        let selection = OwnerSelection(["dana", "SAM"])
        #expect(selection.matches("Dana"))
        #expect(selection.matches("sam"))
        #expect(!selection.matches("alice"))
    }

    @Test func everyNameMatchingIsNoProblem() {
        #expect(OwnerSelection(["DANA", "sam"]).unmatched(among: ["dana", "sam", nil]) == nil)
    }

    @Test func aNameMatchingNothingNamesTheOwnersKnownClosestFirst() throws {
        let problem = try #require(OwnerSelection(["dana", "sam"]).unmatched(among: ["zed", "dana.okafor@example.com", nil, "alice", "sam", "Sam"]))
        #expect(problem.hasPrefix("--owner `dana`: no credential has this owner"))
        #expect(!problem.contains("`sam`"), "sam is an owner")
        #expect(problem.hasSuffix("owners here: dana.okafor@example.com, alice, sam, zed"), "\(problem)")
    }

    @Test func theOwnersKnownAreCapped() throws {
        let owners = (0..<45).map { String(format: "owner-%02d", $0) }
        let problem = try #require(OwnerSelection(["nobody"]).unmatched(among: owners.map(Optional.some)))
        #expect(problem.contains("owner-19"))
        #expect(!problem.contains("owner-20"))
        #expect(problem.hasSuffix("(and 25 more)"))
    }

    @Test func nobodyOwningAnythingIsSaid() {
        #expect(OwnerSelection(["dana"]).unmatched(among: [nil, " "], what: "certificate scanned")
                == "--owner `dana`: no certificate scanned here has an owner")
    }
}

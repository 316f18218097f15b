import Foundation
import Testing
@testable import RevenantCore
@testable import RevenantHistory

/// `came_back_to_life`, the report's changes and the timelines: what a run means next to the runs before it.
@Suite struct HistoryVerdictTests {
    static let t0 = Timestamp.parse("2026-12-01T00:00:00Z")!
    static let target = "https://git.example.com/user"
    static let key = CheckKey(fingerprint: "sha256:00aa", probe: "git", target: target)
    static let live = ControlStatus(negative: .rejected(reason: "401"))

    static func report(_ state: LifecycleState, _ outcome: ProbeOutcome, controls: ControlStatus = live, fingerprint: String? = "sha256:00aa") -> RunReport {
        let credential = Credential(id: "dana-token", kind: .apiKey, state: state, owner: "dana", secret: .environment("X"))
        let check = ProbeCheck(probe: "git", target: target, outcome: outcome, controls: controls, at: t0.addingTimeInterval(7200))
        let findings = Classifier.findings(for: credential, checks: [check], policy: Policy(), now: t0.addingTimeInterval(7200))
        return RunReport(runID: "run-2", startedAt: t0.addingTimeInterval(7000), finishedAt: t0.addingTimeInterval(7300), complete: true,
                         inventories: [], ledgerHead: nil,
                         results: [CredentialResult(credential: credential, fingerprint: fingerprint, checks: [check], findings: findings)])
    }

    static let provenDead = PriorCheck(last: RunMoment(run: "run-1", at: t0), state: .revoked, definitive: .rejected,
                                       definitiveAt: RunMoment(run: "run-1", at: t0), provenDead: RunMoment(run: "run-1", at: t0))

    @Test func shouldBeDeadSecretAuthenticatingWhereProvenDeadCameBackToLife() {
        var r = Self.report(.revoked, .authenticated(reason: "status 200"))
        HistoryVerdict.apply(to: &r, prior: [Self.key: Self.provenDead])
        let codes = r.results[0].findings.map(\.code)
        #expect(codes.first == .cameBackToLife && codes.contains(.residualAccess))
        #expect(r.results[0].findings[0].severity == .critical)
        #expect(r.results[0].findings[0].message.contains("run-1") && r.results[0].findings[0].message.contains("2026-12-01T00:00:00Z"))
        #expect(r.changes == [StateChange(kind: .verdict, credential: "dana-token", fingerprint: "sha256:00aa", probe: "git", target: Self.target,
                                          from: "dead", to: "live", since: RunMoment(run: "run-1", at: Self.t0))])
    }

    /// Only proof counts: an acceptance the negative control did not back (the target accepts anything) is no revival.
    @Test(arguments: [
        (ProbeOutcome.authenticated(reason: "200"), ControlStatus(negative: .authenticated(reason: "200"))),
        (ProbeOutcome.inconclusive(reason: "503"), HistoryVerdictTests.live),
        (ProbeOutcome.rejected(reason: "401"), HistoryVerdictTests.live),
    ])
    func nothingButProvenAcceptanceIsARevival(outcome: ProbeOutcome, controls: ControlStatus) {
        var r = Self.report(.revoked, outcome, controls: controls)
        HistoryVerdict.apply(to: &r, prior: [Self.key: Self.provenDead])
        #expect(!r.results[0].findings.contains { $0.code == .cameBackToLife })
        #expect(r.changes.allSatisfy { $0.kind != .verdict || $0.to != "live" })
    }

    @Test func activeCredentialWorkingAgainIsAChangeNotAnAlarm() {
        var r = Self.report(.active, .authenticated(reason: "200"))
        HistoryVerdict.apply(to: &r, prior: [Self.key: Self.provenDead])
        #expect(!r.results[0].findings.contains { $0.code == .cameBackToLife })
        #expect(r.changes.map(\.kind) == [.verdict, .state])
        #expect(r.changes.last?.summary == "dana-token: inventory state revoked → active")
    }

    @Test func noHistoryNoFindingNoChange() {
        var r = Self.report(.revoked, .authenticated(reason: "200"))
        HistoryVerdict.apply(to: &r, prior: [:])
        #expect(r.results[0].findings.map(\.code) == [.residualAccess])
        #expect(r.changes.isEmpty)
        var other = Self.report(.revoked, .authenticated(reason: "200"), fingerprint: "sha256:ffff")
        HistoryVerdict.apply(to: &other, prior: [Self.key: Self.provenDead])
        #expect(other.results[0].findings.map(\.code) == [.residualAccess], "another secret under the same id has no past")
    }

    @Test func timelineFollowsLiveDeadAndRevival() {
        var b = CheckTimeline.Builder()
        let verdicts: [RecordedVerdict] = [.authenticated, .unproven, .rejected, .rejected, .authenticated, .unproven, .rejected]
        for (i, v) in verdicts.enumerated() {
            b.add(run: "r\(i)", credential: "c", owner: "dana", key: Self.key, verdict: v, reason: "", at: Self.t0.addingTimeInterval(Double(i) * 60))
        }
        let t = b.build()
        #expect(t.count == 1)
        #expect(t[0].firstSeenLive?.run == "r0" && t[0].lastSeenLive?.run == "r4")
        #expect(t[0].revivals.map(\.run) == ["r4"])
        #expect(t[0].provenDeadSince?.run == "r6")
        #expect(t[0].status == "dead" && t[0].checks == 7)
    }

    @Test func timelineNeverCallsUnprovenDead() {
        var b = CheckTimeline.Builder()
        b.add(run: "r0", credential: "c", owner: nil, key: Self.key, verdict: .unproven, reason: "503", at: Self.t0)
        #expect(b.build()[0].status == "unproven")
        b.add(run: "r1", credential: "c", owner: nil, key: Self.key, verdict: .authenticated, reason: "", at: Self.t0)
        b.add(run: "r2", credential: "c", owner: nil, key: Self.key, verdict: .unproven, reason: "503", at: Self.t0)
        #expect(b.build()[0].status == "live?")
    }

    // MARK: the SQLite store

    static func store() throws -> (HistoryStore, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-history-\(UUID().uuidString).db").path
        return (try HistoryStore(path), path)
    }

    @Test func storeRemembersTheLastProofOfDeathAndNewerFactsWin() throws {
        let (store, path) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var dead = Self.report(.revoked, .rejected(reason: "401"))
        dead.runID = "run-dead"
        try store.record(dead, inputs: .init(inventoryDigest: nil, configurationDigest: nil))
        var prior = try store.prior(for: [Self.key])
        #expect(prior[Self.key]?.provenDead?.run == "run-dead")
        #expect(prior[Self.key]?.definitive == .rejected)
        // An older run recorded later (a slow concurrent writer) does not replace newer facts.
        var older = Self.report(.revoked, .inconclusive(reason: "503"))
        older.runID = "run-older"
        older.results[0].checks[0].at = Self.t0
        try store.record(older, inputs: .init(inventoryDigest: nil, configurationDigest: nil))
        prior = try store.prior(for: [Self.key])
        #expect(prior[Self.key]?.last.run == "run-dead")
        #expect(prior[Self.key]?.provenDead?.run == "run-dead")
        let (runs, broken) = try store.consistency()
        #expect(runs == 2 && broken.isEmpty)
    }

    @Test func storeOfANewerSchemaIsRefused() throws {
        let (store, path) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try store.connection.execute("INSERT INTO revenant_schema (version, applied_at) VALUES (99, 'x')")
        #expect(throws: HistoryError.self) { try HistoryStore(path) }
    }

    @Test func passwordNeverInAMessage() {
        #expect(PostgresConnection.withoutPassword("postgresql://u:s3cret@h:5432/db") == "postgresql://u@h:5432/db")
        #expect(PostgresConnection.withoutPassword("postgresql://u@h/db") == "postgresql://u@h/db")
        // Wherever libpq finds a password, it is not shown (`?password=` was printed, found by an adversarial run).
        for url in ["postgresql://u@127.0.0.1:1/db?password=Zt5rY8uI3oPa", "postgresql://u@h/db?sslmode=require&password=Zt5rY8uI3oPa",
                    "postgresql://u:Zt5rY8uI3oPa@h/db?user=a@b", "postgres://h/db?user=u&password=Zt5rY8uI3oPa&sslpassword=Zt5rY8uI3oPa",
                    "postgresql://u:Zt5rY8uI3oPa@h/db?application_name=x"] {
            let shown = PostgresConnection.withoutPassword(url)
            #expect(shown != nil && shown?.contains("Zt5rY8") == false, "\(url) → \(shown ?? "nil")")
        }
        #expect(PostgresConnection.withoutPassword("postgresql://u:%zzZt5rY8uI3oPa@h/db") == nil, "libpq cannot read it: nothing shown")
        #expect(PostgresConnection.numbered("a = ? AND b IN (?, ?)") == "a = $1 AND b IN ($2, $3)")
    }
}

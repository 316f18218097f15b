import Foundation
import RevenantCore

/// A small run with one credential per interesting outcome, built directly (no engine, no I/O).
enum ReportFixture {
    static let started = Date(timeIntervalSince1970: 1_796_000_000)

    static func check(_ outcome: ProbeOutcome, status: Int?, negative: ProbeOutcome? = .rejected(reason: "status 401 matched rejected[0]"),
                      positive: ProbeOutcome? = nil, attempts: Int = 1) -> ProbeCheck {
        ProbeCheck(probe: "acme", target: "https://api.acme.test/user", outcome: outcome,
                   controls: ControlStatus(negative: negative, positive: positive), httpStatus: status,
                   attempts: attempts, durationMs: 12, evidence: "sha256:" + String(repeating: "a", count: 64))
    }

    static func result(_ id: String, state: LifecycleState, owner: String? = "team-a", checks: [ProbeCheck],
                       tags: [String: String] = [:]) -> CredentialResult {
        let credential = Credential(id: id, kind: .apiKey, state: state, owner: owner,
                                    revokedAt: state.shouldBeDead ? started.addingTimeInterval(-86_400) : nil,
                                    targets: [ProbeTarget(probe: "acme", target: "https://api.acme.test")], tags: tags, origin: "inv.json")
        let findings = Classifier.findings(for: credential, checks: checks, policy: Policy(), now: started)
        return CredentialResult(credential: credential, fingerprint: "sha256:0123456789abcdef", checks: checks, findings: findings)
    }

    static func report(complete: Bool = true) -> RunReport {
        let results = [
            result("leaked-key", state: .revoked, checks: [check(.authenticated(reason: "status 200 matched authenticated[0]"), status: 200)],
                   tags: ["ticket": "SEC-1", "team": "payments"]),
            result("dead-key", state: .offboarded, checks: [check(.rejected(reason: "status 401 matched rejected[0]"), status: 401)]),
            result("flaky-key", state: .rotated, checks: [check(.inconclusive(reason: "status 503: server error"), status: 503, attempts: 3)]),
            result("drifted-key", state: .active, checks: [check(.rejected(reason: "status 401 matched rejected[0]"), status: 401)]),
            result("orphan-key", state: .active, owner: nil, checks: [check(.authenticated(reason: "status 200 matched authenticated[0]"), status: 200)]),
        ]
        return RunReport(runID: "run-42", startedAt: started, finishedAt: started.addingTimeInterval(3), complete: complete,
                         incompleteReason: complete ? nil : "interrupted (SIGINT)", inventories: ["inventory.json"],
                         ledgerHead: "sha256:" + String(repeating: "b", count: 64), results: results)
    }
}

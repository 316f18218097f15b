import Foundation
import Testing

/// SCIM 2.0 deprovisioning checks (RFC 7644 §3.4.2 filtered lookups) against a real
/// scim2-server on 127.0.0.1: an offboarded account still active is residual access.
@Suite struct SCIMProtocolTests {
    static let once = Once<(ProtocolRun, [String: String])>()

    static func probe(_ id: String, attribute: String = "userName", tokenEnv: String = "SCIM_OPERATOR_TOKEN") -> [String: Any] {
        ProtocolScenario.probe(id, protocol: "scim", kinds: ["scim_account"], [
            "request": ["method": "GET", "path": "/Users"],
            "auth": ["scheme": "scim", "token": ["env": tokenEnv], "attribute": attribute],
            "authenticated": [["status": [200], "json": ["path": "Resources.0.active", "equals": true]]],
            "rejected": [["status": [200], "json": ["path": "totalResults", "equals": 0]],
                         ["status": [200], "json": ["path": "Resources.0.active", "equals": false]]],
        ])
    }

    static func main() async throws -> (ProtocolRun, [String: String]) {
        try await once.get {
            let s = try await SharedServers.get("scim")
            let env = ["SCIM_OPERATOR_TOKEN": try s.value("SCIM_TOKEN"), "WRONG_TOKEN": "not-the-operator-token-0123456789",
                       "CONTROL_USER": try s.value("SCIM_ACTIVE_USER"), "CONTROL_EXTERNAL_ID": try s.value("SCIM_ACTIVE_EXTERNAL_ID")]
            let url = try s.value("SCIM_URL")
            func cred(_ id: String, _ state: String, _ user: String, probe: String = "t-scim", target: String? = nil) throws -> [String: Any] {
                ProtocolScenario.credential(id, kind: "scim_account", state: state, probe: probe, target: target ?? url,
                                            ["username": try s.value(user)])
            }
            let credentials = [
                try cred("alice-offboarded", "offboarded", "SCIM_ACTIVE_USER"),
                try cred("alice-active", "active", "SCIM_ACTIVE_USER"),
                try cred("bob-deactivated", "offboarded", "SCIM_INACTIVE_USER"),
                try cred("carol-deleted", "offboarded", "SCIM_DELETED_USER"),
                try cred("alice-by-external-id", "offboarded", "SCIM_ACTIVE_EXTERNAL_ID", probe: "t-scim-external"),
                try cred("carol-by-external-id", "offboarded", "SCIM_DELETED_EXTERNAL_ID", probe: "t-scim-external"),
                try cred("bob-wrong-token", "offboarded", "SCIM_INACTIVE_USER", probe: "t-scim-wrong-token"),
                try cred("carol-without-control", "offboarded", "SCIM_DELETED_USER", probe: "t-scim-no-control"),
                try cred("alice-unreachable", "offboarded", "SCIM_ACTIVE_USER", target: ProtocolScenario.loopback("http", port: try ProtocolScenario.closedPort())),
                try cred("alice-timeout", "offboarded", "SCIM_ACTIVE_USER", target: ProtocolScenario.loopback("http", port: try ProtocolScenario.blackholePort())),
            ]
            let run = try await ProtocolRun.make(
                "scim", probes: [Self.probe("t-scim"), Self.probe("t-scim-external", attribute: "externalId"),
                                 Self.probe("t-scim-wrong-token", tokenEnv: "WRONG_TOKEN"), Self.probe("t-scim-no-control")],
                credentials: credentials, environment: env,
                // Known-active accounts: a "not found" counts only where the server finds these.
                controls: [["probe": "t-scim", "target": url, "secret": ["env": "CONTROL_USER"]],
                           ["probe": "t-scim-external", "target": url, "secret": ["env": "CONTROL_EXTERNAL_ID"]]])
            return (run, env)
        }
    }

    /// Without a known-active account on the pair, "no such account" may mean "not one this
    /// server knows" (another identifier format, a scoped token): not proof of deprovisioning.
    @Test func aRejectionWithoutAPositiveControlProvesNothing() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("carol-without-control") == "rejected")
        #expect(run.report.codes("carol-without-control") == ["revocation_unverified"], "\(run.report.result("carol-without-control") ?? [:])")
    }

    @Test func offboardedAccountStillActiveIsResidualAccess() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("alice-offboarded") == "authenticated", "\(run.reason("alice-offboarded"))\n\(run.result)")
        #expect(run.report.codes("alice-offboarded") == ["residual_access"])
        #expect(run.report.codes("alice-active") == ["ok"])
        #expect(run.report.codes("alice-by-external-id") == ["residual_access"])
    }

    @Test func deactivatedAndDeletedAccountsAreDeprovisioningVerified() async throws {
        let (run, _) = try await Self.main()
        #expect(run.reason("bob-deactivated") == "status 200 matched rejected[1]", "active: false")
        #expect(run.reason("carol-deleted") == "status 200 matched rejected[0]", "totalResults: 0")
        #expect(run.reason("carol-by-external-id") == "status 200 matched rejected[0]")
        for id in ["bob-deactivated", "carol-deleted", "carol-by-external-id"] {
            #expect(run.outcome(id) == "rejected")
            #expect(run.report.codes(id) == ["revocation_verified"], "\(id)")
        }
    }

    @Test func wrongOperatorTokenIsInconclusiveNeverRejected() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("bob-wrong-token") == "inconclusive", "\(run.reason("bob-wrong-token"))")
        #expect(run.report.check("bob-wrong-token")["http_status"] as? Int == 401)
        #expect(run.report.codes("bob-wrong-token") == ["revocation_unverified"])
    }

    @Test func negativeControlLooksUpAnAbsentAccount() async throws {
        let (run, _) = try await Self.main()
        #expect(run.negativeControl("alice-offboarded") == "rejected")
        #expect(run.negativeControl("alice-by-external-id") == "rejected")
    }

    @Test func unreachableAndSilentServersAreInconclusive() async throws {
        try await Self.main().0.expectInconclusiveFailures(unreachable: "alice-unreachable", timedOut: "alice-timeout")
    }

    @Test func noOperatorTokenInAnyOutput() async throws {
        let (run, env) = try await Self.main()
        run.expectFindingsWithoutLeaks(env)
    }
}

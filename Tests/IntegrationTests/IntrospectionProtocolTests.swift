import Foundation
import Testing

/// OAuth 2.0 token introspection (RFC 7662) against a real Authlib server on 127.0.0.1.
@Suite struct IntrospectionProtocolTests {
    static let once = Once<(ProtocolRun, [String: String])>()

    static func probe(_ id: String, client: String, secretEnv: String) -> [String: Any] {
        ProtocolScenario.probe(id, protocol: "oauth2-introspection", kinds: ["oauth_token"], [
            "request": ["method": "POST", "path": "/introspect", "read_only": true],
            "auth": ["scheme": "introspection", "client_id": client, "client_secret": ["env": secretEnv]],
            "authenticated": [["status": [200], "json": ["path": "active", "equals": true]]],
            "rejected": [["status": [200], "json": ["path": "active", "equals": false]]],
        ])
    }

    static func main() async throws -> (ProtocolRun, [String: String]) {
        try await once.get {
            let s = try await SharedServers.get("introspection")
            let env = [
                "CLIENT_SECRET": try s.value("INTROSPECT_CLIENT_SECRET"), "WRONG_CLIENT_SECRET": "not-the-client-secret-0123456789",
                "TOKEN_ACTIVE": try s.value("TOKEN_ACTIVE"), "TOKEN_REVOKED": try s.value("TOKEN_REVOKED"),
                "TOKEN_EXPIRED": try s.value("TOKEN_EXPIRED"),
            ]
            let port = try s.port("INTROSPECT_PORT")
            let base = ProtocolScenario.loopback("http", port: port)
            func cred(_ id: String, _ token: String, probe: String = "t-introspect", target: String = base) -> [String: Any] {
                ProtocolScenario.credential(id, kind: "oauth_token", state: "revoked", probe: probe, target: target, secretEnv: token)
            }
            let credentials = [
                cred("token-active", "TOKEN_ACTIVE"),
                cred("token-revoked", "TOKEN_REVOKED"),
                cred("token-expired", "TOKEN_EXPIRED"),
                cred("token-wrong-client", "TOKEN_REVOKED", probe: "t-introspect-wrong-client"),
                cred("token-unreachable", "TOKEN_ACTIVE", target: ProtocolScenario.loopback("http", port: try ProtocolScenario.closedPort())),
                cred("token-timeout", "TOKEN_ACTIVE", target: ProtocolScenario.loopback("http", port: try ProtocolScenario.blackholePort())),
            ]
            let client = try s.value("INTROSPECT_CLIENT_ID")
            let run = try await ProtocolRun.make(
                "introspection",
                probes: [Self.probe("t-introspect", client: client, secretEnv: "CLIENT_SECRET"),
                         Self.probe("t-introspect-wrong-client", client: client, secretEnv: "WRONG_CLIENT_SECRET")],
                credentials: credentials, environment: env,
                // A known-active token: "active: false" counts only where the server knows this one.
                controls: [["probe": "t-introspect", "target": base, "secret": ["env": "TOKEN_ACTIVE"]]])
            return (run, env)
        }
    }

    @Test func activeTokenIsResidualAccess() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("token-active") == "authenticated", "\(run.reason("token-active"))\n\(run.result)")
        #expect(run.report.codes("token-active") == ["residual_access"])
    }

    @Test func revokedAndExpiredTokensAreRejectedByActiveFalse() async throws {
        let (run, _) = try await Self.main()
        for id in ["token-revoked", "token-expired"] {
            #expect(run.outcome(id) == "rejected", "\(id): \(run.reason(id))")
            #expect(run.report.check(id)["http_status"] as? Int == 200)
            #expect(run.report.codes(id) == ["revocation_verified"])
        }
    }

    @Test func wrongClientSecretIsInconclusiveNeverRejected() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("token-wrong-client") == "inconclusive", "\(run.reason("token-wrong-client"))")
        #expect(run.report.check("token-wrong-client")["http_status"] as? Int == 401)
        #expect(run.report.codes("token-wrong-client") == ["revocation_unverified"])
    }

    @Test func negativeControlIsRejected() async throws {
        let (run, _) = try await Self.main()
        #expect(run.negativeControl("token-active") == "rejected")
        #expect(run.negativeControl("token-wrong-client") == "inconclusive")
    }

    @Test func unreachableAndSilentServersAreInconclusive() async throws {
        try await Self.main().0.expectInconclusiveFailures(unreachable: "token-unreachable", timedOut: "token-timeout")
    }

    @Test func noTokenOrClientSecretInAnyOutput() async throws {
        let (run, env) = try await Self.main()
        let s = try await SharedServers.get("introspection")
        var secrets = env
        secrets["client Basic credentials"] = Data("\(try s.value("INTROSPECT_CLIENT_ID")):\(env["CLIENT_SECRET"]!)".utf8).base64EncodedString()
        run.expectFindingsWithoutLeaks(secrets)
    }
}

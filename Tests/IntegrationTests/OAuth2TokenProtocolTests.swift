import Foundation
import Testing

/// OAuth 2.0 token endpoints (client credentials, RFC 7523 JWT bearer) against a real Authlib
/// server on 127.0.0.1 (scripts/servers/oauth2token.py).
@Suite struct OAuth2TokenProtocolTests {
    static let once = Once<(ProtocolRun, [String: String])>()

    static func probe(_ id: String, scheme: String) -> [String: Any] {
        let key = scheme == "jwt_bearer"
        return ProtocolScenario.probe(id, protocol: "oauth2-token", kinds: [key ? "service_account_key" : "client_secret"], [
            "request": ["method": "POST", "path": "/token", "read_only": true],
            "auth": ["scheme": scheme, "scope": key ? "https://www.googleapis.com/auth/cloud-platform" : "read"],
            "authenticated": [["status": [200]]],
            "rejected": [["status": [400, 401], "json": ["path": "error", "equals": key ? "invalid_grant" : "invalid_client"]]],
        ])
    }

    static func main() async throws -> (ProtocolRun, [String: String]) {
        try await once.get {
            let s = try await SharedServers.get("oauth2token")
            let base = try s.value("OAUTH2_URL")
            let live = try s.value("OAUTH2_LIVE_CLIENT_ID"), rotated = try s.value("OAUTH2_ROTATED_CLIENT_ID")
            let env = [
                "LIVE": try s.value("OAUTH2_LIVE_CLIENT_SECRET"), "OLD": try s.value("OAUTH2_ROTATED_OLD_SECRET"),
                "NEW": try s.value("OAUTH2_ROTATED_NEW_SECRET"),
            ]
            let liveKey = try s.value("SA_LIVE_KEY"), deletedKey = try s.value("SA_DELETED_KEY")
            var foreign = try jsonObject(try String(contentsOfFile: liveKey, encoding: .utf8))
            foreign["token_uri"] = "https://oauth2.evil.example.net/token"
            // A copy of the live key whose token_uri names a host no probe allows (beside the server's files).
            let foreignKey = s.dir.appendingPathComponent("foreign-token-uri.json").path
            try JSONSerialization.data(withJSONObject: foreign).write(to: URL(fileURLWithPath: foreignKey))
            func secret(_ id: String, _ probe: String, client: String, env: String, target: String = base) -> [String: Any] {
                ProtocolScenario.credential(id, kind: "client_secret", state: "revoked", probe: probe, target: target, secretEnv: env, ["username": client])
            }
            func key(_ id: String, _ probe: String, file: String, target: String? = nil) -> [String: Any] {
                var c = ProtocolScenario.credential(id, kind: "service_account_key", state: "revoked", probe: probe, target: target ?? "", ["secret": ["file": file]])
                // No target: the key's own token_uri says where.
                if target == nil { c.removeValue(forKey: "target") }
                return c
            }
            let credentials = [
                secret("secret-live-basic", "t-basic", client: live, env: "LIVE"),
                secret("secret-live-post", "t-post", client: live, env: "LIVE"),
                secret("secret-rotated-basic", "t-basic", client: rotated, env: "OLD"),
                secret("secret-rotated-post", "t-post", client: rotated, env: "OLD"),
                secret("secret-rotated-no-control", "t-basic-bare", client: rotated, env: "OLD"),
                secret("secret-server-error", "t-basic", client: live, env: "LIVE", target: base + "/broken/500"),
                secret("secret-garbage", "t-basic", client: live, env: "LIVE", target: base + "/broken/garbage"),
                secret("secret-unreachable", "t-basic", client: live, env: "LIVE", target: ProtocolScenario.loopback("http", port: try ProtocolScenario.closedPort())),
                secret("secret-timeout", "t-basic", client: live, env: "LIVE", target: ProtocolScenario.loopback("http", port: try ProtocolScenario.blackholePort())),
                key("key-live", "t-key", file: liveKey),
                key("key-deleted", "t-key", file: deletedKey),
                key("key-deleted-no-control", "t-key-bare", file: deletedKey, target: base),
                key("key-foreign-token-uri", "t-key", file: foreignKey),
            ]
            let run = try await ProtocolRun.make(
                "oauth2token",
                probes: [Self.probe("t-basic", scheme: "client_secret_basic"), Self.probe("t-post", scheme: "client_secret_post"),
                         Self.probe("t-basic-bare", scheme: "client_secret_basic"), Self.probe("t-key", scheme: "jwt_bearer"),
                         Self.probe("t-key-bare", scheme: "jwt_bearer")],
                credentials: credentials, environment: env,
                // Known-good credentials: a refusal counts only where one of these is accepted.
                controls: [["probe": "t-basic", "target": base, "username": rotated, "secret": ["env": "NEW"]],
                           ["probe": "t-post", "target": base, "username": rotated, "secret": ["env": "NEW"]],
                           ["probe": "t-key", "target": base, "secret": ["file": liveKey]]])
            var secrets = env
            secrets["live Basic credentials"] = Data("\(live):\(env["LIVE"]!)".utf8).base64EncodedString()
            secrets["canary in the server's bodies"] = try s.value("OAUTH2_CANARY")
            // A run of the live key's private key (a line of its PEM body).
            let pem = try #require((try jsonObject(try String(contentsOfFile: liveKey, encoding: .utf8)))["private_key"] as? String)
            secrets["live private key"] = try #require(pem.split(separator: "\n").dropFirst(3).first.map(String.init))
            return (run, secrets)
        }
    }

    @Test func liveClientSecretsAreResidualAccessWithEitherClientAuthentication() async throws {
        let (run, _) = try await Self.main()
        for id in ["secret-live-basic", "secret-live-post"] {
            #expect(run.outcome(id) == "authenticated", "\(id): \(run.reason(id))\n\(run.result)")
            #expect(run.report.codes(id) == ["residual_access"], "\(id)")
        }
    }

    @Test func aRotatedSecretIsVerifiedDeadWhenThePositiveControlIsAccepted() async throws {
        let (run, _) = try await Self.main()
        for id in ["secret-rotated-basic", "secret-rotated-post"] {
            #expect(run.outcome(id) == "rejected", "\(id): \(run.reason(id))")
            #expect(run.report.check(id)["http_status"] as? Int == 401)
            #expect((run.report.check(id)["controls"] as? [String: String])?["positive"] == "authenticated", "\(id)")
            #expect(run.report.codes(id) == ["revocation_verified"], "\(id)")
        }
    }

    @Test func withoutAPositiveControlARefusalProvesNothing() async throws {
        let (run, _) = try await Self.main()
        for id in ["secret-rotated-no-control", "key-deleted-no-control"] {
            #expect(run.outcome(id) == "rejected", "\(id): \(run.reason(id))")
            #expect(run.report.codes(id) == ["revocation_unverified"], "\(id)")
        }
    }

    @Test func aLiveKeyIsResidualAccessAndADeletedKeyIsVerifiedDead() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("key-live") == "authenticated", "\(run.reason("key-live"))")
        #expect(run.report.codes("key-live") == ["residual_access"])
        // Sent to the key's own token_uri: the server's token endpoint.
        #expect((run.report.check("key-live")["target"] as? String)?.hasSuffix("/token") == true)
        #expect(run.outcome("key-deleted") == "rejected", "\(run.reason("key-deleted"))")
        #expect(run.report.check("key-deleted")["http_status"] as? Int == 400)
        #expect(run.report.codes("key-deleted") == ["revocation_verified"])
    }

    @Test func negativeControlsAreRefusedAKeysIsAFreshKeyWithTheSameKid() async throws {
        let (run, _) = try await Self.main()
        for id in ["secret-live-basic", "secret-live-post", "key-live", "key-deleted"] {
            #expect(run.negativeControl(id) == "rejected", "\(id): \(run.report.check(id)["controls"] ?? [:])")
        }
        // The negative control of a key gets the signature refusal (invalid_grant, 400), not "unknown client".
        let controls = run.ledgerRecords.filter { $0["control"] as? String == "negative" && $0["probe"] as? String == "t-key" }
        #expect(!controls.isEmpty && controls.allSatisfy { $0["http_status"] as? Int == 400 }, "\(controls)")
    }

    @Test func aServerErrorOrAnAnswerWithoutATokenIsInconclusive() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("secret-server-error") == "inconclusive", "\(run.reason("secret-server-error"))")
        #expect(run.reason("secret-server-error").hasPrefix("status 500"))
        #expect(run.outcome("secret-garbage") == "inconclusive", "\(run.reason("secret-garbage"))")
        #expect(run.reason("secret-garbage").contains("no access_token"))
        for id in ["secret-server-error", "secret-garbage"] { #expect(run.report.codes(id) == ["revocation_unverified"], "\(id)") }
    }

    @Test func unreachableAndSilentServersAreInconclusive() async throws {
        try await Self.main().0.expectInconclusiveFailures(unreachable: "secret-unreachable", timedOut: "secret-timeout")
    }

    @Test func aKeyWhoseTokenURIIsNotAnAllowedHostIsNeverSent() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("key-foreign-token-uri") == "skipped")
        #expect(run.reason("key-foreign-token-uri").contains("oauth2.evil.example.net"), "\(run.reason("key-foreign-token-uri"))")
        #expect(run.records(credential: "key-foreign-token-uri").isEmpty)
        #expect(run.report.codes("key-foreign-token-uri") == ["revocation_unverified"])
    }

    @Test func noSecretKeyOrServerBodyInAnyOutput() async throws {
        let (run, secrets) = try await Self.main()
        run.expectFindingsWithoutLeaks(secrets)
    }
}

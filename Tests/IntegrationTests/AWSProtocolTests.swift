import Foundation
import Testing

/// AWS SigV4 `sts:GetCallerIdentity` through libcurl (`CURLOPT_AWS_SIGV4`) against a real moto
/// server with IAM authentication switched on.
@Suite struct AWSProtocolTests {
    static let once = Once<(ProtocolRun, [String: String], String)>()

    static var probe: [String: Any] { ProtocolScenario.probe("t-sts", protocol: "aws-sigv4", kinds: ["aws_access_key"], [
        "request": ["method": "POST", "path": "/", "body": "Action=GetCallerIdentity&Version=2011-06-15", "read_only": true],
        "auth": ["scheme": "aws_sigv4", "provider": "aws:amz:us-east-1:sts"],
        "authenticated": [["status": [200], "body_contains": "<GetCallerIdentityResult>"]],
        "rejected": [["status": [403], "body_contains": "<Code>InvalidClientTokenId</Code>"]],
        "negative_control": ["length": 40],
    ]) }

    static func main() async throws -> (ProtocolRun, [String: String], String) {
        try await once.get {
            let s = try await SharedServers.get("moto")
            let env = ["LIVE_SECRET": try s.value("AWS_LIVE_SECRET"), "DEAD_SECRET": try s.value("AWS_DEAD_SECRET")]
            let endpoint = try s.value("AWS_ENDPOINT")
            func cred(_ id: String, _ secret: String, _ keyID: String, _ target: String) throws -> [String: Any] {
                ProtocolScenario.credential(id, kind: "aws_access_key", state: "revoked", probe: "t-sts", target: target, secretEnv: secret,
                                            ["access_key_id": try s.value(keyID)])
            }
            let credentials = [
                try cred("ci-key-live", "LIVE_SECRET", "AWS_LIVE_KEY_ID", endpoint),
                try cred("ci-key-deleted", "DEAD_SECRET", "AWS_DEAD_KEY_ID", endpoint),
                // The live key's id with another key's secret: the id exists, the signature is wrong.
                try cred("ci-key-wrong-secret", "DEAD_SECRET", "AWS_LIVE_KEY_ID", endpoint),
                try cred("ci-key-unreachable", "LIVE_SECRET", "AWS_LIVE_KEY_ID", ProtocolScenario.loopback("http", port: try ProtocolScenario.closedPort())),
                try cred("ci-key-timeout", "LIVE_SECRET", "AWS_LIVE_KEY_ID", ProtocolScenario.loopback("http", port: try ProtocolScenario.blackholePort())),
            ]
            let run = try await ProtocolRun.make("aws", probes: [Self.probe], credentials: credentials, environment: env)
            return (run, env, try s.value("AWS_LIVE_ACCOUNT"))
        }
    }

    @Test func liveKeyIsResidualAccessAndTheLedgerNamesItsAccount() async throws {
        let (run, _, account) = try await Self.main()
        #expect(run.outcome("ci-key-live") == "authenticated", "\(run.reason("ci-key-live"))\n\(run.result)")
        #expect(run.report.check("ci-key-live")["http_status"] as? Int == 200)
        #expect(run.report.codes("ci-key-live") == ["residual_access"])
        let records = run.records(credential: "ci-key-live")
        #expect(records.count == 1)
        #expect(records.first?["account"] as? String == account, "\(records)")
        // Only an accepted key names an account.
        #expect(run.records(credential: "ci-key-deleted").allSatisfy { $0["account"] == nil })
    }

    @Test func deletedKeyIsRejectedWithInvalidClientTokenId() async throws {
        let (run, _, _) = try await Self.main()
        #expect(run.outcome("ci-key-deleted") == "rejected", "\(run.reason("ci-key-deleted"))")
        #expect(run.report.check("ci-key-deleted")["http_status"] as? Int == 403)
        #expect(run.report.codes("ci-key-deleted") == ["revocation_verified"])
    }

    @Test func signatureDoesNotMatchIsInconclusiveNeverRejected() async throws {
        // A real key id with a wrong secret proves nothing about the key the inventory holds.
        let (run, _, _) = try await Self.main()
        #expect(run.outcome("ci-key-wrong-secret") == "inconclusive", "\(run.reason("ci-key-wrong-secret"))")
        #expect(run.report.check("ci-key-wrong-secret")["http_status"] as? Int == 403)
        #expect(run.report.codes("ci-key-wrong-secret") == ["revocation_unverified"])
    }

    @Test func negativeControlWithARandomKeyIdIsRejected() async throws {
        let (run, _, _) = try await Self.main()
        #expect(run.negativeControl("ci-key-live") == "rejected")
        let endpoint = try await SharedServers.get("moto").value("AWS_ENDPOINT")
        let control = run.ledgerRecords.first { $0["control"] as? String == "negative" && $0["target"] as? String == endpoint + "/" }
        #expect(control?["outcome"] as? String == "rejected")
        #expect(control?["http_status"] as? Int == 403)
    }

    @Test func unreachableAndSilentEndpointsAreInconclusive() async throws {
        try await Self.main().0.expectInconclusiveFailures(unreachable: "ci-key-unreachable", timedOut: "ci-key-timeout")
    }

    @Test func noSecretKeyInAnyOutput() async throws {
        let (run, env, _) = try await Self.main()
        run.expectFindingsWithoutLeaks(env)
    }
}

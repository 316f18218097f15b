import Foundation
import Testing

/// LDAP simple bind (RFC 4511 §4.2) through libldap against a real slapd on 127.0.0.1: plain
/// LDAP and LDAPS verified with the directory's own CA (`tls.ca_bundle`).
@Suite struct LDAPProtocolTests {
    static let once = Once<(ProtocolRun, [String: String])>()

    /// One run: live, deleted and rotated accounts over ldap:// and ldaps://, a closed port and a blackhole.
    static func main() async throws -> (ProtocolRun, [String: String]) {
        try await once.get {
            let s = try await SharedServers.get("slapd")
            let url = try s.value("LDAP_URL"), ldaps = try s.value("LDAPS_URL")
            let closed = ProtocolScenario.loopback("ldap", port: try ProtocolScenario.closedPort())
            let silent = ProtocolScenario.loopback("ldap", port: try ProtocolScenario.blackholePort())
            let silentTLS = ProtocolScenario.loopback("ldaps", port: try ProtocolScenario.blackholePort())
            let (credentials, env) = try ProtocolScenario.logins(
                s, probe: "t-ldap",
                passwords: ["LIVE_PW": "LDAP_LIVE_PASSWORD", "DEAD_PW": "LDAP_DEAD_PASSWORD", "OLD_PW": "LDAP_OLD_PASSWORD"], [
                    ("svc-live-offboarded", "offboarded", "LIVE_PW", "LDAP_LIVE_DN", url),
                    ("svc-removed", "offboarded", "DEAD_PW", "LDAP_DEAD_DN", url),
                    ("svc-rotated-old", "rotated", "OLD_PW", "LDAP_CHANGED_DN", url),
                    ("svc-live-ldaps", "offboarded", "LIVE_PW", "LDAP_LIVE_DN", ldaps),
                    ("svc-removed-ldaps", "revoked", "DEAD_PW", "LDAP_DEAD_DN", ldaps),
                    ("svc-unreachable", "offboarded", "LIVE_PW", "LDAP_LIVE_DN", closed),
                    ("svc-timeout", "offboarded", "LIVE_PW", "LDAP_LIVE_DN", silent),
                    // A TLS handshake that never gets an answer ends on the timeout too.
                    ("svc-timeout-ldaps", "offboarded", "LIVE_PW", "LDAP_LIVE_DN", silentTLS),
                ])
            let run = try await ProtocolRun.make(
                "ldap", probes: [ProtocolScenario.probe("t-ldap", protocol: "ldap", kinds: ["password"])], credentials: credentials,
                environment: env, config: ["tls": ["ca_bundle": try s.value("LDAP_CA")]])
            return (run, env)
        }
    }

    @Test func liveBindIsResidualAccessOverLDAPAndLDAPS() async throws {
        let (run, _) = try await Self.main()
        for id in ["svc-live-offboarded", "svc-live-ldaps"] {
            #expect(run.outcome(id) == "authenticated", "\(id): \(run.reason(id))\n\(run.result)")
            #expect(run.report.codes(id) == ["residual_access"], "\(id)")
        }
    }

    @Test func deletedEntryAndRotatedPasswordAreRejectedWithInvalidCredentials() async throws {
        let (run, _) = try await Self.main()
        for id in ["svc-removed", "svc-rotated-old", "svc-removed-ldaps"] {
            #expect(run.outcome(id) == "rejected", "\(id): \(run.reason(id))")
            // LDAP resultCode 49 invalidCredentials, with no Active Directory sub-code.
            #expect(run.reason(id).contains("ldap 49"), "\(id): \(run.reason(id))")
            #expect(run.report.codes(id) == ["revocation_verified"], "\(id)")
        }
    }

    @Test func negativeControlWithARandomPasswordIsRejected() async throws {
        let (run, _) = try await Self.main()
        for id in ["svc-live-offboarded", "svc-removed", "svc-live-ldaps"] {
            #expect(run.negativeControl(id) == "rejected", "\(id)")
        }
        // One per (probe, target) pair; the closed port's is retried once (a connection failure).
        let controls = run.ledgerRecords.filter { $0["control"] as? String == "negative" }
        #expect(controls.filter { $0["attempt"] as? Int == 1 }.count == 5, "\(controls)")
    }

    @Test func unreachableAndSilentServersAreInconclusive() async throws {
        let run = try await Self.main().0
        run.expectInconclusiveFailures(unreachable: "svc-unreachable", timedOut: "svc-timeout")
        #expect(run.outcome("svc-timeout-ldaps") == "inconclusive" && run.reason("svc-timeout-ldaps").hasPrefix("timeout"),
                "\(run.reason("svc-timeout-ldaps"))")
    }

    @Test func ldapsWithoutTheDirectoryCAIsInconclusiveNeverRejected() async throws {
        let s = try await SharedServers.get("slapd")
        let run = try await ProtocolRun.make(
            "ldaps-noca", probes: [ProtocolScenario.probe("t-ldap", protocol: "ldap", kinds: ["password"])],
            credentials: [ProtocolScenario.credential("svc-removed", kind: "password", state: "revoked", probe: "t-ldap",
                                                      target: try s.value("LDAPS_URL"), secretEnv: "DEAD_PW",
                                                      ["username": try s.value("LDAP_DEAD_DN")])],
            environment: ["DEAD_PW": try s.value("LDAP_DEAD_PASSWORD")])
        #expect(run.outcome("svc-removed") == "inconclusive", "\(run.result)")
        #expect(run.reason("svc-removed").hasPrefix("tls"), "\(run.reason("svc-removed"))")
        #expect(run.leaked(["dead password": try s.value("LDAP_DEAD_PASSWORD")]).isEmpty)
    }

    @Test func noPasswordInAnyOutput() async throws {
        let (run, env) = try await Self.main()
        run.expectFindingsWithoutLeaks(env)
    }
}

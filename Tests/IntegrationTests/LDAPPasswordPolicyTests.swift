import Foundation
import Testing

/// LDAP binds against slapd with the ppolicy overlay (`scripts/servers.sh start ppolicy`): an
/// account locked by its password policy answers its right password with 49, as a wrong one.
/// Such an answer must never read as "rejected": the live password would be reported dead.
@Suite struct LDAPPasswordPolicyTests {
    static var probe: [String: Any] { ProtocolScenario.probe("t-ldap", protocol: "ldap", kinds: ["password"],
                                              ["negative_control": ["length": 32], "rate_limit": ["requests_per_second": 5, "max_in_flight": 1]]) }

    /// The adversarial tester's run: a rotated password and the current one of the same DN, with
    /// a lock after two failed binds. The negative control and the rotated password are those two,
    /// so the current password's bind meets a locked account.
    @Test func aLockCausedByTheRunItselfNeverReadsAsRevoked() async throws {
        let s = try await SharedServers.get("ppolicy")
        let url = try s.value("PPOLICY_URL")
        let (credentials, env) = try ProtocolScenario.logins(
            s, probe: "t-ldap", passwords: ["OLD_PW": "PPOLICY_USER_OLD_PASSWORD", "CURRENT_PW": "PPOLICY_USER_PASSWORD"], [
                ("alice-old-password", "rotated", "OLD_PW", "PPOLICY_USER_DN", url),
                ("alice-current-password", "offboarded", "CURRENT_PW", "PPOLICY_USER_DN", url),
            ])
        let run = try await ProtocolRun.make("ldap-ppolicy-run", probes: [Self.probe], credentials: credentials, environment: env)
        #expect(run.report.codes("alice-current-password") != ["revocation_verified"], "\(run.result)")
        // Bound before the lock (authenticated) or after it (inconclusive): never rejected.
        #expect(["authenticated", "inconclusive"].contains(run.outcome("alice-current-password")), "\(run.reason("alice-current-password"))")
        // The rotated password's 49 came with the policy's control too: it cannot prove anything either.
        #expect(run.outcome("alice-old-password") == "inconclusive", "\(run.reason("alice-old-password"))")
        #expect(run.reason("alice-old-password").contains("ppolicy_use_lockout"), "\(run.reason("alice-old-password"))")
        #expect(run.result.exited && run.result.status != 0, "\(run.result)")
        #expect(run.leaked(env).isEmpty, "\(run.leaked(env))")
    }

    /// Accounts the server start locked with two wrong passwords, one where slapd hides the lock
    /// and one where it reports `accountLocked`, an expired password (`passwordExpired`, given to
    /// the right password only); and, on the plain slapd without a password policy, the control
    /// case: a wrong password still reads rejected and the right one authenticated.
    @Test func lockedAndExpiredAccountsAreInconclusiveAndPlainSlapdIsUnchanged() async throws {
        let s = try await SharedServers.get("ppolicy"), plain = try await SharedServers.get("slapd")
        let url = try s.value("PPOLICY_URL"), plainURL = try plain.value("LDAP_URL")
        var (credentials, env) = try ProtocolScenario.logins(
            s, probe: "t-ldap",
            passwords: ["LOCKED_PW": "PPOLICY_LOCKED_PASSWORD", "REPORTED_PW": "PPOLICY_REPORTED_LOCKED_PASSWORD",
                        "EXPIRED_PW": "PPOLICY_EXPIRED_PASSWORD"], [
                ("locked-hidden", "offboarded", "LOCKED_PW", "PPOLICY_LOCKED_DN", url),
                ("locked-reported", "offboarded", "REPORTED_PW", "PPOLICY_REPORTED_LOCKED_DN", url),
                ("expired", "offboarded", "EXPIRED_PW", "PPOLICY_EXPIRED_DN", url),
            ])
        let (plainCredentials, plainEnv) = try ProtocolScenario.logins(
            plain, probe: "t-ldap", passwords: ["PLAIN_LIVE_PW": "LDAP_LIVE_PASSWORD", "PLAIN_OLD_PW": "LDAP_OLD_PASSWORD"], [
                ("plain-live", "offboarded", "PLAIN_LIVE_PW", "LDAP_LIVE_DN", plainURL),
                ("plain-rotated", "rotated", "PLAIN_OLD_PW", "LDAP_CHANGED_DN", plainURL),
            ])
        credentials += plainCredentials
        env.merge(plainEnv) { _, new in new }
        let run = try await ProtocolRun.make("ldap-ppolicy-states", probes: [Self.probe], credentials: credentials, environment: env)
        let expected = ["locked-hidden": "ppolicy_use_lockout", "locked-reported": "accountLocked", "expired": "passwordExpired"]
        for (id, words) in expected {
            #expect(run.outcome(id) == "inconclusive", "\(id): \(run.reason(id))")
            #expect(run.reason(id).contains("ldap 49") && run.reason(id).contains(words), "\(id): \(run.reason(id))")
            #expect(run.report.codes(id) == ["revocation_unverified"], "\(id): \(run.report.codes(id))")
        }
        #expect(run.outcome("plain-live") == "authenticated" && run.report.codes("plain-live") == ["residual_access"], "\(run.result)")
        #expect(run.outcome("plain-rotated") == "rejected" && run.report.codes("plain-rotated") == ["revocation_verified"],
                "\(run.reason("plain-rotated"))")
        run.expectFindingsWithoutLeaks(env)
    }
}

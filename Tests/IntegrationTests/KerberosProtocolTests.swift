import Foundation
import Testing
import TestSupport

/// One `revenant verify` of every Kerberos case against the MIT KDC of `scripts/servers.sh`
/// (realm REVENANT.TEST on 127.0.0.1), read back from the report and cross-checked with the KDC's
/// own log, which names each answer (`PREAUTH_FAILED`, `ISSUE`, `CLIENT KEY EXPIRED`, ...).
struct KerberosRun: Sendable {
    let server: Server
    let result: CommandResult
    let ledger: String
    /// Lines the KDC's log gained during the run.
    let logLines: [String]
    let forbidden: [(String, String)]

    var report: ParsedReport {
        get throws {
            do { return try ParsedReport(result.stdout) } catch { throw CommandError(description: "no JSON report on stdout: \(result)") }
        }
    }

    /// Inconclusive for the KDC's answer `code`, so the should-be-dead credential stays unverified.
    func expectInconclusive(_ id: String, answer code: String) throws {
        let r = try report
        #expect(r.check(id)["outcome"] as? String == "inconclusive", "\(result)")
        #expect((r.check(id)["reason"] as? String)?.contains(code) == true, "\(r.check(id))")
        #expect(r.codes(id) == ["revocation_unverified"])
    }

    static func make() async throws -> KerberosRun {
        let server = try await SharedServers.get("kdc")
        let work = try WorkDirectory("kerberos")
        let realm = try server.value("KDC_REALM")
        let kdc = "kerberos://127.0.0.1:\(try server.port("KDC_PORT"))"
        let target = kdc + "/" + realm
        let silent = try SilentListener()
        defer { silent.close() }
        let closedPort = try SilentListener.closedPort()
        try work.writeJSON("probes/t-kerberos.json", [
            "id": "t-kerberos", "title": "Integration test Kerberos login", "kinds": ["password"], "protocol": "kerberos",
            "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
        ] as [String: Any])
        var environment: [String: String] = [:]
        var forbidden: [(String, String)] = []
        func login(_ id: String, _ state: String, _ user: String, _ password: String, _ to: String = target) throws -> [String: Any] {
            let variable = "RV_KRB_" + id.uppercased().replacingOccurrences(of: "-", with: "_")
            let value = password.hasPrefix("KRB_") ? try server.value(password) : password
            environment[variable] = value
            forbidden.append((password, value))
            return Scenario.credential(id, kind: "password", state: state, secret: ["env": variable], probe: "t-kerberos",
                                       target: to, username: try server.value(user))
        }
        func fromFile(_ id: String, _ state: String, _ file: String) throws -> [String: Any] {
            Scenario.credential(id, kind: "password", state: state, secret: ["file": try server.value(file)], probe: "t-kerberos",
                                target: target, username: try server.value("KRB_LATIN1_USER"))
        }
        // The first credential's principal is the negative control's (a random password for it).
        let credentials = [
            try login("live-principal", "offboarded", "KRB_LIVE_USER", "KRB_LIVE_PASSWORD"),
            try login("old-password", "rotated", "KRB_ROTATED_USER", "KRB_OLD_PASSWORD"),
            try login("current-password", "active", "KRB_ROTATED_USER", "KRB_ROTATED_PASSWORD"),
            try login("old-password-no-preauth", "rotated", "KRB_NOPREAUTH_USER", "KRB_NOPREAUTH_OLD_PASSWORD"),
            try login("disabled-principal", "revoked", "KRB_DISABLED_USER", "KRB_DISABLED_PASSWORD"),
            try login("expired-password", "revoked", "KRB_EXPIRED_USER", "KRB_EXPIRED_PASSWORD"),
            try login("expired-principal-wrong-password", "revoked", "KRB_EXPIRED_USER", "not-\(UUID().uuidString)"),
            try login("deleted-principal", "revoked", "KRB_DELETED_USER", "KRB_DELETED_PASSWORD"),
            try fromFile("latin1-password", "revoked", "KRB_LATIN1_PASSWORD_FILE"),
            try fromFile("latin1-password-as-utf8", "revoked", "KRB_LATIN1_AS_UTF8_PASSWORD_FILE"),
            try login("other-realm", "revoked", "KRB_LIVE_USER", "KRB_LIVE_PASSWORD", kdc + "/OTHER.TEST"),
            try login("unreachable-port", "revoked", "KRB_LIVE_USER", "KRB_LIVE_PASSWORD", "kerberos://127.0.0.1:\(closedPort)/\(realm)"),
            try login("silent-port", "revoked", "KRB_LIVE_USER", "KRB_LIVE_PASSWORD", "kerberos://127.0.0.1:\(silent.port)/\(realm)"),
        ]
        let (result, ledger, logLines) = try await LoginOutcomes.verify(work, credentials: credentials, timeout: 2,
                                                                        serverLog: try server.value("KDC_LOG"), environment: environment)
        return KerberosRun(server: server, result: result, ledger: ledger, logLines: logLines, forbidden: forbidden)
    }

    /// Whether the KDC logged this answer for this principal during the run.
    func logged(_ answer: String, user: String) -> Bool {
        logLines.contains { $0.contains(": \(answer): \(user)@") }
    }
}

/// Kerberos AS exchanges (`protocol: kerberos`) against MIT krb5kdc on loopback.
@Suite(.serialized) struct KerberosProtocolTests {
    static let once = Once<KerberosRun>()
    static func run() async throws -> KerberosRun { try await once.get { try await KerberosRun.make() } }

    @Test func livePasswordOfAnOffboardedIdentityIsResidualAccess() async throws {
        let run = try await Self.run()
        let r = try run.report
        #expect(r.codes("live-principal") == ["residual_access"], "\(run.result)")
        #expect(r.check("live-principal")["outcome"] as? String == "authenticated")
        #expect((r.check("live-principal")["controls"] as? [String: String])?["negative"] == "rejected")
        let live = try run.server.value("KRB_LIVE_USER")
        #expect(run.logLines.contains { $0.contains(": ISSUE: ") && $0.contains(" \(live)@") }, "\(run.logLines)")
    }

    @Test func changedPasswordIsRejectedWithThePreauthFailedTheKDCLogged() async throws {
        let run = try await Self.run()
        let r = try run.report
        #expect(r.codes("old-password") == ["revocation_verified"], "\(run.result)")
        #expect((r.check("old-password")["reason"] as? String)?.contains("KDC_ERR_PREAUTH_FAILED") == true)
        #expect(run.logged("PREAUTH_FAILED", user: try run.server.value("KRB_ROTATED_USER")), "\(run.logLines)")
        #expect(r.check("current-password")["outcome"] as? String == "authenticated")
        #expect(r.codes("current-password") == ["ok"])
    }

    @Test func changedPasswordWithoutPreauthIsRejectedBecauseTheReplyCannotBeDecrypted() async throws {
        let run = try await Self.run()
        let r = try run.report
        #expect(r.codes("old-password-no-preauth") == ["revocation_verified"], "\(run.result)")
        #expect((r.check("old-password-no-preauth")["reason"] as? String)?.contains("KRB_AP_ERR_BAD_INTEGRITY") == true)
    }

    /// MIT's KDC says CLIENT_REVOKED to the first request, before any password is checked, and
    /// re-enabling the principal brings the same password back: not proof of death.
    @Test func disabledPrincipalIsInconclusive() async throws {
        try await Self.run().expectInconclusive("disabled-principal", answer: "KDC_ERR_CLIENT_REVOKED")
    }

    /// MIT's KDC says KEY_EXPIRED before checking the password: a wrong password gets it too.
    @Test func expiredPasswordIsInconclusiveWhetherThePasswordIsRightOrWrong() async throws {
        let run = try await Self.run()
        for id in ["expired-password", "expired-principal-wrong-password"] { try run.expectInconclusive(id, answer: "KDC_ERR_KEY_EXPIRED") }
        #expect(run.logged("CLIENT KEY EXPIRED", user: try run.server.value("KRB_EXPIRED_USER")), "\(run.logLines)")
    }

    @Test func deletedPrincipalIsInconclusiveBecauseAMisspeltNameLooksTheSame() async throws {
        try await Self.run().expectInconclusive("deleted-principal", answer: "KDC_ERR_C_PRINCIPAL_UNKNOWN")
    }

    /// The password is Latin-1 bytes (not UTF-8): sent as stored it gets a ticket; its UTF-8
    /// re-encoding is another password to the KDC.
    @Test func latin1PasswordIsSentByteExact() async throws {
        let run = try await Self.run()
        let r = try run.report
        #expect(r.codes("latin1-password") == ["residual_access"], "\(run.result)")
        #expect(r.codes("latin1-password-as-utf8") == ["revocation_verified"], "\(run.result)")
        #expect((r.check("latin1-password-as-utf8")["reason"] as? String)?.contains("PREAUTH_FAILED") == true)
    }

    @Test func realmTheKDCDoesNotServeIsInconclusive() async throws {
        // MIT's krb5kdc answers a realm it does not serve with "client not found".
        try await Self.run().expectInconclusive("other-realm", answer: "KDC_ERR_C_PRINCIPAL_UNKNOWN")
    }

    @Test func kdcThatIsDownIsInconclusive() async throws {
        LoginOutcomes.expectUnreachable(try await Self.run().report, "unreachable-port")
    }

    @Test func kdcThatNeverAnswersTimesOutAsInconclusive() async throws {
        LoginOutcomes.expectTimedOut(try await Self.run().report, "silent-port", atLeastMs: 1500)
    }

    /// A positive control (a known-good principal and password) must get a ticket for a refusal
    /// on its pair to count; one that does not leaves the old password unverified.
    @Test(arguments: [true, false]) func positiveControlDecidesWhetherARefusalCounts(working: Bool) async throws {
        let server = try await SharedServers.get("kdc")
        let work = try WorkDirectory("kerberos-positive")
        let target = "kerberos://127.0.0.1:\(try server.port("KDC_PORT"))/\(try server.value("KDC_REALM"))"
        try work.writeJSON("probes/t-kerberos.json", [
            "id": "t-kerberos", "title": "Integration test Kerberos login", "kinds": ["password"], "protocol": "kerberos",
            "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
        ] as [String: Any])
        let inventory = try work.writeJSON("inventory.json", [
            "credentials": [Scenario.credential("old-password", kind: "password", state: "rotated", secret: ["env": "RV_KRB_OLD"],
                                                probe: "t-kerberos", target: target, username: try server.value("KRB_ROTATED_USER"))],
            "controls": [["probe": "t-kerberos", "target": target, "username": try server.value("KRB_LIVE_USER"),
                          "secret": ["env": "RV_KRB_CANARY"]]],
        ] as [String: Any])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 2, "retries": ["attempts": 1]] as [String: Any])
        let canary = working ? try server.value("KRB_LIVE_PASSWORD") : "not-the-canary-\(UUID().uuidString)"
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config,
                                         "--format", "json"], cwd: work.url,
                                        environment: ["RV_KRB_OLD": try server.value("KRB_OLD_PASSWORD"), "RV_KRB_CANARY": canary])
        let r = try ParsedReport(result.stdout)
        let controls = r.check("old-password")["controls"] as? [String: String]
        #expect(r.check("old-password")["outcome"] as? String == "rejected", "\(result)")
        #expect(controls?["positive"] == (working ? "authenticated" : "rejected"), "\(r.check("old-password"))")
        #expect(r.codes("old-password") == [working ? "revocation_verified" : "revocation_unverified"], "\(result)")
    }

    @Test func noPasswordInAnyOutput() async throws {
        let run = try await Self.run()
        #expect(run.forbidden.count == 11)
        try LoginOutcomes.expectNoSecret(run.forbidden, result: run.result, ledgerPath: run.ledger)
        let utf8 = try run.server.fileText("KRB_LATIN1_AS_UTF8_PASSWORD_FILE")
        #expect(!run.result.stdout.contains(utf8) && !run.result.stderr.contains(utf8))
    }
}

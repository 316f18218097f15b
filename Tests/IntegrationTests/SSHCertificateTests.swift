import Foundation
import RevenantCore
import Testing

/// One `revenant verify` of OpenSSH user certificates (`ssh_certificate`) against the sshd of
/// `scripts/servers.sh`: its user CA (`ssh-keygen -s`) signed each case's certificate at start, its
/// KRL (`ssh-keygen -k`) revokes serial 102 and key id `rv-id-revoked`; SSHD_PORT enforces the KRL
/// (`RevokedKeys`), SSHD_CERT_PORT_NO_KRL trusts the same CA without it.
struct SSHCertificateRun: Sendable {
    let server: Server
    let result: CommandResult
    let ledger: String
    let logLines: [String]
    let forbidden: [(String, String)]
    /// The same run with no positive control: rejections there must not count.
    let uncontrolled: CommandResult

    var report: ParsedReport { get throws { try ParsedReport(result.stdout) } }

    static func make() async throws -> SSHCertificateRun {
        let server = try await SharedServers.get("sshd")
        let work = try WorkDirectory("ssh-cert")
        let user = try server.value("SSHD_USER")
        let pin = try server.value("SSHD_HOST_KEY_SHA256")
        let enforcing = "ssh://127.0.0.1:\(try server.port("SSHD_PORT"))"
        let lax = "ssh://127.0.0.1:\(try server.port("SSHD_CERT_PORT_NO_KRL"))"
        let krl = try server.value("SSH_USER_CA_KRL")
        try work.writeJSON("probes/t-ssh-cert.json", [
            "id": "t-ssh-cert", "title": "Integration test SSH certificate login", "kinds": ["ssh_certificate"], "protocol": "ssh",
            "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
        ] as [String: Any])
        var forbidden: [(String, String)] = []
        func cert(_ id: String, _ name: String, target: String, state: String = "revoked") throws -> [String: Any] {
            let key = try server.value("SSH_CERT_\(name)")
            for line in try String(contentsOfFile: key, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("-----") {
                forbidden.append(("\(key) line", String(line)))
            }
            return Scenario.credential(id, kind: "ssh_certificate", state: state, secret: ["file": key], probe: "t-ssh-cert",
                                       target: target, username: user,
                                       extra: ["certificate": ["file": key + "-cert.pub"], "krl": ["file": krl], "host_key_sha256": pin])
        }
        let credentials = [
            try cert("live-cert", "LIVE", target: enforcing),
            try cert("live-cert-ecdsa", "LIVE_ECDSA", target: enforcing),
            try cert("live-cert-rsa", "LIVE_RSA", target: enforcing),
            try cert("serial-revoked-enforced", "SERIAL_REVOKED", target: enforcing),
            try cert("id-revoked-enforced", "ID_REVOKED", target: enforcing),
            try cert("serial-revoked-not-enforced", "SERIAL_REVOKED", target: lax),
            try cert("expired-cert", "EXPIRED", target: enforcing),
            try cert("active-expired-cert", "EXPIRED", target: enforcing, state: "active"),
            try cert("other-principal", "OTHER_PRINCIPAL", target: enforcing),
            try cert("not-yet-valid", "NOT_YET_VALID", target: enforcing),
            try cert("revoked-cert-key-authorized", "BARE_AUTHORIZED", target: enforcing),
        ]
        let live = try server.value("SSH_CERT_LIVE")
        let controls = [enforcing, lax].map { target -> [String: Any] in
            ["probe": "t-ssh-cert", "target": target, "username": user, "secret": ["file": live], "certificate": ["file": live + "-cert.pub"]]
        }
        let config = try work.writeJSON("config.json", ["timeout_seconds": 5, "retries": ["attempts": 1]] as [String: Any])
        func verify(_ name: String, controls: [[String: Any]], ledger: String) async throws -> CommandResult {
            let inventory = try work.writeJSON(name, ["credentials": credentials, "controls": controls] as [String: Any])
            return try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config,
                                       "--ledger", ledger, "--format", "json"], cwd: work.url)
        }
        let log = try server.value("SSHD_LOG")
        let before = SSHRun.lines(log).count
        let ledger = work.file("evidence.jsonl").path
        let result = try await verify("inventory.json", controls: controls, ledger: ledger)
        try await Task.sleep(for: .milliseconds(300))
        let logLines = Array(SSHRun.lines(log).dropFirst(before))
        let uncontrolled = try await verify("uncontrolled.json", controls: [], ledger: work.file("uncontrolled.jsonl").path)
        return SSHCertificateRun(server: server, result: result, ledger: ledger, logLines: logLines, forbidden: forbidden, uncontrolled: uncontrolled)
    }
}

/// OpenSSH user certificates (`kind: ssh_certificate`, docs/protocols/ssh.md "User certificates").
@Suite(.serialized) struct SSHCertificateTests {
    static let once = Once<SSHCertificateRun>()
    static func run() async throws -> SSHCertificateRun { try await once.get { try await SSHCertificateRun.make() } }

    static func report(_ run: SSHCertificateRun) throws -> ParsedReport {
        do { return try run.report } catch { throw CommandError(description: "no JSON report on stdout: \(run.result)") }
    }

    static func message(_ r: ParsedReport, _ id: String, _ code: String) -> String {
        let findings = r.result(id)?["findings"] as? [[String: Any]] ?? []
        return findings.first { $0["code"] as? String == code }?["message"] as? String ?? ""
    }

    @Test func acceptedCertificateOfARevokedCredentialIsResidualAccess() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        #expect(r.check("live-cert")["outcome"] as? String == "authenticated", "\(run.result)")
        let controls = r.check("live-cert")["controls"] as? [String: String]
        #expect(controls?["negative"] == "rejected" && controls?["positive"] == "authenticated", "\(String(describing: controls))")
        #expect(r.codes("live-cert").first == "residual_access")
        // Not in the CA's KRL either: every server trusting the CA takes it until it expires.
        #expect(r.codes("live-cert").contains("not_revoked_at_ca"), "\(r.codes("live-cert"))")
        // sshd logged a certificate login (ED25519-CERT), serial 101.
        #expect(run.logLines.contains { $0.hasPrefix("Accepted publickey for") && $0.contains("ED25519-CERT") && $0.contains("serial 101") },
                "\(run.logLines)")
    }

    /// libssh presents ECDSA and RSA certificates too (RSA with rsa-sha2-*: OpenSSH 9 refuses SHA-1
    /// `ssh-rsa-cert-v01`, and a live RSA certificate read as refused would be a false "revoked").
    @Test(arguments: [("live-cert-ecdsa", "ECDSA-CERT", 107), ("live-cert-rsa", "RSA-CERT", 108)])
    func ecdsaAndRSACertificatesLogIn(id: String, logged: String, serial: Int) async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        #expect(r.check(id)["outcome"] as? String == "authenticated", "\(r.check(id))")
        #expect(r.codes(id).first == "residual_access")
        #expect(run.logLines.contains { $0.hasPrefix("Accepted publickey for") && $0.contains(logged) && $0.contains("serial \(serial)") },
                "\(run.logLines)")
    }

    @Test(arguments: ["serial-revoked-enforced", "id-revoked-enforced"])
    func revokedAtTheCAAndRefusedByAServerWithRevokedKeysIsVerified(id: String) async throws {
        let r = try Self.report(try await Self.run())
        #expect(r.check(id)["outcome"] as? String == "rejected", "\(r.check(id))")
        #expect(r.codes(id) == ["revocation_verified"], "\(r.codes(id))")
    }

    /// A certificate refused (revoked in the KRL) whose key is also in authorized_keys: the key alone
    /// still logs in, so the secret is live (found by an adversarial run: revocation_verified).
    @Test func aRefusedCertificateWhoseKeyIsAuthorizedAloneIsResidualAccess() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        let id = "revoked-cert-key-authorized"
        #expect(r.check(id)["outcome"] as? String == "authenticated", "\(r.check(id))")
        // The certificate (serial 109) is in the KRL this server enforces: sshd took the key alone.
        #expect(run.logLines.contains { $0.hasPrefix("Accepted publickey for") && $0.contains("ED25519 ") && !$0.contains("CERT") },
                "\(run.logLines)")
        #expect(r.codes(id).first == "residual_access", "\(r.codes(id))")
    }

    @Test func revokedAtTheCAButAcceptedByAServerWithoutRevokedKeysIsResidualAccess() async throws {
        let r = try Self.report(try await Self.run())
        let id = "serial-revoked-not-enforced"
        #expect(r.check(id)["outcome"] as? String == "authenticated", "\(r.check(id))")
        #expect(r.codes(id) == ["residual_access"], "\(r.codes(id))")
        let message = Self.message(r, id, "residual_access")
        #expect(message.contains("serial 102 is revoked under its CA") && message.contains("does not enforce the CA's revocation"), "\(message)")
    }

    /// sshd refuses a certificate past valid_before; such a refusal is proof (its validity is signed by the CA).
    @Test func expiredCertificateIsRefusedBySSHD() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        #expect(r.check("expired-cert")["outcome"] as? String == "rejected", "\(r.check("expired-cert"))")
        #expect(r.codes("expired-cert") == ["revocation_verified"])
        // The active one gets the expiry finding, as an expired X.509 certificate does.
        #expect(r.codes("active-expired-cert").contains("expired"), "\(r.codes("active-expired-cert"))")
        #expect(Self.message(r, "active-expired-cert", "expired").contains("2020-01-02"))
        #expect(run.logLines.contains { $0.contains("Certificate invalid: expired") }, "\(run.logLines)")
    }

    /// A certificate for another principal is refused for that alone: nothing is sent, nothing proven.
    @Test func certificateForAnotherPrincipalIsSkippedNotRejected() async throws {
        let r = try Self.report(try await Self.run())
        #expect(r.check("other-principal")["outcome"] as? String == "skipped")
        #expect((r.check("other-principal")["reason"] as? String)?.contains("is not valid for user") == true)
        #expect(r.codes("other-principal").contains("revocation_unverified"), "\(r.codes("other-principal"))")
        #expect(!r.codes("other-principal").contains("revocation_verified"))
    }

    @Test func notYetValidCertificateSaysSoAndIsNotProvenDead() async throws {
        let r = try Self.report(try await Self.run())
        #expect(r.check("not-yet-valid")["outcome"] as? String == "skipped")
        #expect((r.check("not-yet-valid")["reason"] as? String)?.contains("is not valid before") == true)
        #expect(r.codes("not-yet-valid").contains("revocation_unverified"))
    }

    /// Without a live certificate of the same CA vouching for the server, a refusal proves nothing.
    @Test func withoutAPositiveControlARefusedCertificateIsUnverified() async throws {
        let run = try await Self.run()
        let r = try ParsedReport(run.uncontrolled.stdout)
        #expect(r.check("serial-revoked-enforced")["outcome"] as? String == "rejected")
        #expect(r.codes("serial-revoked-enforced") == ["revocation_unverified"], "\(run.uncontrolled)")
        #expect(Self.message(r, "serial-revoked-enforced", "revocation_unverified").contains("no positive control"))
        // An acceptance needs no positive control.
        #expect(r.codes("serial-revoked-not-enforced") == ["residual_access"])
    }

    /// The fingerprint is the certified key's (never the private key's), and no key line is in any output.
    @Test func fingerprintIsOfTheCertificateKeyAndNoPrivateKeyLeaks() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        let same = ["serial-revoked-enforced", "serial-revoked-not-enforced"].map {
            (r.result($0)?["credential"] as? [String: Any])?["fingerprint"] as? String
        }
        #expect(same[0] != nil && same[0] == same[1])
        // The plain public key blob ssh-keygen wrote beside the key (`cert_serial_revoked.pub`).
        let pub = try String(contentsOfFile: try run.server.value("SSH_CERT_SERIAL_REVOKED") + ".pub", encoding: .utf8)
        let blob = try #require(Data(base64Encoded: String(pub.split(separator: " ")[1])))
        #expect(same[0] == (try await SecretBytesTests.sha256Prefix([UInt8](blob))))
        try LoginOutcomes.expectNoSecret(run.forbidden, result: run.result, ledgerPath: run.ledger)
    }

    /// One `verify` of a certificate signed here by a throwaway CA (`sign`: ssh-keygen's signing
    /// arguments), after `edit` on its blob, at a target that listens nowhere: sending it would give
    /// `inconclusive`, so `skipped` means nothing was sent. No server is needed.
    static func verifyUnsent(_ name: String, username: String, sign: [String], edit: ([UInt8]) -> [UInt8] = { $0 }) async throws -> [String: Any] {
        let work = try WorkDirectory(name)
        defer { work.remove() }
        let key = work.file("k").path
        for args in [["-t", "ed25519", "-N", "", "-C", "ca", "-f", work.file("ca").path], ["-t", "ed25519", "-N", "", "-C", "k", "-f", key],
                     ["-s", work.file("ca").path, "-I", name] + sign + [key + ".pub"]] {
            let made = try await IntegrationTests.run("/usr/bin/ssh-keygen", ["-q"] + args, cwd: work.url)
            #expect(made.status == 0, "\(made)")
        }
        let line = try String(contentsOfFile: key + "-cert.pub", encoding: .utf8).split(separator: " ")
        let blob = edit([UInt8](Data(base64Encoded: String(line[1])) ?? Data()))
        _ = try work.write("k-cert.pub", "\(line[0]) \(Data(blob).base64EncodedString())\n")
        try work.writeJSON("probes/t-ssh-cert.json", [
            "id": "t-ssh-cert", "title": "Integration test SSH certificate login", "kinds": ["ssh_certificate"], "protocol": "ssh",
            "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
        ] as [String: Any])
        let credential = Scenario.credential("unsent", kind: "ssh_certificate", state: "revoked", secret: ["file": key], probe: "t-ssh-cert",
                                             target: "ssh://127.0.0.1:1", username: username,
                                             extra: ["certificate": ["file": key + "-cert.pub"], "host_key_sha256": "SHA256:LvX/xkNSMIspO5Bd7jOKgr+NvNnUtO/aqMveeNbJ8Z8"])
        let inventory = try work.writeJSON("inventory.json", ["credentials": [credential]] as [String: Any])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 2, "retries": ["attempts": 1]] as [String: Any])
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config, "--format", "json"],
                                        cwd: work.url)
        let r = try ParsedReport(result.stdout)
        #expect(!r.codes("unsent").contains("revocation_verified") && r.codes("unsent").contains("revocation_unverified"), "\(result)")
        return r.check("unsent")
    }

    /// sshd compares a certificate's principals with the login name byte for byte: a certificate for
    /// `rv-jose` + U+0301 is refused to `rv-jos\u{e9}` for that alone (String == calls them equal). Such
    /// a refusal proves nothing, so the certificate is skipped, never sent.
    @Test func aPrincipalEqualOnlyAfterUnicodeNormalizationIsAnotherPrincipal() async throws {
        let check = try await Self.verifyUnsent("ssh-cert-principal-bytes", username: "rv-jos\u{e9}", sign: ["-n", "rv-jose\u{301}", "-z", "9"])
        #expect(check["outcome"] as? String == "skipped", "\(check)")
        #expect((check["reason"] as? String)?.contains("is not valid for user") == true, "\(check)")
    }

    /// A valid_after past year 9999 (no date: OpenSSH prints such times as forever) is in the future
    /// all the same: sshd refuses the certificate as not yet valid, which proves nothing; it is skipped.
    @Test func aValidAfterPastTheYear9999IsNotYetValid() async throws {
        let check = try await Self.verifyUnsent("ssh-cert-far-future", username: "alice", sign: ["-n", "alice", "-z", "9", "-V", "20990101:forever"]) { blob in
            // valid_after (2099-01-01) then valid_before (forever), as 8 bytes each: valid_after becomes 2^64-2.
            guard let signed = try? SSHCertificate.parse(blob: blob) else { return blob }
            let fields = [signed.validAfter, signed.validBefore].flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }
            guard let at = (0...(blob.count - 16)).first(where: { blob[$0..<($0 + 16)].elementsEqual(fields) }) else { return blob }
            return Array(blob[..<at]) + [UInt8](repeating: 0xff, count: 7) + [0xfe] + Array(blob[(at + 8)...])
        }
        #expect(check["outcome"] as? String == "skipped", "\(check)")
        #expect((check["reason"] as? String)?.contains("past the year 9999") == true, "\(check)")
    }

    /// A certificate restricted by a critical option (here source-address, a host revenant does not
    /// run on): sshd refuses it from anywhere else for that alone, so it is skipped, never sent.
    /// force-command alone refuses no login and is no reason to skip.
    @Test func aCertificateWithARestrictingCriticalOptionIsSkipped() async throws {
        let check = try await Self.verifyUnsent("ssh-cert-source-address", username: "alice",
                                                sign: ["-n", "alice", "-z", "9", "-O", "source-address=192.0.2.7/32", "-O", "force-command=/bin/true"])
        #expect(check["outcome"] as? String == "skipped", "\(check)")
        let reason = check["reason"] as? String ?? ""
        #expect(reason.contains("critical option") && reason.contains("source-address") && !reason.contains("force-command"), "\(check)")
    }

    /// A certificate that names no principal: sshd refuses it through TrustedUserCAKeys ("Certificate
    /// lacks principal list") though nobody revoked it, so it is skipped, never sent.
    @Test func aCertificateWithoutPrincipalsIsSkipped() async throws {
        let check = try await Self.verifyUnsent("ssh-cert-no-principals", username: "alice", sign: ["-z", "9"])
        #expect(check["outcome"] as? String == "skipped", "\(check)")
        #expect((check["reason"] as? String)?.contains("names no principal") == true, "\(check)")
    }
}

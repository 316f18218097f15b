import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One `revenant verify` of every SSH case against the sshd of `scripts/servers.sh`: real key
/// exchanges and public-key logins, read back from the report, the ledger and sshd's own log.
struct SSHRun: Sendable {
    let server: Server
    let result: CommandResult
    let ledger: String
    /// Lines sshd's log gained during the run.
    let logLines: [String]
    /// Login names used only by one case each, so sshd's log says which case reached it.
    let unpinnedUser: String
    let wrongPinUser: String
    let canaryUser: String
    /// (name, text) pairs that must appear in no output: every line of every private key, the password.
    let forbidden: [(String, String)]

    var report: ParsedReport { get throws { try ParsedReport(result.stdout) } }

    static let keyNames = ["ED25519", "ECDSA", "RSA"]
    static let password = "ssh-password-\(UUID().uuidString)"

    static func make() async throws -> SSHRun {
        let server = try await SharedServers.get("sshd")
        let work = try WorkDirectory("ssh")
        let port = try server.port("SSHD_PORT")
        let user = try server.value("SSHD_USER")
        let pin = try server.value("SSHD_HOST_KEY_SHA256")
        let target = "ssh://127.0.0.1:\(port)"
        let silent = try SilentListener()
        defer { silent.close() }
        let closedPort = try SilentListener.closedPort()
        let tag = UUID().uuidString.prefix(8).lowercased()
        let unpinnedUser = "rv-unpinned-\(tag)", wrongPinUser = "rv-wrongpin-\(tag)", canaryUser = "rv-canary-\(tag)"

        // One probe id per pair that must not share controls or a pin with the others.
        for id in ["t-ssh", "t-ssh-unpinned", "t-ssh-wrongpin", "t-ssh-canary", "t-ssh-password"] {
            try work.writeJSON("probes/\(id).json", [
                "id": id, "title": "Integration test SSH login \(id)", "kinds": ["ssh_key", "password"], "protocol": "ssh",
                "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
            ] as [String: Any])
        }
        var credentials: [[String: Any]] = []
        var forbidden: [(String, String)] = [("password", password)]
        func key(_ id: String, state: String, path: String, username: String = user, probe: String = "t-ssh",
                 target: String = target, pin: String? = pin) throws -> [String: Any] {
            var extra: [String: Any] = [:]
            if let pin { extra["host_key_sha256"] = pin }
            return Scenario.credential(id, kind: "ssh_key", state: state, secret: ["file": path], probe: probe, target: target,
                                       username: username, extra: extra)
        }
        for name in keyNames {
            for (state, dead) in [("offboarded", false), ("revoked", true)] {
                let path = try server.value("SSH_\(dead ? "DEAD" : "LIVE")_\(name)")
                credentials.append(try key("\(dead ? "dead" : "live")-\(name.lowercased())", state: state, path: path))
                for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("-----") {
                    forbidden.append(("\(path) line", String(line)))
                }
            }
        }
        let live = try server.value("SSH_LIVE_ED25519")
        credentials += [
            try key("unpinned-host", state: "revoked", path: live, username: unpinnedUser, probe: "t-ssh-unpinned", pin: nil),
            // A well-formed pin of another key: the host key check must fail before any auth.
            try key("wrong-pin", state: "revoked", path: live, username: wrongPinUser, probe: "t-ssh-wrongpin",
                    pin: "SHA256:" + String(repeating: "A", count: 42) + "E"),
            // Proves the log search below can find a login name: this one is sent, and sshd logs it.
            try key("canary-user", state: "revoked", path: try server.value("SSH_DEAD_ED25519"), username: canaryUser, probe: "t-ssh-canary"),
            try key("unreachable-port", state: "revoked", path: live, target: "ssh://127.0.0.1:\(closedPort)"),
            try key("silent-port", state: "revoked", path: live, target: "ssh://127.0.0.1:\(silent.port)"),
            Scenario.credential("old-password", kind: "password", state: "rotated", secret: ["env": "RV_SSH_PASSWORD"], probe: "t-ssh",
                                target: target, username: user, extra: ["host_key_sha256": pin]),
            // The server's password user (its own pair, so its negative control is a random password for that user).
            Scenario.credential("live-password", kind: "password", state: "offboarded", secret: ["env": "RV_SSH_LIVE_PASSWORD"],
                                probe: "t-ssh-password", target: target, username: try server.value("SSHD_PASSWORD_USER"),
                                extra: ["host_key_sha256": pin]),
            Scenario.credential("rotated-password", kind: "password", state: "rotated", secret: ["env": "RV_SSH_OLD_PASSWORD"],
                                probe: "t-ssh-password", target: target, username: try server.value("SSHD_PASSWORD_USER"),
                                extra: ["host_key_sha256": pin]),
        ]
        forbidden += [("live password", try server.value("SSHD_LIVE_PASSWORD")), ("old password", try server.value("SSHD_OLD_PASSWORD"))]
        let (result, ledger, logLines) = try await LoginOutcomes.verify(work, credentials: credentials, timeout: 3,
                                                                        serverLog: try server.value("SSHD_LOG"),
                                                                        environment: ["RV_SSH_PASSWORD": password,
                                                                                      "RV_SSH_LIVE_PASSWORD": try server.value("SSHD_LIVE_PASSWORD"),
                                                                                      "RV_SSH_OLD_PASSWORD": try server.value("SSHD_OLD_PASSWORD")])
        return SSHRun(server: server, result: result, ledger: ledger, logLines: logLines,
                      unpinnedUser: unpinnedUser, wrongPinUser: wrongPinUser, canaryUser: canaryUser, forbidden: forbidden)
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline).map(String.init)
    }
}

/// SSH logins (`protocol: ssh`) against a stock OpenSSH sshd on loopback.
@Suite(.serialized) struct SSHProtocolTests {
    static let once = Once<SSHRun>()
    static func run() async throws -> SSHRun { try await once.get { try await SSHRun.make() } }

    static func report(_ run: SSHRun) throws -> ParsedReport {
        do { return try run.report } catch { throw CommandError(description: "no JSON report on stdout: \(run.result)") }
    }

    /// The check of credential `id` has this outcome and its result only this finding; returns the check.
    static func expect(_ run: SSHRun, _ id: String, outcome: String, code: String) throws -> [String: Any] {
        let r = try report(run)
        #expect(r.codes(id) == [code], "\(run.result)")
        #expect(r.check(id)["outcome"] as? String == outcome)
        return r.check(id)
    }

    @Test(arguments: SSHRun.keyNames)
    func liveKeyOfAnOffboardedIdentityIsResidualAccess(key: String) async throws {
        let run = try await Self.run()
        let check = try Self.expect(run, "live-\(key.lowercased())", outcome: "authenticated", code: "residual_access")
        #expect((check["controls"] as? [String: String])?["negative"] == "rejected", "a fresh Ed25519 key must be refused")
        // sshd agrees: this key type logged in (RSA only with rsa-sha2-*: OpenSSH 9 refuses SHA-1 ssh-rsa).
        #expect(run.logLines.contains { $0.hasPrefix("Accepted publickey for") && $0.contains("ssh2: \(key) SHA256:") }, "\(run.logLines)")
    }

    @Test(arguments: SSHRun.keyNames)
    func deadKeyIsRevocationVerified(key: String) async throws {
        let check = try Self.expect(try await Self.run(), "dead-\(key.lowercased())", outcome: "rejected", code: "revocation_verified")
        #expect((check["reason"] as? String)?.contains("Permission denied (publickey)") == true)
    }

    @Test func acceptedLoginOpensNoSessionAndRunsNoCommand() async throws {
        let run = try await Self.run()
        let accepted = run.logLines.filter { $0.hasPrefix("Accepted publickey for") }
        #expect(accepted.count >= 3, "\(run.logLines)")
        // sshd logs `Starting session: forced-command ...` whenever a channel asks for a shell or command.
        #expect(!run.logLines.contains { $0.contains("Starting session") }, "\(run.logLines)")
    }

    @Test func unpinnedHostIsSkippedAndNothingIsSent() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        #expect(r.check("unpinned-host")["outcome"] as? String == "skipped")
        #expect((r.check("unpinned-host")["reason"] as? String)?.contains("not pinned") == true)
        #expect(r.codes("unpinned-host") == ["revocation_unverified"])
        #expect(!run.logLines.contains { $0.contains(run.unpinnedUser) }, "\(run.logLines)")
        // The search can find a login name that was sent (else the line above proves nothing).
        #expect(run.logLines.contains { $0.contains(run.canaryUser) }, "\(run.logLines)")
    }

    @Test func wrongHostKeyPinIsRefusedBeforeAnyAuthentication() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        let check = r.check("wrong-pin")
        #expect(check["outcome"] as? String == "inconclusive", "\(run.result)")
        let reason = check["reason"] as? String ?? ""
        #expect(reason.contains("refused_host") && reason.contains("is not the pinned one: nothing sent"), "\(reason)")
        #expect(reason.contains(try run.server.value("SSHD_HOST_KEY_SHA256")), "the reason names the key the server showed")
        #expect(r.codes("wrong-pin") == ["revocation_unverified"])
        #expect(!run.logLines.contains { $0.contains(run.wrongPinUser) }, "\(run.logLines)")
        #expect(run.logLines.contains { $0.contains(run.canaryUser) }, "\(run.logLines)")
    }

    @Test func unreachablePortIsInconclusive() async throws {
        LoginOutcomes.expectUnreachable(try Self.report(try await Self.run()), "unreachable-port")
    }

    @Test func serverThatNeverAnswersTimesOutAsInconclusive() async throws {
        LoginOutcomes.expectTimedOut(try Self.report(try await Self.run()), "silent-port", atLeastMs: 2500)
    }

    /// The server never judged the password (it takes none, for any user): that proves nothing.
    @Test func passwordAgainstAPublicKeyOnlyAccountIsInconclusive() async throws {
        let r = try Self.report(try await Self.run())
        #expect(r.check("old-password")["outcome"] as? String == "inconclusive")
        #expect((r.check("old-password")["reason"] as? String)?.contains("takes no password logins (it offers: publickey)") == true)
        #expect(r.codes("old-password") == ["revocation_unverified"])
    }

    @Test func livePasswordOfAnOffboardedIdentityIsResidualAccessAndTheOldOneIsRejected() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        #expect(r.check("live-password")["outcome"] as? String == "authenticated", "\(r.check("live-password"))")
        #expect(r.codes("live-password") == ["residual_access"])
        #expect((r.check("live-password")["controls"] as? [String: String])?["negative"] == "rejected")
        #expect(r.check("rotated-password")["outcome"] as? String == "rejected", "\(r.check("rotated-password"))")
        #expect(r.codes("rotated-password") == ["revocation_verified"])
        // sshd itself says how the login went.
        let user = try run.server.value("SSHD_PASSWORD_USER")
        #expect(run.logLines.contains { $0.contains("Accepted password for \(user)") }, "\(run.logLines.suffix(20))")
        #expect(run.logLines.contains { $0.contains("Failed password for \(user)") })
    }

    @Test func hostKeyPinFromAKnownHostsFile() async throws {
        // No host_key_sha256 in the inventory: the config's ssh.known_hosts pins the host.
        let server = try await SharedServers.get("sshd")
        let work = try WorkDirectory("ssh-known-hosts")
        defer { work.remove() }
        try work.writeJSON("probes/t-ssh-kh.json", [
            "id": "t-ssh-kh", "title": "Integration test SSH login (known_hosts)", "kinds": ["ssh_key"], "protocol": "ssh",
            "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
        ] as [String: Any])
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("live-by-known-hosts", kind: "ssh_key", state: "offboarded", secret: ["file": try server.value("SSH_LIVE_ED25519")],
                                probe: "t-ssh-kh", target: "ssh://127.0.0.1:\(try server.port("SSHD_PORT"))", username: try server.value("SSHD_USER")),
        ]])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 3, "ssh": ["known_hosts": try server.value("SSHD_KNOWN_HOSTS")]])
        let r = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config, "--format", "json"])
        let report = try ParsedReport(r.stdout)
        #expect(report.check("live-by-known-hosts")["outcome"] as? String == "authenticated", "\(r)")
        #expect(report.codes("live-by-known-hosts") == ["residual_access"])
        // The same without the file: skipped, nothing sent.
        let bare = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--format", "json"])
        #expect((try ParsedReport(bare.stdout)).check("live-by-known-hosts")["outcome"] as? String == "skipped", "\(bare)")
    }

    @Test func noKeyLineOrPasswordInAnyOutput() async throws {
        let run = try await Self.run()
        #expect(run.forbidden.count > 30)
        try LoginOutcomes.expectNoSecret(run.forbidden, result: run.result, ledgerPath: run.ledger)
        #expect(!run.logLines.joined().contains(SSHRun.password))
    }
}

/// A TCP socket on 127.0.0.1 that accepts connections (the kernel completes the handshake) and
/// never says a word: the "server that hangs" of timeout tests. Owned by the test, closed by it.
struct SilentListener {
    let fd: Int32
    let port: Int

    init() throws { (fd, port) = try CertsEndpointTests.listeningSocket(backlog: 64) }

    func close() { Glibc.close(fd) }

    /// A port nothing listens on (`ProtocolScenario.closedPort`).
    static func closedPort() throws -> Int { try ProtocolScenario.closedPort() }
}

/// The run and the checks every login protocol's tests share.
enum LoginOutcomes {
    /// Writes the inventory and a configuration (one attempt, this timeout), runs `revenant verify`
    /// with the probes in `work/probes`, and returns its result, the ledger's path and the lines
    /// `serverLog` gained meanwhile (after a moment: servers log a connection as it closes).
    /// `settings` adds configuration keys to the timeout and the single attempt; `controls` are the
    /// inventory's known-good credentials (positive controls).
    static func verify(_ work: WorkDirectory, credentials: [[String: Any]], timeout: Int, serverLog: String,
                       environment: [String: String], settings: [String: Any] = [:],
                       controls: [[String: Any]] = []) async throws -> (CommandResult, String, [String]) {
        let inventory = try work.writeJSON("inventory.json", ["credentials": credentials, "controls": controls])
        let config = try work.writeJSON("config.json", ["timeout_seconds": timeout, "retries": ["attempts": 1]]
                                            .merging(settings) { $1 } as [String: Any])
        let ledger = work.file("evidence.jsonl").path
        let before = SSHRun.lines(serverLog).count
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config,
                                         "--ledger", ledger, "--format", "json"], cwd: work.url, environment: environment)
        try await Task.sleep(for: .milliseconds(300))
        return (result, ledger, Array(SSHRun.lines(serverLog).dropFirst(before)))
    }

    static func expectUnreachable(_ r: ParsedReport, _ id: String) {
        #expect(r.check(id)["outcome"] as? String == "inconclusive")
        #expect((r.check(id)["reason"] as? String)?.hasPrefix("connect:") == true, "\(r.check(id))")
        #expect(r.codes(id) == ["revocation_unverified"])
    }

    /// Timed out, inconclusive, and the wait bounded by the configured timeout.
    static func expectTimedOut(_ r: ParsedReport, _ id: String, atLeastMs: Int) {
        let check = r.check(id)
        #expect(check["outcome"] as? String == "inconclusive")
        #expect((check["reason"] as? String)?.hasPrefix("timeout:") == true, "\(check)")
        let ms = check["duration_ms"] as? Int ?? 0
        #expect(ms >= atLeastMs && ms < 10_000, "the timeout bounds the wait (took \(ms) ms)")
        #expect(r.codes(id) == ["revocation_unverified"])
    }

    /// No secret in the report, on stderr or in the ledger (which must hold the controls too).
    static func expectNoSecret(_ forbidden: [(String, String)], result: CommandResult, ledgerPath: String) throws {
        let ledger = try String(contentsOfFile: ledgerPath, encoding: .utf8)
        #expect(ledger.contains("\"control\":\"negative\""), "controls are in the ledger too")
        for (label, text) in [("report", result.stdout), ("stderr", result.stderr), ("ledger", ledger)] {
            for (name, secret) in forbidden { #expect(!text.contains(secret), "\(name) appears in the \(label)") }
        }
    }
}

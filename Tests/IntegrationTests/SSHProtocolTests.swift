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
        for id in ["t-ssh", "t-ssh-unpinned", "t-ssh-wrongpin", "t-ssh-canary"] {
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
        ]
        let inventory = try work.writeJSON("inventory.json", ["credentials": credentials])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 3, "retries": ["attempts": 1]] as [String: Any])
        let ledger = work.file("evidence.jsonl").path
        let log = try server.value("SSHD_LOG")
        let before = SSHRun.lines(log).count
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config,
                                         "--ledger", ledger, "--format", "json"], cwd: work.url,
                                        environment: ["RV_SSH_PASSWORD": password])
        // sshd writes its last lines as the connections close: give it a moment.
        try await Task.sleep(for: .milliseconds(300))
        return SSHRun(server: server, result: result, ledger: ledger, logLines: Array(SSHRun.lines(log).dropFirst(before)),
                      unpinnedUser: unpinnedUser, wrongPinUser: wrongPinUser, canaryUser: canaryUser, forbidden: forbidden)
    }

    /// A log's lines (sshd -e writes `\r\n`, which Swift reads as one Character).
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

    @Test(arguments: SSHRun.keyNames)
    func liveKeyOfAnOffboardedIdentityIsResidualAccess(key: String) async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        let id = "live-\(key.lowercased())"
        #expect(r.codes(id) == ["residual_access"], "\(run.result)")
        let check = r.check(id)
        #expect(check["outcome"] as? String == "authenticated")
        #expect((check["controls"] as? [String: String])?["negative"] == "rejected", "a fresh Ed25519 key must be refused")
        // sshd agrees: this key type logged in (RSA only with rsa-sha2-*: OpenSSH 9 refuses SHA-1 ssh-rsa).
        let type = key == "ECDSA" ? "ECDSA" : key
        #expect(run.logLines.contains { $0.hasPrefix("Accepted publickey for") && $0.contains("ssh2: \(type) SHA256:") }, "\(run.logLines)")
    }

    @Test(arguments: SSHRun.keyNames)
    func deadKeyIsRevocationVerified(key: String) async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        let id = "dead-\(key.lowercased())"
        #expect(r.codes(id) == ["revocation_verified"], "\(run.result)")
        #expect(r.check(id)["outcome"] as? String == "rejected")
        #expect((r.check(id)["reason"] as? String)?.contains("Permission denied (publickey)") == true)
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
        let r = try Self.report(try await Self.run())
        #expect(r.check("unreachable-port")["outcome"] as? String == "inconclusive")
        #expect((r.check("unreachable-port")["reason"] as? String)?.hasPrefix("connect:") == true, "\(r.check("unreachable-port"))")
        #expect(r.codes("unreachable-port") == ["revocation_unverified"])
    }

    @Test func serverThatNeverAnswersTimesOutAsInconclusive() async throws {
        let r = try Self.report(try await Self.run())
        let check = r.check("silent-port")
        #expect(check["outcome"] as? String == "inconclusive")
        #expect((check["reason"] as? String)?.hasPrefix("timeout:") == true, "\(check)")
        let ms = check["duration_ms"] as? Int ?? 0
        #expect(ms >= 2500 && ms < 10_000, "the 3 s timeout bounds the wait (took \(ms) ms)")
        #expect(r.codes("silent-port") == ["revocation_unverified"])
    }

    @Test func passwordAgainstAPublicKeyOnlyServerIsRejected() async throws {
        let r = try Self.report(try await Self.run())
        #expect(r.check("old-password")["outcome"] as? String == "rejected")
        #expect((r.check("old-password")["reason"] as? String)?.contains("takes no password logins (it offers: publickey)") == true)
        #expect(r.codes("old-password") == ["revocation_verified"])
    }

    @Test func noKeyLineOrPasswordInAnyOutput() async throws {
        let run = try await Self.run()
        let ledger = try String(contentsOfFile: run.ledger, encoding: .utf8)
        #expect(ledger.contains("\"control\":\"negative\""), "controls are in the ledger too")
        #expect(run.forbidden.count > 30)
        for (label, text) in [("report", run.result.stdout), ("stderr", run.result.stderr), ("ledger", ledger)] {
            for (name, secret) in run.forbidden { #expect(!text.contains(secret), "\(name) appears in the \(label)") }
        }
        #expect(!run.logLines.joined().contains(SSHRun.password))
    }
}

/// A TCP socket on 127.0.0.1 that accepts connections (the kernel completes the handshake) and
/// never says a word: the "server that hangs" of timeout tests. Owned by the test, closed by it.
struct SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommandError(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, listen(fd, 64) == 0, named == 0 else {
            Glibc.close(fd)
            throw CommandError(description: "bind/listen on 127.0.0.1 failed")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(fd) }

    /// A port nothing listens on: one the kernel just gave out, released again.
    static func closedPort() throws -> Int {
        let listener = try SilentListener()
        listener.close()
        return listener.port
    }
}

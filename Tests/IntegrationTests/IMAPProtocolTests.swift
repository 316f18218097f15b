import Foundation
import Testing

/// IMAP LOGIN (RFC 9051 §6.2.3) through libcurl against a real dovecot on 127.0.0.1.
@Suite(.serialized) struct IMAPProtocolTests {
    static let once = Once<(ProtocolRun, [String: String])>()

    static func main() async throws -> (ProtocolRun, [String: String]) {
        try await once.get {
            let s = try await SharedServers.get("dovecot")
            let url = try s.value("IMAP_URL")
            let closed = ProtocolScenario.loopback("imap", port: try ProtocolScenario.closedPort())
            let silent = ProtocolScenario.loopback("imap", port: try ProtocolScenario.blackholePort())
            let (credentials, env) = try ProtocolScenario.logins(
                s, probe: "t-imap",
                passwords: ["LIVE_PW": "IMAP_LIVE_PASSWORD", "DEAD_PW": "IMAP_DEAD_PASSWORD", "OLD_PW": "IMAP_OLD_PASSWORD"], [
                    ("mailbox-live", "offboarded", "LIVE_PW", "IMAP_LIVE_USER", url),
                    ("mailbox-removed", "offboarded", "DEAD_PW", "IMAP_DEAD_USER", url),
                    ("mailbox-rotated-old", "rotated", "OLD_PW", "IMAP_ROTATED_USER", url),
                    ("mailbox-unreachable", "revoked", "LIVE_PW", "IMAP_LIVE_USER", closed),
                    ("mailbox-timeout", "revoked", "LIVE_PW", "IMAP_LIVE_USER", silent),
                ])
            let run = try await ProtocolRun.make(
                "imap", probes: [ProtocolScenario.probe("t-imap", protocol: "imap", kinds: ["password"])], credentials: credentials, environment: env)
            return (run, env)
        }
    }

    @Test func liveLoginIsResidualAccess() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("mailbox-live") == "authenticated", "\(run.reason("mailbox-live"))\n\(run.result)")
        #expect(run.report.codes("mailbox-live") == ["residual_access"])
    }

    @Test func removedUserAndRotatedPasswordAreRejected() async throws {
        let (run, _) = try await Self.main()
        for id in ["mailbox-removed", "mailbox-rotated-old"] {
            #expect(run.outcome(id) == "rejected", "\(id): \(run.reason(id))")
            #expect(run.reason(id).contains("curl 67"), "\(id): \(run.reason(id))")
            #expect(run.report.codes(id) == ["revocation_verified"], "\(id)")
        }
    }

    /// dovecot refuses a login past `mail_max_userip_connections` (10) with `NO [LIMIT]`, which
    /// libcurl reports as curl 67 like a wrong password: it must not count as a rejection.
    @Test func tooManyConnectionsIsInconclusiveNeverRejected() async throws {
        // The held sessions would refuse the shared run's logins too: it is made (once) before them.
        _ = try await Self.main()
        let s = try await SharedServers.get("dovecot")
        let work = try WorkDirectory("imap-limit")
        defer { work.remove() }
        let ready = work.file("ready").path
        let holder = try work.write("hold.py", """
            import imaplib, os, sys, time
            url, user, ready = sys.argv[1], os.environ["HOLD_USER"], sys.argv[2]
            port = int(url.rsplit(":", 1)[1].strip("/"))
            sessions = []
            for _ in range(10):
                m = imaplib.IMAP4("127.0.0.1", port)
                m.login(user, os.environ["HOLD_PASSWORD"])
                sessions.append(m)
            open(ready, "w").close()
            time.sleep(60)
            """)
        let hold = try RunningCommand(
            executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", holder, try s.value("IMAP_URL"), ready],
            environment: ["HOLD_USER": try s.value("IMAP_LIVE_USER"), "HOLD_PASSWORD": try s.value("IMAP_LIVE_PASSWORD")],
            timeout: 90, ownProcessGroup: true)
        defer { hold.child.signalGroup(SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: ready) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(FileManager.default.fileExists(atPath: ready), "the ten IMAP sessions did not log in")
        let (credentials, env) = try ProtocolScenario.logins(
            s, probe: "t-imap", passwords: ["LIVE_PW": "IMAP_LIVE_PASSWORD"],
            [("mailbox-live", "offboarded", "LIVE_PW", "IMAP_LIVE_USER", try s.value("IMAP_URL"))])
        let run = try await ProtocolRun.make(
            "imap-limit", probes: [ProtocolScenario.probe("t-imap", protocol: "imap", kinds: ["password"])], credentials: credentials,
            environment: env, config: ["retries": ["attempts": 1]])
        #expect(run.outcome("mailbox-live") == "inconclusive", "\(run.reason("mailbox-live"))")
        #expect(run.reason("mailbox-live").contains("[LIMIT]"), "\(run.reason("mailbox-live"))")
        #expect(run.report.codes("mailbox-live") == ["revocation_unverified"])
        #expect(run.leaked(env).isEmpty)
    }

    @Test func negativeControlIsRejected() async throws {
        let (run, _) = try await Self.main()
        #expect(run.negativeControl("mailbox-live") == "rejected")
        #expect(run.negativeControl("mailbox-removed") == "rejected")
    }

    @Test func unreachableAndSilentServersAreInconclusive() async throws {
        try await Self.main().0.expectInconclusiveFailures(unreachable: "mailbox-unreachable", timedOut: "mailbox-timeout")
    }

    @Test func noPasswordInAnyOutput() async throws {
        let (run, env) = try await Self.main()
        run.expectFindingsWithoutLeaks(env)
    }
}

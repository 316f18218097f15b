import Foundation
import Testing

/// IMAP LOGIN (RFC 9051 §6.2.3) through libcurl against a real dovecot on 127.0.0.1.
@Suite struct IMAPProtocolTests {
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

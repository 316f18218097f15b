import Foundation
import Testing

/// SMTP AUTH (RFC 4954) through libcurl against dovecot's real submission service on 127.0.0.1.
/// revenant stops once logged in; the server's relay is absent on purpose, so any command after
/// the login would fail (`421`): a pass here shows no command follows the login.
@Suite(.serialized) struct SMTPProtocolTests {
    static let once = Once<(ProtocolRun, [String: String])>()

    static func main() async throws -> (ProtocolRun, [String: String]) {
        try await once.get {
            let s = try await SharedServers.get("dovecot")
            let url = try s.value("SMTP_URL")
            let closed = ProtocolScenario.loopback("smtp", port: try ProtocolScenario.closedPort())
            let silent = ProtocolScenario.loopback("smtp", port: try ProtocolScenario.blackholePort())
            let (credentials, env) = try ProtocolScenario.logins(
                s, probe: "t-smtp",
                passwords: ["LIVE_PW": "IMAP_LIVE_PASSWORD", "DEAD_PW": "IMAP_DEAD_PASSWORD", "OLD_PW": "IMAP_OLD_PASSWORD"], [
                    ("smtp-live", "offboarded", "LIVE_PW", "IMAP_LIVE_USER", url),
                    ("smtp-removed", "offboarded", "DEAD_PW", "IMAP_DEAD_USER", url),
                    ("smtp-rotated-old", "rotated", "OLD_PW", "IMAP_ROTATED_USER", url),
                    ("smtp-unreachable", "revoked", "LIVE_PW", "IMAP_LIVE_USER", closed),
                    ("smtp-timeout", "revoked", "LIVE_PW", "IMAP_LIVE_USER", silent),
                ])
            let run = try await ProtocolRun.make(
                "smtp", probes: [ProtocolScenario.probe("t-smtp", protocol: "smtp", kinds: ["password"])], credentials: credentials, environment: env)
            return (run, env)
        }
    }

    @Test func liveLoginIsResidualAccess() async throws {
        let (run, _) = try await Self.main()
        #expect(run.outcome("smtp-live") == "authenticated", "\(run.reason("smtp-live"))\n\(run.result)")
        #expect(run.report.codes("smtp-live") == ["residual_access"])
    }

    @Test func removedUserAndRotatedPasswordAreRejectedWith535() async throws {
        let (run, _) = try await Self.main()
        for id in ["smtp-removed", "smtp-rotated-old"] {
            #expect(run.outcome(id) == "rejected", "\(id): \(run.reason(id))")
            #expect(run.reason(id).contains("535"), "\(id): \(run.reason(id))")
            #expect(run.report.codes(id) == ["revocation_verified"], "\(id)")
        }
    }

    @Test func negativeControlIsRejected() async throws {
        let (run, _) = try await Self.main()
        #expect(run.negativeControl("smtp-live") == "rejected")
    }

    @Test func unreachableAndSilentServersAreInconclusive() async throws {
        try await Self.main().0.expectInconclusiveFailures(unreachable: "smtp-unreachable", timedOut: "smtp-timeout")
    }

    @Test func noPasswordInAnyOutput() async throws {
        let (run, env) = try await Self.main()
        run.expectFindingsWithoutLeaks(env)
    }
}

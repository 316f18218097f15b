import Foundation
import Testing
import TestSupport

/// MySQL/MariaDB logins (`protocol: mysql`) against MariaDB 10.11 on loopback (scripts/servers.sh
/// `mariadb`): one `revenant verify` of every case, cross-checked with the server's error log
/// (`Access denied for user …`) and its TLS counter.
struct MySQLRun: Sendable {
    let login: LoginRun
    /// TLS handshakes the TLS instance accepted during the run.
    let tlsHandshakes: Int
    /// The no-TLS instance's whole log after the run.
    let plainLog: String

    static let once = Once<MySQLRun>()

    static func run() async throws -> MySQLRun {
        try await once.get {
            let server = try await SharedServers.get("mariadb")
            let work = try WorkDirectory("mysql")
            let plain = "mysql://127.0.0.1:\(try server.port("MARIADB_PORT"))"
            let verified = "mysqls://127.0.0.1:\(try server.port("MARIADB_PORT"))"
            let noTLS = "mysqls://127.0.0.1:\(try server.port("MARIADB_PLAIN_PORT"))"
            let silent = try SilentListener()
            defer { silent.close() }
            var logins = try LoginSet(server: server, protocol: "mysql", work: work)
            let credentials = [
                try logins.add("live-account", state: "offboarded", user: "MARIADB_LIVE_USER", password: "MARIADB_LIVE_PASSWORD", target: plain),
                try logins.add("dropped-account", state: "revoked", user: "MARIADB_DEAD_USER", password: "MARIADB_DEAD_PASSWORD", target: plain),
                try logins.add("old-password", state: "rotated", user: "MARIADB_ROTATED_USER", password: "MARIADB_OLD_PASSWORD", target: plain),
                try logins.add("current-password", state: "active", user: "MARIADB_ROTATED_USER", password: "MARIADB_ROTATED_PASSWORD", target: plain),
                try logins.add("locked-account", state: "revoked", user: "MARIADB_LOCKED_USER", password: "MARIADB_LOCKED_PASSWORD", target: plain),
                try logins.add("expired-password", state: "revoked", user: "MARIADB_EXPIRED_USER", password: "MARIADB_EXPIRED_PASSWORD", target: plain),
                try logins.add("other-host-account", state: "revoked", user: "MARIADB_ELSEWHERE_USER", password: "MARIADB_ELSEWHERE_PASSWORD", target: plain),
                try logins.add("live-verified-tls", state: "offboarded", user: "MARIADB_LIVE_USER", password: "MARIADB_LIVE_PASSWORD", target: verified),
                try logins.add("dropped-verified-tls", state: "revoked", user: "MARIADB_DEAD_USER", password: "MARIADB_DEAD_PASSWORD", target: verified),
                try logins.add("plain-text-fallback", state: "offboarded", user: "MARIADB_LIVE_USER", password: "MARIADB_LIVE_PASSWORD",
                               target: "mysql://127.0.0.1:\(try server.port("MARIADB_PLAIN_PORT"))"),
                try logins.add("tls-not-offered", state: "offboarded", user: "MARIADB_ROTATED_USER", password: "MARIADB_ROTATED_PASSWORD", target: noTLS),
            ] + (try logins.addDeadEnds(scheme: "mysql", user: "MARIADB_DEAD_USER", password: "MARIADB_DEAD_PASSWORD", silent: silent))
            let before = try sslAccepts(server)
            // A known-good password on the plain target: its rejections count with both controls.
            let controls = [try logins.control(user: "MARIADB_ROTATED_USER", password: "MARIADB_ROTATED_PASSWORD", target: plain)]
            // 5 s: on a loaded machine a TLS login can take over 2 s (a timeout would be inconclusive).
            let run = try await logins.verify(credentials, log: "MARIADB_LOG", timeout: 5, settings: ["tls": ["ca_bundle": try server.value("MARIADB_CA")]],
                                              controls: controls)
            return MySQLRun(login: run, tlsHandshakes: try sslAccepts(server) - before,
                            plainLog: try String(contentsOfFile: server.value("MARIADB_PLAIN_LOG"), encoding: .utf8))
        }
    }

    /// The server's count of accepted TLS handshakes (root over the unix socket).
    static func sslAccepts(_ server: Server) throws -> Int {
        let (status, output) = Shell.capture("mariadb --no-defaults --protocol=socket --socket=\(try server.value("MARIADB_SOCKET")) -u root -p\(try server.value("MARIADB_ROOT_PASSWORD")) -N -B "
                                             + "-e \"show global status like 'Ssl_accepts'\"")
        guard status == 0, let n = output.split(whereSeparator: \.isWhitespace).last.flatMap({ Int($0) }) else {
            throw CommandError(description: "cannot read Ssl_accepts: \(output)")
        }
        return n
    }

    static func logged(_ run: LoginRun, deniedFor user: String) -> Bool {
        run.logLines.contains { $0.contains("Access denied for user '\(user)'") }
    }
}

@Suite(.serialized) struct MySQLProtocolTests {
    @Test func liveAccountOfAnOffboardedIdentityIsResidualAccessOverTLSWhenOffered() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        let r = try run.report()
        #expect(r.codes("live-account") == ["residual_access"], "\(run.result)")
        #expect(try run.negativeControl("live-account") == "rejected")
        // mysql:// asks for TLS and the server offers it: every login of the run but the no-TLS
        // instance's, the closed and the silent port went through a TLS handshake.
        #expect(observed.tlsHandshakes >= 9, "TLS handshakes: \(observed.tlsHandshakes)")
    }

    @Test func droppedAccountIsRejectedAndTheServerSaysAccessDenied() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        #expect(try run.report().codes("dropped-account") == ["revocation_verified"], "\(run.result)")
        #expect(try run.reason("dropped-account").contains("1045"))
        #expect(MySQLRun.logged(run, deniedFor: try run.server.value("MARIADB_DEAD_USER")), "\(run.logLines)")
    }

    @Test func rotatedAccountRejectsTheOldPasswordWithTheNegativeControlPassingAndTakesTheNewOne() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        let r = try run.report()
        #expect(r.codes("old-password") == ["revocation_verified"], "\(run.result)")
        #expect(try run.negativeControl("old-password") == "rejected")
        #expect((try run.report().check("old-password")["controls"] as? [String: String])?["positive"] == "authenticated")
        #expect(MySQLRun.logged(run, deniedFor: try run.server.value("MARIADB_ROTATED_USER")))
        #expect(try run.outcome("current-password") == "authenticated")
        #expect(r.codes("current-password") == ["ok"])
    }

    /// MariaDB says 4151 only for the right password of a locked account (a wrong one gets
    /// 1045): the password still works once the account is unlocked, so nothing is proven dead.
    @Test func lockedAccountIsInconclusive() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        #expect(try run.outcome("locked-account") == "inconclusive", "\(run.result)")
        #expect(try run.reason("locked-account").contains("4151"))
        #expect(try run.report().codes("locked-account") == ["revocation_unverified"])
    }

    /// ER_MUST_CHANGE_PASSWORD_LOGIN comes after the password was found right.
    @Test func expiredButRightPasswordIsResidualAccess() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        #expect(try run.report().codes("expired-password") == ["residual_access"], "\(run.result)")
        #expect(try run.reason("expired-password").contains("1862"))
    }

    /// The documented limit (docs/protocols/mysql.md): an account allowed only from another
    /// address is refused from here exactly as a wrong password is.
    @Test func anAccountOfAnotherHostIsRefusedFromHereAsAWrongPasswordIs() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        let check = try run.report().check("other-host-account")
        #expect(check["outcome"] as? String == "rejected", "\(check)")
        #expect(MySQLRun.logged(run, deniedFor: try run.server.value("MARIADB_ELSEWHERE_USER")))
    }

    /// mysql:// goes on in plain text where the server offers no TLS (docs/protocols/mysql.md).
    @Test func plainMySQLFallsBackToPlainTextWhereNoTLSIsOffered() async throws {
        let run = try await MySQLRun.run().login
        #expect(try run.report().codes("plain-text-fallback") == ["residual_access"], "\(run.result)")
    }

    @Test func verifiedTLSLogsInAgainstTheServersCA() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        let r = try run.report()
        #expect(r.codes("live-verified-tls") == ["residual_access"], "\(run.result)")
        #expect(r.codes("dropped-verified-tls") == ["revocation_verified"], "\(run.result)")
    }

    /// mysqls:// to a server without TLS: inconclusive, and the server saw no login of that user
    /// (the negative control's random password would have been refused in its log).
    @Test func tlsRequiredButNotOfferedIsInconclusiveAndSendsNothing() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        #expect(try run.outcome("tls-not-offered") == "inconclusive", "\(run.result)")
        #expect(try run.reason("tls-not-offered").hasPrefix("tls:"))
        #expect(try run.negativeControl("tls-not-offered") == "inconclusive")
        #expect(try run.report().codes("tls-not-offered") == ["revocation_unverified"])
        #expect(!observed.plainLog.contains("Access denied for user '\(try run.server.value("MARIADB_ROTATED_USER"))'"))
    }

    @Test func unreachablePortIsInconclusive() async throws {
        LoginOutcomes.expectUnreachable(try await MySQLRun.run().login.report(), "unreachable-port")
    }

    @Test func serverThatNeverAnswersTimesOutAsInconclusive() async throws {
        LoginOutcomes.expectTimedOut(try await MySQLRun.run().login.report(), "silent-port", atLeastMs: 4000)
    }

    @Test func noPasswordInAnyOutput() async throws {
        let observed = try await MySQLRun.run()
        let run = observed.login
        #expect(run.forbidden.count == 14)
        try LoginOutcomes.expectNoSecret(run.forbidden, result: run.result, ledgerPath: run.ledger)
    }
}

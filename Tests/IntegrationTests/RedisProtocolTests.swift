import Foundation
import Testing
import TestSupport

/// Redis ACL logins (`protocol: redis`) against Redis 7 on loopback (scripts/servers.sh `redis`):
/// one `revenant verify` of every case, cross-checked with the server's `ACL LOG`, where Redis
/// records each refused AUTH with the user name.
struct RedisRun: Sendable {
    let login: LoginRun
    /// `ACL LOG` after the run, as redis-cli prints it.
    let aclLog: String

    static let once = Once<RedisRun>()

    static func run() async throws -> RedisRun {
        try await once.get {
            let server = try await SharedServers.get("redis")
            let work = try WorkDirectory("redis")
            let plain = "redis://127.0.0.1:\(try server.port("REDIS_PORT"))"
            let tls = "rediss://127.0.0.1:\(try server.port("REDIS_TLS_PORT"))"
            let silent = try SilentListener()
            defer { silent.close() }
            var logins = try LoginSet(server: server, protocol: "redis", work: work)
            let credentials = [
                try logins.add("live-user", state: "offboarded", user: "REDIS_LIVE_USER", password: "REDIS_LIVE_PASSWORD", target: plain),
                try logins.add("deleted-user", state: "revoked", user: "REDIS_DEAD_USER", password: "REDIS_DEAD_PASSWORD", target: plain),
                try logins.add("old-password", state: "rotated", user: "REDIS_ROTATED_USER", password: "REDIS_OLD_PASSWORD", target: plain),
                try logins.add("current-password", state: "active", user: "REDIS_ROTATED_USER", password: "REDIS_ROTATED_PASSWORD", target: plain),
                try logins.add("disabled-user", state: "revoked", user: "REDIS_DISABLED_USER", password: "REDIS_DISABLED_PASSWORD", target: plain),
                try logins.add("live-user-tls", state: "offboarded", user: "REDIS_LIVE_USER", password: "REDIS_LIVE_PASSWORD", target: tls),
                try logins.add("deleted-user-tls", state: "revoked", user: "REDIS_DEAD_USER", password: "REDIS_DEAD_PASSWORD", target: tls),
                try logins.add("tls-not-offered", state: "offboarded", user: "REDIS_LIVE_USER", password: "REDIS_LIVE_PASSWORD",
                               target: "rediss://127.0.0.1:\(try server.port("REDIS_PORT"))"),
            ] + (try logins.addDeadEnds(scheme: "redis", user: "REDIS_DEAD_USER", password: "REDIS_DEAD_PASSWORD", silent: silent))
            let controls = [try logins.control(user: "REDIS_ROTATED_USER", password: "REDIS_ROTATED_PASSWORD", target: plain)]
            let run = try await logins.verify(credentials, log: "REDIS_LOG", settings: ["tls": ["ca_bundle": try server.value("REDIS_CA")]],
                                              controls: controls)
            return RedisRun(login: run, aclLog: try aclLog(server))
        }
    }

    static func aclLog(_ server: Server) throws -> String {
        let (status, output) = Shell.capture("redis-cli --no-auth-warning -h 127.0.0.1 -p \(try server.port("REDIS_PORT")) --user admin "
                                             + "--pass \(try server.value("REDIS_ADMIN_PASSWORD")) ACL LOG 128")
        guard status == 0 else { throw CommandError(description: "ACL LOG failed: \(output)") }
        return output
    }

    /// Whether ACL LOG recorded a refused AUTH for `user`.
    func refusedAuth(for user: String) -> Bool {
        let lines = aclLog.split(separator: "\n").map(String.init)
        return lines.indices.contains { i in lines[i] == "auth" && lines[i...].prefix(12).contains(user) }
    }
}

@Suite(.serialized) struct RedisProtocolTests {
    @Test func liveUserOfAnOffboardedIdentityIsResidualAccess() async throws {
        let run = try await RedisRun.run().login
        #expect(try run.report().codes("live-user") == ["residual_access"], "\(run.result)")
        #expect(try run.negativeControl("live-user") == "rejected")
    }

    @Test func deletedUserIsRejectedWithWrongPass() async throws {
        let observed = try await RedisRun.run()
        let run = observed.login
        #expect(try run.report().codes("deleted-user") == ["revocation_verified"], "\(run.result)")
        #expect(try run.reason("deleted-user").contains("WRONGPASS"))
        #expect(observed.refusedAuth(for: try run.server.value("REDIS_DEAD_USER")), "\(observed.aclLog)")
    }

    @Test func rotatedUserRejectsTheOldPasswordWithTheNegativeControlPassingAndTakesTheNewOne() async throws {
        let run = try await RedisRun.run().login
        #expect(try run.report().codes("old-password") == ["revocation_verified"], "\(run.result)")
        #expect(try run.negativeControl("old-password") == "rejected")
        #expect((try run.report().check("old-password")["controls"] as? [String: String])?["positive"] == "authenticated")
        #expect(try run.outcome("current-password") == "authenticated")
        #expect(try run.report().codes("current-password") == ["ok"])
    }

    /// A user switched `off` gets the same -WRONGPASS for its right password (docs/protocols/redis.md):
    /// read as rejected, since the password opens nothing while the user is off.
    @Test func disabledUserIsRefusedAsAWrongPasswordIs() async throws {
        let observed = try await RedisRun.run()
        let run = observed.login
        #expect(try run.outcome("disabled-user") == "rejected", "\(run.result)")
        #expect(try run.report().codes("disabled-user") == ["revocation_verified"])
        #expect(observed.refusedAuth(for: try run.server.value("REDIS_DISABLED_USER")), "\(observed.aclLog)")
    }

    @Test func verifiedTLSLogsInAgainstTheServersCA() async throws {
        let run = try await RedisRun.run().login
        #expect(try run.report().codes("live-user-tls") == ["residual_access"], "\(run.result)")
        #expect(try run.report().codes("deleted-user-tls") == ["revocation_verified"], "\(run.result)")
    }

    /// rediss:// to the plain port: the handshake never completes, nothing is sent in plain text.
    @Test func tlsRequiredButNotOfferedIsInconclusive() async throws {
        let run = try await RedisRun.run().login
        #expect(try run.outcome("tls-not-offered") == "inconclusive", "\(run.result)")
        let reason = try run.reason("tls-not-offered")
        #expect(reason.contains("nothing was sent"), "\(reason)")
        #expect(try run.report().codes("tls-not-offered") == ["revocation_unverified"])
    }

    /// A server whose certificate does not chain to the configured CA gets nothing.
    @Test func anUntrustedServerGetsNoPassword() async throws {
        let server = try await SharedServers.get("redis")
        let work = try WorkDirectory("redis-untrusted")
        try Shell.run("""
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=not the server's CA" \\
              -keyout other.key -out other.crt 2>/dev/null
            """, in: work.url.path)
        var logins = try LoginSet(server: server, protocol: "redis", work: work)
        let target = "rediss://127.0.0.1:\(try server.port("REDIS_TLS_PORT"))"
        let credentials = [try logins.add("live-user", state: "offboarded", user: "REDIS_LIVE_USER", password: "REDIS_LIVE_PASSWORD", target: target)]
        let run = try await logins.verify(credentials, log: "REDIS_LOG", settings: ["tls": ["ca_bundle": work.file("other.crt").path]])
        #expect(try run.outcome("live-user") == "inconclusive", "\(run.result)")
        let reason = try run.reason("live-user")
        #expect(reason.hasPrefix("tls: TLS failed, nothing was sent"), "\(reason)")
        try LoginOutcomes.expectNoSecret(run.forbidden, result: run.result, ledgerPath: run.ledger)
    }

    @Test func unreachablePortIsInconclusive() async throws {
        LoginOutcomes.expectUnreachable(try await RedisRun.run().login.report(), "unreachable-port")
    }

    @Test func serverThatNeverAnswersTimesOutAsInconclusive() async throws {
        LoginOutcomes.expectTimedOut(try await RedisRun.run().login.report(), "silent-port", atLeastMs: 1500)
    }

    @Test func noPasswordInAnyOutput() async throws {
        let run = try await RedisRun.run().login
        #expect(run.forbidden.count == 11)
        try LoginOutcomes.expectNoSecret(run.forbidden, result: run.result, ledgerPath: run.ledger)
    }
}

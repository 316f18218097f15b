import Foundation
import Testing
import TestSupport

/// One `revenant verify` of every PostgreSQL case against the server of `scripts/servers.sh`:
/// real SCRAM logins, read back from the report and cross-checked with the server's log, whose
/// lines carry the SQLSTATE (`log_line_prefix` has `%e`).
struct PostgresRun: Sendable {
    let server: Server
    let result: CommandResult
    let ledger: String
    /// Lines the server's log gained during the run.
    let logLines: [String]
    let forbidden: [(String, String)]

    var report: ParsedReport { get throws { try ParsedReport(result.stdout) } }

    static func make() async throws -> PostgresRun {
        let server = try await SharedServers.get("postgres")
        let work = try WorkDirectory("postgres")
        let base = "postgresql://127.0.0.1:\(try server.port("PG_PORT"))"
        let target = base + "/" + (try server.value("PG_DATABASE"))
        let silent = try SilentListener()
        defer { silent.close() }
        let closedPort = try SilentListener.closedPort()
        var logins = try Logins(server: server, target: target, work: work)
        let login = { (id: String, state: String, user: String, password: String, to: String) in
            try logins.add(id, state: state, user: user, password: password, target: to)
        }
        let credentials = [
            try login("live-role", "offboarded", "PG_LIVE_USER", "PG_LIVE_PASSWORD", target),
            try login("dropped-role", "revoked", "PG_DEAD_USER", "PG_DEAD_PASSWORD", target),
            try login("old-password", "rotated", "PG_ROTATED_USER", "PG_OLD_PASSWORD", target),
            try login("current-password", "active", "PG_ROTATED_USER", "PG_ROTATED_PASSWORD", target),
            try login("missing-database", "revoked", "PG_LIVE_USER", "PG_LIVE_PASSWORD", base + "/no_such_db"),
            try login("unreachable-port", "revoked", "PG_DEAD_USER", "PG_DEAD_PASSWORD", "postgresql://127.0.0.1:\(closedPort)/x"),
            try login("silent-port", "revoked", "PG_DEAD_USER", "PG_DEAD_PASSWORD", "postgresql://127.0.0.1:\(silent.port)/x"),
        ]
        return try await logins.verify(credentials)
    }

    /// Credentials of the test server's roles, each secret in an environment variable, and the
    /// probe they use (written to `work`).
    struct Logins {
        let server: Server
        let target: String
        let work: WorkDirectory
        var environment: [String: String] = [:]
        var forbidden: [(String, String)] = []

        init(server: Server, target: String, work: WorkDirectory) throws {
            self.server = server
            self.target = target
            self.work = work
            try work.writeJSON("probes/t-postgres.json", [
                "id": "t-postgres", "title": "Integration test PostgreSQL login", "kinds": ["password"], "protocol": "postgresql",
                "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
            ] as [String: Any])
        }

        mutating func add(_ id: String, state: String, user: String, password: String, target: String) throws -> [String: Any] {
            let variable = "RV_PG_" + id.uppercased().replacingOccurrences(of: "-", with: "_")
            let value = try server.value(password)
            environment[variable] = value
            forbidden.append((password, value))
            return Scenario.credential(id, kind: "password", state: state, secret: ["env": variable], probe: "t-postgres",
                                       target: target, username: try server.value(user))
        }

        /// One `revenant verify` of `credentials`, with `settings` added to the configuration.
        func verify(_ credentials: [[String: Any]], settings: [String: Any] = [:]) async throws -> PostgresRun {
            let (result, ledger, logLines) = try await LoginOutcomes.verify(work, credentials: credentials, timeout: 2,
                                                                            serverLog: try server.value("PG_LOG"), environment: environment,
                                                                            settings: settings)
            return PostgresRun(server: server, result: result, ledger: ledger, logLines: logLines, forbidden: forbidden)
        }
    }

    /// Whether the server logged `SQLSTATE FATAL: ...` for this role during the run.
    func logged(_ sqlstate: String, user: String) -> Bool {
        logLines.contains { $0.contains("] \(sqlstate) FATAL:") && $0.contains("\"\(user)\"") }
    }
}

/// PostgreSQL logins (`protocol: postgresql`) against PostgreSQL 15 on loopback.
@Suite(.serialized) struct PostgresProtocolTests {
    static let once = Once<PostgresRun>()
    static func run() async throws -> PostgresRun { try await once.get { try await PostgresRun.make() } }

    static func report(_ run: PostgresRun) throws -> ParsedReport {
        do { return try run.report } catch { throw CommandError(description: "no JSON report on stdout: \(run.result)") }
    }

    @Test func liveRoleOfAnOffboardedIdentityIsResidualAccess() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        #expect(r.codes("live-role") == ["residual_access"], "\(run.result)")
        #expect(r.check("live-role")["outcome"] as? String == "authenticated")
        #expect((r.check("live-role")["controls"] as? [String: String])?["negative"] == "rejected")
    }

    @Test func droppedRoleIsRejectedAndTheServerSaysInvalidPassword() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        #expect(r.codes("dropped-role") == ["revocation_verified"], "\(run.result)")
        #expect((r.check("dropped-role")["reason"] as? String)?.contains("28P01") == true)
        #expect(run.logged("28P01", user: try run.server.value("PG_DEAD_USER")), "\(run.logLines)")
    }

    @Test func rotatedRoleRejectsTheOldPasswordAndTakesTheNewOne() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        #expect(r.codes("old-password") == ["revocation_verified"], "\(run.result)")
        #expect(r.check("old-password")["outcome"] as? String == "rejected")
        #expect(run.logged("28P01", user: try run.server.value("PG_ROTATED_USER")), "\(run.logLines)")
        #expect(r.check("current-password")["outcome"] as? String == "authenticated")
        #expect(r.codes("current-password") == ["ok"])
    }

    @Test func missingDatabaseIsInconclusiveBecauseThePasswordWasAlreadyAccepted() async throws {
        let run = try await Self.run()
        let r = try Self.report(run)
        let check = r.check("missing-database")
        #expect(check["outcome"] as? String == "inconclusive", "\(run.result)")
        #expect((check["reason"] as? String)?.contains("3D000") == true)
        #expect(r.codes("missing-database") == ["revocation_unverified"])
        #expect(run.logLines.contains { $0.contains("] 3D000 FATAL:") && $0.contains("no_such_db") }, "\(run.logLines)")
    }

    @Test func unreachablePortIsInconclusive() async throws {
        LoginOutcomes.expectUnreachable(try Self.report(try await Self.run()), "unreachable-port")
    }

    @Test func serverThatNeverAnswersTimesOutAsInconclusive() async throws {
        // libpq's connect_timeout counts whole seconds, at least 2.
        LoginOutcomes.expectTimedOut(try Self.report(try await Self.run()), "silent-port", atLeastMs: 1500)
    }

    @Test func noPasswordInAnyOutput() async throws {
        let run = try await Self.run()
        #expect(run.forbidden.count == 7)
        try LoginOutcomes.expectNoSecret(run.forbidden, result: run.result, ledgerPath: run.ledger)
    }

    /// `postgresql.sslmode: verify-full`: logins work against the server's own CA, and a server
    /// whose certificate does not chain to the configured CA gets nothing, not even a refusal.
    @Test(arguments: [true, false]) func verifyFullSendsThePasswordOnlyToAServerItTrusts(trusted: Bool) async throws {
        let server = try await SharedServers.get("postgres")
        let work = try WorkDirectory("postgres-tls")
        let target = "postgresql://127.0.0.1:\(try server.port("PG_PORT"))/\(try server.value("PG_DATABASE"))"
        var logins = try PostgresRun.Logins(server: server, target: target, work: work)
        var ca = try server.value("PG_CA")
        if !trusted {
            // Another CA, whose certificate the server's does not chain to.
            try Shell.run("""
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=not the server's CA" \\
                  -keyout other.key -out other.crt 2>/dev/null
                """, in: work.url.path)
            ca = work.file("other.crt").path
        }
        let credentials = [
            try logins.add("live-role", state: "offboarded", user: "PG_LIVE_USER", password: "PG_LIVE_PASSWORD", target: target),
            try logins.add("dropped-role", state: "revoked", user: "PG_DEAD_USER", password: "PG_DEAD_PASSWORD", target: target),
        ]
        let run = try await logins.verify(credentials, settings: ["postgresql": ["sslmode": "verify-full", "ca_bundle": ca]])
        let r = try Self.report(run)
        if trusted {
            #expect(r.codes("live-role") == ["residual_access"], "\(run.result)")
            #expect(r.codes("dropped-role") == ["revocation_verified"], "\(run.result)")
            #expect(run.logged("28P01", user: try server.value("PG_DEAD_USER")), "\(run.logLines)")
        } else {
            for id in ["live-role", "dropped-role"] {
                #expect(r.check(id)["outcome"] as? String == "inconclusive", "\(run.result)")
                #expect((r.check(id)["reason"] as? String)?.contains("not trusted") == true, "\(r.check(id))")
                #expect(r.codes(id) == ["revocation_unverified"])
            }
            // The server saw TLS handshakes end, and no login at all.
            #expect(run.logLines.contains { $0.contains("could not accept SSL connection") }, "\(run.logLines)")
            #expect(!run.logLines.contains { $0.contains("FATAL:") }, "\(run.logLines)")
        }
        try LoginOutcomes.expectNoSecret(run.forbidden, result: run.result, ledgerPath: run.ledger)
    }
}

import Foundation
import Testing

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
        try work.writeJSON("probes/t-postgres.json", [
            "id": "t-postgres", "title": "Integration test PostgreSQL login", "kinds": ["password"], "protocol": "postgresql",
            "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
        ] as [String: Any])
        var environment: [String: String] = [:]
        var forbidden: [(String, String)] = []
        func login(_ id: String, state: String, user: String, password: String, target: String = target) throws -> [String: Any] {
            let variable = "RV_PG_" + id.uppercased().replacingOccurrences(of: "-", with: "_")
            let value = try server.value(password)
            environment[variable] = value
            forbidden.append((password, value))
            return Scenario.credential(id, kind: "password", state: state, secret: ["env": variable], probe: "t-postgres",
                                       target: target, username: try server.value(user))
        }
        let credentials = [
            try login("live-role", state: "offboarded", user: "PG_LIVE_USER", password: "PG_LIVE_PASSWORD"),
            try login("dropped-role", state: "revoked", user: "PG_DEAD_USER", password: "PG_DEAD_PASSWORD"),
            try login("old-password", state: "rotated", user: "PG_ROTATED_USER", password: "PG_OLD_PASSWORD"),
            try login("current-password", state: "active", user: "PG_ROTATED_USER", password: "PG_ROTATED_PASSWORD"),
            try login("missing-database", state: "revoked", user: "PG_LIVE_USER", password: "PG_LIVE_PASSWORD",
                      target: base + "/no_such_db"),
            try login("unreachable-port", state: "revoked", user: "PG_DEAD_USER", password: "PG_DEAD_PASSWORD",
                      target: "postgresql://127.0.0.1:\(closedPort)/x"),
            try login("silent-port", state: "revoked", user: "PG_DEAD_USER", password: "PG_DEAD_PASSWORD",
                      target: "postgresql://127.0.0.1:\(silent.port)/x"),
        ]
        let (result, ledger, logLines) = try await LoginOutcomes.verify(work, credentials: credentials, timeoutSeconds: 2,
                                                                        serverLog: try server.value("PG_LOG"), environment: environment)
        return PostgresRun(server: server, result: result, ledger: ledger, logLines: logLines, forbidden: forbidden)
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
}

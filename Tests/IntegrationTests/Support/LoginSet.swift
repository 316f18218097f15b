import Foundation
import Testing
import TestSupport

/// Credentials of one test server's accounts for a login protocol (each secret in an environment
/// variable, read from the server's env file) and the probe they use, written to `work` as
/// `t-<protocol>` with `127.0.0.1` allowed. One `revenant verify` of them gives a `LoginRun`.
struct LoginSet {
    let server: Server
    let probe: String
    let work: WorkDirectory
    var environment: [String: String] = [:]
    var forbidden: [(String, String)] = []

    init(server: Server, protocol name: String, work: WorkDirectory) throws {
        self.server = server
        self.work = work
        probe = "t-\(name)"
        try work.writeJSON("probes/\(probe).json", [
            "id": probe, "title": "Integration test \(name) login", "kinds": ["password"], "protocol": name,
            "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration",
        ] as [String: Any])
    }

    /// A credential of `user` (an env key) with the password under env key `password`.
    mutating func add(_ id: String, state: String, user: String, password: String, target: String) throws -> [String: Any] {
        let variable = "RV_" + probe.uppercased().replacingOccurrences(of: "-", with: "_") + "_"
            + id.uppercased().replacingOccurrences(of: "-", with: "_")
        let value = try server.value(password)
        environment[variable] = value
        forbidden.append((password, value))
        return Scenario.credential(id, kind: "password", state: state, secret: ["env": variable], probe: probe,
                                   target: target, username: try server.value(user))
    }

    /// "Server down" for every login protocol: the credential sent to a closed port and to `silent`,
    /// which accepts and never answers (it must stay open during the run).
    mutating func addDeadEnds(scheme: String, user: String, password: String, silent: SilentListener) throws -> [[String: Any]] {
        [try add("unreachable-port", state: "revoked", user: user, password: password, target: "\(scheme)://127.0.0.1:\(try SilentListener.closedPort())"),
         try add("silent-port", state: "revoked", user: user, password: password, target: "\(scheme)://127.0.0.1:\(silent.port)")]
    }

    /// A positive control: the known-good password (env key `password`) of `user` at `target`.
    mutating func control(user: String, password: String, target: String) throws -> [String: Any] {
        let variable = "RV_" + probe.uppercased().replacingOccurrences(of: "-", with: "_") + "_CONTROL_" + String(forbidden.count)
        let value = try server.value(password)
        environment[variable] = value
        forbidden.append((password, value))
        return ["probe": probe, "target": target, "secret": ["env": variable], "username": try server.value(user)]
    }

    /// One `revenant verify` of `credentials` (and `controls`), with `settings` added to the
    /// configuration; `log` is the env key of the server log whose new lines the run keeps.
    func verify(_ credentials: [[String: Any]], log: String, timeout: Int = 2, settings: [String: Any] = [:],
                controls: [[String: Any]] = []) async throws -> LoginRun {
        let (result, ledger, logLines) = try await LoginOutcomes.verify(work, credentials: credentials, timeout: timeout,
                                                                        serverLog: try server.value(log), environment: environment,
                                                                        settings: settings, controls: controls)
        return LoginRun(server: server, result: result, ledger: ledger, logLines: logLines, forbidden: forbidden)
    }
}

/// What one `revenant verify` of a `LoginSet` gave.
struct LoginRun: Sendable {
    let server: Server
    let result: CommandResult
    let ledger: String
    /// Lines the server's log gained during the run.
    let logLines: [String]
    let forbidden: [(String, String)]

    func report() throws -> ParsedReport {
        do { return try ParsedReport(result.stdout) } catch { throw CommandError(description: "no JSON report on stdout: \(result)") }
    }

    func reason(_ id: String) throws -> String { try report().check(id)["reason"] as? String ?? "" }
    func outcome(_ id: String) throws -> String { try report().check(id)["outcome"] as? String ?? "" }
    func negativeControl(_ id: String) throws -> String? { (try report().check(id)["controls"] as? [String: String])?["negative"] }
}

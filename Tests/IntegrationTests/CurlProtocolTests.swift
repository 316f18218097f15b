import Foundation
import Testing

/// What the libcurl protocol suites (LDAP, IMAP, AWS SigV4, introspection, SCIM) share: one
/// `revenant verify` of probes pointing at a real server of `scripts/servers.sh` on 127.0.0.1,
/// a port nobody listens on, and a socket that accepts and never answers.
struct ProtocolRun: Sendable {
    let result: CommandResult
    let ledger: String

    /// The JSON report (checked to parse when the run was made).
    var report: ParsedReport { (try? ParsedReport(result.stdout)) ?? (try! ParsedReport("{}")) }

    /// Writes each probe as `probes/<id>.json`, the inventory and the config, and runs the CLI
    /// with `environment` (the secrets the inventory names by `env`).
    static func make(_ label: String, probes: [[String: Any]], credentials: [[String: Any]], environment: [String: String],
                     config: [String: Any] = [:], controls: [[String: Any]] = []) async throws -> ProtocolRun {
        let work = try WorkDirectory(label)
        defer { work.remove() }
        for p in probes { try work.writeJSON("probes/\(p["id"] as! String).json", p) }
        let inventory = try work.writeJSON("inventory.json", ["credentials": credentials, "controls": controls])
        var settings: [String: Any] = ["timeout_seconds": 3, "retries": ["attempts": 2, "backoff_ms": 50]]
        settings.merge(config) { _, new in new }
        let configPath = try work.writeJSON("config.json", settings)
        let ledger = work.file("evidence.jsonl").path
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", configPath,
                                         "--ledger", ledger, "--format", "json", "--no-progress"],
                                        cwd: work.url, environment: environment, timeout: 120)
        guard (try? ParsedReport(result.stdout)) != nil else { throw CommandError(description: "no JSON report on stdout: \(result)") }
        return ProtocolRun(result: result, ledger: work.read("evidence.jsonl"))
    }

    /// Ledger records (one JSON object a line).
    var ledgerRecords: [[String: Any]] {
        ledger.split(separator: "\n").compactMap { try? jsonObject(String($0)) }
    }

    func records(credential id: String) -> [[String: Any]] { ledgerRecords.filter { $0["credential"] as? String == id } }

    /// Names of the secrets that appear anywhere the run wrote: report, stderr, ledger.
    func leaked(_ secrets: [String: String]) -> [String] {
        let outputs = ["report": result.stdout, "stderr": result.stderr, "ledger": ledger]
        return secrets.sorted { $0.key < $1.key }.flatMap { name, value in
            outputs.filter { $0.value.contains(value) }.map { "\(name) in \($0.key)" }
        }
    }

    /// A closed port (`unreachable`) and a server that never answers (`timedOut`) prove nothing.
    func expectInconclusiveFailures(unreachable: String, timedOut: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for (id, kind) in [(unreachable, "connect"), (timedOut, "timeout")] {
            #expect(outcome(id) == "inconclusive", "\(id): \(reason(id))", sourceLocation: sourceLocation)
            #expect(reason(id).hasPrefix(kind), "\(id): \(reason(id))", sourceLocation: sourceLocation)
            #expect(report.codes(id) == ["revocation_unverified"], "\(id)", sourceLocation: sourceLocation)
        }
    }

    /// Residual access was found (exit 1) and no secret reached any output.
    func expectFindingsWithoutLeaks(_ secrets: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.exited && result.status == 1, "\(result)", sourceLocation: sourceLocation)
        #expect(leaked(secrets).isEmpty, "\(leaked(secrets))", sourceLocation: sourceLocation)
    }

    func outcome(_ id: String) -> String? { report.check(id)["outcome"] as? String }
    func reason(_ id: String) -> String { report.check(id)["reason"] as? String ?? "" }
    func negativeControl(_ id: String) -> String? { (report.check(id)["controls"] as? [String: String])?["negative"] }
}

/// Probe files and credentials as the protocol suites write them.
enum ProtocolScenario {
    static func probe(_ id: String, protocol proto: String, kinds: [String], _ fields: [String: Any] = [:]) -> [String: Any] {
        var p: [String: Any] = ["id": id, "title": "Integration test probe \(id)", "kinds": kinds, "protocol": proto,
                                "allowed_hosts": ["127.0.0.1"], "docs": "https://example.test/revenant-integration"]
        p.merge(fields) { _, new in new }
        return p
    }

    /// Login credentials (LDAP, IMAP): `rows` are (id, state, env name of the password, server key
    /// of the login name, target); each password is handed to the CLI under its env name.
    static func logins(_ server: Server, kind: String = "password", probe: String, passwords: [String: String],
                       _ rows: [(String, String, String, String, String)]) throws -> (credentials: [[String: Any]], environment: [String: String]) {
        let environment = try passwords.mapValues { try server.value($0) }
        let credentials = try rows.map { id, state, password, user, target in
            credential(id, kind: kind, state: state, probe: probe, target: target, secretEnv: password, ["username": try server.value(user)])
        }
        return (credentials, environment)
    }

    static func credential(_ id: String, kind: String, state: String, probe: String, target: String, secretEnv: String? = nil,
                           _ fields: [String: Any] = [:]) -> [String: Any] {
        var c: [String: Any] = ["id": id, "kind": kind, "state": state, "owner": "platform-team", "probe": probe, "target": target]
        if let secretEnv { c["secret"] = ["env": secretEnv] }
        c.merge(fields) { _, new in new }
        return c
    }

    /// `scheme://127.0.0.1:PORT` of a server URL with its port replaced (unreachable and timeout targets).
    static func loopback(_ scheme: String, port: Int) -> String { "\(scheme)://127.0.0.1:\(port)" }

    /// A port that refused a connection a moment ago: bound to pick it, closed again at once.
    /// A port nothing listens on: a socket bound to it and never listening (a connection is refused
    /// at once), held as long as the test process, so no server of a parallel test can take the port
    /// meanwhile (a port merely found free and released was, once: the "closed" target then timed out).
    static let closed: Result<Int, any Error> = Result { try CertsEndpointTests.listeningSocket(backlog: nil).1 }

    static func closedPort() throws -> Int { try closed.get() }

    /// A socket that completes TCP handshakes (the kernel's backlog) and never sends a byte:
    /// every protocol's client waits there until its own timeout. Open as long as the test process.
    static let blackhole: Result<Int, any Error> = Result { try CertsEndpointTests.listeningSocket(backlog: 256).1 }

    static func blackholePort() throws -> Int { try blackhole.get() }
}

/// What holds for every libcurl protocol, whatever its server.
@Suite struct CurlProtocolTests {
    @Test func closedPortRefusesAndBlackholeAcceptsWithoutAnswering() async throws {
        // The two failure targets the protocol suites rely on really are what they claim.
        let closed = try await run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{exitcode}", "--max-time", "2",
                                                     "http://127.0.0.1:\(try ProtocolScenario.closedPort())/"])
        #expect(closed.stdout == "7", "\(closed)")
        let stuck = try await run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{exitcode}", "--max-time", "1",
                                                    "http://127.0.0.1:\(try ProtocolScenario.blackholePort())/"])
        #expect(stuck.stdout == "28", "\(stuck)")
    }

    @Test func probesListShowsEveryCurlProtocol() async throws {
        let json = try await revenant(["probes", "list", "--format", "json"])
        let list = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]] ?? []
        let byID = Dictionary(list.compactMap { p in (p["id"] as? String).map { ($0, p) } }, uniquingKeysWith: { a, _ in a })
        let expected = ["ldap": "ldap", "imap": "imap", "aws-sts": "aws-sigv4", "oauth2-introspection": "oauth2-introspection", "scim": "scim"]
        for (id, proto) in expected {
            #expect(byID[id]?["protocol"] as? String == proto, "\(id): \(byID[id] ?? [:])")
        }
    }
}

import Foundation
import TestSupport
import Testing

/// `mysqls://` and `rediss://` trust the CAs `SSL_CERT_FILE` or `SSL_CERT_DIR` (hashed by
/// `openssl rehash`) name when `tls.ca_bundle` is unset, as every other TLS path does; with neither,
/// the servers' test CA is unknown and the login proves nothing. Against the shared servers.
@Suite struct DatabaseTrustEnvironmentTests {
    static func hashedDirectory(with ca: String, _ name: String) throws -> WorkDirectory {
        let hashed = try WorkDirectory(name)
        let made = Shell.capture("cp \"\(ca)\" ca.pem && openssl rehash . 2>&1 && ls", in: hashed.path)
        #expect(made.status == 0 && made.output.contains(".0"), "\(made.output)")
        return hashed
    }

    static func check(_ s: Server, scheme: String, port: String, ca: String, user: String, password: String, probeID: String) async throws {
        let hashed = try hashedDirectory(with: try s.value(ca), "\(scheme)-ca-dir")
        defer { hashed.remove() }
        let id = "svc-live-\(scheme)"
        let credentials = [ProtocolScenario.credential(id, kind: "password", state: "offboarded", probe: probeID,
                                                       target: "\(scheme)://127.0.0.1:\(try s.port(port))", secretEnv: "LIVE_PW",
                                                       ["username": try s.value(user)])]
        let cases: [(String, [String: String], String)] = [
            ("SSL_CERT_FILE", ["SSL_CERT_FILE": try s.value(ca), "SSL_CERT_DIR": ""], "authenticated"),
            ("SSL_CERT_DIR", ["SSL_CERT_FILE": "", "SSL_CERT_DIR": hashed.path], "authenticated"),
            ("neither", ["SSL_CERT_FILE": "", "SSL_CERT_DIR": ""], "inconclusive"),
        ]
        for (name, trust, expected) in cases {
            let run = try await ProtocolRun.make(
                "\(scheme)-trust-\(name)", probes: [ProtocolScenario.probe(probeID, protocol: scheme.hasPrefix("mysql") ? "mysql" : "redis", kinds: ["password"])],
                credentials: credentials, environment: trust.merging(["LIVE_PW": try s.value(password)]) { a, _ in a })
            #expect(run.outcome(id) == expected, "\(scheme) with \(name): \(run.reason(id))\n\(run.result)")
        }
    }

    @Test func mysqlsTrustsTheCAsTheEnvironmentNames() async throws {
        let s = try await SharedServers.get("mariadb")
        try await Self.check(s, scheme: "mysqls", port: "MARIADB_PORT", ca: "MARIADB_CA", user: "MARIADB_LIVE_USER",
                             password: "MARIADB_LIVE_PASSWORD", probeID: "t-mysql")
    }

    /// PostgreSQL's `verify-full` with no `ca_bundle` in the configuration: `SSL_CERT_FILE` is its CA
    /// file (libpq takes a file only); without it the configuration is refused (exit 2).
    @Test func postgresVerifyFullTakesSSLCertFile() async throws {
        let s = try await SharedServers.get("postgres")
        let id = "svc-live-pg"
        let credentials = [ProtocolScenario.credential(id, kind: "password", state: "offboarded", probe: "t-postgresql",
                                                       target: "postgresql://127.0.0.1:\(try s.port("PG_PORT"))/\(try s.value("PG_DATABASE"))",
                                                       secretEnv: "LIVE_PW", ["username": try s.value("PG_LIVE_USER")])]
        let run = try await ProtocolRun.make(
            "pg-trust-file", probes: [ProtocolScenario.probe("t-postgresql", protocol: "postgresql", kinds: ["password"])],
            credentials: credentials, environment: ["LIVE_PW": try s.value("PG_LIVE_PASSWORD"), "SSL_CERT_FILE": try s.value("PG_CA"), "SSL_CERT_DIR": ""],
            config: ["postgresql": ["sslmode": "verify-full"]])
        #expect(run.outcome(id) == "authenticated", "\(run.reason(id))\n\(run.result)")
    }

    @Test func redissTrustsTheCAsTheEnvironmentNames() async throws {
        let s = try await SharedServers.get("redis")
        try await Self.check(s, scheme: "rediss", port: "REDIS_TLS_PORT", ca: "REDIS_CA", user: "REDIS_LIVE_USER",
                             password: "REDIS_LIVE_PASSWORD", probeID: "t-redis")
    }
}

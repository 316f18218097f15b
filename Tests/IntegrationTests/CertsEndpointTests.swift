import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `revenant certs` against TLS endpoints: a real nginx on 127.0.0.1 serving certificate chains the
/// `openssl` CLI makes at test time. nginx is required: when it cannot start, the test fails.
@Suite struct CertsEndpointTests {
    /// nginx's ports: `tls` serves good+root by default and expired+root to SNI `localhost`; `plain` is HTTP.
    struct Server {
        var tls: Int
        var plain: Int
    }

    /// A root, a good leaf (SAN localhost and 127.0.0.1) and an expired leaf, with chain files for nginx.
    static func makePKI(in work: WorkDirectory) async throws {
        let stamp = OpenSSLCA.stamp
        let script = OpenSSLCA.script(serial: 3000, sections: """
        [ leaf_ext ]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1
        """, then: """
        \(OpenSSLCA.ecRoot("Endpoint Test Root", since: -10))
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key
        issue() { # name start end
          openssl req -new -key leaf.key -subj "/CN=$1.example.com" -config ca.cnf -out "$1.csr"
          openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" -notext \
            -startdate "$2" -enddate "$3" -extensions leaf_ext 2>/dev/null
          cat "$1.pem" root.pem > "$1-chain.pem"
        }
        issue good \(stamp(-10)) \(stamp(355))
        issue expired 20200101000000Z 20210101000000Z
        echo '{"timeout_seconds": 2, "tls": {"ca_bundle": "root.pem"}}' > config.json
        """)
        let r = try await run("/bin/sh", ["-c", "cd \"$0\" || exit 97\n" + script, work.path])
        guard r.ok else { throw CommandError(description: "making the PKI failed: \(r)") }
    }

    static func freePorts(_ count: Int) throws -> [Int] { try Loopback.freePorts(count) }

    static func listeningSocket(backlog: Int32?) throws -> (Int32, Int) { try Loopback.listeningSocket(backlog: backlog) }

    static func canConnect(_ port: Int) -> Bool { Loopback.canConnect(port) }

    /// Starts nginx in the foreground (`daemon off;`) on two free ports of 127.0.0.1, runs `body`, and
    /// stops nginx by its pid afterwards, also when `body` throws. Fails when nginx does not come up.
    /// `ports` (TLS, plain) when the caller needs them before nginx starts (URLs inside certificates);
    /// the plain server serves the files of `www/` in the work directory.
    static func withNginx<T>(_ work: WorkDirectory, ports: [Int]? = nil, _ body: (Server) async throws -> T) async throws -> T {
        let ports = try ports ?? freePorts(2)
        let server = Server(tls: ports[0], plain: ports[1])
        let dir = work.path
        return try await Nginx.with(work, servers: """
                server {
                    listen 127.0.0.1:\(server.tls) ssl default_server;
                    ssl_certificate "\(dir)/good-chain.pem";
                    ssl_certificate_key "\(dir)/leaf.key";
                    return 204;
                }
                server {
                    listen 127.0.0.1:\(server.tls) ssl;
                    server_name localhost;
                    ssl_certificate "\(dir)/expired-chain.pem";
                    ssl_certificate_key "\(dir)/leaf.key";
                    return 204;
                }
                server {
                    listen 127.0.0.1:\(server.plain);
                    # Static files (CRLs of the revocation tests); nothing else is served over plain HTTP.
                    root "\(dir)/www";
                }
            """, ports: ports) { try await body(server) }
    }

    /// `openssl x509` output for a generated certificate: subject (RFC 2253), serial (lower-case hex), SHA-256.
    static func facts(_ work: WorkDirectory, _ name: String) async throws -> (subject: String, serial: String, sha256: String) {
        let r = try await run("/usr/bin/env", ["openssl", "x509", "-in", work.file(name).path, "-noout",
                                               "-subject", "-nameopt", "RFC2253", "-serial", "-fingerprint", "-sha256"])
        guard r.ok else { throw CommandError(description: "openssl x509 failed: \(r)") }
        var values: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        }
        let subject = try #require(values["subject"])
        let serial = try #require(values["serial"]).lowercased()
        let sha256 = try #require(values["sha256 Fingerprint"] ?? values["SHA256 Fingerprint"]).replacingOccurrences(of: ":", with: "").lowercased()
        return (subject, serial, sha256)
    }

    @Test func servedChainIsReportedLikeAFile() async throws {
        let work = try WorkDirectory("certs-tls")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        let good = try await Self.facts(work, "good.pem")
        let root = try await Self.facts(work, "root.pem")
        let expired = try await Self.facts(work, "expired.pem")
        let config = work.file("config.json").path
        try await Self.withNginx(work) { server in
            // An IP literal: no SNI, so nginx's default server answers with the good leaf and the root.
            let target = "127.0.0.1:\(server.tls)"
            let r = try await revenant(["certs", target, "--format", "json", "--config", config])
            #expect(r.exited && r.status == 0, "\(r)")
            let results = try CertsCommandTests.results(r.stdout)
            #expect(Set(results.keys) == [target, "\(target)#2"], "\(results.keys.sorted())")
            let leaf = try #require(results[target])
            #expect(leaf.codes == ["ok"])
            #expect(leaf.tags["subject"] == good.subject && good.subject == "CN=good.example.com")
            #expect(leaf.tags["serial"] == good.serial)
            #expect(leaf.tags["sha256"] == good.sha256)
            #expect(leaf.tags["issuer"] == "CN=Endpoint Test Root")
            #expect(leaf.tags["sans"] == "DNS:localhost, IP:127.0.0.1")
            #expect(leaf.tags["source"] == "tls")
            #expect(leaf.tags["verified"] == "true", "\(leaf.tags)")
            let second = try #require(results["\(target)#2"])
            #expect(second.tags["sha256"] == root.sha256 && second.tags["is_ca"] == "true" && second.tags["source"] == "tls")
            #expect(second.codes == ["ok"])

            // A host name is sent as SNI: nginx's `localhost` server serves the expired leaf.
            let url = "https://localhost:\(server.tls)"
            let e = try await revenant(["certs", url, "--format", "json", "--config", config])
            #expect(e.exited && e.status == 1, "an expired certificate is a high finding: \(e)")
            let served = try CertsCommandTests.results(e.stdout)
            #expect(Set(served.keys) == [url, "\(url)#2"], "\(served.keys.sorted())")
            #expect(served[url]?.codes == ["expired"])
            #expect(served[url]?.tags["sha256"] == expired.sha256)
            #expect(served[url]?.tags["serial"] == expired.serial)
            #expect(served[url]?.tags["verified"] == "false")
            #expect(served[url]?.tags["verify_error"] == "certificate has expired", "\(served[url]?.tags ?? [:])")

            // Without the CA bundle, the test root is not trusted: still read, not verified.
            let untrusted = try await revenant(["certs", target, "--format", "json"])
            #expect(untrusted.exited && untrusted.status == 0, "\(untrusted)")
            #expect(try CertsCommandTests.results(untrusted.stdout)[target]?.tags["verified"] == "false")

            // The table names the endpoint and the finding.
            let table = try await revenant(["certs", url, "--format", "table", "--config", config])
            #expect(table.exited && table.status == 1)
            #expect(table.stdout.contains(url) && table.stdout.contains("expired"), "\(table.stdout)")
        }
    }

    @Test func unreadableEndpointsAreWarningsAndTheScanGoesOn() async throws {
        let work = try WorkDirectory("certs-tls-fail")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        let config = work.file("config.json").path
        let closedPort = try Self.freePorts(1)[0]
        // Accepts connections (in the kernel backlog) and never answers: the handshake times out.
        let (blackhole, silentPort) = try Self.listeningSocket(backlog: 16)
        defer { close(blackhole) }
        try await Self.withNginx(work) { server in
            let closed = "127.0.0.1:\(closedPort)"
            let only = try await revenant(["certs", closed, "--config", config])
            #expect(only.exited && only.status == 2, "nothing could be read: \(only)")
            #expect(only.stderr.contains("warning: \(closed): connection failed"), "\(only.stderr)")
            #expect(only.stderr.contains("no certificate could be read"))
            #expect(only.stdout.isEmpty)

            let file = work.file("good.pem").path
            let plain = "127.0.0.1:\(server.plain)"
            let silent = "https://127.0.0.1:\(silentPort)"
            let tls = "https://127.0.0.1:\(server.tls)/"
            let started = Date()
            let mixed = try await revenant(["certs", file, closed, plain, silent, tls, "--format", "json", "--config", config])
            #expect(mixed.exited && mixed.status == 0, "\(mixed)")
            #expect(Date().timeIntervalSince(started) < 30, "the 2 s timeout bounds the silent endpoint")
            let results = try CertsCommandTests.results(mixed.stdout)
            let id = "https://127.0.0.1:\(server.tls)"
            #expect(Set(results.keys) == [file, id, "\(id)#2"], "\(results.keys.sorted())")
            #expect(results[file]?.tags["source"] == nil, "a file result carries no TLS tags")
            #expect(results[file]?.tags["sha256"] == results[id]?.tags["sha256"], "the file is the leaf nginx serves")
            #expect(mixed.stderr.contains("warning: \(closed): connection failed"), "\(mixed.stderr)")
            #expect(mixed.stderr.contains("warning: \(plain): not a TLS endpoint"), "\(mixed.stderr)")
            #expect(mixed.stderr.contains("warning: \(silent): timed out"), "\(mixed.stderr)")
        }
    }

    @Test func unsupportedEndpointFormsAreInputErrors() async throws {
        let cases: [(String, String)] = [
            ("ldaps://127.0.0.1:636", "ldaps://127.0.0.1:636: the ldaps:// scheme is not supported"),
            ("tls://127.0.0.1:443", "the tls:// scheme is not supported"),
            ("https://user@127.0.0.1:8443", "no user info, path, query or fragment"),
            ("https://127.0.0.1:8443/path", "no user info, path, query or fragment"),
            ("127.0.0.1:70000", "the port must be a number from 1 to 65535"),
        ]
        for (argument, message) in cases {
            let r = try await revenant(["certs", argument])
            #expect(r.exited && r.status == 2, "\(argument): \(r)")
            #expect(r.stderr.contains(message), "\(argument): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test func helpShowsAnEndpointExample() async throws {
        let r = try await revenant(["certs", "--help"])
        #expect(r.exited && r.status == 0)
        #expect(r.stdout.contains("revenant certs https://"), "\(r.stdout)")
        #expect(r.stdout.contains("host:port"))
    }
}

import Foundation
import TestSupport
import Testing

/// `SSL_CERT_FILE` and `SSL_CERT_DIR` (OpenSSL's own variables) name the CAs every TLS path of
/// revenant trusts when `tls.ca_bundle` names none: an HTTPS nginx with a certificate from a test CA,
/// serving a CRL (`certs --revocation`'s own fetches) and a "who am I" endpoint (a `verify` probe).
/// Each run gets its environment as a child process's, never by changing this process's.
@Suite struct TrustEnvironmentTests {
    @Test func sslCertFileAndDirNameTheTrustedCAs() async throws {
        let work = try WorkDirectory("trust-env")
        defer { work.remove() }
        let port = try Loopback.freePorts(1)[0]
        let directory = work.path
        let pki = try await offCooperativePool {
            try RevocationPKI(directory: directory, ocspPort: 1, silentPort: 1, crlURL: "https://127.0.0.1:\(port)/root.crl")
        }
        let made = Shell.capture("""
            printf '[ tls ]\\nbasicConstraints = CA:FALSE\\nextendedKeyUsage = serverAuth\\nsubjectAltName = IP:127.0.0.1\\n' > tls.cnf
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key &&
            openssl req -new -key server.key -subj "/CN=127.0.0.1" -config ca.cnf -out server.csr &&
            openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in server.csr -out server.pem -notext \
              -days 30 -extfile tls.cnf -extensions tls 2>&1 || exit 1
            mkdir -p www hashed && cp root.crl www/ && cp root.pem hashed/ && openssl rehash hashed || exit 1
            echo '{"timeout_seconds": 5, "revocation": {"ocsp": false}}' > config.json
            """, in: directory)
        #expect(made.status == 0, "\(made.output)")
        let probe: [String: Any] = [
            "id": "env-whoami", "title": "Who am I over HTTPS", "kinds": ["bearer_token"], "protocol": "http",
            "allowed_hosts": ["127.0.0.1"], "request": ["method": "GET", "path": "/whoami"], "auth": ["scheme": "bearer"],
            "authenticated": [["status": [200]]], "rejected": [["status": [401]]], "docs": "https://example.test/revenant-integration",
        ]
        let probes = try work.writeJSON("probes/env-whoami.json", probe)
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            ["id": "old-token", "kind": "bearer_token", "state": "revoked", "owner": "platform", "secret": ["env": "OLD_TOKEN"],
             "probe": "env-whoami", "target": "https://127.0.0.1:\(port)"],
        ]])
        let token = "live-\(UUID().uuidString.prefix(12))"
        let servers = """
            server {
                listen 127.0.0.1:\(port) ssl;
                ssl_certificate "\(directory)/server.pem";
                ssl_certificate_key "\(directory)/server.key";
                root "\(directory)/www";
                location = /whoami {
                    if ($http_authorization = "Bearer \(token)") { return 200 "{}"; }
                    return 401;
                }
            }
            """
        try await Nginx.with(work, servers: servers, ports: [port]) {
            let good = pki.file("good.pem")
            let environments: [(String, [String: String], String, String)] = [
                // Empty is unset (as for OpenSSL): whatever this process has set does not leak in.
                ("neither", ["SSL_CERT_FILE": "", "SSL_CERT_DIR": ""], "unavailable", "inconclusive"),
                ("SSL_CERT_FILE", ["SSL_CERT_FILE": pki.file("root.pem"), "SSL_CERT_DIR": ""], "good", "authenticated"),
                ("SSL_CERT_DIR", ["SSL_CERT_FILE": "", "SSL_CERT_DIR": pki.file("hashed")], "good", "authenticated"),
            ]
            for (name, environment, crlStatus, probeOutcome) in environments {
                let certs = try await revenant(["certs", good, pki.file("root.pem"), "--revocation", "--format", "json", "--config", pki.file("config.json")],
                                               environment: environment)
                #expect(certs.exited && certs.status == 0, "\(name): \(certs)")
                #expect(try RevocationCommandTests.lookups(certs.stdout)[good]?.checks == [["crl", crlStatus == "good" ? "authenticated" : "inconclusive", crlStatus]],
                        "\(name): \(certs.stdout)")
                // Without the test CA the https CRL fetch fails verification (CURLE_PEER_FAILED_VERIFICATION).
                if crlStatus == "unavailable" { #expect(certs.stdout.contains("curl 60"), "\(name): \(certs.stdout)") }
                let verify = try await revenant(["verify", "--inventory", inventory, "--probes", probes.replacingOccurrences(of: "/env-whoami.json", with: ""),
                                                 "--config", pki.file("config.json"), "--format", "json"],
                                                environment: environment.merging(["OLD_TOKEN": token]) { a, _ in a })
                let report = try ParsedReport(verify.stdout)
                let probeCheck = report.checks("old-token").first { $0["type"] as? String == "probe" } ?? [:]
                #expect(probeCheck["outcome"] as? String == probeOutcome, "\(name): \(verify)")
                if probeOutcome == "authenticated" { #expect(report.codes("old-token").first == "residual_access", "\(name): \(verify.stdout)") }
            }
        }
    }
}

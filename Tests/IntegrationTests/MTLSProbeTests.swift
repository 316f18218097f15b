import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The built-in `tls-client-certificate` probe against real mTLS endpoints on 127.0.0.1: nginx
/// without a CRL (never learns of the revocation), nginx with `ssl_crl`, and `openssl s_server`
/// that ignores validity dates and refuses unknown clients with a TLS alert (under TLS 1.3 the
/// alert arrives on the first read, not in the handshake). The PKI is made with `openssl ca` at
/// test time; the servers are required, so a server that cannot start fails the test.
@Suite struct MTLSProbeTests {
    struct Endpoints {
        var noCRL: Int
        var withCRL: Int
        var ignoresDates: Int
    }

    static func makePKI(in work: WorkDirectory) async throws {
        let stamp = OpenSSLCA.stamp
        let script = OpenSSLCA.script(serial: 5000, sections: """
        [ server_ext ]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1
        [ client_ext ]
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = clientAuth
        crlDistributionPoints = URI:file://\(work.path)/crl.pem
        """, then: """
        \(OpenSSLCA.ecRoot("mTLS Test Root", since: -30))
        issue() { # name extensions start end
          openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
          openssl req -new -key "$1.key" -subj "/CN=$1" -config ca.cnf -out "$1.csr"
          openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" -notext \
            -startdate "$3" -enddate "$4" -extensions "$2" 2>/dev/null
        }
        issue server server_ext \(stamp(-1)) \(stamp(300))
        issue client-active client_ext \(stamp(-1)) \(stamp(300))
        issue client-revoked client_ext \(stamp(-1)) \(stamp(300))
        issue client-expired client_ext 20200101000000Z 20210101000000Z
        openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -revoke client-revoked.pem 2>/dev/null
        openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -gencrl -crldays 30 -out crl.pem 2>/dev/null
        """)
        let r = try await run("/bin/sh", ["-c", "cd \"$0\" || exit 97\n" + script, work.path])
        guard r.ok else { throw CommandError(description: "making the PKI failed: \(r)") }
    }

    /// nginx (two mTLS servers) and `openssl s_server`, all stopped by pid when `body` ends.
    static func withEndpoints<T>(_ work: WorkDirectory, _ body: (Endpoints) async throws -> T) async throws -> T {
        let ports = try Loopback.freePorts(3)
        let endpoints = Endpoints(noCRL: ports[0], withCRL: ports[1], ignoresDates: ports[2])
        let dir = work.path
        func server(_ port: Int, crl: Bool) -> String {
            """
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_certificate "\(dir)/server.pem";
                    ssl_certificate_key "\(dir)/server.key";
                    ssl_verify_client on;
                    ssl_client_certificate "\(dir)/root.pem";
                    \(crl ? "ssl_crl \"\(dir)/crl.pem\";" : "")
                    location / { return 200 "ok\\n"; }
                }
            """
        }
        let nginx = try await Nginx.start(work, servers: server(endpoints.noCRL, crl: false) + "\n" + server(endpoints.withCRL, crl: true),
                                          ports: [endpoints.noCRL, endpoints.withCRL])
        let sServer: RunningCommand
        do {
            // -Verify: a client certificate is required; -verify_return_error: a bad one ends the
            // handshake with an alert; -no_check_time: expired certificates pass (a server that
            // ignores expiry, as some do); -crl_check: a revoked one gets `certificate revoked`;
            // -www: an HTTP 200 status page for every request.
            sServer = try RunningCommand(
                executable: URL(fileURLWithPath: "/usr/bin/openssl"),
                ["s_server", "-accept", "127.0.0.1:\(endpoints.ignoresDates)", "-cert", "\(dir)/server.pem", "-key", "\(dir)/server.key",
                 "-CAfile", "\(dir)/root.pem", "-Verify", "2", "-verify_return_error", "-no_check_time",
                 "-crl_check", "-CRL", "\(dir)/crl.pem", "-tls1_3", "-www", "-quiet"],
                timeout: 600, ownProcessGroup: true)
        } catch {
            await nginx.stop()
            throw error
        }
        func stopAll() async {
            sServer.signal(SIGTERM)
            _ = await sServer.wait()
            await nginx.stop()
        }
        do {
            var ready = false
            for _ in 0..<100 {
                if Loopback.canConnect(endpoints.ignoresDates) { ready = true; break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            guard ready else { throw CommandError(description: "openssl s_server did not start on 127.0.0.1:\(endpoints.ignoresDates)") }
            let value = try await body(endpoints)
            await stopAll()
            return value
        } catch {
            await stopAll()
            throw error
        }
    }

    static func credential(_ id: String, state: String, file: String, _ e: Endpoints) -> [String: Any] {
        ["id": id, "kind": "x509_certificate", "state": state, "owner": "platform",
         "certificate": ["file": "\(file).pem"], "private_key": ["file": "\(file).key"],
         "probes": [e.noCRL, e.withCRL, e.ignoresDates].map { ["probe": "tls-client-certificate", "target": "https://127.0.0.1:\($0)"] }]
    }

    @Test func revokedClientCertificateAcceptedWhereNoCRLIsLoadedIsResidualAccess() async throws {
        let work = try WorkDirectory("mtls")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        try await Self.withEndpoints(work) { e in
            let inventory = try work.writeJSON("inventory.json", ["credentials": [
                Self.credential("client-active", state: "active", file: "client-active", e),
                Self.credential("client-revoked", state: "revoked", file: "client-revoked", e),
                Self.credential("client-expired", state: "active", file: "client-expired", e),
            ]])
            let config = try work.writeJSON("config.json", ["timeout_seconds": 5, "concurrency": 4,
                                                            "tls": ["ca_bundle": work.file("root.pem").path]])
            let ledger = work.file("evidence.jsonl").path
            let r = try await revenant(["verify", "--inventory", inventory, "--config", config, "--format", "json", "--ledger", ledger],
                                       cwd: work.url)
            #expect(r.exited && r.status == 1, "\(r)")
            let report = try ParsedReport(r.stdout)
            // The endpoints' checks (the CA's CRL lookup, from the certificates' distribution point, follows them).
            func probes(_ id: String) -> [[String: Any]] { report.checks(id).filter { $0["type"] as? String == "probe" } }
            func outcomes(_ id: String) -> [String] { probes(id).map { $0["outcome"] as? String ?? "?" } }

            // Valid everywhere.
            #expect(outcomes("client-active") == ["authenticated", "authenticated", "authenticated"], "\(report.checks("client-active"))")
            #expect(report.codes("client-active") == ["ok"], "\(report.codes("client-active"))")

            // Revoked at the CA: the endpoints that load the CRL refuse it (nginx with 400, s_server with
            // the TLS 1.3 alert `certificate revoked`, which arrives on the first read); nginx without one lets it in.
            // nginx's 400 does not say why: it counts because the CA's CRL (the certificate's
            // distribution point) lists the certificate as revoked.
            #expect(outcomes("client-revoked") == ["authenticated", "rejected", "rejected"], "\(report.checks("client-revoked"))")
            #expect(report.codes("client-revoked").first == "residual_access")
            #expect((report.checks("client-revoked")[1]["http_status"] as? Int) == 400)
            #expect(report.checks("client-revoked").contains {
                $0["type"] as? String == "crl" && ($0["revocation"] as? [String: Any])?["status"] as? String == "revoked"
            }, "\(report.checks("client-revoked"))")
            #expect((report.checks("client-revoked")[2]["reason"] as? String)?.contains("TLS alert `certificate revoked`") == true,
                    "\(report.checks("client-revoked")[2])")

            // Expired: nginx refuses it (400), the server that ignores dates lets it in.
            #expect(outcomes("client-expired") == ["rejected", "rejected", "authenticated"], "\(report.checks("client-expired"))")
            #expect(report.codes("client-expired").contains("expired_still_accepted"))
            #expect(report.codes("client-expired").contains("expired"))

            // Negative controls (a throwaway self-signed certificate): nginx answers 400 (rejected);
            // s_server's alert `unknown ca` only says it does not trust the issuer, which proves
            // nothing about a certificate (inconclusive; acceptances there still count, with a caveat).
            let controls = probes("client-active").map { ($0["controls"] as? [String: String])?["negative"] }
            #expect(controls == ["rejected", "rejected", "inconclusive"], "\(controls)")
            let ledgerText = work.read("evidence.jsonl")
            let negativeAtSServer = ledgerText.split(separator: "\n").first {
                $0.contains("\"control\":\"negative\"") && $0.contains(":\(e.ignoresDates)/")
            }
            #expect(negativeAtSServer?.contains("unknown ca") == true, "\(negativeAtSServer ?? "no ledger line")")

            // The private keys never leave: not in the report, the ledger or stderr.
            for name in ["client-active.key", "client-revoked.key", "client-expired.key"] {
                let key = work.read(name).split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
                #expect(!key.isEmpty)
                for output in [r.stdout, r.stderr, ledgerText] { #expect(!output.replacingOccurrences(of: "\n", with: "").contains(key)) }
            }
        }
    }

    /// The server trusts only the root; the client's leaf was issued by an intermediate. Sent
    /// alone, the leaf would be refused ("400 The SSL certificate error", read as a rejection of a
    /// live certificate); the inventory's `issuer` goes with it.
    @Test func theIssuerGoesWithTheLeafSoALiveCertificateBehindAnIntermediateIsAccepted() async throws {
        let work = try WorkDirectory("mtls-chain")
        defer { work.remove() }
        let stamp = OpenSSLCA.stamp
        let script = OpenSSLCA.script(serial: 7000, sections: """
            [ server_ext ]
            basicConstraints = CA:FALSE
            extendedKeyUsage = serverAuth
            subjectAltName = IP:127.0.0.1
            [ client_ext ]
            basicConstraints = CA:FALSE
            extendedKeyUsage = clientAuth
            """, then: """
            \(OpenSSLCA.ecRoot("Chain Test Root", since: -30))
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out inter.key
            openssl req -new -key inter.key -subj "/CN=Chain Test Intermediate" -config ca.cnf -out inter.csr
            openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in inter.csr -out inter.pem -notext \
              -startdate \(stamp(-20)) -enddate \(stamp(2000)) -extensions root_ext 2>/dev/null
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key
            openssl req -new -key server.key -subj "/CN=server" -config ca.cnf -out server.csr
            openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in server.csr -out server.pem -notext \
              -startdate \(stamp(-1)) -enddate \(stamp(300)) -extensions server_ext 2>/dev/null
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client.key
            openssl req -new -key client.key -subj "/CN=client" -config ca.cnf -out client.csr
            openssl ca -batch -config ca.cnf -cert inter.pem -keyfile inter.key -in client.csr -out client.pem -notext \
              -startdate \(stamp(-1)) -enddate \(stamp(300)) -extensions client_ext 2>/dev/null
            openssl x509 -in client.pem -outform DER -out client.der
            openssl x509 -in inter.pem -outform DER -out inter.der
            """)
        let made = try await run("/bin/sh", ["-c", "cd \"$0\" || exit 97\n" + script, work.path])
        guard made.ok else { throw CommandError(description: "making the PKI failed: \(made)") }
        let port = try Loopback.freePorts(1)[0]
        let dir = work.path
        try await Nginx.with(work, servers: """
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_certificate "\(dir)/server.pem";
                    ssl_certificate_key "\(dir)/server.key";
                    ssl_verify_client on;
                    ssl_verify_depth 3;
                    ssl_client_certificate "\(dir)/root.pem";
                    location / { return 200 "ok\\n"; }
                }
            """, ports: [port]) {
            let inventory = try work.writeJSON("inventory.json", ["credentials": [
                ["id": "behind-intermediate", "kind": "x509_certificate", "state": "offboarded", "owner": "platform",
                 "certificate": ["file": "client.pem"], "private_key": ["file": "client.key"], "issuer": ["file": "inter.pem"],
                 "probe": "tls-client-certificate", "target": "https://127.0.0.1:\(port)"],
                // The same in DER files: the intermediate goes too.
                ["id": "behind-intermediate-der", "kind": "x509_certificate", "state": "offboarded", "owner": "platform",
                 "certificate": ["file": "client.der"], "private_key": ["file": "client.key"], "issuer": ["file": "inter.der"],
                 "probe": "tls-client-certificate", "target": "https://127.0.0.1:\(port)"],
                // Without its intermediate the live certificate is refused with nginx's 400, which
                // does not say why: not a proof that it is dead.
                ["id": "no-issuer-given", "kind": "x509_certificate", "state": "offboarded", "owner": "platform",
                 "certificate": ["file": "client.pem"], "private_key": ["file": "client.key"],
                 "probe": "tls-client-certificate", "target": "https://127.0.0.1:\(port)"],
            ]])
            let config = try work.writeJSON("config.json", ["timeout_seconds": 5, "revocation": ["crl": false, "ocsp": false],
                                                            "tls": ["ca_bundle": work.file("root.pem").path]])
            let r = try await revenant(["verify", "--inventory", inventory, "--config", config, "--format", "json"], cwd: work.url)
            let report = try ParsedReport(r.stdout)
            for id in ["behind-intermediate", "behind-intermediate-der"] {
                #expect(report.check(id)["outcome"] as? String == "authenticated", "\(id): \(r)")
                #expect(report.codes(id).first == "residual_access", "\(id)")
            }
            #expect(report.check("no-issuer-given")["http_status"] as? Int == 400, "\(report.check("no-issuer-given"))")
            #expect(report.check("no-issuer-given")["outcome"] as? String == "inconclusive")
            #expect(report.codes("no-issuer-given") == ["revocation_unverified"], "\(report.codes("no-issuer-given"))")
            // The server's CA named by SSL_CERT_FILE instead of tls.ca_bundle, as OpenSSL reads it.
            let plain = try work.writeJSON("config-env.json", ["timeout_seconds": 5, "revocation": ["crl": false, "ocsp": false]])
            let byEnvironment = try await revenant(["verify", "--inventory", inventory, "--config", plain, "--format", "json", "--only", "behind-intermediate"],
                                                   cwd: work.url, environment: ["SSL_CERT_FILE": work.file("root.pem").path])
            #expect(try ParsedReport(byEnvironment.stdout).check("behind-intermediate")["outcome"] as? String == "authenticated", "\(byEnvironment)")
        }
    }

    @Test func crlCheckAgreesWithOpenSSL() async throws {
        // The revocation the endpoints act on is the CA's: `openssl verify -crl_check` says the same.
        let work = try WorkDirectory("mtls-openssl")
        defer { work.remove() }
        try await Self.makePKI(in: work)
        let revoked = try await run("/usr/bin/openssl", ["verify", "-crl_check", "-CAfile", work.file("root.pem").path,
                                                         "-CRLfile", work.file("crl.pem").path, work.file("client-revoked.pem").path])
        #expect(!revoked.ok && revoked.stdout.contains("certificate revoked") || revoked.stderr.contains("certificate revoked"), "\(revoked)")
        let active = try await run("/usr/bin/openssl", ["verify", "-crl_check", "-CAfile", work.file("root.pem").path,
                                                        "-CRLfile", work.file("crl.pem").path, work.file("client-active.pem").path])
        #expect(active.ok, "\(active)")
    }
}

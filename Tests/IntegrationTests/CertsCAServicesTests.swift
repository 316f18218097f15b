import Foundation
import TestSupport
import Testing

/// `certs --crl` and `certs --ocsp-responder` as a binary: CRLs made at test time by `openssl ca
/// -gencrl` (nextUpdate past, near, far; one signed by another key), and `openssl ocsp` responders
/// signing as the CA, as a delegated responder, with an expired, an expiring and an EKU-less
/// certificate, and a port nobody listens on. Servers are required: one that cannot start fails the test.
@Suite struct CertsCAServicesTests {
    /// Each result's finding codes with severities, and its tags.
    static func results(_ stdout: String) throws -> [String: (findings: [String], tags: [String: String])] {
        var out: [String: (findings: [String], tags: [String: String])] = [:]
        for case let result as [String: Any] in try jsonObject(stdout)["results"] as? [Any] ?? [] {
            let credential = result["credential"] as? [String: Any] ?? [:]
            let findings = (result["findings"] as? [[String: Any]] ?? []).map { "\($0["code"] as? String ?? "") \($0["severity"] as? String ?? "")" }
            out[credential["id"] as? String ?? ""] = (findings, credential["tags"] as? [String: String] ?? [:])
        }
        return out
    }

    @Test func crlFilesAreJudgedByTheirNextUpdateAndSignature() async throws {
        let work = try WorkDirectory("certs-crl")
        defer { work.remove() }
        let directory = work.path
        let pki = try await offCooperativePool { try RevocationPKI(directory: directory, ocspPort: 1, silentPort: 1) }
        // root.crl: 7 days from now (far for a 7-day CRL); stale.crl: nextUpdate in 2024; near.crl: a
        // 7-day CRL with one day left (inside its last third); foreign.crl: the right name, another key.
        let made = Shell.capture("""
            openssl ca -config ca.cnf -cert root.pem -keyfile root.key -gencrl -out near.crl \
              -crl_lastupdate \(OpenSSLCA.stamp(-6)) -crl_nextupdate \(OpenSSLCA.stamp(1)) 2>&1
            """, in: directory)
        #expect(made.status == 0, "\(made.output)")
        let crls = ["root.crl", "stale.crl", "near.crl", "foreign.crl", "root.crl.der"].map(pki.file)
        let r = try await revenant(["certs", pki.file("root.pem")] + crls.flatMap { ["--crl", $0] } + ["--format", "json"])
        #expect(r.exited && r.status == 1, "a stale CRL is high: \(r)")
        let results = try Self.results(r.stdout)
        #expect(results[crls[0]]?.findings == ["ok info"], "\(r.stdout)")
        #expect(results[crls[1]]?.findings == ["crl_stale high"], "\(r.stdout)")
        #expect(results[crls[2]]?.findings == ["crl_expiring medium"], "\(r.stdout)")
        #expect(results[crls[4]]?.findings == ["ok info"], "DER reads as PEM does: \(r.stdout)")
        #expect(results[crls[0]]?.tags["crl_number"] == "1" && results[crls[0]]?.tags["entries"] == "2", "\(r.stdout)")
        #expect(results[crls[1]]?.tags["next_update"] == "2024-01-08T00:00:00Z", "\(r.stdout)")
        #expect(results[crls[0]]?.tags["signature"]?.hasPrefix("verified with") == true, "\(r.stdout)")
        #expect(results[crls[3]]?.tags["signature"] == "does not verify with the issuer certificate given", "\(r.stdout)")
        // openssl agrees on which CRL is past its nextUpdate and which signature fails.
        let openssl = try await offCooperativePool { [pki.opensslVerify("good", crl: "stale.crl"), pki.opensslVerify("good", crl: "foreign.crl")] }
        #expect(openssl[0].contains("CRL has expired") && openssl[1].contains("CRL signature failure"), "\(openssl)")

        // Without the issuer the signature is not checked, and the dates still count.
        let alone = try await revenant(["certs", "--crl", crls[2], "--format", "json"])
        #expect(alone.exited && alone.status == 0, "medium is under the default --fail-on high: \(alone)")
        #expect(try Self.results(alone.stdout)[crls[2]]?.tags["signature"] == "not checked: no issuer certificate given")
        // Every format that lists findings lists these.
        for (format, needle) in [("table", "crl_stale"), ("csv", "crl_stale"), ("markdown", "crl_stale"), ("sarif", "crl_stale"), ("junit", "crl_stale")] {
            let out = try await revenant(["certs", "--crl", crls[1], "--format", format, "--fail-on", "never"])
            #expect(out.exited && out.status == 0 && out.stdout.contains(needle), "\(format): \(out)")
        }
        // A file that is not a CRL is an input error (exit 2), named.
        let wrong = try await revenant(["certs", "--crl", pki.file("root.pem")])
        #expect(wrong.exited && wrong.status == 2 && wrong.stderr.contains("--crl \(pki.file("root.pem"))"), "\(wrong)")
    }

    @Test func ocspRespondersAreCheckedDirectly() async throws {
        let work = try WorkDirectory("certs-responder")
        defer { work.remove() }
        let directory = work.path
        let ports = try Loopback.freePorts(6)  // root, delegated, expired, expiring, no EKU; the last: nobody
        let pki = try await offCooperativePool { try RevocationPKI(directory: directory, ocspPort: ports[0], silentPort: 1) }
        let made = Shell.capture("""
            issue() { # name start end
              openssl req -new -key leaf.key -subj "/CN=$1" -config ca.cnf -out "$1.csr" &&
              openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in "$1.csr" -out "$1.pem" -notext \
                -startdate "$2" -enddate "$3" -extensions responder_ext 2>&1 && cp leaf.key "$1.key"
            }
            issue expired-responder 20200101000000Z 20210101000000Z
            issue expiring-responder \(OpenSSLCA.stamp(-300)) \(OpenSSLCA.stamp(10))
            echo '{"timeout_seconds": 2}' > config.json
            """, in: directory)
        #expect(made.status == 0, "\(made.output)")
        let signers = ["root", "responder", "expired-responder", "expiring-responder", "no-eku"]
        let servers = try await offCooperativePool { try signers.enumerated().map { try pki.startResponder(port: ports[$0.offset], signer: $0.element) } }
        defer { for server in servers { server.stop() } }
        let urls = ports.map { "http://127.0.0.1:\($0)/" }
        let r = try await revenant(["certs", "--issuer", pki.file("root.pem"), "--config", pki.file("config.json"), "--format", "json"]
                                   + urls.flatMap { ["--ocsp-responder", $0] })
        #expect(r.exited && r.status == 1, "\(r)")
        let results = try Self.results(r.stdout)
        #expect(results[urls[0]]?.findings == ["ok info"] && results[urls[0]]?.tags["signer"] == "the CA", "\(r.stdout)")
        #expect(results[urls[0]]?.tags["answer"] == "unknown", "a random serial: a signed `unknown`: \(r.stdout)")
        #expect(results[urls[1]]?.findings == ["ok info"] && results[urls[1]]?.tags["signer_ocsp_signing"] == "true", "\(r.stdout)")
        #expect(results[urls[2]]?.findings == ["ocsp_responder_unauthorized high"], "expired delegated certificate: \(r.stdout)")
        #expect(results[urls[3]]?.findings == ["ocsp_responder_cert_expiring medium"], "\(r.stdout)")
        #expect(results[urls[4]]?.findings == ["ocsp_responder_unauthorized high"], "no OCSPSigning EKU: \(r.stdout)")
        #expect(results[urls[5]]?.findings == ["ocsp_responder_down high"], "\(r.stdout)")
        #expect(results[urls[5]]?.tags["down"]?.contains("unreachable") == true, "\(r.stdout)")

        // Named in the configuration (each with its CA, relative to the config file): checked on every
        // `certs` run with that configuration, with no path or flag; an unreadable CA is exit 2.
        let configured = Shell.capture("""
            printf '{"timeout_seconds": 2, "revocation": {"ocsp_responders": [{"url": "%s", "issuer": "root.pem"}, {"url": "%s", "issuer": "root.pem"}]}}' \
              '\(urls[1])' '\(urls[2])' > responders.json
            printf '{"revocation": {"ocsp_responders": [{"url": "%s", "issuer": "missing.pem"}]}}' '\(urls[1])' > missing.json
            """, in: directory)
        #expect(configured.status == 0, "\(configured.output)")
        let named = try await revenant(["certs", "--config", pki.file("responders.json"), "--format", "json"])
        #expect(named.exited && named.status == 1, "\(named)")
        let namedResults = try Self.results(named.stdout)
        #expect(namedResults[urls[1]]?.findings == ["ok info"] && namedResults[urls[2]]?.findings == ["ocsp_responder_unauthorized high"]
                && namedResults.count == 2, "\(named.stdout)")
        let missing = try await revenant(["certs", "--config", pki.file("missing.json"), "--format", "json"])
        #expect(missing.exited && missing.status == 2 && missing.stderr.contains("revocation.ocsp_responders[0].issuer"), "\(missing)")

        // The responder stopped: down.
        servers[0].stop()
        let stopped = try await revenant(["certs", "--issuer", pki.file("root.pem"), "--ocsp-responder", urls[0], "--config", pki.file("config.json"),
                                          "--format", "json"])
        let stoppedFindings = try Self.results(stopped.stdout)[urls[0]]?.findings
        #expect(stopped.exited && stopped.status == 1 && stoppedFindings == ["ocsp_responder_down high"], "\(stopped)")
        // Another CA's certificate as --issuer: its answers are not that CA's.
        let other = try await revenant(["certs", "--issuer", pki.file("other/root.pem"), "--ocsp-responder", urls[1], "--config", pki.file("config.json"),
                                        "--format", "json"])
        #expect(other.exited && other.status == 1, "\(other)")
        let otherFindings = try Self.results(other.stdout)[urls[1]]?.findings ?? []
        #expect(otherFindings.first.map { $0.hasPrefix("ocsp_responder_") } == true && otherFindings != ["ok info"], "\(other.stdout)")
        // Without --issuer: a usage error.
        let usage = try await revenant(["certs", "--ocsp-responder", urls[1]])
        #expect(usage.exited && usage.status == 2 && usage.stderr.contains("--issuer"), "\(usage)")
    }

    /// A responder that signs as the CA but whose answers relying parties refuse: one that answers
    /// every request with a pre-signed answer about another certificate (replayed or cached), and one
    /// that answers the serial asked (with the request's nonce) with a nextUpdate already past. Both
    /// are down (`openssl ocsp`: "No Status found", "status expired"), never `ok`. Servers are Python
    /// with `cryptography` (scripts/install-deps.sh: Authlib's dependency); one that cannot start fails.
    @Test func aResponderWhoseSignedAnswersAreUnusableIsDown() async throws {
        let work = try WorkDirectory("certs-responder-unusable")
        defer { work.remove() }
        let directory = work.path
        let ports = try Loopback.freePorts(2)
        let pki = try await offCooperativePool { try RevocationPKI(directory: directory, ocspPort: 1, silentPort: 1) }
        _ = try work.write("hostile.py", #"""
            # A hostile OCSP responder signing as the CA: `replay` answers every request with one answer made for
            # another certificate (no nonce); `stale` answers the serial asked, with its nonce, but nextUpdate past.
            import base64, datetime, sys, urllib.parse
            from http.server import BaseHTTPRequestHandler, HTTPServer
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.x509 import ocsp

            mode, port, ca_pem, ca_key, other_pem = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
            ca = x509.load_pem_x509_certificate(open(ca_pem, "rb").read())
            key = serialization.load_pem_private_key(open(ca_key, "rb").read(), None)
            now = datetime.datetime.now(datetime.timezone.utc)

            def sign(builder):
                return builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca).sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

            other = x509.load_pem_x509_certificate(open(other_pem, "rb").read())
            replayed = sign(ocsp.OCSPResponseBuilder().add_response(other, ca, hashes.SHA1(), ocsp.OCSPCertStatus.GOOD,
                                                                    now, now + datetime.timedelta(days=1), None, None))

            def answer(der):
                if mode == "replay":
                    return replayed
                request = ocsp.load_der_ocsp_request(der)
                builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
                    request.issuer_name_hash, request.issuer_key_hash, request.serial_number, request.hash_algorithm,
                    ocsp.OCSPCertStatus.UNKNOWN, now - datetime.timedelta(days=10), now - datetime.timedelta(days=9), None, None)
                try:
                    nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
                    builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
                except x509.ExtensionNotFound:
                    pass
                return sign(builder)

            class Handler(BaseHTTPRequestHandler):
                def reply(self, der):
                    body = answer(der)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/ocsp-response")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def do_POST(self):
                    self.reply(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                def do_GET(self):
                    self.reply(base64.b64decode(urllib.parse.unquote(self.path.rsplit("/", 1)[-1])))
                def log_message(self, *args):
                    pass

            server = HTTPServer(("127.0.0.1", port), Handler)
            print("READY", flush=True)
            server.serve_forever()
            """#)
        _ = try work.write("config.json", #"{"timeout_seconds": 5}"#)
        let servers = try await offCooperativePool {
            try zip(["replay", "stale"], ports).map { mode, port in
                let server = try BackgroundServer("python3 hostile.py \(mode) \(port) root.pem root.key good.pem", in: directory)
                do { try server.waitFor("READY") } catch {
                    server.stop()
                    throw error
                }
                return server
            }
        }
        defer { for server in servers { server.stop() } }
        let urls = ports.map { "http://127.0.0.1:\($0)/" }
        // openssl's client refuses both answers (a serial of this CA that no certificate has).
        let openssl = urls.map { Shell.capture("openssl ocsp -issuer root.pem -serial 77 -url \($0) -CAfile root.pem -timeout 5 2>&1", in: directory).output }
        #expect(openssl[0].contains("No Status found") && openssl[1].contains("status expired"), "\(openssl)")
        let r = try await revenant(["certs", "--issuer", pki.file("root.pem"), "--config", pki.file("config.json"), "--format", "json"]
                                   + urls.flatMap { ["--ocsp-responder", $0] })
        #expect(r.exited && r.status == 1, "\(r)")
        let results = try Self.results(r.stdout)
        #expect(results[urls[0]]?.findings == ["ocsp_responder_down high"], "an answer about another certificate: \(r.stdout)")
        #expect(results[urls[0]]?.tags["down"]?.contains("no status for the serial asked") == true, "\(r.stdout)")
        #expect(results[urls[1]]?.findings == ["ocsp_responder_down high"], "a stale answer: \(r.stdout)")
        // It did answer the serial asked, signed by the CA: staleness alone makes it down.
        #expect(results[urls[1]]?.tags["answer"] == "unknown" && results[urls[1]]?.tags["signer"] == "the CA", "\(r.stdout)")
        #expect(results[urls[1]]?.tags["down"]?.contains("nextUpdate") == true, "\(r.stdout)")
    }

    /// CRLs relying parties refuse by their dates alone, each signed by the right CA: one whose
    /// thisUpdate is 3 days ahead (`openssl ca -gencrl -crl_lastupdate`), one whose nextUpdate is
    /// month 13 (re-signed after the edit). `openssl verify` refuses both ("CRL is not yet valid",
    /// "format error in CRL's nextUpdate field"); neither is `ok` ("current", or "no nextUpdate").
    @Test func crlsRefusedByTheirDatesAreStale() async throws {
        let work = try WorkDirectory("certs-crl-dates")
        defer { work.remove() }
        let directory = work.path
        let pki = try await offCooperativePool { try RevocationPKI(directory: directory, ocspPort: 1, silentPort: 1) }
        _ = try work.write("badnext.py", #"""
            # A CRL of root.pem whose nextUpdate reads month 13, signed by root.key over the edited bytes.
            import base64, datetime
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            ca = x509.load_pem_x509_certificate(open("root.pem", "rb").read())
            key = serialization.load_pem_private_key(open("root.key", "rb").read(), None)
            now = datetime.datetime.now(datetime.timezone.utc)
            crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now - datetime.timedelta(days=1))
                   .next_update(datetime.datetime(2030, 5, 5, 12, tzinfo=datetime.timezone.utc)).sign(key, hashes.SHA256()))
            tbs = crl.tbs_certlist_bytes
            assert tbs.count(b"300505120000Z") == 1
            edited = tbs.replace(b"300505120000Z", b"301305120000Z")
            der = crl.public_bytes(serialization.Encoding.DER)
            at = der.index(tbs) + len(tbs)
            algorithm = der[at:at + 2 + der[at + 1]]
            def tlv(tag, body):
                n = len(body)
                return bytes([tag]) + (bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 255])) + body
            signed = tlv(0x30, edited + algorithm + tlv(0x03, b"\0" + key.sign(edited, ec.ECDSA(hashes.SHA256()))))
            open("badnext.crl", "wb").write(b"-----BEGIN X509 CRL-----\n" + base64.encodebytes(signed) + b"-----END X509 CRL-----\n")
            """#)
        let made = Shell.capture("""
            openssl ca -config ca.cnf -cert root.pem -keyfile root.key -gencrl -out future.crl \
              -crl_lastupdate \(OpenSSLCA.stamp(3)) -crl_nextupdate \(OpenSSLCA.stamp(10)) 2>&1 && python3 badnext.py 2>&1
            """, in: directory)
        #expect(made.status == 0, "\(made.output)")
        let openssl = try await offCooperativePool { [pki.opensslVerify("good", crl: "future.crl"), pki.opensslVerify("good", crl: "badnext.crl")] }
        #expect(openssl[0].contains("CRL is not yet valid") && openssl[1].contains("format error in CRL's nextUpdate field"), "\(openssl)")
        let crls = ["future.crl", "badnext.crl"].map(pki.file)
        let r = try await revenant(["certs", pki.file("root.pem")] + crls.flatMap { ["--crl", $0] } + ["--format", "json"])
        #expect(r.exited && r.status == 1, "\(r)")
        let results = try Self.results(r.stdout)
        for crl in crls {
            #expect(results[crl]?.findings == ["crl_stale high"], "\(crl): \(r.stdout)")
            // Signed by the CA: the dates alone make it unusable.
            #expect(results[crl]?.tags["signature"]?.hasPrefix("verified with") == true, "\(crl): \(r.stdout)")
        }
    }
}

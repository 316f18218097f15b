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
}

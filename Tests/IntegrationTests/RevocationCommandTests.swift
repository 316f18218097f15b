import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `revenant certs --revocation` as a binary: a CA made by `openssl ca`, its CRL served by nginx over
/// HTTP, `openssl ocsp` answering, a listener that never answers, and the evidence ledger. Servers are
/// required: one that cannot start fails the test.
@Suite struct RevocationCommandTests {
    /// Each result's checks as (type, outcome, revocation status) and its finding codes.
    static func lookups(_ stdout: String) throws -> [String: (checks: [[String]], codes: [String])] {
        var out: [String: (checks: [[String]], codes: [String])] = [:]
        for case let result as [String: Any] in try jsonObject(stdout)["results"] as? [Any] ?? [] {
            let id = (result["credential"] as? [String: Any])?["id"] as? String ?? ""
            let checks = (result["checks"] as? [[String: Any]] ?? []).map { check in
                [check["type"] as? String ?? "", check["outcome"] as? String ?? "",
                 (check["revocation"] as? [String: Any])?["status"] as? String ?? ""]
            }
            out[id] = (checks, (result["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String })
        }
        return out
    }

    @Test func certsAsksTheCAOverHTTPAndOCSPAndRecordsEvidence() async throws {
        let work = try WorkDirectory("revocation")
        defer { work.remove() }
        let ports = try Loopback.freePorts(3)  // nginx TLS, nginx plain (CRLs), OCSP responder
        let (silent, silentPort) = try Loopback.listeningSocket(backlog: 16)
        defer { close(silent) }
        let directory = work.path
        let pki = try await offCooperativePool {
            try RevocationPKI(directory: directory, ocspPort: ports[2], silentPort: silentPort, crlURL: "http://127.0.0.1:\(ports[1])/root.crl")
        }
        // What nginx's TLS servers of CertsEndpointTests serve, and the CRL it serves over HTTP.
        let prepared = Shell.capture("""
            mkdir -p www && cp root.crl www/ && cat good.pem root.pem > good-chain.pem && cat expired.pem root.pem > expired-chain.pem
            echo '{"timeout_seconds": 1}' > soft.json
            echo '{"timeout_seconds": 1, "revocation": {"soft_fail": false}}' > hard.json
            """, in: work.path)
        #expect(prepared.status == 0, "\(prepared.output)")
        let responder = try await offCooperativePool { try pki.startResponder(port: ports[2]) }
        defer { responder.stop() }
        try await CertsEndpointTests.withNginx(work, ports: [ports[0], ports[1]]) { server in
            let ledger = work.file("evidence.jsonl").path
            let files = ["good", "revoked", "stale", "root"].map { pki.file("\($0).pem") }
            let started = Date()
            let r = try await revenant(["certs"] + files + ["--revocation", "--format", "json", "--config", pki.file("soft.json"), "--ledger", ledger])
            #expect(Date().timeIntervalSince(started) < 20, "the 1 s timeout bounds the silent responder")
            #expect(r.exited && r.status == 1, "a certificate revoked at the CA but scanned as active is high: \(r)")
            let results = try Self.lookups(r.stdout)
            let good = try #require(results[files[0]])
            #expect(good.checks == [["ocsp", "authenticated", "good"], ["crl", "authenticated", "good"]], "\(good)")
            #expect(good.codes == ["ok"])
            let revoked = try #require(results[files[1]])
            #expect(revoked.checks == [["ocsp", "rejected", "revoked"], ["crl", "rejected", "revoked"]], "\(revoked)")
            #expect(revoked.codes == ["inventory_drift"])
            let stale = try #require(results[files[2]])
            #expect(stale.checks == [["ocsp", "inconclusive", "unavailable"], ["crl", "inconclusive", "unavailable"]], "\(stale)")
            #expect(stale.codes == ["ok"], "soft fail: an active certificate whose CA cannot be reached is not a finding")
            #expect(results[files[3]]?.checks.isEmpty == true, "a root has nobody above it to ask")
            #expect(r.stdout.contains("\"crl_number\": \"1\"") && r.stdout.contains("\"reason\": \"keyCompromise\""))

            // openssl agrees with every status revenant reported.
            let openssl = try await offCooperativePool {
                [pki.opensslVerify("good"), pki.opensslVerify("revoked"), pki.opensslOCSP("good", url: pki.ocspURL),
                 pki.opensslOCSP("revoked", url: pki.ocspURL)]
            }
            #expect(openssl[0].contains("OK") && openssl[1].contains("certificate revoked"), "\(openssl)")
            #expect(openssl[2].contains("good.pem: good") && openssl[3].contains("revoked.pem: revoked"), "\(openssl)")

            // One ledger record per lookup, hash-chained.
            let records = work.read("evidence.jsonl").split(separator: "\n")
            #expect(records.count == 6, "\(records)")
            #expect(records.contains { $0.contains("\"crl_number\":\"1\"") && $0.contains("\"status\":\"revoked\"") })
            #expect(records.contains { $0.contains("\"probe\":\"ocsp\"") && $0.contains("\"produced_at\"") })
            let verified = try await revenant(["evidence", "verify", ledger])
            #expect(verified.exited && verified.status == 0, "\(verified)")

            // Hard fail: the unreachable sources of an active certificate become a finding.
            let hard = try await revenant(["certs", files[2], "--revocation", "--format", "json", "--config", pki.file("hard.json")])
            #expect(hard.exited && hard.status == 1, "\(hard)")
            #expect(try Self.lookups(hard.stdout)[files[2]]?.codes == ["revocation_unverified"])

            // A served chain: the issuer comes from the chain itself.
            let endpoint = "127.0.0.1:\(server.tls)"
            let tls = try await revenant(["certs", endpoint, "--revocation", "--format", "json", "--config", pki.file("soft.json")])
            #expect(tls.exited && tls.status == 0, "\(tls)")
            #expect(try Self.lookups(tls.stdout)[endpoint]?.checks == [["ocsp", "authenticated", "good"], ["crl", "authenticated", "good"]])

            // Without --revocation a scan stays offline: no checks at all.
            let offline = try await revenant(["certs", files[1], "--format", "json", "--config", pki.file("soft.json")])
            #expect(offline.exited && offline.status == 0, "\(offline)")
            #expect(try Self.lookups(offline.stdout)[files[1]]?.checks.isEmpty == true)
        }
    }

    @Test func aServedCertificateNeverMakesRevenantReadALocalFile() async throws {
        let work = try WorkDirectory("revocation-file")
        defer { work.remove() }
        let ports = try Loopback.freePorts(2)
        let directory = work.path
        // Default CRL URL: file://DIR/root.crl, named in every leaf nginx serves.
        let pki = try await offCooperativePool { try RevocationPKI(directory: directory, ocspPort: 1, silentPort: 1) }
        let prepared = Shell.capture("""
            mkdir -p www && cat good.pem root.pem > good-chain.pem && cat expired.pem root.pem > expired-chain.pem
            echo '{"timeout_seconds": 1, "revocation": {"ocsp": false}}' > crl.json
            """, in: work.path)
        #expect(prepared.status == 0, "\(prepared.output)")
        try await CertsEndpointTests.withNginx(work, ports: ports) { server in
            let endpoint = "127.0.0.1:\(server.tls)"
            let tls = try await revenant(["certs", endpoint, "--revocation", "--format", "json", "--config", pki.file("crl.json")])
            #expect(tls.exited, "\(tls)")
            #expect(try Self.lookups(tls.stdout)[endpoint]?.checks == [["crl", "inconclusive", "unavailable"]], "\(tls.stdout)")
            #expect(tls.stdout.contains("file:// URL in a certificate from the network: not followed"), "\(tls.stdout)")
            // The same certificate read from a local file (its issuer beside it): its file:// CRL is read.
            let file = pki.file("good.pem")
            let local = try await revenant(["certs", file, pki.file("root.pem"), "--revocation", "--format", "json", "--config", pki.file("crl.json")])
            #expect(try Self.lookups(local.stdout)[file]?.checks == [["crl", "authenticated", "good"]], "\(local.stdout)")
        }
    }

    @Test func ledgerWithoutRevocationIsAUsageError() async throws {
        let r = try await revenant(["certs", "/etc/hostname", "--ledger", "/tmp/never-written.jsonl"])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("give --revocation too"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written.jsonl"))
    }
}

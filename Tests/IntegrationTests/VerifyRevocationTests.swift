import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `revenant verify` on an inventory of certificates: what the inventory believes against what the
/// CA says (a CRL on disk, a real `openssl ocsp` responder, a responder that never answers).
@Suite struct VerifyRevocationTests {
    @Test func inventoryStatesAgainstTheCAsAnswers() async throws {
        let work = try WorkDirectory("verify-revocation")
        defer { work.remove() }
        let ports = try Loopback.freePorts(1)
        let (silent, silentPort) = try Loopback.listeningSocket(backlog: 16)
        defer { close(silent) }
        let directory = work.path
        let pki = try await offCooperativePool { try RevocationPKI(directory: directory, ocspPort: ports[0], silentPort: silentPort) }
        let responder = try await offCooperativePool { try pki.startResponder(port: ports[0]) }
        defer { responder.stop() }
        func cert(_ id: String, _ state: String, _ file: String) -> [String: Any] {
            ["id": id, "kind": "x509_certificate", "state": state, "owner": "platform",
             "certificate": ["file": pki.file("\(file).pem")], "issuer": ["file": pki.file("root.pem")]]
        }
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            cert("revoked-at-ca", "revoked", "revoked"),
            cert("revoked-only-in-inventory", "revoked", "inventory-only"),
            cert("rotated-but-good-at-ca", "rotated", "inventory-only"),
            cert("active-good", "active", "good"),
            cert("active-but-revoked-at-ca", "active", "revoked"),
            cert("revoked-stale-crl-silent-ocsp", "revoked", "stale"),
            // Self-signed: no CA can revoke it, and with no probe nothing proves it dead.
            cert("revoked-self-signed", "revoked", "root"),
        ]])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 1])
        let ledger = work.file("evidence.jsonl").path
        let r = try await revenant(["verify", "--inventory", inventory, "--config", config, "--format", "json", "--ledger", ledger])
        #expect(r.exited && r.status == 1, "\(r)")
        let report = try ParsedReport(r.stdout)
        func statuses(_ id: String) -> [String] {
            report.checks(id).map { (($0["type"] as? String) ?? "") + ":" + ((($0["revocation"] as? [String: Any])?["status"] as? String) ?? "") }
        }
        #expect(report.codes("revoked-at-ca") == ["revocation_verified"], "\(report.result("revoked-at-ca") ?? [:])")
        #expect(statuses("revoked-at-ca") == ["ocsp:revoked", "crl:revoked"])
        #expect(report.codes("revoked-only-in-inventory") == ["not_revoked_at_ca"])
        let notRevoked = (report.result("revoked-only-in-inventory")?["findings"] as? [[String: Any]])?.first
        #expect(notRevoked?["severity"] as? String == "critical")
        let rotated = (report.result("rotated-but-good-at-ca")?["findings"] as? [[String: Any]])?.first
        #expect(rotated?["code"] as? String == "not_revoked_at_ca" && rotated?["severity"] as? String == "high", "\(String(describing: rotated))")
        #expect(report.codes("active-good") == ["ok"], "\(report.result("active-good") ?? [:])")
        #expect(statuses("active-good") == ["ocsp:good", "crl:good"])
        #expect(report.codes("active-but-revoked-at-ca").first == "inventory_drift")
        // A stale CRL and a silent responder prove nothing: neither revoked nor good.
        #expect(report.codes("revoked-stale-crl-silent-ocsp") == ["revocation_unverified"], "\(report.result("revoked-stale-crl-silent-ocsp") ?? [:])")
        #expect(statuses("revoked-stale-crl-silent-ocsp") == ["ocsp:unavailable", "crl:unavailable"])
        #expect(report.codes("revoked-self-signed").contains("revocation_unverified"), "\(report.result("revoked-self-signed") ?? [:])")
        #expect(!report.codes("revoked-self-signed").contains("revocation_verified"))
        // Every lookup is a ledger record, and the chain verifies.
        let records = work.read("evidence.jsonl").split(separator: "\n")
        #expect(records.count == 12, "\(records.count) records")
        let check = try await revenant(["evidence", "verify", ledger])
        #expect(check.exited && check.status == 0, "\(check)")
    }
}

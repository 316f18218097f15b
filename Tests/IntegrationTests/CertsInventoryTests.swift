import Foundation
import Testing

/// `revenant certs --inventory`: certificates judged in the state the inventory records, and a TLS
/// endpoint still serving a certificate the inventory says was rotated (real nginx on 127.0.0.1).
@Suite struct CertsInventoryTests {
    @Test func endpointStillServingARotatedCertificateIsRotationNotDeployed() async throws {
        let work = try WorkDirectory("certs-inventory")
        defer { work.remove() }
        try await CertsEndpointTests.makePKI(in: work)
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            ["id": "gateway-2025", "kind": "x509_certificate", "state": "rotated", "owner": "platform",
             "rotated_at": "2026-11-01T00:00:00Z", "certificate": ["file": work.file("good.pem").path]],
        ]])
        let config = work.file("config.json").path
        try await CertsEndpointTests.withNginx(work) { server in
            let target = "127.0.0.1:\(server.tls)"
            let r = try await revenant(["certs", target, "--inventory", inventory, "--format", "json", "--config", config])
            #expect(r.exited && r.status == 1, "\(r)")
            let results = try CertsCommandTests.results(r.stdout)
            let leaf = try #require(results[target])
            #expect(leaf.codes == ["rotation_not_deployed"], "\(leaf.codes)")
            #expect(leaf.tags["inventory_id"] == "gateway-2025")
            // The root it also serves is not in the inventory: judged as before.
            #expect(results["\(target)#2"]?.codes == ["ok"])
            // Without the inventory the same endpoint is fine.
            let plain = try await revenant(["certs", target, "--format", "json", "--config", config])
            #expect(try CertsCommandTests.results(plain.stdout)[target]?.codes == ["ok"])
        }
        // The same certificate as a file: its inventory state, and nothing proved without --revocation.
        let file = try await revenant(["certs", work.file("good.pem").path, "--inventory", inventory, "--format", "json"])
        let asFile = try #require(try CertsCommandTests.results(file.stdout)[work.file("good.pem").path])
        #expect(asFile.codes == ["revocation_unverified"], "\(asFile.codes)")
    }
}

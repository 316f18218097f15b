import Foundation
import Testing
@testable import RevenantCore

/// The written inventory reads back as revenant's own format, and holds no secret.
@Suite struct ImportedInventoryWriterTests {
    static func sample() -> ImportedInventory {
        var inventory = ImportedInventory()
        var token = ImportedCredential(id: "gitleaks-github-pat-0123456789ab", kind: .apiKey, state: .revoked)
        token.secret = Secret("ghp_SECRETsecretSECRET000")
        token.probe = "github"
        token.owner = "Dana \"D\" O'Kafor: #1"
        token.tags = ["file": "a\u{0}b\n- id: injected\u{2028}\u{85}\u{FEFF}", "line": "3", "quote": "\"}, {"]
        var cert = ImportedCredential(id: "k8s-shop-tls-tls", kind: .x509Certificate, state: .active)
        cert.certificate = Array("CERT".utf8)
        cert.privateKey = Secret(bytes: [0xFF, 0x00, 0x41])
        var aws = ImportedCredential(id: "aws-1-dana-key1", kind: .awsAccessKey, state: .active)
        aws.issuedAt = Timestamp.parse("2024-01-10T12:00:00Z")
        aws.accessKeyID = "AKIAABCDEFGHIJKLMNOP"
        aws.secretFile = "/keys/dana"
        aws.probe = "aws-sts"
        inventory.credentials = [token, cert, aws]
        return inventory
    }

    @Test(arguments: [(ImportedInventoryWriter.Format.yaml, "inv.yaml"), (.json, "inv.json")])
    func theInventoryReadsBackExactly(_ format: ImportedInventoryWriter.Format, _ name: String) throws {
        let (text, files) = ImportedInventoryWriter.render(Self.sample(), format: format, secretsDirectory: "inv.secrets", source: .gitleaks)
        #expect(!String(decoding: text, as: UTF8.self).contains("SECRETsecret"))
        #expect(files.map(\.relativePath) == ["inv.secrets/gitleaks-github-pat-0123456789ab", "inv.secrets/k8s-shop-tls-tls.crt", "inv.secrets/k8s-shop-tls-tls.key"])
        #expect(files.map(\.isSecret) == [true, false, true])
        #expect(files[2].bytes == [0xFF, 0x00, 0x41])
        let inventory = try InventoryLoader.load(bytes: text, file: "/data/\(name)")
        #expect(inventory.credentials.map(\.id) == ["gitleaks-github-pat-0123456789ab", "k8s-shop-tls-tls", "aws-1-dana-key1"])
        let token = inventory.credentials[0]
        #expect(token.secret == .file("/data/inv.secrets/gitleaks-github-pat-0123456789ab"))
        #expect(token.owner == "Dana \"D\" O'Kafor: #1" && token.state == .revoked && token.targets.map(\.probe) == ["github"])
        #expect(token.tags == Self.sample().credentials[0].tags)
        #expect(inventory.credentials[1].certificate?.certificate == "/data/inv.secrets/k8s-shop-tls-tls.crt")
        #expect(inventory.credentials[1].certificate?.privateKey == .file("/data/inv.secrets/k8s-shop-tls-tls.key"))
        let aws = inventory.credentials[2]
        #expect(aws.secret == .file("/keys/dana") && aws.accessKeyID == "AKIAABCDEFGHIJKLMNOP" && aws.issuedAt == Timestamp.parse("2024-01-10T12:00:00Z"))
        #expect(inventory.warnings.isEmpty)
    }

    @Test func anEmptyImportIsAValidInventory() throws {
        let (text, files) = ImportedInventoryWriter.render(ImportedInventory(), format: .yaml, secretsDirectory: nil, source: .kubernetes)
        #expect(files.isEmpty)
        #expect(try InventoryLoader.load(bytes: text, file: "empty.yaml").credentials.isEmpty)
    }

    @Test func mappingFilesAreCheckedLikeInventories() {
        var errors: [InputError] = []
        do { _ = try ProbeMapping.decode(Array(#"{"map": {"A": {"probe": "x", "kind": "api_keys"}, "B": {"kind": "jwt", "target": "https://x"}, "C": 3}, "extra": 1}"#.utf8), file: "m.json") } catch { errors = error.errors }
        #expect(errors.count == 4)
        let mapping = try? ProbeMapping.decode(Array(#"{"map": {"GitHub_Token": {"probe": "github", "kind": "api_key"}}}"#.utf8), file: "m.json")
        #expect(mapping?.entry(for: "github-token")?.probe == "github")
    }
}

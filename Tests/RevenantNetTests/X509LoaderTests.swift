import Foundation
import RevenantCore
import TestSupport
import Testing
@testable import RevenantNet

/// Certificates made by the `openssl` CLI at test time are read field by field, from every container.
@Suite struct X509LoaderTests {
    static func pki() throws -> TestPKI { try TestPKI.shared.get() }

    static func date(_ text: String) -> Date { Timestamp.parse(text)! }

    static func only(_ name: String, password: String? = nil) throws -> CertificateInfo {
        let file = X509Loader.load(file: try pki().file(name), pkcs12Password: password)
        #expect(file.problem == nil, "\(String(describing: file.problem))")
        #expect(file.certificates.count == 1)
        return try #require(file.certificates.first).info
    }

    @Test func leafFieldsMatchWhatOpenSSLWrote() throws {
        let leaf = try Self.only("leaf.pem")
        #expect(leaf.subject == "O=Revenant Tests,CN=leaf.example.com")
        #expect(leaf.issuer == "O=Revenant Tests,CN=Revenant Test Root")
        #expect(leaf.serial == "1001")
        #expect(leaf.subjectAltNames == ["DNS:leaf.example.com", "DNS:*.leaf.example.com", "IP:127.0.0.1", "IP:::1",
                                         "email:ops@example.com", "URI:spiffe://example.com/svc"])
        #expect(leaf.notBefore == Self.date("2025-01-01T00:00:00Z"))
        #expect(leaf.notAfter == Self.date("2027-01-01T00:00:00Z"))
        #expect(leaf.keyType == "RSA" && leaf.keyBits == 2048 && leaf.curve == nil)
        #expect(leaf.signatureAlgorithm == "sha256WithRSAEncryption")
        #expect(leaf.signatureDigest == "SHA256")
        #expect(leaf.sha256 == (try Self.pki().text("leaf.sha256")))
        #expect(leaf.sha256.count == 64)
        #expect(leaf.crlDistributionPoints == ["http://crl.example.com/root.crl"])
        #expect(leaf.ocspURLs == ["http://ocsp.example.com"])
        #expect(leaf.caIssuerURLs == ["http://ca.example.com/root.crt"])
        #expect(!leaf.isCA && !leaf.isSelfSigned)
    }

    @Test func rootIsASelfSignedCA() throws {
        let root = try Self.only("root.pem")
        #expect(root.isCA && root.isSelfSigned)
        #expect(root.subject == root.issuer)
        #expect(root.serial == "1000")
        #expect(root.notBefore == Self.date("2024-01-01T00:00:00Z") && root.notAfter == Self.date("2034-01-01T00:00:00Z"))
        #expect(root.subjectAltNames.isEmpty && root.crlDistributionPoints.isEmpty && root.ocspURLs.isEmpty && root.caIssuerURLs.isEmpty)
        #expect(root.facts.isCA && root.facts.isSelfSigned)
    }

    struct KeyCase: Sendable, CustomTestStringConvertible {
        var file: String, type: String, bits: Int, curve: String?, signature: String, digest: String?
        var testDescription: String { file }
    }

    @Test(arguments: [
        KeyCase(file: "rsa1024.pem", type: "RSA", bits: 1024, curve: nil, signature: "sha256WithRSAEncryption", digest: "SHA256"),
        KeyCase(file: "ec256.pem", type: "EC", bits: 256, curve: "prime256v1", signature: "sha256WithRSAEncryption", digest: "SHA256"),
        KeyCase(file: "ec384.pem", type: "EC", bits: 384, curve: "secp384r1", signature: "sha256WithRSAEncryption", digest: "SHA256"),
        KeyCase(file: "ec224.pem", type: "EC", bits: 224, curve: "secp224r1", signature: "sha256WithRSAEncryption", digest: "SHA256"),
        KeyCase(file: "ed25519.pem", type: "Ed25519", bits: 256, curve: nil, signature: "sha256WithRSAEncryption", digest: "SHA256"),
        KeyCase(file: "dsa.pem", type: "DSA", bits: 2048, curve: nil, signature: "sha256WithRSAEncryption", digest: "SHA256"),
        KeyCase(file: "sha1.pem", type: "RSA", bits: 2048, curve: nil, signature: "sha1WithRSAEncryption", digest: "SHA1"),
    ])
    func keyTypeSizeAndSignature(_ c: KeyCase) throws {
        let info = try Self.only(c.file)
        #expect(info.keyType == c.type)
        #expect(info.keyBits == c.bits)
        #expect(info.curve == c.curve)
        #expect(info.signatureAlgorithm == c.signature)
        #expect(info.signatureDigest == c.digest)
    }

    @Test func derAndPEMOfOneCertificateAgree() throws {
        #expect(try Self.only("leaf.der") == (try Self.only("leaf.pem")))
        let pem = X509Loader.load(file: try Self.pki().file("leaf.pem")).certificates[0]
        #expect(pem.der == Array(try Data(contentsOf: URL(fileURLWithPath: Self.pki().file("leaf.der")))))
    }

    @Test func chainFileGivesLeafFirstAndSkipsTextAndKeys() throws {
        for name in ["chain.pem", "key-and-chain.pem"] {
            let file = X509Loader.load(file: try Self.pki().file(name))
            #expect(file.problem == nil, "\(name): \(String(describing: file.problem))")
            #expect(file.certificates.map(\.info.serial) == ["1001", "1000"], "\(name)")
        }
    }

    @Test func pkcs12WithPasswordGivesLeafThenCA() throws {
        let file = X509Loader.load(file: try Self.pki().file("leaf.p12"), pkcs12Password: "s3cret")
        #expect(file.problem == nil, "\(String(describing: file.problem))")
        #expect(file.certificates.map(\.info.serial) == ["1001", "1000"])
    }

    @Test func pkcs12WithWrongOrMissingPasswordSaysSo() throws {
        let wrong = X509Loader.load(file: try Self.pki().file("leaf.p12"), pkcs12Password: "nope")
        #expect(wrong.certificates.isEmpty)
        #expect(wrong.problem?.code == .password)
        #expect(wrong.problem?.reason.contains("wrong") == true)
        let missing = X509Loader.load(file: try Self.pki().file("leaf.p12"))
        #expect(missing.problem?.code == .password)
        #expect(missing.problem?.reason.contains("none was given") == true)
        #expect(missing.problem?.description.hasPrefix(try Self.pki().file("leaf.p12")) == true)
    }

    @Test func pkcs12WithEmptyPasswordOpensWithoutOne() throws {
        #expect(try Self.only("nopass.pfx").serial == "1003")
    }

    @Test func legacyRC2PKCS12OpensThroughTheLegacyProvider() throws {
        #expect(try Self.only("legacy.p12", password: "old").serial == "1001")
        // The default provider is still there after the legacy one was loaded.
        #expect(try Self.only("ec384.pem").keyType == "EC")
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        var file: String, code: CertificateLoadError.Code, says: String
        var testDescription: String { file }
    }

    @Test(arguments: [
        BadFile(file: "garbage.der", code: .notACertificate, says: "neither PEM, a DER certificate nor PKCS#12"),
        BadFile(file: "empty.pem", code: .notACertificate, says: "empty file"),
        BadFile(file: "rsa2048.key", code: .notACertificate, says: "no CERTIFICATE block in this PEM file (found: PRIVATE KEY)"),
        BadFile(file: "corrupt.pem", code: .malformed, says: "PEM certificate block 1 cannot be decoded"),
        BadFile(file: "does-not-exist.pem", code: .unreadable, says: "No such file"),
        BadFile(file: "tree", code: .unreadable, says: "not a regular file"),
    ])
    func badFilesAreValuesWithAReason(_ c: BadFile) throws {
        let path = try Self.pki().file(c.file)
        let file = X509Loader.load(file: path)
        #expect(file.certificates.isEmpty)
        #expect(file.problem?.code == c.code, "\(String(describing: file.problem))")
        #expect(file.problem?.reason.contains(c.says) == true, "\(String(describing: file.problem))")
        #expect(file.problem?.path == path)
    }

    @Test func directoriesAreWalkedRecursivelyForCertificateFiles() throws {
        let tree = try Self.pki().file("tree")
        let (files, problems) = X509Loader.files(in: [tree, try Self.pki().file("missing-dir")])
        #expect(files == ["a/b/leaf.crt", "a/ec256.cer", "c/leaf.der", "c/no-extension", "d/bundle.p12", "d/key.pem"].map { tree + "/" + $0 })
        #expect(problems.map(\.code) == [.unreadable])
        #expect(problems.first?.path.hasSuffix("missing-dir") == true)
    }

    @Test func aWideTreeWalkedOnEveryCoreFindsWhatOneThreadFinds() throws {
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("walk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: tree) }
        // 20 subdirectories (enough to be spread), some nested, names that sort apart from their paths.
        for d in 0..<20 {
            let directory = tree + "/d\(d % 3 == 0 ? "-" : "")\(d)" + (d % 4 == 0 ? "/inner" : "")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for name in ["x.pem", "y.crt", "notes.txt"] { FileManager.default.createFile(atPath: directory + "/" + name, contents: Data("x".utf8)) }
        }
        var alone: [String] = []
        var aloneProblems: [CertificateLoadError] = []
        X509Loader.walk(tree, into: &alone, problems: &aloneProblems, spread: false)
        let (files, problems) = X509Loader.files(in: [tree])
        #expect(files.count == 40)
        #expect(files == alone.sorted())
        #expect(problems.isEmpty && aloneProblems.isEmpty)
    }

    @Test func factsFeedTheLifecycleRules() throws {
        let now = Self.date("2026-06-01T00:00:00Z")
        let sha1 = try Self.only("sha1.pem")
        let findings = CertificateLifecycle.findings(for: sha1.facts, policy: Policy(defaultMaxRotationAgeDays: 1000), now: now)
        #expect(findings.map(\.code) == [.weakCrypto])
        #expect(findings.first?.message == "SHA-1 signature (sha1WithRSAEncryption)")
    }
}

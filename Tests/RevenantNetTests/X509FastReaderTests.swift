import COpenSSL
import Foundation
import TestSupport
import Testing
@testable import RevenantCore
@testable import RevenantNet

/// The DER reader against OpenSSL on the same bytes: certificates made at test time, pyca's vectors,
/// and every truncation and many one-byte changes of real certificates. What it reads must be what
/// OpenSSL reads; what it does not read goes to OpenSSL unchanged.
@Suite struct X509FastReaderTests {
    static func pki() throws -> TestPKI { try TestPKI.shared.get() }

    /// The DER of each CERTIFICATE block of a PEM file, or the bytes themselves.
    static func ders(_ bytes: [UInt8]) -> [[UInt8]] {
        guard X509Loader.isPEM(bytes) else { return [bytes] }
        var out: [[UInt8]] = []
        var body: String?
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            if line.hasPrefix("-----BEGIN CERTIFICATE-----") { body = "" } else if line.hasPrefix("-----END CERTIFICATE-----") {
                if let b = body, let data = Data(base64Encoded: b) { out.append(Array(data)) }
                body = nil
            } else if body != nil { body! += line.trimmingCharacters(in: .whitespaces) }
        }
        return out
    }

    static func der(_ name: String) throws -> [UInt8] {
        try #require(ders(Array(try Data(contentsOf: URL(fileURLWithPath: pki().file(name))))).first)
    }

    @Test(arguments: ["leaf.pem", "rsa1024.pem", "ec256.pem", "ec384.pem", "ec224.pem", "sha1.pem", "root.pem"])
    func plainCertificatesAreReadAsOpenSSLReadsThem(_ name: String) throws {
        #expect(X509ReaderCrossCheck.check(try Self.der(name)) == .agreed)
    }

    @Test func everyTestCertificateIsReadAlikeOrLeftToOpenSSL() throws {
        let directory = try Self.pki().path
        var agreed = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".pem") || name.hasSuffix(".der") {
            for der in Self.ders(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))) {
                let outcome = X509ReaderCrossCheck.check(der)
                #expect(!Self.isDisagreement(outcome), "\(name): \(outcome)")
                if outcome == .agreed { agreed += 1 }
            }
        }
        #expect(agreed >= 7)
    }

    @Test func plainPEMFilesAreReadAsOpenSSLReadsThem() throws {
        var read = 0
        let directory = try Self.pki().path
        var files = try FileManager.default.contentsOfDirectory(atPath: directory).map { directory + "/" + $0 }
        if case .success(let root) = CryptographyVectorsTests.vectors() {
            let walker = FileManager.default.enumerator(atPath: root)
            while let relative = walker?.nextObject() as? String {
                if relative.hasSuffix(".pem") { files.append(root + "/" + relative) }
            }
        }
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let outcome = X509ReaderCrossCheck.checkPEM(Array(data))
            #expect(!Self.isDisagreement(outcome), "\(path): \(outcome)")
            if outcome == .agreed { read += 1 }
        }
        #expect(read >= 8)
    }

    @Test func pycaVectorsAreReadAlikeOrLeftToOpenSSL() throws {
        guard case .success(let root) = CryptographyVectorsTests.vectors() else { return }
        var (agreed, declined) = (0, 0)
        let walker = FileManager.default.enumerator(atPath: root)
        while let relative = walker?.nextObject() as? String {
            guard CryptographyVectorsTests.isCertificateFile(relative),
                  let data = FileManager.default.contents(atPath: root + "/" + relative) else { continue }
            for der in Self.ders(Array(data)) {
                let outcome = X509ReaderCrossCheck.check(der)
                #expect(!Self.isDisagreement(outcome), "\(relative): \(outcome)")
                if outcome == .agreed { agreed += 1 } else { declined += 1 }
            }
        }
        print("cryptography-vectors x509/: \(agreed) certificates read by the DER reader, \(declined) left to OpenSSL")
        #expect(agreed > 100)
    }

    /// Every prefix, and each byte changed three ways: never a reading OpenSSL does not share.
    @Test(arguments: ["leaf.pem", "ec256.pem"])
    func damagedCertificatesAreNeverReadOtherwiseThanByOpenSSL(_ name: String) throws {
        let der = try Self.der(name)
        for end in 0..<der.count {
            #expect(X509ReaderCrossCheck.check(Array(der[..<end])) == .declined)
        }
        var read = 0
        for i in der.indices {
            for flip: UInt8 in [0x01, 0x20, 0x80] {
                var changed = der
                changed[i] ^= flip
                let outcome = X509ReaderCrossCheck.check(changed)
                #expect(!Self.isDisagreement(outcome), "byte \(i) ^ \(flip): \(outcome)")
                if outcome == .agreed { read += 1 }
            }
        }
        #expect(read > der.count / 4, "changes inside values (names, key bits, signature) still read")
    }

    @Test func aCertificateReadWithoutOpenSSLStillVerifiesAndEncodes() throws {
        let leaf = X509Loader.load(file: try Self.pki().file("leaf.pem")).certificates[0]
        let root = X509Loader.load(file: try Self.pki().file("root.pem")).certificates[0]
        #expect(leaf.der == (try Self.der("leaf.pem")))
        let key = try #require(X509_get0_pubkey(root.keyed))
        #expect(X509_verify(leaf.keyed, key) == 1)
        #expect(X509_NAME_cmp(X509_get_issuer_name(leaf.pointer), X509_get_subject_name(root.pointer)) == 0)
        #expect(RevocationChecker.issuer(of: leaf, in: [root]) === root)
    }

    // MARK: names

    static func name(_ values: [(tag: UInt8, value: [UInt8])]) -> [UInt8] {
        DER.seq(values.flatMap { DER.tlv(0x31, DER.seq(DER.oid([0x55, 0x04, 0x03]), DER.tlv($0.tag, $0.value))) })
    }

    static func parsed(_ bytes: [UInt8]) throws -> CertificateDER.Name {
        var reader = DERReader(bytes)
        return try CertificateDER.name(&reader)
    }

    static func openSSLText(_ bytes: [UInt8]) throws -> String? {
        NameText.withOpenSSLName(try parsed(bytes), in: bytes) { X509Certificate.name($0) }
    }

    /// Each printable ASCII character first, inside and last, in each string type: printed here only
    /// when it prints as OpenSSL prints it.
    @Test(arguments: [UInt8(0x13), 0x0C, 0x16])
    func plainNamesPrintAsOpenSSLPrintsThem(_ tag: UInt8) throws {
        var printedHere = 0
        for c in UInt8(0x20)...UInt8(0x7E) {
            for value in [[c], [c, 0x61], [0x61, c, 0x62], [0x61, c]] {
                let bytes = Self.name([(tag, value), (0x13, Array("second".utf8))])
                let parsed = try Self.parsed(bytes)
                guard let text = NameText.plainText(parsed, in: bytes) else { continue }
                printedHere += 1
                #expect(text == (try Self.openSSLText(bytes)), "\(value)")
                #expect(NameText.render(parsed, in: bytes) == text)
            }
        }
        #expect(printedHere > 300)
    }

    @Test func namesCompareAsX509NameCmpCompares() throws {
        let variants: [[(tag: UInt8, value: [UInt8])]] = [
            [(0x0C, Array("Example CA".utf8))], [(0x13, Array("example ca".utf8))], [(0x16, Array("  EXAMPLE\t\tCA ".utf8))],
            [(0x0C, Array("Example  CB".utf8))], [(0x0C, Array("Example CA".utf8)), (0x0C, Array("x".utf8))],
            [(0x0C, Array("Exämple CA".utf8))], [(0x1E, [0x00, 0x45])], [], [(0x0C, [])], [(0x0C, Array(" ".utf8))],
            [(0x0C, Array("ExampleCA".utf8))], [(0x13, Array("\tExample\nCA\r".utf8))], [(0x0C, Array("Example CA x".utf8))],
            [(0x0C, Array("Example CA".utf8)), (0x13, Array("Example CA".utf8))], [(0x13, Array("EXAMPLE CA".utf8)), (0x0C, Array(" example  ca".utf8))],
        ]
        for a in variants {
            for b in variants {
                let (x, y) = (Self.name(a), Self.name(b))
                let bytes = x + y
                var reader = DERReader(bytes)
                let (nx, ny) = (try CertificateDER.name(&reader), try CertificateDER.name(&reader))
                let openSSL = NameText.withOpenSSLName(nx, in: bytes) { p in NameText.withOpenSSLName(ny, in: bytes) { q in X509_NAME_cmp(p, q) == 0 } }
                #expect(NameText.equal(nx, ny, in: bytes) == openSSL ?? nil, "\(a) vs \(b)")
            }
        }
    }

    static func isDisagreement(_ outcome: X509ReaderCrossCheck.Outcome) -> Bool {
        if case .disagreed = outcome { return true }
        return false
    }
}

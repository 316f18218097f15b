import Foundation
import Testing
@testable import RevenantCore

/// SSH wire encoding for building certificates and KRLs in tests (RFC 4251 §5).
enum Wire {
    static func u32(_ n: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: n >> (24 - 8 * $0)) } }
    static func u64(_ n: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: n >> (56 - 8 * $0)) } }
    static func string(_ b: [UInt8]) -> [UInt8] { u32(UInt32(b.count)) + b }
    static func string(_ s: String) -> [UInt8] { string(Array(s.utf8)) }
    static func list(_ items: [String]) -> [UInt8] { string(items.flatMap { string($0) }) }

    static let pk = [UInt8](repeating: 7, count: 32)
    static let caKey = string("ssh-ed25519") + string([UInt8](repeating: 9, count: 32))

    /// An Ed25519 user certificate with these fields (the signature is not checked by the reader).
    static func certificate(serial: UInt64 = 42, type: UInt32 = 1, keyID: String = "alice@example", principals: [String] = ["alice"],
                            validAfter: UInt64 = 1_700_000_000, validBefore: UInt64 = 1_800_000_000) -> [UInt8] {
        string("ssh-ed25519-cert-v01@openssh.com") + string([UInt8](repeating: 1, count: 32)) + string(pk)
            + u64(serial) + u32(type) + string(keyID) + list(principals) + u64(validAfter) + u64(validBefore)
            + string(string("force-command") + string(string("/bin/true"))) + string(string("permit-pty") + string([]))
            + string([]) + string(caKey) + string(string("ssh-ed25519") + string([UInt8](repeating: 3, count: 64)))
    }

    static func krl(_ sections: [(UInt8, [UInt8])]) -> [UInt8] {
        u64(0x5353_484b_524c_0a00) + u32(1) + u64(3) + u64(1_700_000_000) + u64(0) + string([]) + string("test")
            + sections.flatMap { [$0.0] + string($0.1) }
    }
}

@Suite struct SSHCertificateParserTests {
    @Test func readsEveryFieldOfAUserCertificate() throws {
        let cert = try SSHCertificate.parse(blob: Wire.certificate())
        #expect(cert.type == "ssh-ed25519-cert-v01@openssh.com" && cert.keyType == "ssh-ed25519")
        #expect(cert.publicKeyBlob == Wire.string("ssh-ed25519") + Wire.string(Wire.pk))
        #expect(cert.serial == 42 && cert.isUser && cert.keyID == "alice@example" && cert.principals == ["alice"])
        #expect(cert.notBefore == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(cert.notAfter == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(cert.criticalOptions == ["force-command"] && cert.extensions == ["permit-pty"])
        #expect(cert.signatureKey == Wire.caKey)
    }

    @Test func foreverAndAlwaysHaveNoDates() throws {
        let cert = try SSHCertificate.parse(blob: Wire.certificate(validAfter: 0, validBefore: .max))
        #expect(cert.notBefore == nil && cert.notAfter == nil)
    }

    @Test func readsTheFileLineAndRefusesAMismatchedType() throws {
        let b64 = Data(Wire.certificate()).base64EncodedString()
        let cert = try SSHCertificate.parse(file: Array("ssh-ed25519-cert-v01@openssh.com \(b64) alice\n".utf8))
        #expect(cert.serial == 42)
        #expect(throws: SSHFormatError.self) { try SSHCertificate.parse(file: Array("ssh-rsa-cert-v01@openssh.com \(b64)\n".utf8)) }
        #expect(throws: SSHFormatError.self) { try SSHCertificate.parse(file: Array("ssh-ed25519 \(b64)".utf8)) }
        #expect(throws: SSHFormatError.self) { try SSHCertificate.parse(file: Array("only-one-word".utf8)) }
        #expect(throws: SSHFormatError.tooLarge(SSHCertificate.maxFileBytes + 1)) {
            try SSHCertificate.parse(file: [UInt8](repeating: 0x41, count: SSHCertificate.maxFileBytes + 1))
        }
    }

    /// Every prefix of a certificate is an error, never a crash.
    @Test func everyTruncationIsAnError() {
        let blob = Wire.certificate()
        for n in 0..<blob.count {
            #expect(throws: SSHFormatError.self) { try SSHCertificate.parse(blob: Array(blob.prefix(n))) }
        }
    }

    @Test func hugeLengthsAndTrailingBytesAreErrors() {
        // The key id's length set to 4 GiB - 1.
        var blob = Wire.certificate()
        let keyIDAt = (4 + 32) * 3 + 8 + 4  // type, nonce, key; serial, certificate type
        blob.replaceSubrange(keyIDAt..<keyIDAt + 4, with: [0xff, 0xff, 0xff, 0xff])
        #expect(throws: SSHFormatError.lengthPastEnd(0xffff_ffff)) { try SSHCertificate.parse(blob: blob) }
        #expect(throws: SSHFormatError.self) { try SSHCertificate.parse(blob: Wire.certificate() + [0]) }
        #expect(throws: SSHFormatError.self) { try SSHCertificate.parse(blob: Wire.certificate(type: 3)) }
        #expect(throws: SSHFormatError.tooMany("principals")) {
            try SSHCertificate.parse(blob: Wire.certificate(principals: (0...SSHCertificate.maxNames).map { "p\($0)" }))
        }
        #expect(throws: SSHFormatError.unknownType("ssh-ed25519")) { try SSHCertificate.parse(blob: Wire.string("ssh-ed25519") + Wire.string(Wire.pk)) }
    }

    @Test func hostCertificateIsNotAUserCertificate() throws {
        #expect(try SSHCertificate.parse(blob: Wire.certificate(type: 2)).isUser == false)
    }
}

@Suite struct SSHKeyRevocationListTests {
    static let cert = try! SSHCertificate.parse(blob: Wire.certificate(serial: 42, keyID: "alice@example"))
    static func digest(_ b: [UInt8]) -> [UInt8] { [UInt8](repeating: UInt8(b.count & 0xff), count: 32) }
    /// A stand-in SHA-1: 20 bytes, the only length OpenSSH (and so revenant) reads in a SHA-1 section.
    static func digest1(_ b: [UInt8]) -> [UInt8] { Array(digest(b).prefix(20)) }

    static func revocation(_ sections: [(UInt8, [UInt8])]) throws -> String? {
        try SSHKeyRevocationList.parse(Wire.krl(sections)).revocation(of: cert, sha256: digest, sha1: digest1)
    }

    static func certSection(ca: [UInt8] = Wire.caKey, _ subsections: [(UInt8, [UInt8])]) -> (UInt8, [UInt8]) {
        (1, Wire.string(ca) + Wire.string([]) + subsections.flatMap { [$0.0] + Wire.string($0.1) })
    }

    @Test func revokesBySerialListRangeBitmapAndKeyID() throws {
        #expect(try Self.revocation([Self.certSection([(0x20, Wire.u64(7) + Wire.u64(42))])]) == "serial 42 is revoked under its CA")
        #expect(try Self.revocation([Self.certSection([(0x21, Wire.u64(40) + Wire.u64(50))])]) == "serial 42 is revoked under its CA")
        // Offset 40, bit 2 set (0b100): serial 42.
        #expect(try Self.revocation([Self.certSection([(0x22, Wire.u64(40) + Wire.string([0x04]))])])?.contains("bitmap") == true)
        #expect(try Self.revocation([Self.certSection([(0x22, Wire.u64(40) + Wire.string([0x02]))])]) == nil)
        #expect(try Self.revocation([Self.certSection([(0x23, Wire.string("alice@example"))])])?.contains("key id") == true)
        // Any CA (empty key) applies too; another CA does not.
        #expect(try Self.revocation([Self.certSection(ca: [], [(0x23, Wire.string("alice@example"))])])?.contains("under any CA") == true)
        #expect(try Self.revocation([Self.certSection(ca: Wire.string("ssh-ed25519") + Wire.string(Wire.pk), [(0x20, Wire.u64(42))])]) == nil)
    }

    @Test func revokesTheKeyOrTheCAKeyExplicitlyOrByHash() throws {
        #expect(try Self.revocation([(2, Wire.string(Self.cert.publicKeyBlob))]) == "the certificate's key is revoked explicitly")
        #expect(try Self.revocation([(2, Wire.string(Wire.caKey))]) == "the CA's key is revoked explicitly")
        #expect(try Self.revocation([(5, Wire.string(Self.digest(Self.cert.publicKeyBlob)))])?.contains("SHA-256") == true)
        #expect(try Self.revocation([(3, Wire.string(Self.digest1(Self.cert.publicKeyBlob)))])?.contains("SHA-1") == true)
        #expect(try Self.revocation([(5, Wire.string([UInt8](repeating: 0, count: 32)))]) == nil)
        // A signed KRL is not read: OpenSSH refuses it when a signature fails, and none is verified here.
        #expect(throws: SSHFormatError.self) { try Self.revocation([(5, Wire.string([UInt8](repeating: 0, count: 32))), (4, Wire.string([1, 2]))]) }
    }

    @Test func unknownOrCriticalSectionsMakeTheListUnreadable() throws {
        #expect(throws: SSHFormatError.unknownType("KRL section 9")) { try Self.revocation([(9, [])]) }
        let critical = Wire.string("x@example") + [1] + Wire.string([])
        #expect(throws: SSHFormatError.self) { try Self.revocation([(255, critical)]) }
        #expect(try Self.revocation([(255, Wire.string("x@example") + [0] + Wire.string([]))]) == nil)
        #expect(throws: SSHFormatError.self) { try Self.revocation([Self.certSection([(0x21, Wire.u64(50) + Wire.u64(40))])]) }
    }

    @Test func badMagicHugeLengthsAndEveryTruncationAreErrors() {
        #expect(throws: SSHFormatError.self) { try SSHKeyRevocationList.parse(Array("SSHKRL\n\u{1}".utf8) + Wire.u32(1)) }
        var huge = Wire.krl([(2, [])])
        huge.replaceSubrange(huge.count - 4..<huge.count, with: [0xff, 0xff, 0xff, 0xf0])
        #expect(throws: SSHFormatError.lengthPastEnd(0xffff_fff0)) { try SSHKeyRevocationList.parse(huge) }
        let first = Self.certSection([(0x20, Wire.u64(42)), (0x23, Wire.string("bob"))])
        let full = Wire.krl([first, (5, Wire.string([UInt8](repeating: 1, count: 32)))])
        // Cut where a section ends, the list is whole (a shorter list); cut anywhere else, it is an error.
        let whole = [Wire.krl([]).count, Wire.krl([first]).count]
        for n in 0..<full.count where !whole.contains(n) {
            #expect(throws: SSHFormatError.self) { try SSHKeyRevocationList.parse(Array(full.prefix(n))) }
        }
        #expect(throws: SSHFormatError.tooLarge(SSHKeyRevocationList.maxFileBytes + 1)) {
            try SSHKeyRevocationList.parse([UInt8](repeating: 0, count: SSHKeyRevocationList.maxFileBytes + 1))
        }
    }

    @Test func entriesAreCapped() {
        // Empty explicit keys: 4 bytes each, so the count, not the file size, is what stops it.
        let keys = [UInt8](repeating: 0, count: 4 * (SSHKeyRevocationList.maxEntries + 1))
        #expect(throws: SSHFormatError.tooMany("revocation entries")) { try Self.revocation([(2, keys)]) }
    }
}

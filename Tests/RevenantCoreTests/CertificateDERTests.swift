import Foundation
import TestSupport
import Testing
@testable import RevenantCore

@Suite struct CertificateDERTests {
    @Test func readsThePlainCertificatesFields() throws {
        let bytes = DER.certificate()
        let c = try CertificateDER(bytes)
        #expect(c.encoding == 0..<bytes.count)
        #expect(Array(bytes[c.serial]) == [0x01, 0x02])
        #expect(CertificateDER.time(c.notBefore, in: bytes) == 1_735_689_600)
        #expect(CertificateDER.time(c.notAfter, in: bytes) == 1_893_456_000)
        #expect(c.rsaModulusBits() == 2048)
        #expect(c.extensions.count == 2)
        #expect(c.basicConstraintsCA(try #require(c.extensionValue(CertificateDER.OID.basicConstraints))) == true)
        let names = c.generalNames(try #require(c.extensionValue(CertificateDER.OID.subjectAltName)))
        #expect(names == [.dns(ArraySlice("a.example".utf8)), .ip([127, 0, 0, 1])])
        #expect(c.subject.rdns.count == 1 && c.issuer.rdns.count == 1)
    }

    @Test func bytesAfterTheCertificateAreNotPartOfIt() throws {
        let bytes = DER.certificate()
        let c = try CertificateDER(bytes + [0x00, 0x01, 0x02])
        #expect(c.encoding == 0..<bytes.count)
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        let bytes = DER.certificate()
        for end in 0..<bytes.count {
            #expect(throws: DERError.self) { try CertificateDER(Array(bytes[..<end])) }
        }
    }

    /// Each single-byte change is read or refused; none crashes, and a changed tag or length is refused.
    @Test func everyByteFlippedIsReadOrRefused() {
        let bytes = DER.certificate()
        for i in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var changed = bytes
                changed[i] ^= flip
                if let c = try? CertificateDER(changed) {
                    _ = (c.rsaModulusBits(), CertificateDER.time(c.notBefore, in: changed), c.hasDuplicateExtensions)
                }
            }
        }
        var wrongOuterTag = bytes
        wrongOuterTag[0] = 0x31
        #expect(throws: DERError.unexpectedTag(expected: 0x30, found: 0x31)) { try CertificateDER(wrongOuterTag) }
    }

    @Test(arguments: [
        ([0x30, 0x80, 0x00, 0x00], DERError.indefiniteLength),
        ([0x30, 0x81, 0x05, 0, 0, 0, 0, 0], DERError.nonMinimalLength),         // 5 fits the short form
        ([0x30, 0x82, 0x00, 0x80] + [UInt8](repeating: 0, count: 0x80), DERError.nonMinimalLength),  // leading zero octet
        ([0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00], DERError.truncated),         // 4 GiB announced, 1 byte there
        ([0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00], DERError.nonMinimalLength),  // a length past 4 octets
        ([0x30, 0x88, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], DERError.nonMinimalLength),  // Int overflow if summed
        ([0x1F, 0x81, 0x01, 0x00], DERError.highTagNumber),
        ([0x30], DERError.truncated),
        ([0x30, 0x82, 0x01], DERError.truncated),
        ([0x31, 0x00], DERError.unexpectedTag(expected: 0x30, found: 0x31)),
    ] as [([UInt8], DERError)])
    func malformedHeadersAreRefused(_ bytes: [UInt8], _ error: DERError) {
        #expect(throws: error) { try CertificateDER(bytes) }
    }

    @Test func deepNestingIsRefusedWithoutRecursion() {
        // 100,000 nested SEQUENCEs: the certificate's shape is fixed, so the reader never descends
        // further than a certificate goes, whatever the input nests.
        var headers: [[UInt8]] = []
        var size = 0
        for _ in 0..<100_000 {
            let header = [0x30] + DER.length(size)
            headers.append(header)
            size += header.count
        }
        let bytes = Array(headers.reversed().joined())
        #expect(throws: DERError.self) { try CertificateDER(bytes) }
        var reader = DERReader(bytes)
        var depth = 0
        while let element = try? reader.read(), element.isConstructed, !element.contents.isEmpty {
            reader = reader.children(of: element)
            depth += 1
        }
        #expect(depth == 99_999)
    }

    @Test func plainProfileOnly() {
        // v1 (no version field), a padded serial, a negative serial, an explicit critical FALSE, an empty
        // extension list, a different inner signature algorithm: refused, so OpenSSL reads them.
        #expect(throws: DERError.unexpectedTag(expected: 0xA0, found: 0x02)) { try CertificateDER(DER.certificate(version: [])) }
        #expect(throws: DERError.invalidValue) { try CertificateDER(DER.certificate(version: DER.tlv(0xA0, DER.tlv(0x02, [0x01])))) }
        #expect(throws: DERError.invalidValue) { try CertificateDER(DER.certificate(serial: [0x00, 0x01])) }
        #expect(throws: DERError.invalidValue) { try CertificateDER(DER.certificate(serial: [0xFF])) }
        #expect(throws: DERError.invalidValue) { try CertificateDER(DER.certificate(serial: [])) }
        let falseCritical = DER.seq(DER.oid([0x55, 0x1D, 0x0F]), [0x01, 0x01, 0x00], DER.tlv(0x04, [0x03, 0x02, 0x07, 0x80]))
        #expect(throws: DERError.invalidValue) { try CertificateDER(DER.certificate(extensions: [falseCritical])) }
    }

    @Test(arguments: [
        ("250101000000Z", 0x17, 1_735_689_600),
        ("491231235959Z", 0x17, 2_524_607_999),
        ("500101000000Z", 0x17, -631_152_000),
        ("20240229120000Z", 0x18, 1_709_208_000),
        ("99991231235959Z", 0x18, 253_402_300_799),
    ] as [(String, UInt8, Int)])
    func validityTimesInTheirDERForm(_ text: String, _ tag: UInt8, _ seconds: Int) {
        let bytes = DER.tlv(tag, Array(text.utf8))
        #expect(CertificateDER.time(DERElement(tag: tag, start: 0, contents: 2..<bytes.count), in: bytes) == seconds)
    }

    /// Forms OpenSSL may read differently (or not at all) are not read here: the caller asks OpenSSL.
    @Test(arguments: ["2501010000Z", "250101000000+0100", "250101000000.5Z", "250230000000Z", "20230229000000Z",
                      "251301000000Z", "250101240000Z", "250101006000Z", "250101000060Z", "2501010000 0Z", "25010100000Z ",
                      "00000101000000Z", "250101000000z"])
    func otherTimeFormsAreLeftToOpenSSL(_ text: String) {
        let bytes = Array(text.utf8)
        for tag: UInt8 in [0x17, 0x18] {
            #expect(CertificateDER.time(DERElement(tag: tag, start: 0, contents: 0..<bytes.count), in: bytes) == nil)
        }
    }

    @Test func extensionsInForeignFormsAreNotRead() throws {
        let bytes = DER.certificate()
        /// `read` over `value` placed after a certificate (bytes after it are not part of it).
        func read<T>(_ value: [UInt8], _ read: (CertificateDER, Range<Int>) -> T) throws -> T {
            read(try CertificateDER(bytes + value), bytes.count..<bytes.count + value.count)
        }
        // basicConstraints with a BOOLEAN that is not 0xFF, trailing bytes, a negative pathLen.
        for value in [DER.seq([0x01, 0x01, 0x01]), DER.seq([0x01, 0x01, 0xFF]) + [0x00], DER.seq([0x01, 0x01, 0xFF], [0x02, 0x01, 0xFF])] {
            #expect(try read(value) { $0.basicConstraintsCA($1) } == nil)
        }
        #expect(try read(DER.seq()) { $0.basicConstraintsCA($1) } == false)
        // a directoryName in a distribution point, a distribution point without a name.
        let dirName = DER.seq(DER.seq(DER.tlv(0xA0, DER.tlv(0xA0, DER.tlv(0xA4, DER.name("x"))))))
        #expect(try read(dirName) { $0.crlDistributionPointURIs($1) } == nil)
        #expect(try read(DER.seq(DER.seq())) { $0.crlDistributionPointURIs($1) } == nil)
        let uri = DER.seq(DER.seq(DER.tlv(0xA0, DER.tlv(0xA0, DER.tlv(0x86, Array("http://c".utf8))))))
        #expect(try read(uri) { $0.crlDistributionPointURIs($1) } == [ArraySlice("http://c".utf8)])
        // an authority key id naming the issuer's serial: only OpenSSL compares those.
        let akid = DER.seq(DER.tlv(0x80, [1, 2]), DER.tlv(0x82, [5]))
        #expect(try read(akid) { $0.authorityKeyIdentifier($1) } == nil)
        #expect(try read(DER.seq(DER.tlv(0x80, [1, 2]))) { $0.authorityKeyIdentifier($1) } == .some(.some([1, 2])))
        #expect(try CertificateDER(bytes).hasDuplicateExtensions == false)
        let twice = try CertificateDER(DER.certificate(extensions: [DER.ext([0x55, 0x1D, 0x13], DER.seq())]))
        #expect(twice.hasDuplicateExtensions)
    }
}

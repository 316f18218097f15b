import Testing
import RevenantCore
import RevenantCrypto

/// `Digest` and `Fingerprinter` against published vectors (FIPS 180-2 for SHA-256, RFC 4231 for HMAC).
@Suite struct FingerprinterTests {
    static let sha256OfABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    static let sha256OfEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func sha256MatchesTheFIPSVectors() {
        #expect(Digest.hex(Digest.sha256("abc")) == Self.sha256OfABC)
        #expect(Digest.hex(Digest.sha256("")) == Self.sha256OfEmpty)
        #expect(Digest.hex(Digest.sha256(Array("abc".utf8))) == Self.sha256OfABC)
    }

    @Test func fingerprintIsSha256PrefixAndTheFirstEightBytesOfTheDigest() {
        let fp = Fingerprinter().fingerprint("abc")
        #expect(fp == "sha256:ba7816bf8f01cfea")
        #expect(fp == "sha256:" + String(Self.sha256OfABC.prefix(16)))
        #expect(fp == "sha256:" + Digest.hex(Digest.sha256("abc").prefix(8)))
    }

    @Test(arguments: ["", "a", "ghp_0123456789abcdefghijklmnopqrstuvwxyz", "pässwörd ✓", String(repeating: "x", count: 10_000)])
    func fingerprintHasTheDocumentedShapeAndNeverTheSecret(secret: String) {
        let fp = Fingerprinter().fingerprint(secret)
        #expect(fp.hasPrefix("sha256:"))
        let hex = fp.dropFirst("sha256:".count)
        #expect(hex.count == 16)
        #expect(hex.allSatisfy { "0123456789abcdef".contains($0) })
        if secret.count >= 4 { #expect(!fp.contains(secret)) }
    }

    @Test func nonASCIISecretsAreHashedAsUTF8() {
        #expect(Fingerprinter().fingerprint("ghp_exämple") == "sha256:5462b4ca99cb1e8e")
    }

    @Test func differentSecretsHaveDifferentFingerprints() {
        let f = Fingerprinter()
        #expect(f.fingerprint("token-a") != f.fingerprint("token-b"))
        #expect(f.fingerprint("token-a") == f.fingerprint("token-a"))
    }

    /// RFC 4231 §4.2 (test case 1), §4.3 (test case 2) and §4.7 (test case 6, key longer than a block).
    static let hmacVectors: [([UInt8], String, String)] = [
        (Array(repeating: 0x0b, count: 20), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (Array(repeating: 0xaa, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ]

    @Test(arguments: hmacVectors)
    func hmacSHA256MatchesRFC4231(key: [UInt8], data: String, expected: String) {
        #expect(Digest.hex(Digest.hmacSHA256(key: key, Array(data.utf8))) == expected)
    }

    @Test func keyedFingerprintIsHMACPrefixAndTheFirstEightBytesOfTheMAC() {
        let fp = Fingerprinter(key: "Jefe").fingerprint("what do ya want for nothing?")
        #expect(fp == "hmac-sha256:5bdcc146bf60754e")
    }

    @Test func keyedFingerprintDiffersFromPlainAndByKey() {
        let plain = Fingerprinter().fingerprint("hunter2")
        let a = Fingerprinter(key: "key-a").fingerprint("hunter2")
        let b = Fingerprinter(key: "key-b").fingerprint("hunter2")
        #expect(a.hasPrefix("hmac-sha256:") && a.count == "hmac-sha256:".count + 16)
        #expect(a != b)
        #expect(a.dropFirst("hmac-sha256:".count) != plain.dropFirst("sha256:".count))
    }

    @Test func hexIsLowercaseTwoDigitsPerByte() {
        #expect(Digest.hex([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Digest.hex([UInt8]()) == "")
    }
}

import RevenantCore
import Testing

/// A fingerprint held as 8 bytes reads back as exactly the text it was made from.
@Suite struct FingerprintTextTests {
    @Test func fingerprinterShapesAreHeldAsBytesAndReadBackExactly() {
        #expect(FingerprintText("sha256:0123456789abcdef") == .sha256(0x0123_4567_89ab_cdef))
        #expect(FingerprintText("hmac-sha256:00000000000000ff") == .hmacSHA256(0xff))
        for text in ["sha256:0123456789abcdef", "hmac-sha256:00000000000000ff", "sha256:ffffffffffffffff", "sha256:0000000000000000"] {
            #expect(FingerprintText(text).text == text)
        }
    }

    @Test func anyOtherTextIsKeptAsWritten() {
        // Upper case, too short or long, another prefix, not hex: read back byte for byte.
        for text in ["sha256:0123456789ABCDEF", "sha256:0123456789abcde", "sha256:0123456789abcdef0", "md5:0123456789abcdef",
                     "sha256:0123456789abcdeg", "", "hmac-sha256:", "sha256:０123456789abcdef"] {
            #expect(FingerprintText(text) == .other(text))
            #expect(FingerprintText(text).text == text)
        }
    }

    @Test func aFingerprintTakesNineBytes() {
        // A large run holds one per credential, in its plan and its results.
        #expect(MemoryLayout<FingerprintText?>.size == 9)
    }

    @Test func aResultAndAListGiveBackWhatTheyWereGiven() {
        let credential = Credential(id: "c1", kind: .apiKey, state: .revoked)
        var result = CredentialResult(credential: credential, fingerprint: "hmac-sha256:a1b2c3d4e5f60718", checks: [], findings: [])
        #expect(result.fingerprint == "hmac-sha256:a1b2c3d4e5f60718")
        result.fingerprint = "sha256:abc (read back)"
        #expect(result.fingerprint == "sha256:abc (read back)")
        result.fingerprint = nil
        #expect(result.fingerprint == nil)
        var list = FingerprintList(["sha256:0123456789abcdef", nil])
        list.append("other")
        #expect(Array(list) == ["sha256:0123456789abcdef", nil, "other"])
    }
}

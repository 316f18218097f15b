import Foundation
import RevenantCore
import Testing

/// A server's text never carries a secret out, in whatever form the server chose to echo it.
@Suite struct SecretScrubberTests {
    static let secret = "tok_Ab+9/xY=zQ7~kP-42w"
    static let bytes = Array(secret.utf8)

    /// How a hostile or careless server could hand the secret back.
    static let echoes: [(String, String)] = [
        ("as sent", secret),
        ("upper-cased", secret.uppercased()),
        ("percent-encoded", percent(bytes, keep: "")),
        ("percent-encoded, '/' left as it is", percent(bytes, keep: "/")),
        ("percent-encoded, lower-case hex", percent(bytes, keep: "").lowercased()),
        ("form-encoded ('+' for space, %2b for '+')", percent(bytes, keep: "").replacingOccurrences(of: "%2B", with: "%2b")),
        ("a 10-character prefix", String(secret.prefix(10))),
        ("a 7-character middle part", String(secret.dropFirst(5).prefix(7))),
        ("base64", Data(bytes).base64EncodedString()),
        ("base64url without padding", Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")),
        ("base64 of user:secret", Data(("dana:" + secret).utf8).base64EncodedString()),
        ("base64 of a prefix", Data(("x" + secret.prefix(12)).utf8).base64EncodedString()),
        ("hex", bytes.map { String(format: "%02x", $0) }.joined()),
        ("JSON-escaped", secret.replacingOccurrences(of: "/", with: "\\/").replacingOccurrences(of: "+", with: "\\u002b")),
        ("percent-encoded base64", percent(Array(Data(bytes).base64EncodedString().utf8), keep: "")),
    ]

    static func percent(_ bytes: [UInt8], keep: String) -> String {
        bytes.map { b in
            let c = Character(Unicode.Scalar(b))
            return c.isLetter || c.isNumber || "-._~".contains(c) || keep.contains(c) ? String(c) : String(format: "%%%02X", b)
        }.joined()
    }

    @Test(arguments: echoes)
    func anEchoInAnyFormIsRedacted(form: String, echo: String) {
        let scrubber = SecretScrubber(secrets: [Secret(Self.secret)])
        let text = "status 302: redirect to " + ServerText.quote("https://api.test/err/\(echo)?x=1") + " not followed"
        let out = scrubber.scrub(text)
        #expect(out.contains("[redacted]"), "\(form): \(out)")
        #expect(out.hasPrefix("status 302: redirect to ") && out.hasSuffix(" not followed"), "our own words stay: \(out)")
        #expect(scrubber.scrub(ServerText.quote(out)) == out, "\(form): a trace is left in \(out)")
        #expect(!out.contains(echo), "\(form)")
    }

    @Test func aLatin1SecretIsFoundAsBytesAndPercentEncoded() {
        let latin1: [UInt8] = Array("p".utf8) + [0xE4] + Array("ssword-long".utf8)
        let scrubber = SecretScrubber(secrets: [Secret(bytes: latin1)])
        let out = scrubber.scrub(ServerText.quote("login denied for p%E4ssword-long at /x"))
        #expect(out == "login denied for [redacted] at /x", "\(out)")
        // Its Latin-1 byte shows as U+FFFD once a reply is decoded: the ASCII run still gives it away.
        #expect(scrubber.scrub(ServerText.quote("p\u{FFFD}ssword-long")).contains("[redacted]"))
    }

    @Test func textWithoutTheSecretIsLeftAlone() {
        let scrubber = SecretScrubber(secrets: [Secret(Self.secret), Secret("hunter2-correct")])
        for text in ["status 302: redirect to /login not followed", "ldap login denied: 80090308: LdapErr: DSID-0C09044E, data 52e",
                     "curl 28: Operation timed out after 1000 milliseconds", "ümlaut and 日本語 stay whole", ""] {
            #expect(scrubber.scrub(text) == text)
            #expect(scrubber.scrub(ServerText.quote(text)) == text, "the marks go, the words stay")
        }
    }

    @Test func revenantsOwnWordsLoseOnlyTheWholeSecret() {
        let scrubber = SecretScrubber(secrets: [Secret("ssh-password-1234")])
        let own = "the server takes no password logins (it offers: publickey)"
        #expect(scrubber.scrub(own) == own, "a password containing `password` leaves our words alone")
        #expect(scrubber.scrub("sent ssh-password-1234 by mistake") == "sent [redacted] by mistake")
        // The server's part of the same message loses every run of the secret.
        #expect(scrubber.scrub(own + ": " + ServerText.quote("bad ssh-pass")) == own + ": bad [redacted]")
    }

    @Test func aServerCannotCloseItsQuoteEarly() {
        let scrubber = SecretScrubber(secrets: [Secret("tok-9f8e7d6c5b")])
        let hostile = "x\u{E001} tok-9f8e7d \u{E000}"
        #expect(scrubber.scrub(ServerText.quote(hostile)) == "x [redacted] ")
    }

    @Test func aRedactionNeverCutsACharacterInTwo() {
        let scrubber = SecretScrubber(secrets: [Secret("äbcdefgh")])
        let out = scrubber.scrub(ServerText.quote("xx äbcdefgh ö"))
        #expect(out == "xx [redacted] ö", "\(out)")
        #expect(scrubber.scrub(ServerText.quote("日bcdefg日")) == "日[redacted]日")
    }

    @Test func shortSecretsAreMatchedWholeAndTinyOnesNotAtAll() {
        #expect(SecretScrubber(secrets: [Secret("abcd")]).scrub(ServerText.quote("x abcd y")) == "x [redacted] y")
        #expect(SecretScrubber(secrets: [Secret("abc")]).isEmpty, "three bytes would match any text")
    }

    @Test func everySecretGivenIsLookedFor() {
        let scrubber = SecretScrubber(secrets: [Secret("first-secret-1"), Secret("second-secret-2")])
        #expect(scrubber.scrub(ServerText.quote("a first-secret-1 b second-secret-2 c")) == "a [redacted] b [redacted] c")
    }
}

/// Secrets are bytes; their text exists only when the bytes are valid UTF-8.
@Suite struct SecretTests {
    @Test(arguments: [
        ([0x70, 0xE4, 0x73], "0xE4 at byte 2"),               // Latin-1 ä
        ([0xC3], "0xC3 at byte 1"),                           // cut short
        ([0xED, 0xA0, 0x80], "0xED at byte 1"),               // a surrogate
        ([0xC0, 0xAF], "0xC0 at byte 1"),                     // overlong
        ([0x61, 0xF4, 0x90, 0x80, 0x80], "0xF4 at byte 2"),   // past U+10FFFF
    ] as [([UInt8], String)])
    func bytesThatAreNotUTF8HaveNoText(bytes: [UInt8], where position: String) {
        let secret = Secret(bytes: bytes)
        #expect(secret.text == nil)
        #expect(secret.firstInvalidUTF8 == position)
        #expect(secret.bytes == bytes)
    }

    @Test func utf8BytesKeepTheirText() {
        let secret = Secret(bytes: Array("pässwörd-日本".utf8))
        #expect(secret.text == "pässwörd-日本")
        #expect(secret.firstInvalidUTF8 == nil)
    }

    @Test func theFingerprintIsOfTheBytesStored() {
        let latin1 = Secret(bytes: [0x70, 0xE4, 0x73, 0x73])
        let utf8 = Secret("päss")
        #expect(Fingerprinter().fingerprint(latin1) != Fingerprinter().fingerprint(utf8))
        #expect(Fingerprinter().fingerprint(latin1) == "sha256:" + Digest.hex(Digest.sha256([0x70, 0xE4, 0x73, 0x73]).prefix(8)))
    }

    @Test func aSecretNeverPrintsItself() {
        let secret = Secret("do-not-print-me")
        #expect(!String(describing: secret).contains("do-not-print-me"))
        #expect(!String(reflecting: secret).contains("do-not-print-me"))
    }
}

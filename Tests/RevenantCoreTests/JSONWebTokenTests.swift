import Foundation
import Testing
import TestSupport
@testable import RevenantCore
import RevenantFiles
@testable import RevenantCrypto

/// JWTs decoded offline, their lifecycle facts, and signatures checked against JWK Sets. Signed
/// tokens are made at test time by the openssl CLI with fresh keys (`TestJOSE`).
@Suite struct JSONWebTokenTests {
    static let now = Timestamp.parse("2026-11-29T12:00:00Z")!
    static let day: TimeInterval = 86_400

    static func jose() throws -> TestJOSE { try TestJOSE.shared.get() }

    /// An unsigned-looking compact token of the given JSON texts (the signature is 4 arbitrary bytes).
    static func compact(_ header: String, _ claims: String, signature: [UInt8] = [1, 2, 3, 4]) -> String {
        TestJOSE.base64URL(Array(header.utf8)) + "." + TestJOSE.base64URL(Array(claims.utf8)) + "." + TestJOSE.base64URL(signature)
    }

    static func decodeError(_ token: String) -> JWTError? {
        do {
            _ = try JSONWebToken.decode(token)
            return nil
        } catch {
            return error
        }
    }

    static func credential(_ state: LifecycleState = .active, issuedAt: Date? = nil, expiresAt: Date? = nil) -> Credential {
        Credential(id: "jwt-1", kind: .jwt, state: state, owner: "team-auth", issuedAt: issuedAt, expiresAt: expiresAt,
                   secret: .environment("JWT"))
    }

    // MARK: decoding

    @Test func decodesHeaderAndRegisteredClaims() throws {
        let token = try JSONWebToken.decode(Self.compact(
            #"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
            #"{"iss":"https://issuer.example","sub":"svc-42","aud":["api","admin"],"jti":"j-1","exp":1796040000,"nbf":1764504000.5,"iat":1764504000}"#) + "\n")
        #expect(token.header == JSONWebToken.Header(algorithm: "RS256", keyID: "k1", type: "JWT"))
        #expect(token.claims.issuer == "https://issuer.example")
        #expect(token.claims.subject == "svc-42")
        #expect(token.claims.audience == ["api", "admin"])
        #expect(token.claims.jwtID == "j-1")
        #expect(token.claims.expiresAt == Timestamp.parse("2026-11-30T12:00:00Z"))
        #expect(token.claims.issuedAt == Timestamp.parse("2025-11-30T12:00:00Z"))
        #expect(token.claims.notBefore == Date(timeIntervalSince1970: 1_764_504_000.5))
        #expect(token.signature == [1, 2, 3, 4])
        #expect(token.description == #"JWT (alg RS256, kid k1, iss https://issuer.example, exp 2026-11-30T12:00:00Z)"#)
    }

    @Test func audienceMayBeOneStringAndClaimsMayBeAbsent() throws {
        let token = try JSONWebToken.decode(Self.compact(#"{"alg":"ES256"}"#, #"{"aud":"api"}"#))
        #expect(token.claims == JSONWebToken.Claims(audience: ["api"]))
        #expect(token.header.keyID == nil)
    }

    @Test func absurdNumericDatesAreClampedToTheYears1To9999() throws {
        let far = try JSONWebToken.decode(Self.compact(#"{"alg":"ES256"}"#, #"{"exp":1e300,"iat":-1e300,"nbf":1e400}"#))
        #expect(far.claims.expiresAt == Timestamp.parse("9999-12-31T23:59:59Z"))
        #expect(far.claims.notBefore == Timestamp.parse("9999-12-31T23:59:59Z"))
        #expect(far.claims.issuedAt == Date(timeIntervalSince1970: -62_135_596_800))  // 0001-01-01T00:00:00Z
    }

    @Test func encryptedTokenIsAClearError() {
        let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ"
        let error = Self.decodeError(jwe)
        #expect(error?.code == .encrypted)
        #expect(error?.message.hasPrefix("encrypted JWT: claims cannot be read") == true)
        // A three-part token whose header names a content encryption is a JWE too.
        #expect(Self.decodeError(Self.compact(#"{"alg":"dir","enc":"A128GCM"}"#, "{}"))?.code == .encrypted)
    }

    static let malformed: [(token: String, code: JWTError.Code, says: String)] = [
        ("", .malformed, "empty"),
        ("abc.def", .malformed, "three parts"),
        ("a.b.c.d", .malformed, "this value has 4"),
        ("eyJhbGciOiJIUzI1NiJ9=.e30.c2ln", .malformed, "header (first part) is not base64url"),
        ("eyJhbGciOiJIUzI1NiJ9.e30+.c2ln", .malformed, "payload (second part) is not base64url"),
        ("eyJhbGciOiJIUzI1NiJ9.e30.c2l*", .malformed, "signature (third part) is not base64url"),
        (compact("{\"alg\":", "{}"), .invalidHeader, "the JWT header is not JSON"),
        (compact(#"{"typ":"JWT"}"#, "{}"), .invalidHeader, "no `alg` string"),
        (compact(#"{"alg":"RS256","kid":7}"#, "{}"), .invalidHeader, "`kid` must be a string, not a number"),
        (compact(#"{"alg":"RS256","crit":[]}"#, "{}"), .invalidHeader, "`crit` must be a non-empty list"),
        (compact(#"{"alg":"RS256","alg":"none"}"#, "{}"), .invalidHeader, "names `alg` twice"),
        (compact(#"{"alg":"RS256"}"#, "[1]"), .invalidClaims, "must be a JSON object, not a list"),
        (compact(#"{"alg":"RS256"}"#, "not json"), .invalidClaims, "the JWT claims is not JSON"),
        (compact(#"{"alg":"RS256"}"#, #"{"exp":"1796040000"}"#), .invalidClaims, "`exp` must be a NumericDate"),
        (compact(#"{"alg":"RS256"}"#, #"{"exp":1,"exp":2}"#), .invalidClaims, "names `exp` twice"),
        (compact(#"{"alg":"RS256"}"#, #"{"aud":[1]}"#), .invalidClaims, "`aud` must be a string or a list of strings"),
    ]

    @Test(arguments: malformed)
    func malformedTokenIsAClearErrorWithoutTheToken(_ token: String, _ code: JWTError.Code, _ says: String) {
        let error = Self.decodeError(token)
        #expect(error?.code == code)
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "no error")")
        for part in token.split(separator: ".") where part.count >= 4 {
            #expect(error?.message.contains(part) == false)
        }
    }

    @Test func oversizedTokenIsRefusedUnread() {
        let claims = "{\"pad\":\"" + String(repeating: "x", count: JSONWebToken.maxLength) + "\"}"
        #expect(Self.decodeError(Self.compact(#"{"alg":"RS256"}"#, claims))?.code == .tooLarge)
    }

    @Test func base64URLRoundTripsAndRefusesPaddingAndOtherAlphabets() {
        for count in 0..<8 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 97 + 250) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            #expect(Base64URL.encode(bytes) == TestJOSE.base64URL(bytes))
        }
        #expect(Base64URL.decode("_-8") == [0xff, 0xef])
        #expect(Base64URL.decode("/+8") == nil)
        #expect(Base64URL.decode("AQ==") == nil)
        #expect(Base64URL.decode("AQABA") == nil)
    }

    // MARK: lifecycle facts

    @Test func expiredTokenSetsExpiresAtAndTheClassifierSaysExpiredStillAccepted() throws {
        let exp = Self.now.addingTimeInterval(-2 * Self.day)
        let token = try JSONWebToken.decode(Self.compact(#"{"alg":"ES256"}"#, #"{"exp":\#(Int(exp.timeIntervalSince1970))}"#))
        let facts = JWTLifecycle.facts(for: token, credential: Self.credential(), now: Self.now)
        #expect(facts.expiresAt == exp)
        #expect(facts.findings.isEmpty && facts.notes.isEmpty)
        let credential = facts.applied(to: Self.credential())
        let accepted = ProbeCheck(probe: "api", target: "https://api.example.com/me", outcome: .authenticated(reason: "200"),
                                  controls: ControlStatus(negative: .rejected(reason: "401")))
        let codes = Classifier.findings(for: credential, checks: [accepted], policy: Policy(), now: Self.now).map(\.code)
        #expect(codes.contains(.expiredStillAccepted))
        #expect(codes.contains(.expired))
    }

    @Test func theEarlierOfInventoryExpiryAndExpWinsWithANote() throws {
        let exp = Self.now.addingTimeInterval(10 * Self.day)
        let token = try JSONWebToken.decode(Self.compact(#"{"alg":"ES256"}"#, #"{"exp":\#(Int(exp.timeIntervalSince1970))}"#))
        let later = JWTLifecycle.facts(for: token, credential: Self.credential(expiresAt: exp.addingTimeInterval(Self.day)), now: Self.now)
        #expect(later.expiresAt == exp)
        #expect(later.notes == ["inventory expires_at 2026-12-10T12:00:00Z disagrees with the JWT's exp 2026-12-09T12:00:00Z: the earlier (exp) is used"])
        let earlier = JWTLifecycle.facts(for: token, credential: Self.credential(expiresAt: Self.now), now: Self.now)
        #expect(earlier.expiresAt == Self.now)
        #expect(earlier.notes.first?.hasSuffix("the earlier (expires_at) is used") == true)
        // Agreement to within a second (an inventory writes whole seconds) is no disagreement.
        let same = JWTLifecycle.facts(for: token, credential: Self.credential(expiresAt: exp.addingTimeInterval(0.5)), now: Self.now)
        #expect(same.notes.isEmpty)
    }

    @Test func issuedAtFillsAnEmptyInventoryAndFeedsRotationAge() throws {
        let iat = Self.now.addingTimeInterval(-200 * Self.day)
        let token = try JSONWebToken.decode(Self.compact(#"{"alg":"EdDSA"}"#, #"{"iat":\#(Int(iat.timeIntervalSince1970))}"#))
        let credential = JWTLifecycle.facts(for: token, credential: Self.credential(), now: Self.now).applied(to: Self.credential())
        #expect(credential.issuedAt == iat)
        #expect(credential.expiresAt == nil)
        #expect(Classifier.lifecycleFindings(for: credential, policy: Policy(defaultMaxRotationAgeDays: 90), now: Self.now).map(\.code) == [.rotationOverdue])
    }

    @Test func notBeforeAndIssuedAtInTheFutureAreNotesNotFindings() throws {
        let future = Int(Self.now.addingTimeInterval(Self.day).timeIntervalSince1970)
        let token = try JSONWebToken.decode(Self.compact(#"{"alg":"RS256"}"#, #"{"nbf":\#(future),"iat":\#(future)}"#))
        let facts = JWTLifecycle.facts(for: token, credential: Self.credential(), now: Self.now)
        #expect(facts.findings.isEmpty)
        #expect(facts.notes == [
            "JWT not valid before 2026-11-30T12:00:00Z (nbf): a system that accepts it now ignores nbf",
            "JWT issued in the future (iat 2026-11-30T12:00:00Z): a clock is wrong or the token was not issued by its issuer",
        ])
        #expect(facts.notBefore == Date(timeIntervalSince1970: TimeInterval(future)))
    }

    @Test(arguments: ["none", "None", "NONE"])
    func unsignedTokenIsWeakCryptoAndNeverVerified(_ alg: String) throws {
        let token = try JSONWebToken.decode(Self.compact(#"{"alg":"\#(alg)","kid":"rsa-1"}"#, "{}", signature: []))
        let facts = JWTLifecycle.facts(for: token, credential: Self.credential(), now: Self.now)
        #expect(facts.findings.map(\.code) == [.weakCrypto])
        #expect(facts.findings[0].message.contains("unsigned"))
        // A should-be-dead token gets no weak_crypto finding: only whether it is dead matters.
        #expect(JWTLifecycle.facts(for: token, credential: Self.credential(.revoked), now: Self.now).findings.isEmpty)
        let jose = try Self.jose()
        let result = JWKSVerifier.verify(token: token, keys: try JSONWebKeySet.parse(TestJOSE.set([try jose.jwk(.rsa, kid: "rsa-1")])))
        #expect(!result.isVerified)
        guard case .failed(let reason) = result else { Issue.record("expected failed, got \(result)"); return }
        #expect(reason.contains("unsigned"))
    }

    @Test func unregisteredAlgIsANoteAndCannotBeVerified() throws {
        let token = try JSONWebToken.decode(Self.compact(#"{"alg":"ES256K"}"#, "{}"))
        #expect(JWTLifecycle.facts(for: token, credential: Self.credential(), now: Self.now).notes
            == [#"JWT alg "ES256K" is not a JWS algorithm of RFC 7518 or RFC 8037: its strength cannot be judged"#])
        #expect(JWKSVerifier.verify(token: token, keys: JSONWebKeySet(keys: [])) == .unsupportedAlgorithm("ES256K"))
    }

    // MARK: signatures

    static let signed: [(alg: String, key: TestJOSE.Key)] = [
        ("RS256", .rsa), ("RS512", .rsa), ("PS256", .rsa), ("PS384", .rsa), ("ES256", .ec256), ("ES384", .ec384), ("ES512", .ec521), ("EdDSA", .ed25519),
    ]

    /// A set with one key of every type, each with its own kid.
    static func everyKey(_ jose: TestJOSE) throws -> JSONWebKeySet {
        try JSONWebKeySet.parse(TestJOSE.set(TestJOSE.Key.allCases.map { key throws(PKIError) in try jose.jwk(key, kid: key.rawValue) }))
    }

    @Test(arguments: signed)
    func validSignatureVerifiesWithTheKeyItsKidNames(_ alg: String, _ key: TestJOSE.Key) throws {
        let jose = try Self.jose()
        let compact = try jose.token(header: #"{"alg":"\#(alg)","kid":"\#(key.rawValue)"}"#, claims: #"{"sub":"svc","exp":1796040000}"#, key: key, scheme: alg)
        let token = try JSONWebToken.decode(compact)
        #expect(JWKSVerifier.verify(token: token, keys: try Self.everyKey(jose)) == .verified(kid: key.rawValue))
    }

    @Test(arguments: signed)
    func tamperedPayloadFails(_ alg: String, _ key: TestJOSE.Key) throws {
        let jose = try Self.jose()
        let compact = try jose.token(header: #"{"alg":"\#(alg)","kid":"\#(key.rawValue)"}"#, claims: #"{"sub":"svc"}"#, key: key, scheme: alg)
        let parts = compact.split(separator: ".")
        let forged = parts[0] + "." + TestJOSE.base64URL(Array(#"{"sub":"root"}"#.utf8)) + "." + parts[2]
        let result = JWKSVerifier.verify(token: try JSONWebToken.decode(String(forged)), keys: try Self.everyKey(jose))
        guard case .failed(let reason) = result else { Issue.record("expected failed, got \(result)"); return }
        #expect(reason == "kid \"\(key.rawValue)\" (\(key == .rsa ? "RSA" : key == .ed25519 ? "OKP" : "EC")): the signature does not verify")
    }

    @Test func unknownKidIsNoMatchingKey() throws {
        let jose = try Self.jose()
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"RS256","kid":"rotated-away"}"#, claims: "{}", key: .rsa, scheme: "RS256"))
        #expect(JWKSVerifier.verify(token: token, keys: try Self.everyKey(jose))
            == .noMatchingKey(reason: #"no signing key with kid "rotated-away" in the JWK Set"#))
    }

    @Test func tokenWithoutKidIsCheckedAgainstEveryFittingKey() throws {
        let jose = try Self.jose()
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"ES256"}"#, claims: "{}", key: .ec256, scheme: "ES256"))
        #expect(JWKSVerifier.verify(token: token, keys: try Self.everyKey(jose)) == .verified(kid: "ec256"))
        let onlyRSA = try JSONWebKeySet.parse(TestJOSE.set([try jose.jwk(.rsa, kid: nil)]))
        #expect(JWKSVerifier.verify(token: token, keys: onlyRSA)
            == .noMatchingKey(reason: #"the token has no kid and no key of the JWK Set fits alg "ES256""#))
    }

    /// The classic confusion: re-sign with HS256 using the RSA public key (PEM, or its modulus) as the HMAC secret.
    @Test func hmacHeaderOnAnRSAKeyIsRefused() throws {
        let jose = try Self.jose()
        let keys = try JSONWebKeySet.parse(TestJOSE.set([try jose.jwk(.rsa, kid: "rsa-1")]))
        let pem = try jose.bytes("rsa.pub.pem")
        let modulus = try jose.bytes("rsa.modulus")
        for secret in [pem, modulus] {
            let hex = secret.map { String(format: "%02x", $0) }.joined()
            let forged = try JSONWebToken.decode(try jose.token(header: #"{"alg":"HS256","kid":"rsa-1"}"#, claims: #"{"sub":"root"}"#, key: .rsa, scheme: "HS256:\(hex)"))
            let result = JWKSVerifier.verify(token: forged, keys: keys)
            #expect(result == .failed(reason: #"alg "HS256" does not fit kid "rsa-1" (RSA): refused, a token does not choose how a key is used (RFC 8725 §3.1)"#))
        }
    }

    @Test func keyPinnedToAnotherAlgorithmIsRefused() throws {
        let jose = try Self.jose()
        let keys = try JSONWebKeySet.parse(TestJOSE.set([try jose.jwk(.rsa, kid: "rsa-1", extra: #""alg":"PS256""#)]))
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"RS256","kid":"rsa-1"}"#, claims: "{}", key: .rsa, scheme: "RS256"))
        guard case .failed(let reason) = JWKSVerifier.verify(token: token, keys: keys) else { Issue.record("not refused"); return }
        #expect(reason.contains(#"meant for "PS256""#))
    }

    @Test func encryptionKeysAreNotUsedToVerify() throws {
        let jose = try Self.jose()
        let keys = try JSONWebKeySet.parse(TestJOSE.set([try jose.jwk(.ed25519, kid: "ed", extra: #""use":"enc""#)]))
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"EdDSA","kid":"ed"}"#, claims: "{}", key: .ed25519, scheme: "EdDSA"))
        #expect(JWKSVerifier.verify(token: token, keys: keys) == .noMatchingKey(reason: #"no signing key with kid "ed" in the JWK Set"#))
    }

    @Test func hmacVerifiesOnlyWithTheRightOctKey() throws {
        let jose = try Self.jose()
        let secret: [UInt8] = Array("a shared secret of thirty-two by".utf8)
        let hex = secret.map { String(format: "%02x", $0) }.joined()
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"HS256","kid":"h"}"#, claims: "{}", key: .rsa, scheme: "HS256:\(hex)"))
        let right = try JSONWebKeySet.parse(Array(#"{"keys":[{"kty":"oct","kid":"h","k":"\#(TestJOSE.base64URL(secret))"}]}"#.utf8))
        #expect(JWKSVerifier.verify(token: token, keys: right) == .verified(kid: "h"))
        let wrong = try JSONWebKeySet.parse(Array(#"{"keys":[{"kty":"oct","kid":"h","k":"\#(TestJOSE.base64URL(secret.reversed()))"}]}"#.utf8))
        #expect(JWKSVerifier.verify(token: token, keys: wrong) == .failed(reason: #"kid "h" (oct): the HMAC does not match"#))
    }

    /// Many keys without a kid: the reason names three and counts the rest (1,400 keys once made a
    /// 78 KB warning line per credential, found by an adversarial run).
    @Test func aFailureAgainstManyKeysStaysShort() throws {
        let jose = try Self.jose()
        let secret: [UInt8] = Array("a shared secret of thirty-two by".utf8)
        let hex = secret.map { String(format: "%02x", $0) }.joined()
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"HS256"}"#, claims: "{}", key: .rsa, scheme: "HS256:\(hex)"))
        let keys = (0..<50).map { i in #"{"kty":"oct","k":"\#(TestJOSE.base64URL(Array("wrong shared secret number \(i) ....".utf8)))"}"# }
        let set = try JSONWebKeySet.parse(Array(#"{"keys":[\#(keys.joined(separator: ","))]}"#.utf8))
        guard case .failed(let reason) = JWKSVerifier.verify(token: token, keys: set) else { Issue.record("not refused"); return }
        #expect(reason.hasSuffix("; and 47 more keys") && reason.count < 400, "\(reason.count): \(reason)")
    }

    @Test func signatureByAWeakKeyVerifiesButIsWeakCrypto() throws {
        let jose = try Self.jose()
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"RS256","kid":"rsa1024"}"#, claims: "{}", key: .rsa1024, scheme: "RS256"))
        let result = JWKSVerifier.verify(token: token, keys: try Self.everyKey(jose))
        #expect(result == .verified(kid: "rsa1024", weakness: "the RSA key has 1024 bits (RFC 7518 §3.3 requires at least 2048)"))
        let facts = JWTLifecycle.facts(for: token, credential: Self.credential(), now: Self.now, verification: result)
        #expect(facts.findings == [Finding(code: .weakCrypto, message: #"JWT alg "RS256": signature verified, but the RSA key has 1024 bits (RFC 7518 §3.3 requires at least 2048)"#)])
        // A strong key gives no finding.
        let strong = try JSONWebToken.decode(try jose.token(header: #"{"alg":"RS256","kid":"rsa"}"#, claims: "{}", key: .rsa, scheme: "RS256"))
        let verified = JWKSVerifier.verify(token: strong, keys: try Self.everyKey(jose))
        #expect(verified == .verified(kid: "rsa"))
        #expect(JWTLifecycle.facts(for: strong, credential: Self.credential(), now: Self.now, verification: verified).findings.isEmpty)
        // An HMAC key shorter than the hash output.
        let short: [UInt8] = Array("sixteen byte key".utf8)
        let hex = short.map { String(format: "%02x", $0) }.joined()
        let hmac = try JSONWebToken.decode(try jose.token(header: #"{"alg":"HS256"}"#, claims: "{}", key: .rsa, scheme: "HS256:\(hex)"))
        let keys = try JSONWebKeySet.parse(Array(#"{"keys":[{"kty":"oct","k":"\#(TestJOSE.base64URL(short))"}]}"#.utf8))
        #expect(JWKSVerifier.verify(token: hmac, keys: keys)
            == .verified(kid: nil, weakness: "the HMAC key has 128 bits, less than the SHA-256 output (RFC 7518 §3.2)"))
    }

    @Test func ecdsaSignatureOfTheWrongLengthFails() throws {
        let jose = try Self.jose()
        let compact = try jose.token(header: #"{"alg":"ES256","kid":"ec256"}"#, claims: "{}", key: .ec256, scheme: "ES256")
        let parts = compact.split(separator: ".")
        // The same signature in DER form, as a careless signer would write it.
        let der = JWKSVerifier.derSignature(raw: Base64URL.decode(String(parts[2]))!, coordinateSize: 32)!
        let token = try JSONWebToken.decode(parts[0] + "." + parts[1] + "." + TestJOSE.base64URL(der))
        #expect(JWKSVerifier.verify(token: token, keys: try Self.everyKey(jose))
            == .failed(reason: #"kid "ec256" (EC): an P-256 signature is 64 bytes, this one is \#(der.count)"#))
    }

    @Test func ecKeyWhosePointIsNotOnTheCurveIsRefused() throws {
        let jose = try Self.jose()
        let jwk = try jose.jwk(.ec256, kid: "ec")
        var set = try JSONWebKeySet.parse(Array(jwk.utf8))
        set.keys[0].parameters["y"]![31] ^= 1
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"ES256","kid":"ec"}"#, claims: "{}", key: .ec256, scheme: "ES256"))
        #expect(JWKSVerifier.verify(token: token, keys: set) == .failed(reason: #"kid "ec" (EC): OpenSSL cannot build a P-256 public key from `x` and `y`"#))
        set.keys[0].parameters["y"]![31] ^= 1
        #expect(JWKSVerifier.verify(token: token, keys: set) == .verified(kid: "ec"))
    }

    @Test func rawECDSASignatureBecomesMinimalDER() {
        let r = [UInt8](repeating: 0, count: 31) + [0x05]
        let s = [0x80] + [UInt8](repeating: 0x11, count: 31)
        #expect(JWKSVerifier.derSignature(raw: r + s, coordinateSize: 32) == [0x30, 0x26, 0x02, 0x01, 0x05, 0x02, 0x21, 0x00] + s)
        #expect(JWKSVerifier.derSignature(raw: r, coordinateSize: 32) == nil)
        // P-521: 66-byte coordinates need the long length form.
        let big = JWKSVerifier.derSignature(raw: [UInt8](repeating: 0xff, count: 132), coordinateSize: 66)!
        #expect(Array(big.prefix(3)) == [0x30, 0x81, 0x8a])
    }

    @Test func criticalExtensionsAreRefused() throws {
        let jose = try Self.jose()
        let token = try JSONWebToken.decode(try jose.token(header: #"{"alg":"RS256","kid":"rsa","crit":["exp"],"exp":1}"#, claims: "{}", key: .rsa, scheme: "RS256"))
        #expect(JWKSVerifier.verify(token: token, keys: try Self.everyKey(jose))
            == .failed(reason: #"the header lists critical extensions revenant does not understand: "exp""#))
    }

    @Test func keySetFileIsReadAndUnusableKeysAreIgnoredWithAReason() throws {
        let jose = try Self.jose()
        let directory = TemporaryDirectory()
        let file = directory.write("jwks.json", #"{"keys":[{"kty":"foo"},{"kty":"RSA","n":"AQAB"},"#
            + (try jose.jwk(.ed25519, kid: "ed")) + "]}")
        let keys = try JSONWebKeySet.load(file: file)
        #expect(keys.keys.map(\.keyID) == ["ed"])
        #expect(keys.ignored == [#"keys[0]: kty "foo" is not supported"#, "keys[1]: `e` is missing or not base64url"])
        let token = try jose.token(header: #"{"alg":"EdDSA","kid":"ed"}"#, claims: "{}", key: .ed25519, scheme: "EdDSA")
        #expect(try JWKSVerifier.verify(token: try JSONWebToken.decode(token), jwksFile: file) == .verified(kid: "ed"))
        #expect(throws: JWTError.self) { try JWKSVerifier.verify(token: try JSONWebToken.decode(token), jwks: Array("[]".utf8)) }
        #expect(throws: JWTError.self) { try JSONWebKeySet.load(file: directory.path + "/missing.json") }
        // One bare JWK is read as a set of one.
        #expect(try JSONWebKeySet.parse(Array(try jose.jwk(.ec256, kid: "one").utf8)).keys.map(\.keyID) == ["one"])
    }

    /// The token is a secret: no message revenant makes about it may carry the token or any of its parts.
    @Test func noMessageCarriesTheTokenOrItsSignature() throws {
        let jose = try Self.jose()
        let keys = try Self.everyKey(jose)
        var messages: [String] = []
        var secrets: [Substring] = []
        for (alg, key) in Self.signed {
            let compact = try jose.token(header: #"{"alg":"\#(alg)","kid":"\#(key.rawValue)"}"#, claims: #"{"exp":1}"#, key: key, scheme: alg)
            let parts = compact.split(separator: ".").map(String.init)
            let (header, payload, signature) = (parts[0], parts[1], parts[2])
            secrets += [Substring(compact), Substring(signature), signature.prefix(12), signature.suffix(12)]
            let otherKid = TestJOSE.base64URL(Array(#"{"alg":"\#(alg)","kid":"nope"}"#.utf8))
            let otherAlg = TestJOSE.base64URL(Array(#"{"alg":"HS512","kid":"\#(key.rawValue)"}"#.utf8))
            // Every way to spoil it: cut, extra part, bad characters, flipped signature, other kid, other alg.
            let variants: [String] = [
                compact, String(compact.dropLast()), compact + ".x", compact + "=", String(compact.dropFirst(3)),
                [header, payload, String(signature.dropLast(2))].joined(separator: "."),
                [header, payload, String(signature.reversed())].joined(separator: "."),
                [header, "!" + payload, signature].joined(separator: "."),
                [compact, signature, signature].joined(separator: "."),
                [otherKid, payload, signature].joined(separator: "."),
                [otherAlg, payload, signature].joined(separator: "."),
            ]
            for variant in variants {
                do {
                    let token = try JSONWebToken.decode(variant)
                    messages.append(token.description)
                    messages.append(JWKSVerifier.verify(token: token, keys: keys).description)
                    let facts = JWTLifecycle.facts(for: token, credential: Self.credential(expiresAt: Self.now), now: Self.now)
                    messages += facts.notes + facts.findings.map { (finding: Finding) in finding.message }
                } catch {
                    messages.append(error.description)
                }
            }
        }
        #expect(messages.count > 50)
        for message in messages {
            for secret in secrets {
                #expect(!message.contains(secret), "a message carries part of the token: \(message)")
            }
        }
    }
}

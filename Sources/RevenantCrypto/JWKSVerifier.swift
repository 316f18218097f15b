import COpenSSL
import Foundation
import RevenantCore

/// Checks the signature of a JWT against a JWK Set with OpenSSL: RS256/384/512 (RSASSA-PKCS1-v1_5),
/// PS256/384/512 (RSASSA-PSS), ES256/384/512 (ECDSA on P-256/384/521), EdDSA (Ed25519, Ed448), and
/// HS256/384/512 when the set holds an `oct` key. Pure: the key set is given, nothing is fetched.
///
/// The key is chosen by `kid`, then by fit: `kty` (and `crv`) must be what `alg` needs and the key's
/// own `alg`, if any, must equal it. A `kid` naming a key that does not fit is a failure, not a
/// fallback, so a token cannot pick how a key is used (RFC 8725 §3.1: an RSA public key is never
/// an HMAC secret).
public enum JWKSVerifier {
    public static func verify(token: JSONWebToken, keys: JSONWebKeySet) -> JWTVerification {
        let alg = token.header.algorithm
        if JWTLifecycle.isUnsecured(alg) {
            return .failed(reason: "the token is unsigned (alg \(JWTLifecycle.quoted(alg))): there is nothing to verify")
        }
        // RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject the JWS.
        if !token.header.critical.isEmpty {
            return .failed(reason: "the header lists critical extensions revenant does not understand: "
                           + token.header.critical.map(JWTLifecycle.quoted).joined(separator: ", "))
        }
        guard let scheme = JWSAlgorithm(alg) else { return .unsupportedAlgorithm(alg) }
        let usable = keys.keys.filter(\.maySign)
        var candidates: [JSONWebKey]
        if let kid = token.header.keyID {
            let named = usable.filter { $0.keyID == kid }
            guard !named.isEmpty else {
                return .noMatchingKey(reason: "no signing key with kid \(JWTLifecycle.quoted(kid)) in the JWK Set")
            }
            candidates = named.filter { scheme.fits($0, alg: alg) }
            guard !candidates.isEmpty else {
                return .failed(reason: "alg \(JWTLifecycle.quoted(alg)) does not fit \(named[0].name)"
                               + (named[0].algorithm.map { " meant for \(JWTLifecycle.quoted($0))" } ?? "")
                               + ": refused, a token does not choose how a key is used (RFC 8725 §3.1)")
            }
        } else {
            candidates = usable.filter { scheme.fits($0, alg: alg) }
            guard !candidates.isEmpty else {
                return .noMatchingKey(reason: "the token has no kid and no key of the JWK Set fits alg \(JWTLifecycle.quoted(alg))")
            }
        }
        defer { ERR_clear_error() }
        var reasons: [String] = []
        for key in candidates {
            switch check(token, scheme: scheme, key: key) {
            case nil: return .verified(kid: key.keyID, weakness: weakness(of: key, scheme: scheme))
            case let reason?: reasons.append("\(key.name): \(reason)")
            }
        }
        // A JWK Set may hold many keys: three reasons are enough to read, and a warning line per
        // credential stays short (1,400 keys once made each 78 KB).
        let more = reasons.count > 3 ? "; and \(reasons.count - 3) more keys" : ""
        return .failed(reason: reasons.prefix(3).joined(separator: "; ") + more)
    }

    /// Parses `jwks` (a JWK Set document) and verifies; throws only when the document is unusable.
    public static func verify(token: JSONWebToken, jwks: [UInt8]) throws(JWTError) -> JWTVerification {
        verify(token: token, keys: try JSONWebKeySet.parse(jwks))
    }

    /// nil when the signature verifies with `key`, else why not.
    static func check(_ token: JSONWebToken, scheme: JWSAlgorithm, key: JSONWebKey) -> String? {
        let message = token.signingInput
        let signature = token.signature
        switch scheme {
        case .hmac(let bits):
            return hmacMatches(digest(bits), key: key.parameters["k"] ?? [], message: message, signature: signature)
                ? nil : "the HMAC does not match"
        case .rsa(let bits), .rsaPSS(let bits):
            guard let publicKey = PublicKey.rsa(n: key.parameters["n"] ?? [], e: key.parameters["e"] ?? []) else {
                return "OpenSSL cannot build an RSA public key from `n` and `e`"
            }
            let pss = if case .rsaPSS = scheme { true } else { false }
            return digestVerify(publicKey, digest: digest(bits), pss: pss, signature: signature, message: message)
                ? nil : "the signature does not verify"
        case .ecdsa(let bits, let curve):
            let size = curve.coordinateSize
            guard let x = key.parameters["x"], let y = key.parameters["y"], x.count == size, y.count == size,
                  let publicKey = PublicKey.ec(group: curve.openSSLGroup, point: [0x04] + x + y) else {
                return "OpenSSL cannot build a \(curve.rawValue) public key from `x` and `y`"
            }
            // JWS writes ECDSA signatures as R ‖ S, each the curve's size (RFC 7518 §3.4); OpenSSL wants DER.
            guard let der = derSignature(raw: signature, coordinateSize: size) else {
                return "an \(curve.rawValue) signature is \(2 * size) bytes, this one is \(signature.count)"
            }
            return digestVerify(publicKey, digest: digest(bits), pss: false, signature: der, message: message)
                ? nil : "the signature does not verify"
        case .eddsa:
            guard let x = key.parameters["x"], let curve = key.curve,
                  let publicKey = PublicKey.raw(curve == "Ed448" ? "ED448" : "ED25519", x) else {
                return "OpenSSL cannot build an EdDSA public key from `x`"
            }
            return digestVerify(publicKey, digest: nil, pss: false, signature: signature, message: message)
                ? nil : "the signature does not verify"
        }
    }

    /// What makes a key that verified too weak to trust, when it is: RFC 7518 §3.3 requires RSA keys
    /// of 2048 bits or more, §3.2 HMAC keys at least as long as the hash output.
    static func weakness(of key: JSONWebKey, scheme: JWSAlgorithm) -> String? {
        switch scheme {
        case .rsa, .rsaPSS:
            let modulus = (key.parameters["n"] ?? []).drop { $0 == 0 }
            let bits = modulus.first.map { (modulus.count - 1) * 8 + (8 - $0.leadingZeroBitCount) } ?? 0
            return bits < 2048 ? "the RSA key has \(bits) bits (RFC 7518 §3.3 requires at least 2048)" : nil
        case .hmac(let hashBits):
            let bits = (key.parameters["k"] ?? []).count * 8
            return bits < hashBits ? "the HMAC key has \(bits) bits, less than the SHA-\(hashBits) output (RFC 7518 §3.2)" : nil
        case .ecdsa, .eddsa:
            return nil
        }
    }

    static func digest(_ bits: Int) -> OpaquePointer? {
        switch bits {
        case 384: EVP_sha384()
        case 512: EVP_sha512()
        default: EVP_sha256()
        }
    }

    static func digestVerify(_ key: PublicKey, digest: OpaquePointer?, pss: Bool, signature: [UInt8], message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        // The key context belongs to `context` and is freed with it.
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, digest, nil, key.pointer) == 1 else { return false }
        if pss {
            // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
            guard let keyContext, EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, RSA_PSS_SALTLEN_DIGEST) == 1 else { return false }
        }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }

    static func hmacMatches(_ digest: OpaquePointer?, key: [UInt8], message: [UInt8], signature: [UInt8]) -> Bool {
        guard !key.isEmpty else { return false }
        var mac = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        guard HMAC(digest, key, Int32(key.count), message, message.count, &mac, &length) != nil,
              Int(length) == signature.count else { return false }
        return CRYPTO_memcmp(mac, signature, Int(length)) == 0
    }

    /// `SEQUENCE { INTEGER r, INTEGER s }` from R ‖ S, or nil when the length is not twice `coordinateSize`.
    static func derSignature(raw: [UInt8], coordinateSize: Int) -> [UInt8]? {
        guard raw.count == 2 * coordinateSize else { return nil }
        func length(_ n: Int) -> [UInt8] { n < 0x80 ? [UInt8(n)] : [0x81, UInt8(n)] }
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.first.map({ $0 & 0x80 != 0 }) ?? true { value.insert(0, at: 0) }
            return [0x02] + length(value.count) + value
        }
        let body = integer(raw[..<coordinateSize]) + integer(raw[coordinateSize...])
        return [0x30] + length(body.count) + body
    }
}

/// The JWS algorithms `JWKSVerifier` checks (RFC 7518 §3.1, RFC 8037 §3.1) and the keys each fits.
enum JWSAlgorithm: Equatable {
    enum Curve: String {
        case p256 = "P-256", p384 = "P-384", p521 = "P-521"

        var coordinateSize: Int { switch self { case .p256: 32; case .p384: 48; case .p521: 66 } }
        var openSSLGroup: StaticString { switch self { case .p256: "prime256v1"; case .p384: "secp384r1"; case .p521: "secp521r1" } }
    }

    case hmac(bits: Int), rsa(bits: Int), rsaPSS(bits: Int), ecdsa(bits: Int, curve: Curve), eddsa

    init?(_ alg: String) {
        switch alg {
        case "HS256", "HS384", "HS512": self = .hmac(bits: Int(alg.dropFirst(2))!)
        case "RS256", "RS384", "RS512": self = .rsa(bits: Int(alg.dropFirst(2))!)
        case "PS256", "PS384", "PS512": self = .rsaPSS(bits: Int(alg.dropFirst(2))!)
        case "ES256": self = .ecdsa(bits: 256, curve: .p256)
        case "ES384": self = .ecdsa(bits: 384, curve: .p384)
        case "ES512": self = .ecdsa(bits: 512, curve: .p521)
        case "EdDSA": self = .eddsa
        default: return nil
        }
    }

    /// Whether `key` may verify `alg`: its type (and curve) is the one `alg` needs, and its own `alg`, if set, is `alg`.
    func fits(_ key: JSONWebKey, alg: String) -> Bool {
        if let pinned = key.algorithm, pinned != alg { return false }
        switch self {
        case .hmac: return key.keyType == "oct"
        case .rsa, .rsaPSS: return key.keyType == "RSA"
        case .ecdsa(_, let curve): return key.keyType == "EC" && key.curve == curve.rawValue
        case .eddsa: return key.keyType == "OKP" && (key.curve == "Ed25519" || key.curve == "Ed448")
        }
    }
}

/// One OpenSSL public key, freed when the value goes away.
final class PublicKey {
    let pointer: OpaquePointer

    /// Takes over `pointer` (an `EVP_PKEY` this value now frees).
    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// An RSA key from its modulus and public exponent (big-endian bytes).
    static func rsa(n: [UInt8], e: [UInt8]) -> PublicKey? {
        guard !n.isEmpty, !e.isEmpty, let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        // The builder keeps the pointers it is given (names and values) until `fromData` turns it into
        // parameters: the numbers live until then, the names are static strings.
        guard let modulus = BN_bin2bn(n, Int32(n.count), nil) else { return nil }
        defer { BN_free(modulus) }
        guard let exponent = BN_bin2bn(e, Int32(e.count), nil) else { return nil }
        defer { BN_free(exponent) }
        guard OSSL_PARAM_BLD_push_BN(builder, cString("n"), modulus) == 1,
              OSSL_PARAM_BLD_push_BN(builder, cString("e"), exponent) == 1 else { return nil }
        return fromData("RSA", builder)
    }

    /// An EC key on `group` from its uncompressed point `04 ‖ x ‖ y` (OpenSSL checks it is on the curve).
    static func ec(group: StaticString, point: [UInt8]) -> PublicKey? {
        guard let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        return point.withUnsafeBytes { bytes in
            guard OSSL_PARAM_BLD_push_utf8_string(builder, cString("group"), cString(group), 0) == 1,
                  OSSL_PARAM_BLD_push_octet_string(builder, cString("pub"), bytes.baseAddress, bytes.count) == 1 else { return nil }
            return fromData("EC", builder)
        }
    }

    /// An Ed25519 or Ed448 key from its raw public bytes.
    static func raw(_ type: String, _ bytes: [UInt8]) -> PublicKey? {
        EVP_PKEY_new_raw_public_key_ex(nil, type, nil, bytes, bytes.count).map(PublicKey.init)
    }

    /// A static string literal as a C string (literals are stored NUL-terminated) that lives as long as the program.
    private static func cString(_ text: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    private static func fromData(_ type: String, _ builder: OpaquePointer) -> PublicKey? {
        guard let parameters = OSSL_PARAM_BLD_to_param(builder) else { return nil }
        defer { OSSL_PARAM_free(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1,
              EVP_PKEY_fromdata(context, &key, revenant_EVP_PKEY_PUBLIC_KEY(), parameters) == 1, let key else { return nil }
        return PublicKey(key)
    }
}

import Foundation

/// Keys made with the `openssl` CLI once per test process (RSA 2048 and 1024, EC P-256/384/521, Ed25519),
/// their public halves as JWKs, and JWS signatures made by the CLI, so the verifier under test
/// never checks its own output. Nothing is committed: the keys live in a temporary directory.
public struct TestJOSE: Sendable {
    /// The keys, made on first use; every test that needs them shares one set.
    public static let shared = Result { () throws(PKIError) -> TestJOSE in
        let jose = TestJOSE(path: directory)
        try? FileManager.default.createDirectory(atPath: jose.path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestJOSE.directory) }
        try Shell.run(keyScript, in: jose.path)
        return jose
    }
    static let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("revenant-jose-\(UUID().uuidString)")
    static let keyScript = """
        set -eu
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
        openssl rsa -in rsa.key -noout -modulus | sed 's/^Modulus=//' > rsa.modulus
        openssl rsa -in rsa.key -pubout -out rsa.pub.pem 2>/dev/null
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
        openssl rsa -in rsa1024.key -noout -modulus | sed 's/^Modulus=//' > rsa1024.modulus
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256.key
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384.key
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out ec521.key
        openssl genpkey -algorithm ED25519 -out ed25519.key
        for k in ec256 ec384 ec521 ed25519; do openssl pkey -in $k.key -pubout -outform DER -out $k.pub.der; done
        """

    public let path: String

    /// The key files `shared` makes.
    public enum Key: String, Sendable, CaseIterable {
        case rsa, rsa1024, ec256, ec384, ec521, ed25519

        /// Bytes of one EC coordinate (and of R and S in a JWS signature).
        var coordinateSize: Int { self == .ec256 ? 32 : self == .ec384 ? 48 : 66 }
    }

    /// The public JWK of `key` as JSON text, with `kid` and any `extra` members (`"alg":"RS256"`).
    public func jwk(_ key: Key, kid: String?, extra: String = "") throws(PKIError) -> String {
        var members: [String]
        switch key {
        case .rsa, .rsa1024:
            let modulus = try read(key.rawValue + ".modulus").trimmingCharacters(in: .whitespacesAndNewlines)
            members = [#""kty":"RSA""#, #""n":"\#(Self.base64URL(Self.bytes(hex: modulus)))""#, #""e":"AQAB""#]
        case .ec256, .ec384, .ec521:
            // A SubjectPublicKeyInfo ends with the uncompressed point 04 ‖ x ‖ y.
            let size = key.coordinateSize
            let point = Array(try bytes(key.rawValue + ".pub.der").suffix(2 * size))
            members = [#""kty":"EC""#, #""crv":"P-\#(key == .ec521 ? 521 : size * 8)""#,
                       #""x":"\#(Self.base64URL(point.prefix(size)))""#, #""y":"\#(Self.base64URL(point.suffix(size)))""#]
        case .ed25519:
            let raw = Array(try bytes("ed25519.pub.der").suffix(32))
            members = [#""kty":"OKP""#, #""crv":"Ed25519""#, #""x":"\#(Self.base64URL(raw))""#]
        }
        if let kid { members.append(#""kid":"\#(kid)""#) }
        if !extra.isEmpty { members.append(extra) }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A JWK Set of the given JWKs.
    public static func set(_ jwks: [String]) -> [UInt8] { Array(#"{"keys":["#.utf8) + Array(jwks.joined(separator: ",").utf8) + Array("]}".utf8) }

    /// A compact JWS of `header` and `claims` (JSON text), signed by the openssl CLI with `key` as
    /// `scheme` says: `RS256`, `RS384`, `PS256`, `ES256`, `ES384`, `EdDSA`, or `HS256:<key hex>`.
    public func token(header: String, claims: String, key: Key, scheme: String) throws(PKIError) -> String {
        let input = Self.base64URL(Array(header.utf8)) + "." + Self.base64URL(Array(claims.utf8))
        return input + "." + Self.base64URL(try sign(input, key: key, scheme: scheme))
    }

    /// The signature bytes of `input` (JWS form: ECDSA as R ‖ S).
    public func sign(_ input: String, key: Key, scheme: String) throws(PKIError) -> [UInt8] {
        let name = UUID().uuidString
        try? Data(input.utf8).write(to: URL(fileURLWithPath: (path as NSString).appendingPathComponent(name + ".in")))
        defer {
            try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(name + ".in"))
            try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(name + ".sig"))
        }
        let bits = scheme.dropFirst(2).prefix(3)
        let command: String
        switch scheme.prefix(2) {
        case "RS": command = "openssl dgst -sha\(bits) -sign \(key.rawValue).key"
        case "PS": command = "openssl dgst -sha\(bits) -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sign \(key.rawValue).key"
        case "ES": command = "openssl dgst -sha\(bits) -sign \(key.rawValue).key"
        case "HS": command = "openssl dgst -sha\(bits) -mac HMAC -macopt hexkey:\(scheme.split(separator: ":").last ?? "")"
        default: command = "openssl pkeyutl -sign -rawin -inkey \(key.rawValue).key"
        }
        let io = scheme.hasPrefix("Ed") ? "-in \(name).in -out \(name).sig" : "-binary -out \(name).sig \(name).in"
        try Shell.run(command + " " + io, in: path)
        let signature = try bytes(name + ".sig")
        if scheme.hasPrefix("ES") { return try Self.raw(der: signature, size: key.coordinateSize) }
        return signature
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func read(_ name: String) throws(PKIError) -> String { String(decoding: try bytes(name), as: UTF8.self) }

    public func bytes(_ name: String) throws(PKIError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file(name)) else { throw PKIError(description: "missing \(name)") }
        return Array(data)
    }

    /// R ‖ S, each `size` bytes, from the DER `SEQUENCE { INTEGER, INTEGER }` openssl writes (P-521's needs the two-byte length form).
    static func raw(der: [UInt8], size: Int) throws(PKIError) -> [UInt8] {
        var i = der.count > 1 && der[1] == 0x81 ? 3 : 2
        var out: [UInt8] = []
        for _ in 0..<2 {
            guard i + 1 < der.count, der[i] == 0x02 else { throw PKIError(description: "unexpected ECDSA DER") }
            let length = Int(der[i + 1])
            let value = der[(i + 2)..<(i + 2 + length)].drop { $0 == 0 }
            out += [UInt8](repeating: 0, count: size - value.count) + value
            i += 2 + length
        }
        return out
    }

    public static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(hex.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) ?? 0)
            chars = chars.dropFirst(2)
        }
        return out
    }
}

import Foundation

/// One public key (or HMAC secret) of a JWK Set, with its base64url parameters decoded (RFC 7517 §4, RFC 7518 §6).
public struct JSONWebKey: Sendable, Equatable {
    /// `kty`: `RSA`, `EC`, `OKP` or `oct`.
    public var keyType: String
    public var keyID: String?
    /// `alg`: the one algorithm the key is meant for, if the set says.
    public var algorithm: String?
    /// `use`: `sig` or `enc`.
    public var use: String?
    /// `key_ops`, if given.
    public var operations: [String]?
    /// `crv` of an EC or OKP key.
    public var curve: String?
    /// Decoded key parameters by member name: `n`, `e` (RSA), `x`, `y` (EC), `x` (OKP), `k` (oct).
    public var parameters: [String: [UInt8]]

    /// May verify signatures: `use` absent or `sig`, `key_ops` absent or listing `verify` (RFC 7517 §4.2, §4.3).
    public var maySign: Bool {
        (use == nil || use == "sig") && (operations.map { $0.contains("verify") } ?? true)
    }

    /// "kid `k1` (RSA)" or "the RSA key without kid", for messages.
    public var name: String {
        keyID.map { "kid \(JWTLifecycle.quoted($0)) (\(keyType))" } ?? "the \(keyType) key without kid"
    }
}

/// A JWK Set (RFC 7517 §5) read from bytes or a file. Keys of an unknown `kty` or with unreadable
/// parameters are left out, with the reason in `ignored` (RFC 7517 §5: ignore what cannot be used).
public struct JSONWebKeySet: Sendable, Equatable {
    public var keys: [JSONWebKey]
    /// Why a key of the document was left out: `keys[2]: kty "foo" is not supported`.
    public var ignored: [String]

    /// A key set is a few KiB; a larger document is refused unread.
    public static let maxSize = 1 << 20
    /// The parameters each key type needs.
    static let required: [String: [String]] = ["RSA": ["n", "e"], "EC": ["x", "y"], "OKP": ["x"], "oct": ["k"]]

    public init(keys: [JSONWebKey], ignored: [String] = []) {
        self.keys = keys
        self.ignored = ignored
    }

    /// Reads `{"keys": [...]}`, or one bare JWK (an object with `kty`). `source` names it in errors.
    public static func parse(_ bytes: [UInt8], source: String = "JWK Set") throws(JWTError) -> JSONWebKeySet {
        guard bytes.count <= maxSize else {
            throw JWTError(.tooLarge, "\(source): larger than \(maxSize >> 20) MiB: not read as a JWK Set")
        }
        let tree: Tree
        do {
            tree = try JSONTreeParser.parse(bytes, file: source)
        } catch {
            throw JWTError(.invalidKeySet, error.description)
        }
        let members: [Tree]
        if let list = tree["keys"]?.arrayValue {
            members = list
        } else if tree["kty"] != nil {
            members = [tree]
        } else {
            throw JWTError(.invalidKeySet, "\(source): expected a JWK Set, an object with a `keys` list (RFC 7517 §5)")
        }
        var set = JSONWebKeySet(keys: [])
        for (i, member) in members.enumerated() {
            switch key(member) {
            case .success(let key): set.keys.append(key)
            case .failure(let why): set.ignored.append("keys[\(i)]: \(why.message)")
            }
        }
        return set
    }

    static func key(_ tree: Tree) -> Result<JSONWebKey, JWTError> {
        func text(_ name: String) -> String? { tree[name]?.stringValue }
        guard tree.objectValue != nil else { return .failure(JWTError(.invalidKeySet, "a key must be an object, not \(tree.typeName)")) }
        guard let kty = text("kty") else { return .failure(JWTError(.invalidKeySet, "no `kty` string")) }
        guard let needed = required[kty] else {
            return .failure(JWTError(.invalidKeySet, "kty \(JWTLifecycle.quoted(kty)) is not supported"))
        }
        var parameters: [String: [UInt8]] = [:]
        for name in needed {
            guard let encoded = text(name), let bytes = Base64URL.decode(encoded), !bytes.isEmpty else {
                return .failure(JWTError(.invalidKeySet, "`\(name)` is missing or not base64url"))
            }
            parameters[name] = bytes
        }
        var operations: [String]?
        if let list = tree["key_ops"]?.arrayValue { operations = list.compactMap(\.stringValue) }
        return .success(JSONWebKey(keyType: kty, keyID: text("kid"), algorithm: text("alg"), use: text("use"),
                                   operations: operations, curve: text("crv"), parameters: parameters))
    }
}

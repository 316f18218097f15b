import Foundation

/// A JWT in JWS compact serialization (RFC 7519 §3, RFC 7515 §7.1), decoded offline: the JOSE
/// header, the registered claims, and what a verifier needs. The signature is not checked here
/// (see `JWKSVerifier`). `description` never shows the signature.
public struct JSONWebToken: Sendable, Equatable, CustomStringConvertible {
    /// The JOSE header members revenant reads (RFC 7515 §4.1).
    public struct Header: Sendable, Equatable {
        /// `alg`: the signature algorithm the token claims, e.g. `RS256`, `ES256`, `EdDSA`, `none`.
        public var algorithm: String
        public var keyID: String?
        public var type: String?
        /// `crit`: extensions the recipient must understand (RFC 7515 §4.1.11).
        public var critical: [String]

        public init(algorithm: String, keyID: String? = nil, type: String? = nil, critical: [String] = []) {
            self.algorithm = algorithm
            self.keyID = keyID
            self.type = type
            self.critical = critical
        }
    }

    /// The registered claims of RFC 7519 §4.1; NumericDates as dates.
    public struct Claims: Sendable, Equatable {
        public var expiresAt: Date?
        public var notBefore: Date?
        public var issuedAt: Date?
        public var issuer: String?
        public var subject: String?
        /// `aud` as a list, whether the token wrote one string or a list (RFC 7519 §4.1.3).
        public var audience: [String]
        public var jwtID: String?

        public init(expiresAt: Date? = nil, notBefore: Date? = nil, issuedAt: Date? = nil, issuer: String? = nil,
                    subject: String? = nil, audience: [String] = [], jwtID: String? = nil) {
            self.expiresAt = expiresAt
            self.notBefore = notBefore
            self.issuedAt = issuedAt
            self.issuer = issuer
            self.subject = subject
            self.audience = audience
            self.jwtID = jwtID
        }
    }

    public var header: Header
    public var claims: Claims
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers (RFC 7515 §5.2).
    public let signingInput: [UInt8]
    /// The decoded signature; empty for an unsecured (`alg: none`) token.
    public let signature: [UInt8]

    /// Real tokens are a few KiB (they travel in HTTP headers); anything longer is refused unread.
    public static let maxLength = 64 << 10
    /// NumericDates are clamped to years 0001–9999: `exp: 1e300` (or 1e400, infinite as a Double)
    /// means "never" and must not overflow a date or its formatting.
    static let earliestDate = Date(timeIntervalSince1970: -62_135_596_800)
    static let latestDate = Date(timeIntervalSince1970: 253_402_300_799)

    init(header: Header, claims: Claims, signingInput: [UInt8], signature: [UInt8]) {
        self.header = header
        self.claims = claims
        self.signingInput = signingInput
        self.signature = signature
    }

    public var description: String {
        var parts = ["alg \(header.algorithm)"]
        if let kid = header.keyID { parts.append("kid \(kid)") }
        if let iss = claims.issuer { parts.append("iss \(iss)") }
        if let exp = claims.expiresAt { parts.append("exp \(Timestamp.format(exp))") }
        return "JWT (" + parts.joined(separator: ", ") + ")"
    }

    /// Decodes a compact JWS. Surrounding whitespace (a trailing newline in a secret file) is ignored.
    public static func decode(_ compact: String) throws(JWTError) -> JSONWebToken {
        guard compact.utf8.count <= maxLength else {
            throw JWTError(.tooLarge, "not read as a JWT: longer than \(maxLength >> 10) KiB")
        }
        var bytes = Array(compact.utf8)[...]
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { bytes.removeLast() }
        while let first = bytes.first, first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D { bytes.removeFirst() }
        guard !bytes.isEmpty else { throw JWTError(.malformed, "not a JWT: the value is empty") }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if parts.count == 5 {
            throw JWTError(.encrypted, "encrypted JWT: claims cannot be read (JWE, five parts)")
        }
        guard parts.count == 3 else {
            throw JWTError(.malformed, "not a JWT: a compact JWS has three parts separated by `.`, this value has \(parts.count)")
        }
        guard let headerBytes = Base64URL.decode(parts[0]), !headerBytes.isEmpty else {
            throw JWTError(.malformed, "not a JWT: the header (first part) is not base64url")
        }
        guard let payload = Base64URL.decode(parts[1]) else {
            throw JWTError(.malformed, "not a JWT: the payload (second part) is not base64url")
        }
        guard let signature = Base64URL.decode(parts[2]) else {
            throw JWTError(.malformed, "not a JWT: the signature (third part) is not base64url")
        }
        let header = try decodeHeader(headerBytes)
        let claims = try decodeClaims(payload)
        return JSONWebToken(header: header, claims: claims,
                            signingInput: Array(bytes[parts[0].startIndex..<parts[1].endIndex]), signature: signature)
    }

    static func decodeHeader(_ bytes: [UInt8]) throws(JWTError) -> Header {
        let members = try object(bytes, part: "header", code: .invalidHeader)
        if members["enc"] != nil {
            throw JWTError(.encrypted, "encrypted JWT: claims cannot be read (the header names an `enc` algorithm)")
        }
        guard let alg = members["alg"]?.stringValue, !alg.isEmpty else {
            throw JWTError(.invalidHeader, "the JWT header has no `alg` string (RFC 7515 §4.1.1)")
        }
        var critical: [String] = []
        if let crit = members["crit"] {
            guard let list = crit.arrayValue, !list.isEmpty, let names = strings(list) else {
                throw JWTError(.invalidHeader, "the JWT header's `crit` must be a non-empty list of strings")
            }
            critical = names
        }
        return Header(algorithm: alg, keyID: try optionalString(members, "kid", part: "header", code: .invalidHeader),
                      type: try optionalString(members, "typ", part: "header", code: .invalidHeader), critical: critical)
    }

    static func decodeClaims(_ bytes: [UInt8]) throws(JWTError) -> Claims {
        let members = try object(bytes, part: "claims", code: .invalidClaims)
        var audience: [String] = []
        if let aud = members["aud"] {
            if let one = aud.stringValue {
                audience = [one]
            } else if let list = aud.arrayValue, let names = strings(list) {
                audience = names
            } else if case .null = aud.value {
            } else {
                throw JWTError(.invalidClaims, "the JWT claim `aud` must be a string or a list of strings, not \(aud.typeName)")
            }
        }
        return Claims(
            expiresAt: try numericDate(members, "exp"), notBefore: try numericDate(members, "nbf"),
            issuedAt: try numericDate(members, "iat"),
            issuer: try optionalString(members, "iss", part: "claims", code: .invalidClaims),
            subject: try optionalString(members, "sub", part: "claims", code: .invalidClaims),
            audience: audience, jwtID: try optionalString(members, "jti", part: "claims", code: .invalidClaims))
    }

    /// The members of a JSON object. Duplicate names are refused: RFC 7519 §4 lets a parser take
    /// either one, so two readers of the same token could disagree on its `exp` or `alg`.
    static func object(_ bytes: [UInt8], part: String, code: JWTError.Code) throws(JWTError) -> [String: Tree] {
        let tree: Tree
        do {
            tree = try JSONTreeParser.parse(bytes, file: "JWT \(part)")
        } catch {
            throw JWTError(code, "the JWT \(part) is not JSON (\(error.message.prefix(80)))")
        }
        guard let members = tree.objectValue else {
            throw JWTError(code, "the JWT \(part) must be a JSON object, not \(tree.typeName)")
        }
        var byName: [String: Tree] = [:]
        for (key, value) in members {
            guard byName.updateValue(value, forKey: key) == nil else {
                throw JWTError(code, "the JWT \(part) names `\(key.prefix(40))` twice")
            }
        }
        return byName
    }

    static func optionalString(_ members: [String: Tree], _ name: String, part: String, code: JWTError.Code) throws(JWTError) -> String? {
        guard let value = members[name] else { return nil }
        if case .null = value.value { return nil }
        guard let text = value.stringValue else {
            throw JWTError(code, "the JWT \(part) member `\(name)` must be a string, not \(value.typeName)")
        }
        return text
    }

    /// A NumericDate: seconds since 1970-01-01T00:00:00Z UTC, possibly fractional (RFC 7519 §2).
    static func numericDate(_ members: [String: Tree], _ name: String) throws(JWTError) -> Date? {
        guard let value = members[name] else { return nil }
        if case .null = value.value { return nil }
        guard case .number(let text) = value.value, let seconds = Double(text), !seconds.isNaN else {
            throw JWTError(.invalidClaims, "the JWT claim `\(name)` must be a NumericDate (a number of seconds since 1970), not \(value.typeName)")
        }
        return min(max(Date(timeIntervalSince1970: seconds), earliestDate), latestDate)
    }

    static func strings(_ list: [Tree]) -> [String]? {
        var out: [String] = []
        for item in list {
            guard let s = item.stringValue else { return nil }
            out.append(s)
        }
        return out
    }
}

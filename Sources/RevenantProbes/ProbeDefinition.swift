import Foundation
import RevenantCore

/// A probe: how to ask one kind of system "who am I" with a credential, and how to read the answer.
public struct ProbeDefinition: Sendable, Equatable {
    public var id: String
    public var title: String
    public var kinds: [CredentialKind]
    /// The protocol's name; `kind` is the same as a value.
    public var `protocol`: String { kind.rawValue }
    /// How the probe reaches its system (the loader refuses names this build does not know).
    public var kind: ProbeProtocol
    public var defaultTarget: String?
    public var allowedHosts: [String]
    public var request: RequestTemplate
    public var auth: AuthScheme
    public var authenticated: [Matcher]
    public var rejected: [Matcher]
    public var negativeControl: NegativeControlShape
    public var rateLimit: HostLimits?
    public var docs: String
    /// The file it was read from, for messages.
    public var source: String
    /// `username_format`: the only usernames the provider reads as meant (a live credential sent
    /// with another one is refused as a dead one is, which proves nothing).
    public var usernameFormat: UsernameFormat?
    /// `host_from_secret`: the host a secret names for itself (Mailchimp's `…-us6`); it goes nowhere else.
    public var hostFromSecret: HostFromSecret?
    /// `regions`: base URLs of separate instances of the provider. A credential lives in one, and the
    /// others refuse it as they refuse a dead one: a should-be-dead credential is tried in each.
    public var regions: [String] = []
    /// `rejection_unproven`: why the provider's refusal cannot prove a credential dead (it refuses
    /// some live credentials the same way). A credential's `rejected` answer is then inconclusive;
    /// the negative control's still counts, so an acceptance still proves residual access.
    public var rejectionUnproven: String?
    /// `sources`: where the probe's endpoint, auth scheme and reading of answers were checked: the
    /// provider's API reference and an independent verifier's published check (URLs).
    public var sources: [String] = []

    public init(
        id: String, title: String, kinds: [CredentialKind], protocol: String = "http", defaultTarget: String? = nil,
        allowedHosts: [String], request: RequestTemplate, auth: AuthScheme, authenticated: [Matcher], rejected: [Matcher],
        negativeControl: NegativeControlShape = NegativeControlShape(), rateLimit: HostLimits? = nil, docs: String = "", source: String = ""
    ) {
        self.id = id
        self.title = title
        self.kinds = kinds
        self.kind = ProbeProtocol(rawValue: `protocol`) ?? .http
        self.defaultTarget = defaultTarget
        self.allowedHosts = allowedHosts
        self.request = request
        self.auth = auth
        self.authenticated = authenticated
        self.rejected = rejected
        self.negativeControl = negativeControl
        self.rateLimit = rateLimit
        self.docs = docs
        self.source = source
    }
}

extension ProbeDefinition {
    /// The `username_format` that `username` (else the probe's own `auth.username`) fails, or nil
    /// when the provider would read it as meant (or the probe has no format).
    public func usernameRefused(_ username: String?) -> UsernameFormat? {
        guard let format = usernameFormat, !format.accepts(username ?? auth.defaultUsername ?? "") else { return nil }
        return format
    }

    /// Whether this probe may reach `host`: its `allowed_hosts`, where `*` counts only for an mTLS
    /// probe (the loader refuses it elsewhere: only there does no secret leave the machine).
    public func allows(host: String) -> Bool {
        if kind == .tlsClientCertificate && allowedHosts.contains(HostPattern.anyHost) { return true }
        return HostPattern.allows(allowedHosts, host)
    }
}

/// `username_format`: a pattern the whole username must match, and what it means for people.
public struct UsernameFormat: Sendable, Equatable {
    public let pattern: String
    /// What the username must be, e.g. "the account's email address".
    public let meaning: String
    /// Compiled once, anchored at the very start and end (`\A…\z`: `$` would also match before
    /// a final line break, letting `api\n` through as `api`).
    private let regex: CompiledPattern

    public init(pattern: String, meaning: String) {
        self.pattern = pattern
        self.meaning = meaning
        regex = CompiledPattern("\\A(?:\(pattern))\\z")
    }

    /// Whether `username` matches the whole pattern (false when the pattern does not compile).
    public func accepts(_ username: String) -> Bool {
        regex.firstMatch(in: username).map { _ in true } ?? false
    }

    public static func == (a: UsernameFormat, b: UsernameFormat) -> Bool { a.pattern == b.pattern && a.meaning == b.meaning }
}

/// `host_from_secret`: `pattern`'s first capture group, put for `$1` in `host`, is the one host the
/// secret may go to.
public struct HostFromSecret: Sendable, Equatable {
    public let pattern: String
    public let host: String
    private let regex: CompiledPattern

    /// The longest label a secret may name: a data centre or region (`us21`), never a large part
    /// of the secret, which would then travel in DNS, SNI, reports and the ledger.
    public static let maxLabelLength = 16

    public init(pattern: String, host: String) {
        self.pattern = pattern
        self.host = host
        regex = CompiledPattern(pattern)
    }

    /// The host `secret` names, or nil when it names none (no match, or not a short host-name label).
    public func host(for secret: String) -> String? {
        guard let match = regex.firstMatch(in: secret), match.numberOfRanges > 1,
              let range = Range(match.range(at: 1), in: secret) else { return nil }
        let label = secret[range].lowercased()
        guard !label.isEmpty, label.count <= HostFromSecret.maxLabelLength,
              label.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else { return nil }
        return host.replacingOccurrences(of: "$1", with: label)
    }

    public static func == (a: HostFromSecret, b: HostFromSecret) -> Bool { a.pattern == b.pattern && a.host == b.host }
}

/// A regular expression compiled once, shared by every copy of the value that holds it.
final class CompiledPattern: @unchecked Sendable {
    // @unchecked: set once in init and never changed; NSRegularExpression matching is thread-safe.
    private let regex: NSRegularExpression?

    init(_ pattern: String) {
        regex = try? NSRegularExpression(pattern: pattern)
    }

    func firstMatch(in text: String) -> NSTextCheckingResult? {
        regex?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
    }
}

/// The fixed part of a probe's request.
public struct RequestTemplate: Sendable, Equatable {
    public var method: String
    public var path: String
    public var headers: [String: String]
    public var body: String?
    /// The author asserts that this non-GET call has no side effects.
    public var readOnly: Bool

    public init(method: String = "GET", path: String, headers: [String: String] = [:], body: String? = nil, readOnly: Bool = false) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.readOnly = readOnly
    }
}

/// Where the secret goes in the request.
public enum AuthScheme: Sendable, Equatable {
    case bearer
    /// `secretInUsername`: the secret is the username and the password is empty (Stripe).
    case basic(defaultUsername: String?, secretInUsername: Bool)
    case header(name: String, prefix: String)
    case query(name: String)
    /// Non-HTTP protocols: the username and secret are handed to the protocol's own login
    /// (LDAP simple bind, IMAP/SMTP LOGIN, SSH userauth, PostgreSQL startup).
    case login
    /// AWS Signature Version 4 (libcurl's `CURLOPT_AWS_SIGV4`): `provider` is
    /// `aws:amz:REGION:SERVICE`; the access key id is the username, the secret signs.
    case awsSigV4(provider: String)
    /// RFC 7662: the secret is the `token` form field; the request authenticates as the
    /// introspecting client (HTTP basic with the client's own id and secret, RFC 7662 §2.1).
    case introspection(clientID: String, clientSecret: SecretSource, tokenTypeHint: String?)
    /// RFC 7644 §3.4.2.2: the account is looked up by `attribute` (userName or externalId) with
    /// the operator's bearer token; the account's own secret is never involved.
    case scim(token: SecretSource, attribute: String)
    /// The credential's certificate and private key are presented in the TLS handshake.
    case clientCertificate
    /// RFC 6749 §4.4 / RFC 7523 §2.1: a token request; the credential is a client secret (sent with
    /// client_secret_basic or client_secret_post) or a service-account key that signs an assertion.
    case tokenRequest(TokenRequestMethod, scope: String?)

    /// The username a basic-auth probe uses when the credential has none.
    public var defaultUsername: String? {
        if case .basic(let user, _) = self { return user }
        return nil
    }
}

/// The shape of the random credential sent as a negative control.
public struct NegativeControlShape: Sendable, Equatable {
    public enum Alphabet: String, Sendable, CaseIterable {
        case alphanumeric, hex, base64url, lowerAlphanumeric = "lower-alphanumeric"

        var characters: [Character] {
            switch self {
            case .alphanumeric: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            case .hex: Array("0123456789abcdef")
            case .base64url: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            case .lowerAlphanumeric: Array("abcdefghijklmnopqrstuvwxyz0123456789")
            }
        }
    }

    public var prefix: String
    public var length: Int
    public var alphabet: Alphabet

    public init(prefix: String = "", length: Int = 32, alphabet: Alphabet = .alphanumeric) {
        self.prefix = prefix
        self.length = length
        self.alphabet = alphabet
    }

    /// A fresh random secret of this shape.
    public func generate<R: RandomNumberGenerator>(using rng: inout R) -> String {
        let count = max(length - prefix.count, 8)
        let chars = alphabet.characters
        return prefix + String((0..<count).map { _ in chars.randomElement(using: &rng)! })
    }
}

/// How an `oauth2-token` probe asks for a token (its `auth.scheme`).
public enum TokenRequestMethod: String, Sendable, CaseIterable {
    /// RFC 6749 §2.3.1: client credentials grant, client id and secret in HTTP Basic.
    case clientSecretBasic = "client_secret_basic"
    /// RFC 6749 §2.3.1: client credentials grant, client id and secret in the form body.
    case clientSecretPost = "client_secret_post"
    /// RFC 7523 §2.1: a JWT bearer grant, the assertion signed with a service-account key (RS256).
    case jwtBearer = "jwt_bearer"

    /// The credential kind this method sends.
    public var credentialKind: CredentialKind { self == .jwtBearer ? .serviceAccountKey : .clientSecret }
}

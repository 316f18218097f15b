import Foundation
import RevenantCore

/// One protocol's rules, in one file each (`Protocols/<Name>Protocol.swift`): where its targets
/// are, which auth schemes its probes take, who logs in, and how its answers read — accepted,
/// rejected, or proving nothing, with the reason. RevenantNet keeps only the wire and asks the
/// unit what a reply means.
public protocol ProtocolUnit: Sendable {
    /// URL schemes a target may use, with their default ports.
    var schemes: [String: Int] { get }
    /// The `auth.scheme` values its probes may use (probes lint).
    var authSchemes: [String] { get }
    /// An HTTP exchange read by the probe's matchers; else a login whose answer the protocol defines.
    var isHTTP: Bool { get }
    /// Logs in as a named account: a credential without `username` is not sent.
    var needsUsername: Bool { get }
    /// What `username` means here, for messages.
    var usernameMeaning: String { get }
    /// What an answer proves. `lookup`: the name a lookup probe (SCIM) asked about.
    func read(_ result: ProbeResult, probe: ProbeDefinition, lookup: String) -> ProbeOutcome
    /// The request's parts fixed for a (probe, target) pair: the probe's own authentication
    /// (`authSecret`: an introspecting client's secret, a SCIM operator token), content types.
    func prepare(_ parts: inout RequestParts, probe: ProbeDefinition, authSecret: Secret?)
    /// Puts the credential's `secret` where the probe's auth scheme says (the request shape). For a
    /// negative control a key or certificate login presents one made for the attempt.
    func place(_ secret: Secret, in parts: inout RequestParts, auth: AuthScheme, context: PlacementContext)
    /// The login name of a negative control (SigV4 signs with a random key id of AWS's shape).
    func negativeControlLogin(_ username: String?, using rng: inout SystemRandomNumberGenerator) -> String?
    /// The negative control's secret when it must have the shape of the pair's first credential's
    /// (a service-account key: its account and key id, a fresh key); nil: `negative_control`'s random text.
    func negativeControlSecret(like first: Secret, probe: ProbeDefinition) -> Secret?
    /// Why a refusal of a credential's own secret (sent as `username`) proves nothing, where the way
    /// the protocol must carry those bytes is one servers are known to read differently; nil: a
    /// refusal counts (with the probe's other rules).
    func refusalUnproven(of secret: Secret, username: String?, probe: ProbeDefinition) -> String?
}

/// A request as a protocol unit shapes it (ProbeRequestBuilder makes a ProbeRequest of it).
public struct RequestParts: Sendable {
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var login: Login?
    public var sigV4: String?
    public var identity: ClientIdentity?
    /// `?` or `&`: how a query parameter joins the probe's path.
    public var querySeparator: String
    /// Whether the probe's own request sets a content type.
    public var hasContentType: Bool
}

/// What placing a secret may depend on besides the secret.
public struct PlacementContext: Sendable {
    public var username: String?
    public var negativeControl: Bool
    /// The certificate (PEM or DER) an mTLS credential presents; an SSH certificate login's `-cert.pub`.
    public var certificate: [UInt8]?
    /// Whether a login is by private key (the credential's kind says so); nil: judge by the text.
    public var keyLogin: Bool?
    /// When the request is made (a signed assertion's `iat`); nil: now.
    public var now: Date? = nil
}

extension ProtocolUnit {
    public var needsUsername: Bool { true }
    public var usernameMeaning: String { "the login name" }
    public var isHTTP: Bool { false }
    public func prepare(_ parts: inout RequestParts, probe: ProbeDefinition, authSecret: Secret?) {}
    public func negativeControlLogin(_ username: String?, using rng: inout SystemRandomNumberGenerator) -> String? { username }
    public func refusalUnproven(of secret: Secret, username: String?, probe: ProbeDefinition) -> String? { nil }
    public func negativeControlSecret(like first: Secret, probe: ProbeDefinition) -> Secret? { nil }

    /// An auth scheme this protocol does not take (lint refuses the pairing): no URL, so every
    /// transport refuses the request, an inconclusive answer, never a verdict.
    func refuse(_ parts: inout RequestParts) { parts.url = "" }
}

/// The HTTP-shaped protocols: an exchange read by the probe's matchers.
protocol HTTPShaped: ProtocolUnit {}

extension HTTPShaped {
    public var isHTTP: Bool { true }
    public var schemes: [String: Int] { ["http": 80, "https": 443] }

    public func read(_ result: ProbeResult, probe: ProbeDefinition, lookup: String) -> ProbeOutcome {
        ResponseClassifier.readHTTP(result, probe: probe)
    }
}

/// The login protocols: accepted, the protocol's own "wrong credentials", or anything else,
/// which proves nothing.
protocol LoginShaped: ProtocolUnit {
    var name: String { get }
}

extension LoginShaped {
    public var authSchemes: [String] { ["login"] }

    /// The login's name and secret, set apart from the URL. Whether it is a key comes from the
    /// credential's kind, never from the text alone for a credential: a PuTTY or SSH2 key does not
    /// say "PRIVATE KEY-----", and sending it as a password is both a refusal that proves nothing
    /// and a leak. A negative control of a key login presents a key made for the attempt.
    public func place(_ secret: Secret, in parts: inout RequestParts, auth: AuthScheme, context: PlacementContext) {
        guard case .login = auth else { return refuse(&parts) }
        let isKey = context.keyLogin ?? secret.looksLikePrivateKey
        parts.login = context.negativeControl && isKey
            ? Login(user: context.username ?? "", secret: "", method: .generatedKey)
            : Login(user: context.username ?? "", secret: secret, method: isKey ? .privateKey : .password,
                    certificate: isKey ? context.certificate : nil)
    }

    public func read(_ result: ProbeResult, probe: ProbeDefinition, lookup: String) -> ProbeOutcome {
        switch result {
        case .success(.loginAccepted):
            return .authenticated(reason: "\(name) login accepted")
        case .success(.http(let response)):
            // A login protocol never answers in HTTP: nothing here is about the credentials.
            return .inconclusive(reason: "status \(response.status): an HTTP answer where a \(name) login was expected")
        case .failure(let failure) where failure.kind == .loginDenied:
            return .rejected(reason: "\(name) login denied: \(failure.message)")
        case .failure(let failure):
            return .inconclusive(reason: "\(failure.kind.rawValue): \(failure.message)")
        }
    }
}

extension ProbeProtocol {
    /// This protocol's rules.
    public var unit: any ProtocolUnit {
        switch self {
        case .http: HTTPProtocol()
        case .tlsClientCertificate: TLSClientCertificateProtocol()
        case .awsSigV4: AWSSigV4Protocol()
        case .oauth2Introspection: OAuth2IntrospectionProtocol()
        case .scim: SCIMProtocol()
        case .ldap: LDAPProtocol()
        case .imap: IMAPProtocol()
        case .smtp: SMTPProtocol()
        case .ssh: SSHProtocol()
        case .postgresql: PostgreSQLProtocol()
        case .oauth2Token: OAuth2TokenProtocol()
        case .mysql: MySQLProtocol()
        case .redis: RedisProtocol()
        case .kerberos: KerberosProtocol()
        }
    }
}

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
}

extension ProtocolUnit {
    public var needsUsername: Bool { true }
    public var usernameMeaning: String { "the login name" }
    public var isHTTP: Bool { false }
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
        }
    }
}

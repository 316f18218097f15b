import RevenantCore

/// How a probe reaches its system (docs/protocols/<protocol>.md says what each one counts as accepted,
/// rejected and inconclusive, and why).
public enum ProbeProtocol: String, Sendable, CaseIterable {
    case http
    case tlsClientCertificate = "tls-client-certificate"
    case awsSigV4 = "aws-sigv4"
    case oauth2Introspection = "oauth2-introspection"
    case scim
    case ldap
    case imap
    case smtp
    case ssh
    case postgresql
    case oauth2Token = "oauth2-token"
    case mysql
    case redis
    case kerberos

    /// URL schemes a target of this protocol may use, with their default ports (its ProtocolUnit's).
    public var schemes: [String: Int] { unit.schemes }

    /// "an http(s) URL", "an ldap:// or ldaps:// URL", for messages.
    public var targetDescription: String {
        if Set(schemes.keys).isSubset(of: ["http", "https"]) { return schemes.count == 2 ? "an http(s) URL" : "an https URL" }
        let names = schemes.keys.sorted().map { "\($0)://" }
        return "a" + (names[0].first.map { "aeiou".contains($0) } == true ? "n " : " ") + names.joined(separator: " or ") + " URL"
    }

    /// An HTTP exchange read by the probe's matchers (the other protocols are a login whose
    /// answer the protocol itself defines: bind result, LOGIN reply, SSH userauth, SQLSTATE).
    public var isHTTP: Bool { unit.isHTTP }

    /// Logs in as a named account: a credential without `username` is not sent.
    public var needsUsername: Bool { unit.needsUsername }

    /// What `username` means for this protocol, for messages.
    public var usernameMeaning: String { unit.usernameMeaning }
}

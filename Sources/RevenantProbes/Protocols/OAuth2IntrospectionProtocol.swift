import RevenantCore

/// RFC 7662 token introspection (docs/protocols/oauth2-introspection.md): `active` read by the matchers.
public struct OAuth2IntrospectionProtocol: HTTPShaped {
    public var authSchemes: [String] { ["introspection"] }
    public var needsUsername: Bool { false }
}

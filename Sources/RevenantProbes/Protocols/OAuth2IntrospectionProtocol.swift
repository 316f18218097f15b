import Foundation
import RevenantCore

/// RFC 7662 token introspection (docs/protocols/oauth2-introspection.md): `active` read by the matchers.
public struct OAuth2IntrospectionProtocol: HTTPShaped {
    public var authSchemes: [String] { ["introspection"] }
    public var needsUsername: Bool { false }

    /// RFC 7662 §2.1: a form-encoded body; the client authenticates with HTTP basic (RFC 6749 §2.3.1).
    public func prepare(_ parts: inout RequestParts, probe: ProbeDefinition, authSecret: Secret?) {
        guard case .introspection(let client, _, _) = probe.auth else { return }
        if !parts.hasContentType { parts.headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
        let pair = ProbeRequestBuilder.formEncode(client) + ":" + ProbeRequestBuilder.formEncode(authSecret?.bytes ?? [])
        parts.headers.append(("Authorization", "Basic \(Data(pair.utf8).base64EncodedString())"))
    }

    /// The token in the form body, with its type hint.
    public func place(_ secret: Secret, in parts: inout RequestParts, auth: AuthScheme, context: PlacementContext) {
        guard case .introspection(_, _, let hint) = auth else { return refuse(&parts) }
        var form = "token=" + ProbeRequestBuilder.formEncode(secret.bytes)
        if let hint { form += "&token_type_hint=" + ProbeRequestBuilder.formEncode(hint) }
        parts.body = Array(form.utf8)
    }
}

import RevenantCore

/// mTLS: the credential's certificate and key in the handshake (docs/protocols/tls-client-certificate.md).
/// A server refuses a client certificate with a TLS alert, or, as nginx does, with an HTTP page.
public struct TLSClientCertificateProtocol: HTTPShaped {
    public var schemes: [String: Int] { ["https": 443] }
    public var authSchemes: [String] { ["client_certificate"] }
    public var needsUsername: Bool { false }

    /// The certificate and its key in the handshake; a negative control presents one made for the run.
    public func place(_ secret: Secret, in parts: inout RequestParts, auth: AuthScheme, context: PlacementContext) {
        guard case .clientCertificate = auth else { return refuse(&parts) }
        parts.identity = context.negativeControl ? .generated : .pem(certificate: context.certificate ?? [], key: secret.bytes)
    }

    public func read(_ result: ProbeResult, probe: ProbeDefinition, lookup: String) -> ProbeOutcome {
        if case .failure(let failure) = result, let alert = Self.certificateAlert(failure.message) {
            return .rejected(reason: Self.alertRefusal(alert))
        }
        return ResponseClassifier.readHTTP(result, probe: probe)
    }

    /// TLS alerts by which a server refuses this client certificate itself (RFC 8446 §6.2). Not
    /// `unknown ca` (the server does not trust the issuer: a wrong endpoint or a missing
    /// intermediate, never a revocation), `certificate required` (none arrived) or `access denied`
    /// (a valid certificate refused by access control): those prove nothing about the certificate,
    /// nor does a handshake failure without an alert (cipher mismatch, our own check of the server).
    static let certificateAlerts = [
        "bad certificate", "certificate revoked", "certificate expired", "certificate unknown", "unsupported certificate",
    ]

    /// Of those, the alerts that say why: revoked, and no client-auth usage (refused wherever it is
    /// checked). The others are also given to a live certificate (OutcomeRules.explainedRefusal).
    static let selfExplainingAlerts = ["certificate revoked", "unsupported certificate"]

    static func alertRefusal(_ alert: String) -> String { "TLS alert `\(alert)`: the server refused the client certificate" }

    /// Whether an mTLS rejection's reason is one of the alerts that say why.
    public static func refusalSaysWhy(_ reason: String) -> Bool {
        selfExplainingAlerts.contains { reason == alertRefusal($0) }
    }

    /// The alert OpenSSL names in a failed handshake (curl 35) or read (curl 56, where TLS 1.3
    /// delivers it): `sslv3 alert certificate revoked` and the like. Only there: curl 60 (our own
    /// check of the server) quotes the server certificate's name, and a CN of
    /// `x alert certificate revoked` must not read as the server refusing ours (found by an
    /// adversarial run).
    static func certificateAlert(_ message: String) -> String? {
        guard message.hasPrefix("curl 35:") || message.hasPrefix("curl 56:") else { return nil }
        let lower = message.lowercased()
        return certificateAlerts.first { alert in
            ["sslv3", "tlsv1", "tlsv13", "ssl/tls"].contains { lower.contains("\($0) alert \(alert)") }
        }
    }
}

import Foundation

/// Where a revocation answer came from.
public enum RevocationSource: String, Sendable, Equatable {
    case crl, ocsp
}

/// What one CRL or OCSP lookup proved about one certificate.
public enum RevocationStatus: Sendable, Equatable {
    /// A verified, fresh answer says the certificate is not revoked.
    case good
    /// A verified, fresh answer says it is revoked (`at` and `reason` when the CA gave them).
    case revoked(at: Date?, reason: String?)
    /// A verified, fresh OCSP answer says the responder does not know the certificate (RFC 6960 §2.2).
    case unknown
    /// Nothing was proved: unreachable, stale, unverifiable, malformed, no issuer. Never "revoked", never "good".
    case unavailable(String)

    /// Revoked with reason certificateHold: suspended, and the CA may lift the hold (RFC 5280 §5.3.1).
    public var isHold: Bool {
        if case .revoked(_, RevocationReason.hold?) = self { true } else { false }
    }

    /// Revoked for good (any reason but a hold).
    public var isRevocation: Bool {
        if case .revoked = self { !isHold } else { false }
    }

    public var name: String {
        switch self {
        case .good: "good"
        case .revoked: "revoked"
        case .unknown: "unknown"
        case .unavailable: "unavailable"
        }
    }
}

/// One CRL or OCSP lookup: a check in the report and a record in the evidence ledger.
public struct RevocationLookup: Sendable, Equatable {
    public var source: RevocationSource
    public var url: String
    public var status: RevocationStatus
    /// The CRL's cRLNumber (decimal), when it has one.
    public var crlNumber: String?
    /// The OCSP response's producedAt.
    public var producedAt: Date?
    public var thisUpdate: Date?
    public var nextUpdate: Date?
    public var durationMs: Int

    public init(source: RevocationSource, url: String, status: RevocationStatus, crlNumber: String? = nil, producedAt: Date? = nil,
                thisUpdate: Date? = nil, nextUpdate: Date? = nil, durationMs: Int = 0) {
        self.source = source
        self.url = url
        self.status = status
        self.crlNumber = crlNumber
        self.producedAt = producedAt
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.durationMs = durationMs
    }

    /// revoked → rejected (the CA refuses the certificate), good → authenticated (the CA still vouches
    /// for it), anything else → inconclusive. Only a verified, fresh answer is ever rejected/authenticated.
    public var outcome: ProbeOutcome {
        switch status {
        case .good: .authenticated(reason: "\(source.rawValue): good at the CA\(freshness)")
        case .revoked(let at, let reason):
            .rejected(reason: "\(source.rawValue): revoked at the CA" + (at.map { " at \(Timestamp.format($0))" } ?? "")
                + (reason.map { " (\($0))" } ?? "") + freshness)
        case .unknown: .inconclusive(reason: "ocsp: the responder does not know this certificate (unknown)")
        case .unavailable(let why): .inconclusive(reason: "\(source.rawValue): \(why)")
        }
    }

    var freshness: String {
        guard let thisUpdate else { return "" }
        return "; thisUpdate \(Timestamp.format(thisUpdate))" + (nextUpdate.map { ", nextUpdate \(Timestamp.format($0))" } ?? "")
    }

    /// The lookup as a report check: probe `crl`/`ocsp`, target the URL, no controls (a CA answer
    /// is not a credential attempt), and the lookup itself attached.
    public var check: ProbeCheck {
        ProbeCheck(probe: source.rawValue, target: url, outcome: outcome, controls: ControlStatus(negative: nil),
                   attempts: 1, durationMs: durationMs, revocation: self)
    }

    /// The lookup's own ledger fields (besides run, credential, fingerprint and time).
    public var ledgerFields: [(String, Tree)] {
        var fields: [(String, Tree)] = [
            ("probe", .string(source.rawValue)), ("target", .string(url)),
            ("outcome", .string(outcome.name)), ("reason", .string(outcome.reason)), ("status", .string(status.name)),
            ("duration_ms", .int(durationMs)),
        ]
        if case .revoked(let at, let reason) = status {
            if let at { fields.append(("revoked_at", .string(Timestamp.format(at)))) }
            if let reason { fields.append(("revocation_reason", .string(reason))) }
        }
        if let crlNumber { fields.append(("crl_number", .string(crlNumber))) }
        if let producedAt { fields.append(("produced_at", .string(Timestamp.format(producedAt)))) }
        if let thisUpdate { fields.append(("this_update", .string(Timestamp.format(thisUpdate)))) }
        if let nextUpdate { fields.append(("next_update", .string(Timestamp.format(nextUpdate)))) }
        return fields
    }
}

/// RFC 5280 §5.3.1 CRLReason names, shared by CRL entries and OCSP revokedInfo.
public enum RevocationReason {
    public static let hold = "certificateHold"

    public static func name(_ code: Int) -> String {
        switch code {
        case 0: "unspecified"
        case 1: "keyCompromise"
        case 2: "cACompromise"
        case 3: "affiliationChanged"
        case 4: "superseded"
        case 5: "cessationOfOperation"
        case 6: hold
        case 8: "removeFromCRL"
        case 9: "privilegeWithdrawn"
        case 10: "aACompromise"
        default: "reason \(code)"
        }
    }
}

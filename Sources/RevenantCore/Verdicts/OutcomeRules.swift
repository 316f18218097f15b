import Foundation

/// Rules that change what one probe outcome proves, given what else is known about the credential
/// or the probe. Each takes the outcome and the observations and returns the outcome that stands.
public enum OutcomeRules {
    /// A refusal by a probe whose refusals prove nothing (`rejection_unproven`: the provider also
    /// refuses some live credentials that way) is inconclusive, with the probe's reason. Only for
    /// credential checks: a negative control's refusal still counts.
    public static func unprovenRefusal(_ outcome: ProbeOutcome, why: String?) -> ProbeOutcome {
        guard let why, case .rejected(let reason) = outcome else { return outcome }
        return .inconclusive(reason: "\(reason), which proves nothing here: \(why)")
    }

    /// An mTLS refusal proves a certificate dead only when it says why (`saysWhy`: the alerts
    /// `certificate revoked`, `unsupported certificate`), when the certificate is past its notAfter,
    /// or when the CA lists it as revoked. Servers also refuse a live certificate whose issuer they
    /// do not trust, whose intermediate they lack, or while their own CRL is stale, and say so in the
    /// same words as for a revoked one: nginx's "The SSL certificate error" page covers every case;
    /// OpenSSL answers a stale CRL with `certificate expired`; Go (before 1.21) answers any failed
    /// check, an unknown issuer too, with `bad certificate`; Java an untrusted issuer with
    /// `certificate unknown`.
    public static func explainedRefusal(_ outcome: ProbeOutcome, saysWhy: Bool, caRevoked: Bool, leafExpired: Bool) -> ProbeOutcome {
        guard case .rejected(let reason) = outcome, !caRevoked, !leafExpired, !saysWhy else { return outcome }
        return .inconclusive(reason: "\(reason), without saying why, and the CA does not list the certificate as revoked: "
            + "a server refuses a live certificate in the same words when it does not trust its issuer, lacks its intermediate "
            + "or holds a stale CRL")
    }

    /// An authorization server's `active: false` for a self-contained JWT still within its `exp` is
    /// its own view only: a resource server that checks the token's signature and `exp` locally,
    /// as JWTs are made for, accepts it until then. So it does not prove the token dead.
    public static func introspectedJWT(_ outcome: ProbeOutcome, validUntil: Date, now: Date) -> ProbeOutcome {
        guard case .rejected(let reason) = outcome, validUntil > now else { return outcome }
        let until = validUntil == .distantFuture ? "it has no `exp`" : "its `exp` is \(Timestamp.format(validUntil))"
        return .inconclusive(reason: "\(reason): the authorization server calls the token inactive, but it is a JWT and \(until): "
            + "a resource server that checks JWTs itself accepts it until then")
    }
}

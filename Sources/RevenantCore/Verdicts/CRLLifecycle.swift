import Foundation

/// The facts of one CRL that the publication rules look at.
public struct CRLFacts: Sendable, Equatable {
    /// The CRL's issuer (RFC 2253).
    public var issuer: String
    public var thisUpdate: Date?
    public var nextUpdate: Date?
    /// Dates the CRL has that are not valid times (`thisUpdate`, `nextUpdate`): nil above, yet present.
    public var invalidDates: [String]

    public init(issuer: String, thisUpdate: Date?, nextUpdate: Date?, invalidDates: [String] = []) {
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.invalidDates = invalidDates
    }
}

/// Publication findings of one CRL given to `certs --crl`: past its nextUpdate (`crl_stale`) or
/// close to it (`crl_expiring`, the same window as a certificate's expiry). Pure: `now` is an argument.
/// A CRL relying parties refuse by its dates alone (one not valid yet, or a date that is not a valid
/// time) is `crl_stale` too: to them it is as unusable as a stale one.
public enum CRLLifecycle {
    /// Clock skew tolerated on thisUpdate (as the CRL lookups' `CertificateRevocationList.freshness`).
    static let leeway: TimeInterval = 300

    public static func findings(for crl: CRLFacts, policy: Policy, now: Date) -> [Finding] {
        // RFC 5280 §5.1.2.4-5; OpenSSL: "format error in CRL's lastUpdate/nextUpdate field".
        if !crl.invalidDates.isEmpty {
            return [Finding(code: .crlStale, message: "\(crl.invalidDates.joined(separator: " and ")) \(crl.invalidDates.count == 1 ? "is" : "are") not a valid time: relying parties "
                + "refuse the CRL as they refuse a stale one")]
        }
        // OpenSSL: "CRL is not yet valid".
        if let this = crl.thisUpdate, this > now.addingTimeInterval(leeway) {
            return [Finding(code: .crlStale, message: "thisUpdate \(Timestamp.format(this)) is in the future: relying parties refuse a CRL "
                + "that is not valid yet as they refuse a stale one (a wrong clock at the CA?)")]
        }
        // RFC 5280 §5.1.2.5: conforming CAs always set nextUpdate; without it nothing says when it goes stale.
        guard let next = crl.nextUpdate else {
            return [Finding(code: .ok, message: "no nextUpdate: the CRL never goes stale by its own dates (RFC 5280 §5.1.2.5 asks CAs to set one)")]
        }
        if next <= now {
            let days = Int((now.timeIntervalSince(next) / 86_400).rounded(.down))
            // RFC 5280 §6.3.3 (a)(2): a relying party that needs a current CRL and finds none refuses the
            // certificate (fails closed) or, configured to soft-fail, accepts revoked ones (fails open).
            return [Finding(code: .crlStale, message: "nextUpdate \(Timestamp.format(next)) passed \(days) days ago: relying parties "
                + "checking \(crl.issuer)'s certificates against it refuse them all (fail closed) or accept revoked ones (fail open)")]
        }
        let days = Int((next.timeIntervalSince(now) / 86_400).rounded(.down))
        if let why = CertificateLifecycle.warningWindow(from: crl.thisUpdate ?? next, until: next, policy: policy, now: now) {
            return [Finding(code: .crlExpiring, message: "nextUpdate \(Timestamp.format(next)) (\(why)): a new CRL must be published before then")]
        }
        return [Finding(code: .ok, message: "current: nextUpdate \(Timestamp.format(next)) (in \(days) days)")]
    }
}

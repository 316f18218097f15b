import Foundation

/// Findings from the CA's answers about one certificate (DESIGN.md §6). Pure: `now` is an argument.
///
/// - Revoked by any verified, fresh source wins (a CA does not un-revoke; a good answer elsewhere
///   is a stale cache). Should-be-dead → `revocation_verified`; `active` → `inventory_drift` (high:
///   every relying party that checks revocation already refuses it).
/// - certificateHold is a suspension the CA can lift, not a revocation: should-be-dead →
///   `revocation_unverified`; `active` → no finding (the check itself shows the hold).
/// - Good and should-be-dead, not expired → `not_revoked_at_ca` (critical; high when `rotated`).
/// - Should-be-dead, not expired, nothing proved (unreachable, stale, unverifiable, unknown, no
///   URL) → `revocation_unverified`, whatever `soft_fail` says.
/// - `active` and nothing proved: with `soft_fail` no finding (the check says inconclusive); without
///   it `revocation_unverified` (high), so a hard-fail policy fails the run. `soft_fail` never turns
///   an unreachable source into "revoked" or "good".
/// - Expired certificates: CAs drop them from CRLs and OCSP (RFC 5280 §3.3), so the CA's answer
///   says nothing; expiry itself is the lifecycle rules' business.
public enum RevocationVerdict {
    public static func findings(lookups: [RevocationLookup], state: LifecycleState, notAfter: Date, softFail: Bool, now: Date) -> [Finding] {
        if notAfter <= now { return [] }
        let revoked = lookups.first { if case .revoked = $0.status { !$0.status.isHold } else { false } }
        let held = lookups.first { $0.status.isHold }
        let good = lookups.first { $0.status == .good }
        if let revoked {
            let what = describe(revoked)
            if state.shouldBeDead {
                return [Finding(code: .revocationVerified, message: "revoked at the CA: \(what)")]
            }
            return [Finding(code: .inventoryDrift, severity: .high,
                            message: "state active, but the CA revoked it: \(what)")]
        }
        if let held {
            guard state.shouldBeDead else { return [] }
            return [Finding(code: .revocationUnverified,
                            message: "suspended (\(RevocationReason.hold)), not revoked: the CA can lift the hold (\(describe(held)))")]
        }
        if let good, state.shouldBeDead {
            return [Finding(code: .notRevokedAtCA, severity: state == .rotated ? .high : nil,
                            message: "\(state.rawValue) certificate, valid until \(Timestamp.format(notAfter)), is good at the CA: \(describe(good))")]
        }
        if good != nil { return [] }
        let why = lookups.isEmpty
            ? "no CRL or OCSP URL and no issuer-side proof"
            : lookups.map { "\($0.source.rawValue) \($0.url): \($0.outcome.reason.drop { $0 != ":" }.dropFirst(2))" }.joined(separator: "; ")
        if state.shouldBeDead {
            return [Finding(code: .revocationUnverified, message: "the CA's revocation status cannot be proved (\(why))")]
        }
        if !softFail && !lookups.isEmpty {
            return [Finding(code: .revocationUnverified,
                            message: "revocation status could not be checked and revocation.soft_fail is false (\(why))")]
        }
        return []
    }

    static func describe(_ lookup: RevocationLookup) -> String {
        var text = "\(lookup.source.rawValue) \(lookup.url)"
        if case .revoked(let at, let reason) = lookup.status {
            if let at { text += " revoked at \(Timestamp.format(at))" }
            if let reason { text += " (\(reason))" }
        }
        if let n = lookup.crlNumber { text += ", CRL number \(n)" }
        if let p = lookup.producedAt { text += ", producedAt \(Timestamp.format(p))" }
        return text
    }
}

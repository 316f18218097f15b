import Foundation

/// How an `x509_certificate`'s findings come together: what its probes showed, the certificate's
/// own lifecycle, and the CA's answer (CRL/OCSP).
public enum CertificateVerdict {
    /// What its probes showed (residual access, expired still accepted, drift, revocation proof)
    /// plus the certificate's own lifecycle (expiry by its lifetime, weak crypto), which replaces
    /// the generic date rules.
    public static func findings(probed: FindingSet, facts: CertificateFacts, credential: Credential, policy: Policy, now: Date) -> FindingSet {
        var findings = probed
        findings.remove([.expired, .expiringSoon, .rotationOverdue, .ownerless, .ok])
        let lifecycle = CertificateLifecycle.findings(for: facts, state: credential.state, owner: .recorded(credential.owner),
                                                      policy: policy, now: now)
        // `ok` needs more than a clean certificate when probes ran: none of them may disagree.
        let probesClean = !findings.findings.contains { $0.severity > .info }
        findings.merge(lifecycle.filter { $0.code != .ok || probesClean })
        return findings
    }

    /// The findings with the CA's. The endpoints decide residual access; the CA's answer adds
    /// `not_revoked_at_ca` and an active certificate's revocation (`inventory_drift`). Whether a
    /// should-be-dead certificate is proved dead comes from the probes when there were any, else
    /// from the CA (its "no probe" finding is replaced by the CA's verdict, when the CA gave one: a
    /// self-signed or expired certificate gets none, and stays unproved).
    /// A certificate the CA has put on hold (`held`) is not proved dead by endpoints refusing it
    /// (OpenSSL refuses a held certificate as `certificate revoked`): the CA can lift the hold, and
    /// then they accept it again. Its `revocation_verified` gives way to the CA's `revocation_unverified`.
    public static func withCA(_ findings: FindingSet, _ ca: [Finding], probed: Bool, held: Bool = false) -> FindingSet {
        var out = findings
        if !probed && !ca.isEmpty {
            out.remove([.revocationUnverified, .revocationVerified])
            out.merge(ca)
        } else {
            out.merge(ca.filter { $0.code == .notRevokedAtCA || $0.code == .inventoryDrift })
            if held, out.contains(.revocationVerified), ca.contains(where: { $0.code == .revocationUnverified }) {
                out.remove([.revocationVerified])
                out.merge(ca.filter { $0.code == .revocationUnverified })
            }
        }
        if ca.contains(where: { $0.severity > .low }) { out.remove([.ok]) }
        return out
    }

    /// `rotation_not_deployed` (high): `endpoint` still serves a certificate the inventory says is
    /// rotated, revoked, offboarded or expired.
    public static func rotationNotDeployed(_ credential: Credential, endpoint: String) -> Finding? {
        guard credential.state.shouldBeDead else { return nil }
        let since = (credential.rotatedAt ?? credential.revokedAt).map { " since \(Timestamp.format($0))" } ?? ""
        return Finding(code: .rotationNotDeployed,
                       message: "\(endpoint) still serves `\(credential.id)`, \(credential.state.rawValue)\(since) in the inventory")
    }

    /// A certificate file the inventory says should be dead, scanned without asking the CA: nothing proves it dead.
    public static func unprovedWithoutCA(_ credential: Credential) -> Finding? {
        guard credential.state.shouldBeDead else { return nil }
        return Finding(code: .revocationUnverified, message: "\(credential.state.rawValue) in the inventory (`\(credential.id)`), "
            + "and nothing here proves it dead: add --revocation to ask the CA, or probe its endpoints with `revenant verify`")
    }
}

/// How bad a finding is; ordered from `info` to `critical`.
public enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case info, low, medium, high, critical

    var rank: Int { Severity.allCases.firstIndex(of: self)! }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// The finding codes of DESIGN.md §6.
public enum FindingCode: String, Sendable, CaseIterable, Codable {
    case residualAccess = "residual_access"
    case cameBackToLife = "came_back_to_life"
    case expiredStillAccepted = "expired_still_accepted"
    case notRevokedAtCA = "not_revoked_at_ca"
    case rotationNotDeployed = "rotation_not_deployed"
    case revocationUnverified = "revocation_unverified"
    case expired
    case expiringSoon = "expiring_soon"
    case rotationOverdue = "rotation_overdue"
    case weakCrypto = "weak_crypto"
    case checkFailed = "check_failed"
    case inventoryDrift = "inventory_drift"
    case ownerless
    case revocationVerified = "revocation_verified"
    case ok
    case crlStale = "crl_stale"
    case crlExpiring = "crl_expiring"
    case ocspResponderDown = "ocsp_responder_down"
    case ocspResponderUnauthorized = "ocsp_responder_unauthorized"
    case ocspResponderCertExpiring = "ocsp_responder_cert_expiring"

    /// The severity a finding of this code has unless the rule says otherwise.
    public var defaultSeverity: Severity {
        switch self {
        case .residualAccess, .cameBackToLife, .expiredStillAccepted, .notRevokedAtCA: .critical
        case .rotationNotDeployed, .revocationUnverified, .expired: .high
        case .expiringSoon, .rotationOverdue, .weakCrypto, .checkFailed: .medium
        case .inventoryDrift, .ownerless: .low
        case .revocationVerified, .ok: .info
        case .crlStale, .ocspResponderDown, .ocspResponderUnauthorized: .high
        case .crlExpiring, .ocspResponderCertExpiring: .medium
        }
    }

    /// What an auditor maps the finding to (see docs/references.md for the published wording).
    public var references: [String] { FindingReferences.for(self) }

    /// What the finding means, in one sentence (DESIGN.md §6 "when"): a rule's description in SARIF.
    public var summary: String {
        switch self {
        case .residualAccess: "A credential that should be dead still authenticated (controls passed)."
        case .cameBackToLife: "A credential proven rejected at a target by an earlier run authenticates there again."
        case .expiredStillAccepted: "A credential past its expiry still authenticated."
        case .notRevokedAtCA: "A certificate that should be dead, and is not expired, is reported good by its CA (CRL/OCSP)."
        case .rotationNotDeployed: "An endpoint still serves a certificate the inventory says was rotated or revoked."
        case .revocationUnverified: "A credential that should be dead was not definitively rejected anywhere it was tried."
        case .expired: "An active credential is past its expiry."
        case .expiringSoon: "An active credential expires within the warning period."
        case .rotationOverdue: "An active credential is older than the maximum rotation age."
        case .weakCrypto: "A certificate uses a weak key or signature algorithm."
        case .checkFailed: "No check of an active credential gave an answer."
        case .inventoryDrift: "An active credential was definitively rejected: the inventory is out of date."
        case .ownerless: "The credential has no owner."
        case .revocationVerified: "A credential that should be dead was definitively rejected everywhere it was probed."
        case .ok: "An active credential authenticates and is within policy."
        case .crlStale: "A CRL is past its nextUpdate: relying parties that check it fail open or closed."
        case .crlExpiring: "A CRL reaches its nextUpdate within the warning period."
        case .ocspResponderDown: "An OCSP responder did not give a signed answer."
        case .ocspResponderUnauthorized: "An OCSP responder signs with a certificate relying parties refuse."
        case .ocspResponderCertExpiring: "An OCSP responder's delegated signing certificate expires within the warning period."
        }
    }

    /// One sentence a person acts on at 3 a.m.
    public var advice: String {
        switch self {
        case .residualAccess: "Revoke or disable the credential at the system that accepted it, then re-run to prove it."
        case .cameBackToLife: "Something restored it (a backup, a re-enabled account, a re-imported key): revoke it again and find what brought it back."
        case .expiredStillAccepted: "The system ignores expiry: revoke the credential there and fix its expiry enforcement."
        case .notRevokedAtCA: "Revoke the certificate at the issuing CA so that CRL/OCSP report it."
        case .rotationNotDeployed: "Deploy the new certificate to the endpoint and reload the service."
        case .revocationUnverified: "Nothing proved the credential dead: fix the inconclusive checks (or add a probe) and re-run."
        case .expired: "Replace the credential, or mark it expired/revoked in the inventory if it is no longer used."
        case .expiringSoon: "Rotate the credential before it expires."
        case .rotationOverdue: "Rotate the credential and record rotated_at."
        case .weakCrypto: "Reissue with a stronger key or signature algorithm."
        case .checkFailed: "Nothing could check this active credential: fix what stopped the check (server, secret, probe) so the next run sees it."
        case .inventoryDrift: "The inventory says active but the system rejects it: update the inventory or fix the credential."
        case .ownerless: "Assign an owner who answers for the credential."
        case .revocationVerified: "Nothing to do: keep this report as evidence."
        case .ok: "Nothing to do."
        case .crlStale: "Publish a fresh CRL (openssl ca -gencrl or the CA's CRL job) and find why publishing stopped."
        case .crlExpiring: "Check that the CA's CRL job runs and publishes before nextUpdate."
        case .ocspResponderDown: "Restart or fix the OCSP responder: until it answers, clients soft-fail or refuse every certificate."
        case .ocspResponderUnauthorized: "Sign answers with the CA or a current certificate it issued with the OCSPSigning EKU."
        case .ocspResponderCertExpiring: "Issue the responder a new OCSPSigning certificate before the current one expires."
        }
    }
}

/// One thing the report says about a credential.
public struct Finding: Sendable, Hashable {
    public var code: FindingCode
    public var severity: Severity
    public var message: String

    public init(code: FindingCode, severity: Severity? = nil, message: String) {
        self.code = code
        self.severity = severity ?? code.defaultSeverity
        self.message = message
    }
}

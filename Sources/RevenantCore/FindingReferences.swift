/// Audit references per finding code, each checked against the published text (docs/references.md
/// quotes the wording and says why it applies).
public enum FindingReferences {
    static func `for`(_ code: FindingCode) -> [String] {
        switch code {
        case .residualAccess: [nhi1, csfAA01, csfAA05, zeroTrustTenet6, sp80053IA5]
        case .cameBackToLife: [nhi1, csfAA01, csfAA05, zeroTrustTenet6, sp80053IA5]
        case .expiredStillAccepted: [csfAA03, csfAA01, zeroTrustTenet6]
        case .notRevokedAtCA: [nhi1, csfAA01, sp80053IA5]
        case .rotationNotDeployed: [csfAA01, sp80053IA5]
        case .revocationUnverified: [nhi1, csfAA01, csfAA05]
        case .expired, .expiringSoon: [csfAA01, sp80053IA5]
        case .rotationOverdue: [nhi7, sp80053IA5, csfAA01]
        case .weakCrypto: [sp80053IA5, "NIST-SP-800-53r5:SC-13", "OWASP-NHI-2025:NHI4 Insecure Authentication"]
        case .inventoryDrift: [csfAA01]
        case .checkFailed: [csfAA01]
        case .ownerless: [nhi1, "NIST-CSF-2.0:GV.RR-02"]
        case .revocationVerified: [nhi1, csfAA01, csfAA05, sp80053IA5]
        case .ok: []
        // Relying parties "checking certificate status information" (IA-5(2)(b)(1)) need these services.
        case .crlStale, .crlExpiring, .ocspResponderDown, .ocspResponderUnauthorized, .ocspResponderCertExpiring: [sp80053IA5PKI]
        }
    }

    /// Where a reference is published (docs/references.md): the item's own page where it has one,
    /// else its framework's document; nil for a framework not listed there.
    public static func source(of reference: String) -> String? {
        let owasp = "https://owasp.org/www-project-non-human-identities-top-10/2025/"
        if reference.hasPrefix("OWASP-NHI-2025:") {
            switch reference {
            case nhi1: return owasp + "1-improper-offboarding/"
            case nhi7: return owasp + "7-long-lived-secrets/"
            case "OWASP-NHI-2025:NHI4 Insecure Authentication": return owasp + "4-insecure-authentication/"
            default: return owasp + "top-10-2025"
            }
        }
        if reference.hasPrefix("NIST-CSF-2.0:") { return "https://nvlpubs.nist.gov/nistpubs/CSWP/NIST.CSWP.29.pdf" }
        if reference.hasPrefix("NIST-SP-800-207:") { return "https://nvlpubs.nist.gov/nistpubs/SpecialPublications/NIST.SP.800-207.pdf" }
        if reference.hasPrefix("NIST-SP-800-53r5:") { return "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final" }
        return nil
    }

    static let nhi1 = "OWASP-NHI-2025:NHI1 Improper Offboarding"
    static let nhi7 = "OWASP-NHI-2025:NHI7 Long-Lived Secrets"
    static let csfAA01 = "NIST-CSF-2.0:PR.AA-01"
    static let csfAA03 = "NIST-CSF-2.0:PR.AA-03"
    static let csfAA05 = "NIST-CSF-2.0:PR.AA-05"
    static let zeroTrustTenet6 = "NIST-SP-800-207:§2.1 tenet 6"
    static let sp80053IA5 = "NIST-SP-800-53r5:IA-5"
    static let sp80053IA5PKI = "NIST-SP-800-53r5:IA-5(2)"
}

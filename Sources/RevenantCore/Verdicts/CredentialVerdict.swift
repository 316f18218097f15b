import Foundation

/// Everything a `verify` run observed about one credential, handed to the verdict.
public struct CredentialObservations: Sendable {
    public var credential: Credential
    /// Its probe checks, outcomes already read through OutcomeRules.
    public var checks: [ProbeCheck]
    /// Findings its secret gives by itself (a JWT's `alg: none`).
    public var secretFindings: [Finding]
    /// An `x509_certificate`'s own facts.
    public var certificate: CertificateFacts?
    /// The CA's findings (CRL/OCSP), when it was asked.
    public var caFindings: [Finding]?
    /// The CA holds the certificate (on hold, not revoked for good, not expired).
    public var caHeld: Bool
    /// An `ssh_certificate`'s certificate and KRL facts.
    public var sshCertificate: SSHCertificateFacts?

    public init(credential: Credential, checks: [ProbeCheck], secretFindings: [Finding] = [], certificate: CertificateFacts? = nil,
                caFindings: [Finding]? = nil, caHeld: Bool = false) {
        self.credential = credential
        self.checks = checks
        self.secretFindings = secretFindings
        self.certificate = certificate
        self.caFindings = caFindings
        self.caHeld = caHeld
    }
}

/// The findings of one credential of a `verify` run: its probes (Classifier), its secret, its
/// certificate and its CA, merged by FindingSet's rule.
public enum CredentialVerdict {
    public static func findings(_ o: CredentialObservations, policy: Policy, now: Date) -> [Finding] {
        var findings = FindingSet(Classifier.findings(for: o.credential, checks: o.checks, policy: policy, now: now))
        // Not `ok` any more once the secret itself is weak.
        findings.merge(o.secretFindings)
        if let facts = o.certificate {
            findings = CertificateVerdict.findings(probed: findings, facts: facts, credential: o.credential, policy: policy, now: now)
            if let ca = o.caFindings {
                findings = CertificateVerdict.withCA(findings, ca, probed: !o.checks.isEmpty, held: o.caHeld)
            }
        }
        if let ssh = o.sshCertificate {
            findings = SSHCertificateVerdict.findings(findings, facts: ssh, credential: o.credential, now: now)
        }
        return findings.findings
    }
}

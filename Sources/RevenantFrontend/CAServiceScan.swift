import Foundation
import RevenantCore
import RevenantFiles
import RevenantNet

/// What `certs` says about a CA's revocation services themselves: CRL files (`--crl`) and OCSP
/// responders asked directly (`--ocsp-responder`). Each is one result, its facts in `tags`.
enum CAServiceScan {
    /// The largest CRL file read (as `RevocationFetcher.maxBytes`: a 1,000,000-entry CRL is ~55 MB PEM).
    static let maxCRLBytes = 256 << 20

    /// A CRL file's result, or why it could not be read. Its signature is checked against the
    /// candidate whose subject is the CRL's issuer (the certificates scanned, `--issuer`, `tls.ca_bundle`).
    static func crl(_ path: String, issuers: [X509Certificate], policy: Policy, now: Date) -> Result<CredentialResult, CRLError> {
        let crl: CertificateRevocationList
        switch FileBytes.read(path, limit: maxCRLBytes) {
        case .failure(.tooLarge): return .failure(CRLError("\(path): larger than \(maxCRLBytes >> 20) MiB: not read"))
        case .failure(.unreadable(let why)): return .failure(CRLError("\(path): cannot be read (\(why))"))
        case .success(let bytes):
            do throws(CRLError) { crl = try CertificateRevocationList(bytes: bytes) } catch { return .failure(CRLError("\(path): \(error.reason)")) }
        }
        var tags = ["type": "crl", "issuer": crl.issuer, "entries": String(crl.entryCount)]
        tags["crl_number"] = crl.crlNumber
        tags["this_update"] = crl.thisUpdate.map(Timestamp.format)
        tags["next_update"] = crl.nextUpdate.map(Timestamp.format)
        tags["scope"] = crl.scopeProblem
        let named = issuers.filter { $0.info.subject == crl.issuer }
        if let signer = named.first(where: { crl.isSigned(by: $0) }) {
            tags["signature"] = "verified with \(signer.info.subject) (sha256 \(signer.info.sha256.prefix(16)))"
        } else {
            tags["signature"] = named.isEmpty ? "not checked: no issuer certificate given" : "does not verify with the issuer certificate given"
        }
        let findings = CRLLifecycle.findings(for: crl.facts, policy: policy, now: now)
        return .success(result(id: path, tags: tags, findings: findings, expiresAt: crl.nextUpdate))
    }

    /// An OCSP responder's result: asked about a random serial of `issuer`.
    static func responder(_ url: String, issuer: X509Certificate, client: OCSPClient, policy: Policy, now: Date) -> CredentialResult {
        let facts = OCSPResponderCheck.check(url, issuer: issuer, client: client, now: now)
        var tags = ["type": "ocsp_responder", "issuer": issuer.info.subject]
        tags["answer"] = facts.status
        tags["down"] = facts.down
        var notAfter: Date?
        switch facts.signer {
        case .issuer?: tags["signer"] = "the CA"
        case .delegated(let subject, let from, let until, let ocspSigning)?:
            tags["signer"] = subject
            tags["signer_not_before"] = Timestamp.format(from)
            tags["signer_not_after"] = Timestamp.format(until)
            tags["signer_ocsp_signing"] = String(ocspSigning)
            notAfter = until
        case .unauthorized(let why)?: tags["signer"] = why
        case nil: break
        }
        let findings = OCSPResponderVerdict.findings(for: facts, policy: policy, now: now)
        return result(id: url, tags: tags, findings: findings, expiresAt: notAfter)
    }

    /// A CA service as a report result: a certificate-kind credential with no owner, its id the file or URL.
    static func result(id: String, tags: [String: String], findings: [Finding], expiresAt: Date?) -> CredentialResult {
        let credential = Credential(id: id, kind: .x509Certificate, state: .active, owner: nil, issuedAt: nil, rotatedAt: nil,
                                    revokedAt: nil, expiresAt: expiresAt, tags: tags, origin: id)
        return CredentialResult(credential: credential, fingerprint: nil, checks: [], findings: FindingSet(findings).findings)
    }
}

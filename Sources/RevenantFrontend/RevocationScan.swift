import Foundation
import RevenantCore
import RevenantEngine
import RevenantNet
import RevenantProbes

/// CRL/OCSP lookups for certificates (`certs --revocation`, and every `x509_certificate` of a
/// `verify` run): their checks, the findings the CA's answers give, and one ledger record each.
public struct RevocationScan {
    let checker: RevocationChecker
    /// Candidate issuers by subject (RFC 2253), so finding one is not a scan of every certificate.
    let pool: [String: [X509Certificate]]
    let softFail: Bool
    /// `revocation.ca_issuers_hosts`: where a missing issuer may be fetched from.
    let caIssuersHosts: [String]
    let now: Date
    var runID: String
    var ledger: (any EvidenceSink)?

    /// `candidates`: certificates that may be issuers (those scanned); the configured CA bundle is added.
    public init(config: Configuration, candidates: [X509Certificate], now: Date, runID: String, ledger: (any EvidenceSink)?) {
        var options = RevocationOptions(crl: config.revocation.crl, ocsp: config.revocation.ocsp,
                                        timeout: config.timeout, proxy: config.proxy, ocspMethod: config.revocation.ocspMethod)
        options.trust = config.trustAnchors
        checker = RevocationChecker(options: options, now: now)
        var pool = candidates
        if let bundle = config.caBundle { pool += X509Loader.load(file: bundle).certificates }
        self.pool = Dictionary(grouping: pool) { $0.info.subject }
        softFail = config.revocation.softFail
        caIssuersHosts = config.revocation.caIssuersHosts
        self.now = now
        self.runID = runID
        self.ledger = ledger
    }

    /// The lookups for `certificate` (issuer from `chain` first, then the pool) and their findings.
    /// `state`: what the inventory says (`active` when there is none). A should-be-dead certificate
    /// with no CRL or OCSP URL gets `revocation_unverified`; an active one nothing.
    /// `local` false (served by an endpoint): file:// URLs in it are refused, never read.
    public func scan(_ certificate: X509Certificate, chain: [X509Certificate], state: LifecycleState,
                     credential: String, fingerprint: String?, local: Bool = true) -> (checks: [ProbeCheck], findings: [Finding]) {
        guard let lookups = lookups(certificate, chain: chain, state: state, credential: credential, fingerprint: fingerprint, local: local) else {
            return ([], [])
        }
        let findings = RevocationVerdict.findings(lookups: lookups, state: state, notAfter: certificate.info.notAfter, softFail: softFail, now: now)
        return (lookups.map(\.check), findings)
    }

    /// The lookups alone (each written to the ledger), or nil when no CA is asked (see `scan`).
    public func lookups(_ certificate: X509Certificate, chain: [X509Certificate], state: LifecycleState,
                        credential: String, fingerprint: String?, local: Bool = true) -> [RevocationLookup]? {
        let info = certificate.info
        // A self-signed certificate is its own authority: no CA above it can revoke it.
        if info.isSelfSigned { return nil }
        if info.ocspURLs.isEmpty && info.crlDistributionPoints.isEmpty && !state.shouldBeDead { return nil }
        let issuer = RevocationChecker.issuer(of: certificate, in: chain) ?? RevocationChecker.issuer(of: certificate, in: pool[info.issuer] ?? [])
            ?? fetchedIssuer(of: certificate)
        let lookups = checker.check(certificate, issuer: issuer, allowFile: local)
        for lookup in lookups {
            ledger?.append([("time", .string(Timestamp.format(Date()))), ("run", .string(runID)), ("credential", .string(credential)),
                            ("fingerprint", .string(fingerprint ?? ""))] + lookup.ledgerFields)
        }
        return lookups
    }

    /// The issuer from the certificate's caIssuers URLs on an allowed host (http(s) only), used only
    /// when its key verifies the certificate's signature; nil when none does or none may be asked.
    func fetchedIssuer(of certificate: X509Certificate) -> X509Certificate? {
        guard !caIssuersHosts.isEmpty else { return nil }
        for url in certificate.info.caIssuerURLs {
            guard let target = TargetURL(url), HostPattern.allows(caIssuersHosts, target.host),
                  case .success(let fetched) = checker.caIssuers(url) else { continue }
            if let issuer = RevocationChecker.issuer(of: certificate, in: fetched) { return issuer }
        }
        return nil
    }

    /// `certs`: a scanned certificate's result gains its lookups and the CA's findings.
    public func apply(to result: inout CredentialResult, certificate: X509Certificate, chain: [X509Certificate], local: Bool = true) {
        let (checks, findings) = scan(certificate, chain: chain, state: result.credential.state,
                                      credential: result.credential.id, fingerprint: result.fingerprint, local: local)
        result.checks += checks
        result.findings = FindingSet(result.findings).merging(findings).findings
    }
}

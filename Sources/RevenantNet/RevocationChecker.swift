import COpenSSL
import Foundation
import RevenantCore

/// Which revocation sources to ask and how (config `revocation` and `timeout_seconds`).
public struct RevocationOptions: Sendable {
    public var crl = true
    public var ocsp = true
    public var timeout: Timeout
    public var proxy: String?
    public var ocspMethod: OCSPMethod
    public var trust = TrustAnchors()

    public init(crl: Bool = true, ocsp: Bool = true, timeout: Timeout = .default, proxy: String? = nil, ocspMethod: OCSPMethod = .post) {
        self.crl = crl
        self.ocsp = ocsp
        self.timeout = timeout
        self.proxy = proxy
        self.ocspMethod = ocspMethod
    }
}

/// Asks the CA about certificates: every OCSP URL (authorityInfoAccess) and every CRL distribution
/// point (http, https, file) of each certificate, each answer verified against its issuer. CRLs
/// are fetched once per checker (one run) and cached by URL.
public final class RevocationChecker: @unchecked Sendable {
    // @unchecked: the CRL cache is only touched under `lock`; a cached CRL is read-only.
    public let options: RevocationOptions
    let now: Date
    let fetcher: RevocationFetcher
    private let lock = NSLock()
    private var crls: [String: Result<CertificateRevocationList, CRLError>] = [:]
    /// OCSP URLs that could not be reached in this run, and why: not asked again, so a run over many
    /// certificates of one silent responder waits one timeout, not one per certificate.
    private var unreachableOCSP: [String: String] = [:]
    /// caIssuers fetches (`caIssuers(_:)`) by URL: many certificates of one CA name the same one.
    private var issuerFetches: [String: Result<[X509Certificate], FetchFailure>] = [:]

    /// `now` is the time answers are judged fresh at (the run's start).
    public init(options: RevocationOptions = RevocationOptions(), now: Date = Date()) {
        self.options = options
        self.now = now
        fetcher = RevocationFetcher(timeout: options.timeout, proxy: options.proxy, trust: options.trust)
    }

    /// One lookup per OCSP URL, then one per CRL distribution point (those `options` enables).
    /// Without `issuer` no answer can be verified: each URL is `unavailable`, and nothing is fetched.
    /// `allowFile` false (a certificate from the network): its file:// URLs are refused, not read.
    public func check(_ certificate: X509Certificate, issuer: X509Certificate?, allowFile: Bool = true) -> [RevocationLookup] {
        var lookups: [RevocationLookup] = []
        if options.ocsp {
            for url in certificate.info.ocspURLs {
                lookups.append(lookup(.ocsp, url, issuer, allowFile: allowFile) { ocspLookup(certificate, issuer: $0, url: url) })
            }
        }
        if options.crl {
            for url in certificate.info.crlDistributionPoints {
                lookups.append(lookup(.crl, url, issuer, allowFile: allowFile) { crlLookup(certificate, issuer: $0, url: url) })
            }
        }
        return lookups
    }

    /// Refuses what cannot be asked (no issuer, another scheme, a file the certificate may not name)
    /// before anything is fetched.
    func lookup(_ source: RevocationSource, _ url: String, _ issuer: X509Certificate?, allowFile: Bool,
                _ ask: (X509Certificate) -> RevocationLookup) -> RevocationLookup {
        guard let scheme = RevocationFetcher.scheme(of: url) else {
            return RevocationLookup(source: source, url: url, status: .unavailable("only http, https and file URLs are fetched"))
        }
        guard allowFile || scheme != "file" else {
            return RevocationLookup(source: source, url: url, status: .unavailable("file:// URL in a certificate from the network: not followed"))
        }
        guard let issuer else {
            return RevocationLookup(source: source, url: url, status: .unavailable("no issuer certificate found: an answer could not be verified"))
        }
        return ask(issuer)
    }

    func ocspLookup(_ certificate: X509Certificate, issuer: X509Certificate, url: String) -> RevocationLookup {
        if let why = lock.withLock({ unreachableOCSP[url] }) {
            return RevocationLookup(source: .ocsp, url: url, status: .unavailable("not asked again in this run: \(why)"))
        }
        let lookup = OCSPClient(fetcher: fetcher, method: options.ocspMethod).lookup(certificate, issuer: issuer, url: url, now: now)
        if case .unavailable(let why) = lookup.status, FetchFailure.isTransport(why) {
            lock.withLock { unreachableOCSP[url] = why }
        }
        return lookup
    }

    func crlLookup(_ certificate: X509Certificate, issuer: X509Certificate, url: String) -> RevocationLookup {
        let started = Date()
        var lookup = RevocationLookup(source: .crl, url: url, status: .unavailable("no CRL"))
        let loaded = crl(url)
        lookup.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        let crl: CertificateRevocationList
        switch loaded {
        case .failure(let e):
            lookup.status = .unavailable(e.reason)
            return lookup
        case .success(let c): crl = c
        }
        lookup.crlNumber = crl.crlNumber
        lookup.thisUpdate = crl.thisUpdate
        lookup.nextUpdate = crl.nextUpdate
        guard crl.isSigned(by: issuer) else {
            lookup.status = .unavailable("the CRL (issuer \(crl.issuer)) is not signed by the certificate's issuer \(issuer.info.subject)")
            return lookup
        }
        if let stale = crl.freshness(at: now) {
            lookup.status = .unavailable("the CRL is \(stale)")
            return lookup
        }
        if let scope = crl.scopeProblem {
            lookup.status = .unavailable("CRL scope not supported: \(scope)")
            return lookup
        }
        if let entry = crl.entry(for: certificate) {
            lookup.status = .revoked(at: entry.at, reason: entry.reason)
        } else {
            lookup.status = .good
        }
        return lookup
    }

    /// The CRL at `url`, fetched and decoded once per checker.
    public func crl(_ url: String) -> Result<CertificateRevocationList, CRLError> {
        if let cached = lock.withLock({ crls[url] }) { return cached }
        let result: Result<CertificateRevocationList, CRLError>
        switch fetcher.fetch(url) {
        case .failure(let f): result = .failure(CRLError("CRL not fetched: \(f.message)"))
        case .success(let bytes):
            do throws(CRLError) { result = .success(try CertificateRevocationList(bytes: bytes)) } catch { result = .failure(error) }
        }
        lock.withLock { crls[url] = result }
        return result
    }

    /// The certificates a caIssuers URL serves, fetched once per checker (http(s) only; the caller
    /// decides which hosts may be asked), or why there are none.
    public func caIssuers(_ url: String) -> Result<[X509Certificate], FetchFailure> {
        if let cached = lock.withLock({ issuerFetches[url] }) { return cached }
        var small = fetcher
        small.maxBytes = CAIssuersFetch.maxBytes
        let result: Result<[X509Certificate], FetchFailure>
        if let scheme = RevocationFetcher.scheme(of: url), scheme == "http" || scheme == "https" {
            switch small.fetch(url) {
            case .failure(let f): result = .failure(FetchFailure(message: "caIssuers \(url) not fetched: \(f.message)"))
            case .success(let bytes): result = CAIssuersFetch.certificates(in: bytes).mapError { FetchFailure(message: "caIssuers \(url): \($0.reason)") }
            }
        } else {
            result = .failure(FetchFailure(message: "caIssuers \(url): only http and https are fetched"))
        }
        lock.withLock { issuerFetches[url] = result }
        return result
    }

    /// The certificate in `candidates` that issued `certificate` (name match and signature), if any.
    public static func issuer(of certificate: X509Certificate, in candidates: [X509Certificate]) -> X509Certificate? {
        defer { ERR_clear_error() }
        return candidates.first { candidate in
            // Names first: cheap, and it spares decoding the key of every candidate that cannot match.
            candidate !== certificate
                && X509_NAME_cmp(X509_get_subject_name(candidate.pointer), X509_get_issuer_name(certificate.pointer)) == 0
                && X509_check_issued(candidate.keyed, certificate.keyed) == X509_V_OK
                && X509_get0_pubkey(candidate.keyed).map { X509_verify(certificate.keyed, $0) == 1 } == true
        }
    }
}

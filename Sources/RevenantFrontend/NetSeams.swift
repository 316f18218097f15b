import Foundation
import RevenantCore
import RevenantEngine
import RevenantNet

/// The engine's certificate reader in production: OpenSSL through X509Loader.
public struct X509CertificateSource: CertificateSource {
    public init() {}

    public func certificates(inFile path: String) -> (certificates: [LoadedCertificate], problem: String?) {
        let file = X509Loader.load(file: path)
        return (file.certificates.map { LoadedCertificate(info: $0.info, pem: $0.pem) }, file.problem?.reason)
    }
}

/// The engine's CA in production: CRL and OCSP lookups through RevocationScan (libcurl, OpenSSL).
public struct CARevocationService: RevocationService, @unchecked Sendable {
    // @unchecked: `scan` is never changed after init; each call works on a copy of it, and the
    // checker and issuer pool it holds are only read.
    /// Made once: its checker, and the issuer pool read from tls.ca_bundle.
    let scan: RevocationScan

    public init(configuration: Configuration, now: Date) {
        scan = RevocationScan(config: configuration, candidates: [], now: now, runID: "", ledger: nil)
    }

    public func lookups(_ files: CertificateFiles, state: LifecycleState, credential: String, fingerprint: String?,
                        runID: String, ledger: (any EvidenceSink)?) -> [RevocationLookup]? {
        let leafFile = X509Loader.load(file: files.certificate)
        guard let leaf = leafFile.certificates.first else { return nil }
        let chain = Array(leafFile.certificates.dropFirst()) + (files.issuer.map { X509Loader.load(file: $0).certificates } ?? [])
        var scan = self.scan
        (scan.runID, scan.ledger) = (runID, ledger)
        return scan.lookups(leaf, chain: chain, state: state, credential: credential, fingerprint: fingerprint)
    }
}

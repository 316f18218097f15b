import Foundation
import RevenantCore

/// The engine's ways to the world besides the transport: it reads certificates and asks CAs only
/// through these, so planning and running are tested without files, sockets or OpenSSL.

/// One certificate as the engine needs it: what was read from it, and its PEM to present.
public struct LoadedCertificate: Sendable {
    public var info: CertificateInfo
    public var pem: [UInt8]

    public init(info: CertificateInfo, pem: [UInt8]) {
        self.info = info
        self.pem = pem
    }
}

/// Reads the certificate files an inventory names (PEM, DER; a chain's first certificate is the leaf).
public protocol CertificateSource: Sendable {
    /// The certificates of `path`, leaf first (none when unreadable), and why not all could be read.
    func certificates(inFile path: String) -> (certificates: [LoadedCertificate], problem: String?)
}

/// Asks the CA about an inventory's certificate: CRL and OCSP lookups, each also a ledger record.
public protocol RevocationService: Sendable {
    /// The lookups for the certificate of `files`, or nil when no CA can be asked about it (a
    /// self-signed certificate) or need be (an active one that names no CRL or OCSP URL).
    func lookups(_ files: CertificateFiles, state: LifecycleState, credential: String, fingerprint: String?,
                 runID: String, ledger: EvidenceLedger?) -> [RevocationLookup]?
}

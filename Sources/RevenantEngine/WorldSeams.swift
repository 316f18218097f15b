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
                 runID: String, ledger: (any EvidenceSink)?) -> [RevocationLookup]?
}

/// The engine's time: seconds since it was made, and a way to wait until a moment. Given, so the run
/// loop runs in virtual time in tests (rate limits and backoff without waiting).
public protocol RunClock: Sendable {
    /// Seconds since the clock began (never negative, never going back).
    func now() -> Double
    /// Returns at `moment` (at once when it has passed), or early when the task is cancelled.
    func sleep(until moment: Double) async
}

/// Real time: the monotonic clock.
public struct MonotonicClock: RunClock {
    let origin = ContinuousClock.now

    public init() {}

    public func now() -> Double {
        let d = ContinuousClock.now - origin
        return max(0, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    public func sleep(until moment: Double) async {
        let delay = moment - now()
        if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
    }
}

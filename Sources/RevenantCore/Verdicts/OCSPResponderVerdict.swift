import Foundation

/// What asking an OCSP responder directly showed: whether a signed answer came, and who signed it.
public struct OCSPResponderFacts: Sendable, Equatable {
    /// Who signed the answer, as far as the CA's certificate can tell (RFC 6960 §4.2.2.2).
    public enum Signer: Sendable, Equatable {
        /// The CA itself.
        case issuer
        /// A certificate the CA issued; `ocspSigning`: it carries id-kp-OCSPSigning.
        case delegated(subject: String, notBefore: Date, notAfter: Date, ocspSigning: Bool)
        /// Nobody the CA stands behind, or a signature that does not verify: why.
        case unauthorized(String)
    }

    public var url: String
    /// nil when no signed answer came (`down` says why; set with a signer when the signed answer is unusable).
    public var signer: Signer?
    public var down: String?
    /// The status the responder gave for the serial asked about (`good`, `revoked`, `unknown`).
    public var status: String?

    public init(url: String, signer: Signer? = nil, down: String? = nil, status: String? = nil) {
        self.url = url
        self.signer = signer
        self.down = down
        self.status = status
    }
}

/// Findings of one OCSP responder checked directly (`certs --ocsp-responder`). Pure: `now` is an argument.
public enum OCSPResponderVerdict {
    public static func findings(for responder: OCSPResponderFacts, policy: Policy, now: Date) -> [Finding] {
        // `down` with a signer: a signed answer relying parties refuse anyway (for another serial, or stale).
        guard let signer = responder.signer, responder.down == nil else {
            let what = responder.signer == nil ? "no signed answer" : "a signed answer relying parties refuse"
            return [Finding(code: .ocspResponderDown, message: "\(what): \(responder.down ?? "no answer")")]
        }
        let answered = responder.status.map { " (it answered \($0) for the serial asked)" } ?? ""
        switch signer {
        case .issuer:
            return [Finding(code: .ok, message: "answers, signed by the CA itself\(answered)")]
        case .unauthorized(let why):
            return [Finding(code: .ocspResponderUnauthorized, message: "\(why): relying parties refuse its answers")]
        case .delegated(let subject, let from, let until, let ocspSigning):
            guard ocspSigning else {
                return [Finding(code: .ocspResponderUnauthorized,
                                message: "signing certificate \(subject) lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2): relying parties refuse its answers")]
            }
            guard from <= now, now < until else {
                return [Finding(code: .ocspResponderUnauthorized, message: "signing certificate \(subject) is not valid now "
                    + "(\(Timestamp.format(from)) to \(Timestamp.format(until))): relying parties refuse its answers")]
            }
            if let why = CertificateLifecycle.warningWindow(from: from, until: until, policy: policy, now: now) {
                return [Finding(code: .ocspResponderCertExpiring, message: "signing certificate \(subject) expires at \(Timestamp.format(until)) (\(why))")]
            }
            return [Finding(code: .ok, message: "answers, signed by \(subject) (delegated, valid until \(Timestamp.format(until)))\(answered)")]
        }
    }
}

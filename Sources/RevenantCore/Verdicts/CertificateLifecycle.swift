import Foundation

/// The facts of one X.509 certificate that the lifecycle rules look at.
public struct CertificateFacts: Sendable, Equatable {
    public var subject: String
    public var notBefore: Date
    public var notAfter: Date
    /// "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA", ... or "unknown (OID)".
    public var keyType: String
    public var keyBits: Int
    /// The signature algorithm's name, e.g. "sha256WithRSAEncryption".
    public var signatureAlgorithm: String
    /// The signature's digest when OpenSSL can tell it (RSASSA-PSS names it only in its parameters).
    public var signatureDigest: String?
    /// basicConstraints CA:TRUE: its lifetime is the PKI's design, not a rotation schedule.
    public var isCA: Bool
    /// Self-issued, with no or a matching authority key id (with `isCA`: a root, a trust anchor).
    public var isSelfSigned: Bool

    public init(subject: String, notBefore: Date, notAfter: Date, keyType: String, keyBits: Int,
                signatureAlgorithm: String, signatureDigest: String? = nil, isCA: Bool = false, isSelfSigned: Bool = false) {
        self.subject = subject
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.keyType = keyType
        self.keyBits = keyBits
        self.signatureAlgorithm = signatureAlgorithm
        self.signatureDigest = signatureDigest
        self.isCA = isCA
        self.isSelfSigned = isSelfSigned
    }
}

/// Whether anyone recorded who owns a certificate.
public enum OwnerRecord: Sendable, Equatable {
    /// Scanned without an inventory: nobody records owners there, so a missing owner says nothing.
    case untracked
    /// From an inventory: the owner it names, nil or blank when the field is empty.
    case recorded(String?)
}

/// Lifecycle findings of one certificate (DESIGN.md §6): expiry, rotation age, weak crypto, owner.
/// Pure: `now` is an argument.
public enum CertificateLifecycle {
    public static func findings(for cert: CertificateFacts, state: LifecycleState = .active, owner: OwnerRecord = .untracked,
                                policy: Policy, now: Date) -> [Finding] {
        var findings: [Finding] = []
        // A should-be-dead certificate that expired is what it should be; its age and strength no
        // longer matter either — only whether it is dead, which revocation checks answer.
        if state == .active {
            if cert.notAfter <= now {
                findings.append(Finding(code: .expired, message: "active certificate expired at \(Timestamp.format(cert.notAfter))"))
            } else {
                if let warning = expiryWarning(cert, policy: policy, now: now) { findings.append(warning) }
                // Rotation age is about leaf certificates: a CA is replaced by a PKI migration, not
                // on the schedule `max_rotation_age_days` sets (its expiry and strength still count).
                let limit = policy.maxRotationAge(for: .x509Certificate)
                let age = now.timeIntervalSince(cert.notBefore) / 86_400
                if !cert.isCA, age > Double(limit) {
                    findings.append(Finding(
                        code: .rotationOverdue,
                        message: "issued \(Int(age.rounded(.down))) days ago (notBefore \(Timestamp.format(cert.notBefore))); policy allows \(limit)"))
                }
            }
            let weak = weaknesses(cert)
            if !weak.isEmpty {
                findings.append(Finding(code: .weakCrypto, message: weak.joined(separator: "; ")))
            }
        }
        if case .recorded(let name) = owner, name?.allSatisfy(\.isWhitespace) ?? true {
            findings.append(Finding(code: .ownerless, message: "no owner recorded: nobody answers for this certificate"))
        }
        if state == .active, (findings.map(\.severity).max() ?? .info) <= .low {
            let days = Int((cert.notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
            findings.append(Finding(code: .ok, message: "within policy: expires at \(Timestamp.format(cert.notAfter)) (in \(days) days)"))
        }
        return FindingSet(findings).findings
    }

    /// Warn when the remaining time is within `policy.expiryWarningDays` — but never earlier than
    /// the last third of the certificate's own lifetime. A fixed 30-day window would flag a
    /// 47-day certificate for most of its life and a 6-day certificate always; the last third
    /// (15 days, 2 days) is when those are due for renewal.
    static func expiryWarning(_ cert: CertificateFacts, policy: Policy, now: Date) -> Finding? {
        guard let why = warningWindow(from: cert.notBefore, until: cert.notAfter, policy: policy, now: now) else { return nil }
        return Finding(code: .expiringSoon, message: "expires at \(Timestamp.format(cert.notAfter)) (\(why))")
    }

    /// "in N days; <which window>" when `until` is within the smaller of the policy's window and the
    /// last third of `from`…`until`, else nil. Also the window of a CRL's nextUpdate (`CRLLifecycle`).
    static func warningWindow(from: Date, until: Date, policy: Policy, now: Date) -> String? {
        let remaining = until.timeIntervalSince(now)
        let lifetime = until.timeIntervalSince(from)
        let policyWindow = Double(policy.expiryWarningDays) * 86_400
        let window = lifetime > 0 ? min(policyWindow, lifetime / 3) : policyWindow
        guard remaining <= window else { return nil }
        let days = Int((remaining / 86_400).rounded(.down))
        let why = window < policyWindow
            ? "last third of its \(Int((lifetime / 86_400).rounded()))-day lifetime"
            : "warning at \(policy.expiryWarningDays) days"
        return "in \(days) days; \(why)"
    }

    /// RSA < 2048, any DSA, EC < 256, and SHA-1/MD5 (or older) signatures, except the
    /// self-signature of a trust anchor: verifiers trust a root by its presence, not its signature.
    static func weaknesses(_ cert: CertificateFacts) -> [String] {
        var out: [String] = []
        if ["RSA", "RSA-PSS"].contains(cert.keyType), cert.keyBits < 2048 {
            out.append("\(cert.keyType) key of \(cert.keyBits) bits (< 2048)")
        } else if cert.keyType == "DSA" {
            out.append("DSA key (\(cert.keyBits) bits): DSA is no longer approved for signatures (FIPS 186-5)")
        } else if cert.keyType == "EC", cert.keyBits < 256 {
            out.append("EC key of \(cert.keyBits) bits (< 256)")
        }
        if !(cert.isCA && cert.isSelfSigned), let digest = weakDigest(cert) {
            out.append("\(digest) signature (\(cert.signatureAlgorithm))")
        }
        return out
    }

    static func weakDigest(_ cert: CertificateFacts) -> String? {
        let names = [cert.signatureDigest ?? "", cert.signatureAlgorithm].map { $0.lowercased() }
        let weak: [(StaticString, String)] = [("md2", "MD2"), ("md4", "MD4"), ("md5", "MD5"), ("sha1", "SHA-1"), ("sha-1", "SHA-1")]
        for (needle, label) in weak {
            if names.contains(where: { contains($0, needle) }) { return label }
        }
        return nil
    }

    /// Whether `needle` occurs in `text`, byte by byte: the names are ASCII (OpenSSL's names or a
    /// dotted OID), and both Foundation's `contains` (through CFString) and the generic `firstRange`
    /// cost more than the rest of a certificate's verdict.
    static func contains(_ text: String, _ needle: StaticString) -> Bool {
        let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        var text = text
        return text.withUTF8 { t in
            guard n.count <= t.count else { return false }
            for start in 0...(t.count - n.count) where t[start] == n[0] {
                if (1..<n.count).allSatisfy({ t[start + $0] == n[$0] }) { return true }
            }
            return false
        }
    }
}

import Foundation
import Testing
@testable import RevenantCore

/// `CertificateLifecycle.findings` with `now` injected: expiry, the lifetime-relative warning,
/// rotation age, weak crypto, and ownership only where someone records owners.
@Suite struct CertificateLifecycleTests {
    static let now = Timestamp.parse("2026-11-29T12:00:00Z")!
    static let day: TimeInterval = 86_400
    static let policy = Policy(expiryWarningDays: 30, defaultMaxRotationAgeDays: 400)

    static func cert(issuedDaysAgo: Double = 10, expiresInDays: Double = 355, key: String = "EC", bits: Int = 256,
                     signature: String = "ecdsa-with-SHA256", digest: String? = "SHA256", ca: Bool = false, selfSigned: Bool = false) -> CertificateFacts {
        CertificateFacts(subject: "CN=svc.example.com", notBefore: now.addingTimeInterval(-issuedDaysAgo * day),
                         notAfter: now.addingTimeInterval(expiresInDays * day), keyType: key, keyBits: bits,
                         signatureAlgorithm: signature, signatureDigest: digest, isCA: ca, isSelfSigned: selfSigned)
    }

    static func codes(_ c: CertificateFacts, state: LifecycleState = .active, owner: OwnerRecord = .untracked,
                      policy: Policy = policy) -> [FindingCode] {
        CertificateLifecycle.findings(for: c, state: state, owner: owner, policy: policy, now: now).map(\.code)
    }

    @Test func healthyCertificateIsOK() {
        let findings = CertificateLifecycle.findings(for: Self.cert(), policy: Self.policy, now: Self.now)
        #expect(findings.map(\.code) == [.ok])
        #expect(findings[0].severity == .info)
        #expect(findings[0].message == "within policy: expires at 2027-11-19T12:00:00Z (in 355 days)")
    }

    @Test func activeExpiredCertificateIsHighAndNothingElseAboutTime() {
        let expired = Self.cert(issuedDaysAgo: 800, expiresInDays: -1)
        let findings = CertificateLifecycle.findings(for: expired, policy: Self.policy, now: Self.now)
        #expect(findings.map(\.code) == [.expired])
        #expect(findings[0].severity == .high)
        #expect(findings[0].message == "active certificate expired at 2026-11-28T12:00:00Z")
        // Expiry at exactly `now` counts as expired.
        #expect(Self.codes(Self.cert(expiresInDays: 0)) == [.expired])
    }

    @Test(arguments: [LifecycleState.rotated, .revoked, .offboarded, .expired])
    func shouldBeDeadCertificateMayExpireAndBeWeak(_ state: LifecycleState) {
        let old = Self.cert(issuedDaysAgo: 900, expiresInDays: -30, key: "RSA", bits: 1024, signature: "sha1WithRSAEncryption", digest: "SHA1")
        #expect(Self.codes(old, state: state).isEmpty)
    }

    struct Window: Sendable, CustomTestStringConvertible {
        var lifetimeDays: Double, remainingDays: Double, warns: Bool
        var testDescription: String { "\(Int(lifetimeDays))-day cert, \(remainingDays) days left" }
    }

    @Test(arguments: [
        // Long-lived: the policy's 30 days decide.
        Window(lifetimeDays: 398, remainingDays: 31, warns: false),
        Window(lifetimeDays: 398, remainingDays: 30, warns: true),
        Window(lifetimeDays: 398, remainingDays: 1, warns: true),
        // 90 days: the last third is exactly the policy window.
        Window(lifetimeDays: 90, remainingDays: 30.5, warns: false),
        Window(lifetimeDays: 90, remainingDays: 30, warns: true),
        // 47 days: a fixed 30-day window would warn from day 17; the last third (15.67 days) decides.
        Window(lifetimeDays: 47, remainingDays: 29, warns: false),
        Window(lifetimeDays: 47, remainingDays: 16, warns: false),
        Window(lifetimeDays: 47, remainingDays: 15.5, warns: true),
        // 6 days: would always warn under a 30-day window; warns in the last 2 days only.
        Window(lifetimeDays: 6, remainingDays: 5, warns: false),
        Window(lifetimeDays: 6, remainingDays: 2.1, warns: false),
        Window(lifetimeDays: 6, remainingDays: 2, warns: true),
        Window(lifetimeDays: 6, remainingDays: 0.5, warns: true),
    ])
    func expiringSoonIsRelativeToTheCertificatesOwnLifetime(_ w: Window) {
        let c = Self.cert(issuedDaysAgo: w.lifetimeDays - w.remainingDays, expiresInDays: w.remainingDays)
        #expect(Self.codes(c).contains(.expiringSoon) == w.warns)
    }

    @Test func expiringSoonMessageSaysWhichWindowApplied() {
        let long = CertificateLifecycle.findings(for: Self.cert(issuedDaysAgo: 378, expiresInDays: 20), policy: Self.policy, now: Self.now)
        #expect(long.first { $0.code == .expiringSoon }?.message == "expires at 2026-12-19T12:00:00Z (in 20 days; warning at 30 days)")
        #expect(long.first { $0.code == .expiringSoon }?.severity == .medium)
        let short = CertificateLifecycle.findings(for: Self.cert(issuedDaysAgo: 5, expiresInDays: 1), policy: Self.policy, now: Self.now)
        #expect(short.first { $0.code == .expiringSoon }?.message == "expires at 2026-11-30T12:00:00Z (in 1 days; last third of its 6-day lifetime)")
    }

    @Test func warningDaysComeFromThePolicy() {
        let c = Self.cert(issuedDaysAgo: 300, expiresInDays: 60)
        #expect(!Self.codes(c).contains(.expiringSoon))
        #expect(Self.codes(c, policy: Policy(expiryWarningDays: 60, defaultMaxRotationAgeDays: 400)).contains(.expiringSoon))
    }

    @Test func rotationOverdueUsesTheCertificateKindsLimit() {
        let c = Self.cert(issuedDaysAgo: 120, expiresInDays: 245)
        #expect(Self.codes(c, policy: Policy(defaultMaxRotationAgeDays: 90)).contains(.rotationOverdue))
        let certLimit = Policy(maxRotationAgeDays: [.x509Certificate: 180], defaultMaxRotationAgeDays: 90)
        #expect(!Self.codes(c, policy: certLimit).contains(.rotationOverdue))
        let findings = CertificateLifecycle.findings(for: c, policy: Policy(maxRotationAgeDays: [.x509Certificate: 100]), now: Self.now)
        let overdue = findings.first { $0.code == .rotationOverdue }
        #expect(overdue?.severity == .medium)
        #expect(overdue?.message == "issued 120 days ago (notBefore 2026-08-01T12:00:00Z); policy allows 100")
    }

    @Test func caCertificatesAreNotOnTheRotationSchedule() {
        let root = Self.cert(issuedDaysAgo: 1000, expiresInDays: 2650, ca: true, selfSigned: true)
        #expect(Self.codes(root) == [.ok])
        let intermediate = Self.cert(issuedDaysAgo: 1000, expiresInDays: 10, ca: true)
        #expect(Self.codes(intermediate) == [.expiringSoon])
        #expect(Self.codes(Self.cert(issuedDaysAgo: 1000, expiresInDays: 900)) == [.rotationOverdue])
    }

    struct Crypto: Sendable, CustomTestStringConvertible {
        var key: String, bits: Int, signature: String, digest: String?, selfSignedCA: Bool = false, weak: String?
        var testDescription: String { "\(key) \(bits) \(signature)\(selfSignedCA ? " (root)" : "")" }
    }

    @Test(arguments: [
        Crypto(key: "RSA", bits: 2048, signature: "sha256WithRSAEncryption", digest: "SHA256", weak: nil),
        Crypto(key: "RSA", bits: 1024, signature: "sha256WithRSAEncryption", digest: "SHA256", weak: "RSA key of 1024 bits (< 2048)"),
        Crypto(key: "RSA-PSS", bits: 1024, signature: "rsassaPss", digest: "SHA256", weak: "RSA-PSS key of 1024 bits (< 2048)"),
        Crypto(key: "DSA", bits: 2048, signature: "dsa_with_SHA256", digest: "SHA256",
               weak: "DSA key (2048 bits): DSA is no longer approved for signatures (FIPS 186-5)"),
        Crypto(key: "EC", bits: 224, signature: "ecdsa-with-SHA256", digest: "SHA256", weak: "EC key of 224 bits (< 256)"),
        Crypto(key: "EC", bits: 256, signature: "ecdsa-with-SHA256", digest: "SHA256", weak: nil),
        Crypto(key: "EC", bits: 384, signature: "ecdsa-with-SHA384", digest: "SHA384", weak: nil),
        Crypto(key: "Ed25519", bits: 256, signature: "ED25519", digest: nil, weak: nil),
        Crypto(key: "RSA", bits: 2048, signature: "sha1WithRSAEncryption", digest: "SHA1", weak: "SHA-1 signature (sha1WithRSAEncryption)"),
        Crypto(key: "RSA", bits: 2048, signature: "md5WithRSAEncryption", digest: "MD5", weak: "MD5 signature (md5WithRSAEncryption)"),
        Crypto(key: "EC", bits: 256, signature: "ecdsa-with-SHA1", digest: "SHA1", weak: "SHA-1 signature (ecdsa-with-SHA1)"),
        // RSASSA-PSS names its digest only in the parameters: the digest OpenSSL reports counts.
        Crypto(key: "RSA", bits: 2048, signature: "rsassaPss", digest: "SHA1", weak: "SHA-1 signature (rsassaPss)"),
        // A trust anchor's self-signature is never checked: SHA-1 there is not a weakness.
        Crypto(key: "RSA", bits: 2048, signature: "sha1WithRSAEncryption", digest: "SHA1", selfSignedCA: true, weak: nil),
        Crypto(key: "RSA", bits: 1024, signature: "sha1WithRSAEncryption", digest: "SHA1", selfSignedCA: true, weak: "RSA key of 1024 bits (< 2048)"),
        Crypto(key: "RSA", bits: 1024, signature: "md5WithRSAEncryption", digest: "MD5",
               weak: "RSA key of 1024 bits (< 2048); MD5 signature (md5WithRSAEncryption)"),
    ])
    func weakCrypto(_ c: Crypto) {
        let facts = Self.cert(key: c.key, bits: c.bits, signature: c.signature, digest: c.digest, ca: c.selfSignedCA, selfSigned: c.selfSignedCA)
        let findings = CertificateLifecycle.findings(for: facts, policy: Self.policy, now: Self.now)
        let weak = findings.filter { $0.code == .weakCrypto }
        #expect(weak.map(\.message) == (c.weak.map { [$0] } ?? []))
        #expect(weak.allSatisfy { $0.severity == .medium })
        #expect(findings.contains { $0.code == .ok } == (c.weak == nil))
    }

    @Test func ownerlessOnlyWhereOwnersAreRecorded() {
        #expect(Self.codes(Self.cert(), owner: .untracked) == [.ok])
        #expect(Self.codes(Self.cert(), owner: .recorded("team-payments")) == [.ok])
        #expect(Self.codes(Self.cert(), owner: .recorded(nil)) == [.ownerless, .ok])
        #expect(Self.codes(Self.cert(), owner: .recorded("  ")).contains(.ownerless))
        #expect(Self.codes(Self.cert(), state: .revoked, owner: .recorded(nil)) == [.ownerless])
    }

    @Test func findingsAreWorstFirst() {
        let bad = Self.cert(issuedDaysAgo: 500, expiresInDays: -1, key: "RSA", bits: 1024)
        let findings = CertificateLifecycle.findings(for: bad, owner: .recorded(nil), policy: Self.policy, now: Self.now)
        #expect(findings.map(\.code) == [.expired, .weakCrypto, .ownerless])
    }
}

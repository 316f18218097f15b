import Foundation
import RevenantCore
import Testing

/// The pure rules that turn CRL/OCSP answers into findings (DESIGN.md §6).
@Suite struct RevocationVerdictTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let valid = now.addingTimeInterval(100 * 86_400)
    static let good = RevocationLookup(source: .ocsp, url: "http://ocsp.test", status: .good, producedAt: now)
    static let revoked = RevocationLookup(source: .crl, url: "http://crl.test/ca.crl", status: .revoked(at: now, reason: "keyCompromise"),
                                          crlNumber: "7")
    static let unreachable = RevocationLookup(source: .ocsp, url: "http://ocsp.test", status: .unavailable("timed out"))
    static let stale = RevocationLookup(source: .crl, url: "file:///ca.crl", status: .unavailable("the CRL is stale: nextUpdate … has passed"))
    static let heldCRL = RevocationLookup(source: .crl, url: "http://crl.test/ca.crl", status: .revoked(at: now, reason: "certificateHold"))
    static let heldOCSP = RevocationLookup(source: .ocsp, url: "http://ocsp.test", status: .revoked(at: now, reason: RevocationReason.name(6)))
    static let unknown = RevocationLookup(source: .ocsp, url: "http://ocsp.test", status: .unknown)

    func codes(_ lookups: [RevocationLookup], _ state: LifecycleState, softFail: Bool = true, notAfter: Date = valid) -> [String] {
        RevocationVerdict.findings(lookups: lookups, state: state, notAfter: notAfter, softFail: softFail, now: Self.now)
            .map { "\($0.code.rawValue)/\($0.severity.rawValue)" }
    }

    @Test(arguments: [LifecycleState.revoked, .offboarded, .expired])
    func shouldBeDeadCertificateGoodAtCAIsCritical(state: LifecycleState) {
        #expect(codes([Self.good], state) == ["not_revoked_at_ca/critical"])
    }

    @Test func rotatedCertificateGoodAtCAIsHigh() {
        #expect(codes([Self.good], .rotated) == ["not_revoked_at_ca/high"])
    }

    @Test func revokedAtCAWinsOverAGoodAnswerElsewhere() {
        #expect(codes([Self.good, Self.revoked], .revoked) == ["revocation_verified/info"])
        let message = RevocationVerdict.findings(lookups: [Self.revoked], state: .revoked, notAfter: Self.valid, softFail: true, now: Self.now)
        #expect(message.first?.message.contains("keyCompromise") == true && message.first?.message.contains("CRL number 7") == true)
    }

    @Test func activeCertificateRevokedAtCAIsHighDrift() {
        #expect(codes([Self.revoked], .active) == ["inventory_drift/high"])
    }

    @Test(arguments: [true, false])
    func certificateHoldIsASuspensionNotARevocation(softFail: Bool) {
        for held in [Self.heldCRL, Self.heldOCSP] {
            #expect(held.status.isHold)
            for state in [LifecycleState.revoked, .offboarded, .rotated] {
                let findings = RevocationVerdict.findings(lookups: [held], state: state, notAfter: Self.valid, softFail: softFail, now: Self.now)
                #expect(findings.map(\.code) == [.revocationUnverified], "\(state): \(findings)")
                #expect(findings.first?.message.contains("suspended (certificateHold), not revoked") == true, "\(findings)")
            }
            #expect(codes([held], .active, softFail: softFail).isEmpty, "a hold on an active certificate is not drift")
            // A real revocation elsewhere still wins.
            #expect(codes([held, Self.revoked], .revoked, softFail: softFail) == ["revocation_verified/info"])
        }
        #expect(!Self.revoked.status.isHold)
    }

    @Test(arguments: [true, false])
    func unreachableStaleOrUnknownNeverProvesADeadCertificate(softFail: Bool) {
        for lookups in [[Self.unreachable], [Self.stale], [Self.unknown], [Self.unreachable, Self.stale], []] {
            #expect(codes(lookups, .revoked, softFail: softFail) == ["revocation_unverified/high"], "\(lookups)")
        }
    }

    @Test func noURLAndNoProofNamesWhy() {
        let f = RevocationVerdict.findings(lookups: [], state: .offboarded, notAfter: Self.valid, softFail: true, now: Self.now)
        #expect(f.first?.message.contains("no CRL or OCSP URL") == true)
    }

    @Test func activeCertificateUnreachableSourceDependsOnSoftFail() {
        #expect(codes([Self.unreachable], .active, softFail: true).isEmpty)
        #expect(codes([Self.unreachable], .active, softFail: false) == ["revocation_unverified/high"])
        #expect(codes([], .active, softFail: false).isEmpty, "nothing to ask is not a failure to ask")
        #expect(codes([Self.good], .active, softFail: false).isEmpty)
    }

    @Test func expiredCertificateGetsNoRevocationFinding() {
        #expect(codes([Self.good], .revoked, notAfter: Self.now.addingTimeInterval(-1)).isEmpty)
        #expect(codes([Self.unreachable], .revoked, notAfter: Self.now.addingTimeInterval(-1)).isEmpty)
    }

    @Test func lookupOutcomesAreProofOnlyWhenDefinite() {
        #expect(Self.revoked.outcome.name == "rejected")
        #expect(Self.good.outcome.name == "authenticated")
        for lookup in [Self.unreachable, Self.stale, Self.unknown] { #expect(lookup.outcome.name == "inconclusive") }
        let check = Self.revoked.check
        #expect(check.probe == "crl" && check.target == "http://crl.test/ca.crl" && check.revocation == Self.revoked)
        let ledger = Dictionary(uniqueKeysWithValues: Self.revoked.ledgerFields.map { ($0.0, $0.1) })
        #expect(ledger["crl_number"]?.stringValue == "7" && ledger["status"]?.stringValue == "revoked")
        #expect(ledger["revocation_reason"]?.stringValue == "keyCompromise")
    }
}

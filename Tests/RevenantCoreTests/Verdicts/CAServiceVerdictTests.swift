import Foundation
import RevenantCore
import Testing

/// The rules for a CA's own services: a CRL's nextUpdate (`CRLLifecycle`) and an OCSP responder's
/// signer (`OCSPResponderVerdict`). Pure: `now` is fixed.
@Suite struct CAServiceVerdictTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static func days(_ n: Double) -> Date { now.addingTimeInterval(n * 86_400) }

    @Test(arguments: [
        // (thisUpdate, nextUpdate in days from now, expected code)
        (-7.0, -1.0, FindingCode.crlStale),
        (-7.0, 0.0, .crlStale),  // at nextUpdate: no longer current
        (-6.0, 1.0, .crlExpiring),  // 7-day CRL, 1 day left: its last third
        (-1.0, 6.0, .ok),  // 7-day CRL, 6 days left
        (-60.0, 20.0, .crlExpiring),  // 80-day CRL: the policy's 30 days is the smaller window
        (-10.0, 40.0, .ok),
    ])
    func crlIsJudgedByItsNextUpdate(this: Double, next: Double, code: FindingCode) {
        let facts = CRLFacts(issuer: "CN=Test CA", thisUpdate: Self.days(this), nextUpdate: Self.days(next))
        let findings = CRLLifecycle.findings(for: facts, policy: Policy(), now: Self.now)
        #expect(findings.map(\.code) == [code], "\(findings)")
    }

    /// Refused by relying parties for its dates alone: as unusable as a stale CRL.
    @Test func crlNotYetValidOrWithAnInvalidDateIsStale() {
        let future = CRLFacts(issuer: "CN=Test CA", thisUpdate: Self.days(3), nextUpdate: Self.days(10))
        #expect(CRLLifecycle.findings(for: future, policy: Policy(), now: Self.now).map(\.code) == [.crlStale])
        let invalid = CRLFacts(issuer: "CN=Test CA", thisUpdate: Self.days(-1), nextUpdate: nil, invalidDates: ["nextUpdate"])
        let findings = CRLLifecycle.findings(for: invalid, policy: Policy(), now: Self.now)
        #expect(findings.map(\.code) == [.crlStale] && findings[0].message.contains("nextUpdate is not a valid time"), "\(findings)")
        // Within the clock-skew leeway: judged as usual.
        let skewed = CRLFacts(issuer: "CN=Test CA", thisUpdate: Self.now.addingTimeInterval(60), nextUpdate: Self.days(7))
        #expect(CRLLifecycle.findings(for: skewed, policy: Policy(), now: Self.now).map(\.code) == [.ok])
    }

    @Test func crlWithoutNextUpdateIsNeverStale() {
        let findings = CRLLifecycle.findings(for: CRLFacts(issuer: "CN=Test CA", thisUpdate: Self.days(-900), nextUpdate: nil), policy: Policy(), now: Self.now)
        #expect(findings.map(\.code) == [.ok] && findings[0].message.contains("no nextUpdate"))
    }

    @Test func responderFindings() {
        func code(_ signer: OCSPResponderFacts.Signer?, down: String? = nil) -> [FindingCode] {
            OCSPResponderVerdict.findings(for: OCSPResponderFacts(url: "http://ocsp/", signer: signer, down: down), policy: Policy(), now: Self.now).map(\.code)
        }
        #expect(code(nil, down: "unreachable (curl 7: refused)") == [.ocspResponderDown])
        #expect(code(.issuer) == [.ok])
        // Signed by the CA, yet unusable (about another serial, or stale): down, not ok.
        #expect(code(.issuer, down: "unusable answer: stale: nextUpdate 2026-01-01T00:00:00Z has passed") == [.ocspResponderDown])
        #expect(code(.unauthorized("signed by a responder the issuer did not certify")) == [.ocspResponderUnauthorized])
        let subject = "CN=responder"
        #expect(code(.delegated(subject: subject, notBefore: Self.days(-10), notAfter: Self.days(355), ocspSigning: true)) == [.ok])
        #expect(code(.delegated(subject: subject, notBefore: Self.days(-10), notAfter: Self.days(355), ocspSigning: false)) == [.ocspResponderUnauthorized])
        #expect(code(.delegated(subject: subject, notBefore: Self.days(-400), notAfter: Self.days(-1), ocspSigning: true)) == [.ocspResponderUnauthorized])
        #expect(code(.delegated(subject: subject, notBefore: Self.days(1), notAfter: Self.days(300), ocspSigning: true)) == [.ocspResponderUnauthorized])
        #expect(code(.delegated(subject: subject, notBefore: Self.days(-300), notAfter: Self.days(10), ocspSigning: true)) == [.ocspResponderCertExpiring])
    }
}

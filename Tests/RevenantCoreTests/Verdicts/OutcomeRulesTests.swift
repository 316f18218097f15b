import Foundation
import RevenantCore
import Testing

/// What one outcome proves, given what else is known.
@Suite struct OutcomeRulesTests {
    static let page = ProbeOutcome.rejected(reason: "status 400 matched rejected[0]")

    @Test func anMTLSRefusalThatDoesNotSayWhyNeedsTheCA() {
        #expect(OutcomeRules.explainedRefusal(Self.page, saysWhy: false, caRevoked: false, leafExpired: false).name == "inconclusive")
        #expect(OutcomeRules.explainedRefusal(Self.page, saysWhy: false, caRevoked: true, leafExpired: false).isRejected)
        // Past notAfter: refused for that.
        #expect(OutcomeRules.explainedRefusal(Self.page, saysWhy: false, caRevoked: false, leafExpired: true).isRejected)
        // `certificate revoked`, `unsupported certificate`: the refusal says why.
        #expect(OutcomeRules.explainedRefusal(Self.page, saysWhy: true, caRevoked: false, leafExpired: false).isRejected)
    }

    @Test func otherOutcomesAreLeftAsTheyAre() {
        let accepted = ProbeOutcome.authenticated(reason: "status 200 matched authenticated[0]")
        #expect(OutcomeRules.explainedRefusal(accepted, saysWhy: false, caRevoked: false, leafExpired: false) == accepted)
        #expect(OutcomeRules.unprovenRefusal(accepted, why: "some live keys are refused too") == accepted)
        #expect(OutcomeRules.unprovenRefusal(Self.page, why: nil) == Self.page)
    }

    @Test func aRefusalTheProviderAlsoGivesLiveCredentialsProvesNothing() {
        let out = OutcomeRules.unprovenRefusal(Self.page, why: "a scoped token is refused here too")
        #expect(out.name == "inconclusive")
        #expect(out.reason == "status 400 matched rejected[0], which proves nothing here: a scoped token is refused here too")
    }

    @Test func anInactiveAnswerForAJWTWithinItsExpProvesNothing() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let inactive = ProbeOutcome.rejected(reason: "status 200 matched rejected[0]")
        let later = OutcomeRules.introspectedJWT(inactive, validUntil: now.addingTimeInterval(3600), now: now)
        #expect(later.name == "inconclusive")
        #expect(later.reason.contains("exp"), "\(later.reason)")
        #expect(OutcomeRules.introspectedJWT(inactive, validUntil: .distantFuture, now: now).name == "inconclusive")
        // Past its exp the token is dead wherever exp is checked: the answer stands.
        #expect(OutcomeRules.introspectedJWT(inactive, validUntil: now.addingTimeInterval(-1), now: now) == inactive)
        let active = ProbeOutcome.authenticated(reason: "status 200 matched authenticated[0]")
        #expect(OutcomeRules.introspectedJWT(active, validUntil: .distantFuture, now: now) == active)
    }
}

/// The CA's answer with what the endpoints showed.
@Suite struct CertificateVerdictTests {
    @Test func endpointsRefusingAHeldCertificateDoNotProveItDead() {
        let probed = FindingSet([Finding(code: .revocationVerified, message: "rejected at every target probed: https://a")])
        let hold = [Finding(code: .revocationUnverified, message: "suspended (certificateHold), not revoked")]
        #expect(CertificateVerdict.withCA(probed, hold, probed: true, held: true).codes == [.revocationUnverified])
        // Not held: the probes' verdict stands; nor is it dropped when the CA gave no hold finding
        // (revoked for good by another source, or expired): never left with no verdict at all.
        #expect(CertificateVerdict.withCA(probed, [], probed: true).codes == [.revocationVerified])
        #expect(CertificateVerdict.withCA(probed, [], probed: true, held: true).codes == [.revocationVerified])
    }

    @Test func withoutProbesOrAVerdictOfTheCANothingIsProved() {
        let noProbe = FindingSet([Finding(code: .revocationUnverified, message: "revoked credential has no probe: nothing proves it dead")])
        #expect(CertificateVerdict.withCA(noProbe, [], probed: false).codes == [.revocationUnverified])
    }

    @Test func aServedRotatedCertificateIsRotationNotDeployedAndAnActiveOneIsNot() {
        var credential = Credential(id: "web-2025", kind: .x509Certificate, state: .rotated, owner: "web")
        #expect(CertificateVerdict.rotationNotDeployed(credential, endpoint: "web.test:443")?.code == .rotationNotDeployed)
        credential.state = .active
        #expect(CertificateVerdict.rotationNotDeployed(credential, endpoint: "web.test:443") == nil)
        #expect(CertificateVerdict.unprovedWithoutCA(credential) == nil)
    }
}

/// The one merge rule.
@Suite struct FindingSetTests {
    static func f(_ code: FindingCode) -> Finding { Finding(code: code, message: code.rawValue) }

    @Test func okGoesWhenSomethingAboveLowJoinsAndStaysOtherwise() {
        let clean = FindingSet([Self.f(.ok)])
        #expect(clean.merging([Self.f(.ownerless)]).codes == [.ownerless, .ok])
        #expect(clean.merging([Self.f(.weakCrypto)]).codes == [.weakCrypto])
        #expect(clean.merging([]).codes == [.ok])
    }

    @Test func worstFirstAndEqualSeveritiesKeepTheirOrder() {
        let set = FindingSet([Self.f(.ownerless), Self.f(.expiringSoon), Self.f(.inventoryDrift), Self.f(.residualAccess), Self.f(.rotationOverdue)])
        #expect(set.codes == [.residualAccess, .expiringSoon, .rotationOverdue, .ownerless, .inventoryDrift])
    }
}

import Foundation
import Testing
import RevenantCore

/// The rules an OpenSSH user certificate and its CA's KRL add (docs/protocols/ssh.md, "User certificates").
@Suite struct SSHCertificateVerdictTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)
    static func credential(_ state: LifecycleState) -> Credential {
        Credential(id: "c", kind: .sshCertificate, state: state, owner: "ops")
    }
    static func facts(krl: Bool = true, revokedBy: String? = nil, notAfter: Date? = now.addingTimeInterval(86_400)) -> SSHCertificateFacts {
        SSHCertificateFacts(summary: "ssh-ed25519 certificate, serial 7", notAfter: notAfter, krlRead: krl, revokedBy: revokedBy)
    }
    static let accepted = FindingSet([Finding(code: .residualAccess, message: "revoked credential still authenticates at ssh://h")])

    @Test func revokedAtTheCAYetAcceptedSaysTheServerDoesNotEnforceTheKRL() {
        let out = SSHCertificateVerdict.findings(Self.accepted, facts: Self.facts(revokedBy: "serial 7 is revoked under its CA"),
                                                 credential: Self.credential(.revoked), now: Self.now)
        #expect(out.codes == [.residualAccess])
        #expect(out.findings[0].message.contains("KRL: serial 7 is revoked under its CA"))
        #expect(out.findings[0].message.contains("does not enforce the CA's revocation"))
    }

    @Test func revokedAtTheCAAndRefusedAddsNothing() {
        let verified = FindingSet([Finding(code: .revocationVerified, message: "rejected at every target probed: ssh://h")])
        let out = SSHCertificateVerdict.findings(verified, facts: Self.facts(revokedBy: "key id x is revoked under its CA"),
                                                 credential: Self.credential(.revoked), now: Self.now)
        #expect(out == verified)
    }

    @Test(arguments: [(LifecycleState.revoked, Severity.critical), (.rotated, .high)])
    func shouldBeDeadAndNotInTheKRLIsNotRevokedAtCA(state: LifecycleState, severity: Severity) {
        let out = SSHCertificateVerdict.findings(FindingSet(), facts: Self.facts(), credential: Self.credential(state), now: Self.now)
        #expect(out.codes == [.notRevokedAtCA])
        #expect(out.findings.first?.severity == severity)
    }

    /// An active certificate the CA's KRL revokes: the inventory has drifted (as for an X.509
    /// certificate the CA revoked), whether or not a server still takes it.
    @Test func activeButRevokedInTheKRLIsInventoryDrift() {
        let ok = FindingSet([Finding(code: .ok, message: "active, authenticates, within policy")])
        let out = SSHCertificateVerdict.findings(ok, facts: Self.facts(revokedBy: "serial 7 is revoked under its CA"),
                                                 credential: Self.credential(.active), now: Self.now)
        #expect(out.codes.contains(.inventoryDrift))
        #expect(out.findings.first { $0.code == .inventoryDrift }?.severity == .high)
        #expect(out.findings.first { $0.code == .inventoryDrift }?.message.contains("serial 7") == true)
    }

    @Test func expiredOrActiveOrNoKRLAddsNoCAFinding() {
        let expired = Self.facts(notAfter: Self.now.addingTimeInterval(-1))
        #expect(SSHCertificateVerdict.findings(FindingSet(), facts: expired, credential: Self.credential(.revoked), now: Self.now).codes.isEmpty)
        #expect(SSHCertificateVerdict.findings(FindingSet(), facts: Self.facts(), credential: Self.credential(.active), now: Self.now).codes.isEmpty)
        #expect(SSHCertificateVerdict.findings(FindingSet(), facts: Self.facts(krl: false), credential: Self.credential(.revoked), now: Self.now).codes.isEmpty)
    }
}

import Foundation

/// What was read from an `ssh_certificate` credential's certificate and its CA's KRL.
public struct SSHCertificateFacts: Sendable, Equatable {
    /// `ssh-ed25519 certificate, serial 7, key id "alice"`.
    public var summary: String
    public var notAfter: Date?
    /// The KRL was read: `revokedBy` is its answer (nil: the KRL does not revoke it).
    public var krlRead: Bool
    /// Why the KRL revokes it ("serial 7 is revoked under its CA").
    public var revokedBy: String?

    public init(summary: String, notAfter: Date?, krlRead: Bool = false, revokedBy: String? = nil) {
        self.summary = summary
        self.notAfter = notAfter
        self.krlRead = krlRead
        self.revokedBy = revokedBy
    }
}

/// The rules an OpenSSH user certificate adds to a credential's findings (docs/protocols/ssh.md,
/// "User certificates"). Its validity window is already the credential's `expires_at`, so the
/// generic expiry rules (`expired`, `expired_still_accepted`) apply as they do to any credential.
public enum SSHCertificateVerdict {
    public static func findings(_ probed: FindingSet, facts: SSHCertificateFacts, credential: Credential, now: Date) -> FindingSet {
        var out = probed
        if let why = facts.revokedBy {
            // The CA revoked it, yet a server let it in: that server does not read the CA's KRL.
            let note = "; the CA revoked it (KRL: \(why)) but the server does not enforce the CA's revocation "
                + "(no `RevokedKeys` with this KRL in its sshd_config)"
            let alive: Set<FindingCode> = [.residualAccess, .expiredStillAccepted, .ok]
            out = FindingSet(out.findings.map { f in
                guard alive.contains(f.code) else { return f }
                var f = f
                f.message += note
                return f
            })
            // As for an X.509 certificate the CA revoked: the inventory still calls it active.
            if !credential.state.shouldBeDead {
                out.merge([Finding(code: .inventoryDrift, severity: .high, message: "state active, but the CA's KRL revokes it: \(why)")])
            }
        } else if facts.krlRead, credential.state.shouldBeDead, facts.notAfter.map({ $0 > now }) ?? true {
            // Any server that trusts the CA and reads this KRL still takes it until it expires.
            let until = facts.notAfter.map { "until \(Timestamp.format($0))" } ?? "forever (no expiry)"
            out.merge([Finding(code: .notRevokedAtCA, severity: credential.state == .rotated ? .high : nil,
                               message: "\(credential.state.rawValue) SSH certificate not in the CA's KRL: \(facts.summary) is valid \(until) at every server that trusts the CA")])
        }
        return out
    }
}

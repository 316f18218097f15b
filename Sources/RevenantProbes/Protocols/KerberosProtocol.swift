import RevenantCore

/// A Kerberos password tried in an AS exchange (RFC 4120 §3.1) against one KDC
/// (docs/protocols/kerberos.md): a ticket issued is acceptance; only the KDC's "preauthentication
/// failed" and a reply the password's key cannot decrypt are rejection.
public struct KerberosProtocol: LoginShaped {
    var name: String { "kerberos" }
    public var schemes: [String: Int] { ["kerberos": 88] }
    public var usernameMeaning: String { "the principal (`name` or `name@REALM`)" }

    /// The realm a target names in its path (`kerberos://kdc.example.com/EXAMPLE.COM`), or why it
    /// cannot be one. Realms are case-sensitive (RFC 4120 §6.1) and are used as written; only
    /// printable ASCII without `/`, `:`, `@` or `\` is taken (these separate principal parts and
    /// would make the principal read differently), at most 255 bytes.
    public static func realm(fromPath path: String) -> Result<String, TransportFailure> {
        guard !path.isEmpty else {
            return .failure(TransportFailure(kind: .other, message: "the target names no realm: write it as the URL's path (kerberos://kdc.example.com/EXAMPLE.COM)"))
        }
        let bytes = Array(path.utf8)
        guard bytes.count <= 255, bytes.allSatisfy({ (0x21...0x7E).contains($0) && !"/:@\\".utf8.contains($0) }) else {
            return .failure(TransportFailure(kind: .other, message: "the target's path is not a realm name (printable ASCII without / : @ \\, at most 255 bytes)"))
        }
        return .success(path)
    }

    /// The KDC's (or the library's) error, by its RFC 4120 §7.5.9 number, as a failure: only
    /// KDC_ERR_PREAUTH_FAILED (24) and KRB_AP_ERR_BAD_INTEGRITY (31: the AS-REP could not be
    /// decrypted with the key made from this password) say the password is wrong. Every other
    /// answer proves nothing about the password; `said` is the library's text for it.
    public static func classifyError(number: Int, said: String) -> TransportFailure {
        let quoted = said.isEmpty ? "" : " (`\(ServerText.quote(said))`)"
        switch number {
        case 24:
            return TransportFailure(kind: .loginDenied, message: "KDC_ERR_PREAUTH_FAILED: the KDC found the password wrong\(quoted)")
        case 31:
            return TransportFailure(kind: .loginDenied, message: "KRB_AP_ERR_BAD_INTEGRITY: the KDC's reply cannot be decrypted with this password's key\(quoted)")
        default:
            let (code, why) = Self.inconclusive[number] ?? ("KDC error \(number)", "an answer that says nothing about the password")
            return TransportFailure(kind: .other, message: "\(code): \(why)\(quoted)")
        }
    }

    /// What the other answers mean, and why none is a rejection (measured against MIT krb5kdc 1.20:
    /// it says KEY_EXP, CLIENT_REVOKED and NAME_EXP to the first request, before any password
    /// is checked).
    static let inconclusive: [Int: (String, String)] = [
        1: ("KDC_ERR_NAME_EXP", "the principal has expired; the KDC says so before checking any password, and an administrator can extend it"),
        6: ("KDC_ERR_C_PRINCIPAL_UNKNOWN", "the KDC has no such principal: a deleted principal and a misspelt name in the inventory look the same, so this proves nothing about the password"),
        14: ("KDC_ERR_ETYPE_NOSUPP", "no encryption type in common with the KDC"),
        18: ("KDC_ERR_CLIENT_REVOKED", "the principal is disabled or locked out; the KDC says so before checking any password, and unlocking or re-enabling it brings the same password back"),
        23: ("KDC_ERR_KEY_EXPIRED", "the password has expired; the KDC says so before checking it, and a right expired password can still be changed (kadmin/changepw) to get tickets again"),
        37: ("KRB_AP_ERR_SKEW", "the clocks of this machine and the KDC differ too much"),
        68: ("KDC_ERR_WRONG_REALM", "the KDC does not serve this realm or refers the principal elsewhere: fix the target"),
    ]

    /// The principal's name as it is sent: the credential's, with the target's realm when it
    /// names none. A name with another realm is not sent to this KDC.
    public static func principal(_ user: String, realm: String) -> Result<String, TransportFailure> {
        guard !user.isEmpty, !user.utf8.contains(0) else {
            return .failure(TransportFailure(kind: .other, message: "no principal name to log in as"))
        }
        guard let at = Self.realmSeparator(in: user) else { return .success(user + "@" + realm) }
        let named = String(user[user.index(after: at)...])
        guard named == realm else {
            return .failure(TransportFailure(kind: .other, message: "the principal's realm `\(named)` is not the target's realm `\(realm)`: not sent"))
        }
        return .success(user)
    }

    /// The `@` that starts a principal's realm: the first one not escaped with `\` (MIT's
    /// krb5_parse_name reads names so; it refuses a second one, which leaves the login inconclusive).
    static func realmSeparator(in name: String) -> String.Index? {
        var escaped = false
        for i in name.indices {
            let c = name[i]
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true } else if c == "@" { return i }
        }
        return nil
    }
}

import Foundation
import RevenantCore

/// LDAP simple bind (docs/protocols/ldap.md): result 49 is "wrong credentials", unless Active
/// Directory's diagnostic or a password policy response control says the password was not judged.
public struct LDAPProtocol: LoginShaped {
    var name: String { "ldap" }
    public var schemes: [String: Int] { ["ldap": 389, "ldaps": 636] }
    public var usernameMeaning: String { "the bind DN" }

    /// Why an Active Directory invalidCredentials answer (`data NNN` in the diagnostic message)
    /// does not disprove the password, or nil. Only `52e` (wrong password), `525` (no such user),
    /// `533` (account disabled) and `701` (account expired) are refusals that last until an
    /// administrator acts; every other sub-code AD gives a *correct* password too — locked out
    /// (775, lapses by itself), password expired (532) or to be changed (773, the holder can still
    /// set a new one), logon hours (530), workstation (531), account restrictions such as Protected
    /// Users (52f), logon type not granted (569), too many security ids (568) — or is one revenant
    /// does not know. A diagnostic without a sub-code (slapd's) is left to the result code.
    public static func activeDirectoryKeepsThePassword(_ diagnostic: String) -> String? {
        guard let range = diagnostic.range(of: #"AcceptSecurityContext error, data [0-9a-fA-F]+"#, options: .regularExpression) else {
            return nil
        }
        let code = diagnostic[range].split(separator: " ").last.map { $0.lowercased() } ?? ""
        if ["52e", "525", "533", "701"].contains(code) { return nil }
        let known = ["775": "the account is locked out", "532": "the password has expired", "773": "the password must be changed",
                     "530": "logons are refused at this time", "531": "logons are refused from this workstation",
                     "52f": "an account restriction refused the logon", "569": "this logon type is not granted",
                     "568": "the account has too many security ids"]
        // An unknown code is the server's text: quoted, so it is scrubbed like the rest of it.
        return "Active Directory says \(known[code] ?? "`data \(ServerText.quote(code.prefix(8)))`, a state revenant does not know")"
    }

    /// What the password policy response control (draft-behera-ldap-password-policy-10 §6.2) of a
    /// refused bind said; a bind without the control has none.
    public enum PasswordPolicyAnswer: Equatable, Sendable {
        /// The control without an error.
        case noError
        /// The control's `error` (0 passwordExpired, 1 accountLocked, 2 changeAfterReset, …).
        case error(Int)
        /// A control libldap could not decode.
        case unreadable
    }

    /// Why an invalidCredentials answer that came with a password policy response control does not
    /// disprove the password: every such answer keeps it. Locked (1) is given to any password;
    /// expired (0) and changeAfterReset (2) only once the password matched (slapd's ppolicy turns
    /// a successful bind into these); the others are about changing a password, not this one. And
    /// no error is no proof either: slapd's ppolicy answers a locked account with 49 and an empty
    /// control unless `ppolicy_use_lockout` is set (slapo-ppolicy(5); measured byte for byte as a
    /// wrong password's answer), and the negative control and the rotated passwords of a run are
    /// failed binds that count towards the lock.
    public static func passwordPolicyKeepsThePassword(_ answer: PasswordPolicyAnswer) -> String {
        switch answer {
        case .error(1):
            return "the account is locked by the server's password policy (accountLocked): a right and a wrong password "
                + "get the same answer, so this proves nothing"
        case .error(0):
            return "the server's password policy says the password has expired (passwordExpired): it was right, only too old"
        case .error(2):
            return "the server's password policy says the password must be changed after a reset (changeAfterReset): it was right"
        case .error(let code):
            return "the server's password policy answers error \(code), which does not say the password is wrong"
        case .unreadable:
            return "the server's password policy control could not be decoded: it may say the account is locked"
        case .noError:
            return "the server applies a password policy to this account, and a locked account gets this same answer "
                + "(slapd reports the lock only with `ppolicy_use_lockout`); failed binds, this run's too, count towards "
                + "a lock, so this proves nothing"
        }
    }
}

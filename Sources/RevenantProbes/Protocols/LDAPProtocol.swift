import Foundation
import RevenantCore

/// LDAP simple bind (docs/protocols/ldap.md): result 49 is "wrong credentials", unless Active
/// Directory's diagnostic says the password itself was right.
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
}

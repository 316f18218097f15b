import RevenantCore

/// MySQL/MariaDB account password (docs/protocols/mysql.md): the connection's error number is
/// read, and only ER_ACCESS_DENIED_ERROR (1045) is the server's "wrong credentials".
public struct MySQLProtocol: LoginShaped {
    var name: String { "mysql" }
    public var schemes: [String: Int] { ["mysql": 3306, "mysqls": 3306] }
    public var usernameMeaning: String { "the account's user name (the host part is the server's match for the prober's address)" }

    /// What the prober says when the connection was simply established.
    public static let connected = "connected"

    /// As every login protocol reads its answers, except that an acceptance other than a plain
    /// connection (an expired password, which is right) says so in its reason.
    public func read(_ result: ProbeResult, probe: ProbeDefinition, lookup: String) -> ProbeOutcome {
        if case .success(.loginAccepted(let said)) = result, said != Self.connected {
            return .authenticated(reason: "mysql login accepted: \(said)")
        }
        return LoginReading().read(result, probe: probe, lookup: lookup)
    }

    /// The authentication plugins the client may answer with. Without verified TLS only those that
    /// never put the password itself on the wire (a scramble, an Ed25519 signature); with
    /// `mysqls://` (the server's certificate checked) also those that send it inside the TLS
    /// session (caching_sha2_password's full authentication, sha256_password, cleartext).
    public static func allowedPlugins(verifiedTLS: Bool) -> String {
        verifiedTLS ? "mysql_native_password,client_ed25519,caching_sha2_password,sha256_password,mysql_clear_password"
                    : "mysql_native_password,client_ed25519"
    }

    /// What a failed `mysql_real_connect` says: its error number (server errors 1000–4999, client
    /// errors 2000–2999 and 5000+) and message. `timeout` is the configured one, for the message.
    public static func classifyFailure(code: Int, message: String, timeout: Timeout) -> ProbeResult {
        let quoted = ServerText.quote(message)
        func other(_ why: String) -> ProbeResult { .failure(TransportFailure(kind: .other, message: "\(why) (error \(code)): \(quoted)")) }
        switch code {
        case 1045:
            // ER_ACCESS_DENIED_ERROR: a wrong password, or no account of this name matching the
            // prober's address (a dropped user): this password opens nothing from here.
            return .failure(TransportFailure(kind: .loginDenied, message: "access denied (ER_ACCESS_DENIED_ERROR 1045)"))
        case 1820, 1862:
            // ER_MUST_CHANGE_PASSWORD(_LOGIN): sent only after the password was checked and found
            // right; the holder may connect in sandbox mode and set a new one.
            return .success(.loginAccepted("the password is right but expired (error \(code)): its holder can set a new one and log in"))
        case 3118, 4151:
            return other("the account is locked (ER_ACCOUNT_HAS_BEEN_LOCKED): the password may still be right and ACCOUNT UNLOCK brings it back, so this proves nothing")
        case 1130:
            return other("the server accepts no account of this name from this address (ER_HOST_NOT_PRIVILEGED), before any password: proves nothing")
        case 1129:
            return other("this address is blocked by the server (ER_HOST_IS_BLOCKED), before any password: proves nothing")
        case 1040, 1203, 1226:
            return other("too many connections, proves nothing")
        case 1251, 1698, 2059, 2061, 5010:
            return other("the account's authentication method cannot be used by this client here, so its password was not checked")
        case 2026:
            return .failure(TransportFailure(kind: .tls, message: "TLS failed, the password was not sent (error \(code)): \(quoted)"))
        case 2005:
            return .failure(TransportFailure(kind: .dns, message: "cannot resolve the host (error \(code)): \(quoted)"))
        case 2002, 2003:
            return .failure(TransportFailure(kind: .connect, message: "MySQL connection failed (error \(code)): \(quoted)"))
        case 2013, 5013, 2006:
            let lower = message.lowercased()
            if lower.contains("timed out") || lower.contains("error: 110") || lower.contains("error: 11)") {
                return .failure(TransportFailure(kind: .timeout, message: "no MySQL answer within \(timeout) (error \(code))"))
            }
            return .failure(TransportFailure(kind: .connect, message: "MySQL connection lost (error \(code)): \(quoted)"))
        default:
            return other("MySQL login failed for a reason that proves nothing")
        }
    }
}

/// The shared reading of login answers, under MySQL's name.
private struct LoginReading: LoginShaped {
    var name: String { "mysql" }
    var schemes: [String: Int] { MySQLProtocol().schemes }
}

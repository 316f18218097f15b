import RevenantCore

/// IMAP LOGIN and SMTP AUTH (docs/protocols/imap.md): which replies refuse the credentials, and
/// which completed sessions were no login at all.
public enum MailLogin {
    /// Why a session libcurl completed was no login, or nil. libcurl skips SMTP AUTH when EHLO
    /// offers none (Postfix's `smtpd_tls_auth_only` over plain `smtp://`, a port-25 MX) and still
    /// returns success, as it does for an IMAP session the server pre-authenticated: any password,
    /// a dead one too, would then read as accepted.
    public static func noLogin(scheme: String, authenticated: Bool, preauthenticated: Bool) -> String? {
        if scheme.hasPrefix("smtp") && !authenticated {
            return "the SMTP server offered no AUTH (no 235 reply), so no login took place: nothing was learnt about the credential"
        }
        if scheme.hasPrefix("imap") && preauthenticated {
            return "the IMAP server pre-authenticated the connection (`* PREAUTH`), so no login took place: nothing was learnt about the credential"
        }
        return nil
    }

    /// Whether a refused login's reply line means "these credentials are wrong": IMAP's
    /// `[AUTHENTICATIONFAILED]` response code (RFC 9051 §7.1, from RFC 5530), SMTP's 535 (RFC 4954 §6).
    /// `[UNAVAILABLE]`, `[AUTHORIZATIONFAILED]`, 454 and a bare `NO` say nothing about the secret.
    public static func refusesCredentials(_ reply: String, scheme: String) -> Bool {
        if scheme.hasPrefix("imap") {
            let words = reply.split(separator: " ", maxSplits: 2)
            return words.count == 3 && words[1].uppercased() == "NO" && words[2].uppercased().hasPrefix("[AUTHENTICATIONFAILED]")
        }
        // 535 with 5.7.8 (or no enhanced code) is RFC 4954's "authentication credentials invalid";
        // other 535s also answer *correct* passwords (Microsoft 365: 5.7.139 "SMTP AUTH disabled").
        guard reply.hasPrefix("535") else { return false }
        let enhanced = reply.dropFirst(4).split(separator: " ").first.map(String.init) ?? ""
        let isEnhancedCode = enhanced.split(separator: ".").count == 3 && enhanced.allSatisfy { $0.isNumber || $0 == "." }
        return !isEnhancedCode || enhanced == "5.7.8"
    }
}

/// IMAP (docs/protocols/imap.md).
public struct IMAPProtocol: LoginShaped {
    var name: String { "imap" }
    public var schemes: [String: Int] { ["imap": 143, "imaps": 993] }
}

/// SMTP submission AUTH (docs/protocols/imap.md).
public struct SMTPProtocol: LoginShaped {
    var name: String { "smtp" }
    public var schemes: [String: Int] { ["smtp": 587, "smtps": 465] }
}

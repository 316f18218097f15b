import Testing
import RevenantCore
import RevenantProbes
@testable import RevenantNet

/// Which refused-login answers say "these credentials are wrong" (review of false "revoked").
@Suite struct LoginReplyTests {
    @Test func onlySMTPs535WithoutAnotherEnhancedCodeRejects() {
        #expect(MailLogin.refusesCredentials("535 5.7.8 Authentication failed.", scheme: "smtp"))
        #expect(MailLogin.refusesCredentials("535 Authentication credentials invalid", scheme: "smtps"))
        // Microsoft 365 answers this to a correct password when SMTP AUTH is switched off.
        #expect(!MailLogin.refusesCredentials("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant", scheme: "smtp"))
        #expect(!MailLogin.refusesCredentials("454 4.7.0 Temporary authentication failure", scheme: "smtp"))
    }

    @Test func imapNeedsAuthenticationFailed() {
        #expect(MailLogin.refusesCredentials("A002 NO [AUTHENTICATIONFAILED] Authentication failed.", scheme: "imap"))
        #expect(!MailLogin.refusesCredentials("A002 NO [LIMIT] Too many connections", scheme: "imap"))
        #expect(!MailLogin.refusesCredentials("A002 NO Login failed", scheme: "imaps"))
    }

    /// A session with no login in it proves nothing, whatever password was given.
    @Test func aSessionWithoutALoginIsNotAnAcceptance() {
        #expect(MailLogin.noLogin(scheme: "smtp", authenticated: false, preauthenticated: false) != nil)
        #expect(MailLogin.noLogin(scheme: "smtps", authenticated: true, preauthenticated: false) == nil)
        #expect(MailLogin.noLogin(scheme: "imap", authenticated: false, preauthenticated: true) != nil)
        #expect(MailLogin.noLogin(scheme: "imaps", authenticated: false, preauthenticated: false) == nil)
        #expect(MailLogin.noLogin(scheme: "ldap", authenticated: false, preauthenticated: false) == nil)
    }

    @Test func repliesAreReadForTheLogin() {
        func feed(_ scheme: String, _ lines: [String]) -> Transfer {
            let transfer = Transfer(request: ProbeRequest(method: "GET", url: "\(scheme)://127.0.0.1/", host: "127.0.0.1", headers: []),
                                    completion: { _ in }, maxBody: 0)
            transfer.replyScheme = scheme
            for line in lines { Array((line + "\r\n").utf8).withUnsafeBufferPointer { transfer.onHeaderLine($0) } }
            return transfer
        }
        #expect(feed("smtp", ["220 mx ESMTP", "250-mx", "250 PIPELINING", "235 2.7.0 Logged in."]).authenticationSucceeded)
        #expect(!feed("smtp", ["220 mx ESMTP", "250-mx", "250 STARTTLS"]).authenticationSucceeded)
        #expect(feed("imap", ["* PREAUTH [CAPABILITY IMAP4rev1] ready", "A001 OK done"]).preauthenticated)
        #expect(!feed("imap", ["* OK [CAPABILITY IMAP4rev1] ready", "A001 OK Logged in"]).preauthenticated)
    }
}

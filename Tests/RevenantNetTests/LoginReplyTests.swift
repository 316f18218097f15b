import Testing
@testable import RevenantNet

/// Which refused-login answers say "these credentials are wrong" (review of false "revoked").
@Suite struct LoginReplyTests {
    @Test func onlySMTPs535WithoutAnotherEnhancedCodeRejects() {
        #expect(Transfer.refusesCredentials("535 5.7.8 Authentication failed.", scheme: "smtp"))
        #expect(Transfer.refusesCredentials("535 Authentication credentials invalid", scheme: "smtps"))
        // Microsoft 365 answers this to a correct password when SMTP AUTH is switched off.
        #expect(!Transfer.refusesCredentials("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant", scheme: "smtp"))
        #expect(!Transfer.refusesCredentials("454 4.7.0 Temporary authentication failure", scheme: "smtp"))
    }

    @Test func imapNeedsAuthenticationFailed() {
        #expect(Transfer.refusesCredentials("A002 NO [AUTHENTICATIONFAILED] Authentication failed.", scheme: "imap"))
        #expect(!Transfer.refusesCredentials("A002 NO [LIMIT] Too many connections", scheme: "imap"))
        #expect(!Transfer.refusesCredentials("A002 NO Login failed", scheme: "imaps"))
    }

    @Test func activeDirectorySubCodesForACorrectPasswordAreNotRejections() {
        let expired = "LDAP local: bind 80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 532, v4563"
        #expect(Transfer.directoryKeepsThePassword(expired))
        #expect(Transfer.directoryKeepsThePassword("... data 773, v4563"))
        #expect(!Transfer.directoryKeepsThePassword("... AcceptSecurityContext error, data 52e, v4563"), "52e: wrong password")
        #expect(!Transfer.directoryKeepsThePassword("Invalid credentials"))
    }
}

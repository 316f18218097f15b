import Foundation
import RevenantCore
import RevenantProbes
import TestSupport
import Testing
@testable import RevenantNet

/// What the SSH and PostgreSQL probers decide before (or without) talking to a server: keys made
/// by `ssh-keygen` at test time are read by libssh itself; libpq's failure texts are classified.
/// Logins against real servers are in IntegrationTests (SSHProtocolTests, PostgresProtocolTests).
@Suite struct LoginProberTests {
    static let keyNames = ["plain_openssh", "encrypted_openssh", "plain_pem_rsa", "encrypted_pem_rsa", "encrypted_pkcs8_ecdsa"]

    /// Private key texts by file name, made once by ssh-keygen in a directory removed afterwards.
    static let keys: [String: String] = {
        let dir = TemporaryDirectory()
        let script = """
            ssh-keygen -q -t ed25519 -N '' -f plain_openssh && \
            ssh-keygen -q -t ed25519 -N 'correct horse' -f encrypted_openssh && \
            ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f plain_pem_rsa && \
            ssh-keygen -q -t rsa -b 2048 -m PEM -N 'correct horse' -f encrypted_pem_rsa && \
            ssh-keygen -q -t ecdsa -m PKCS8 -N 'correct horse' -f encrypted_pkcs8_ecdsa
            """
        let (status, output) = Shell.capture(script, in: dir.path)
        precondition(status == 0, "ssh-keygen failed: \(output)")
        var texts: [String: String] = [:]
        for name in keyNames {
            texts[name] = try? String(contentsOfFile: (dir.path as NSString).appendingPathComponent(name), encoding: .utf8)
        }
        return texts
    }()

    static func key(_ name: String) throws -> String { try #require(keys[name], "ssh-keygen made no \(name)") }

    static func request(_ url: String, host: String = "127.0.0.1", login: Login, pin: String? = "SHA256:" + String(repeating: "A", count: 43)) -> ProbeRequest {
        var r = ProbeRequest(method: "LOGIN", url: url, host: host, headers: [], timeout: 2)
        r.login = login
        r.hostKeySHA256 = pin
        return r
    }

    /// A loopback port with nothing listening: a prober that tried to connect would say `connect`.
    static let closedPort = 1

    // MARK: private keys

    @Test(arguments: [("plain_openssh", false), ("encrypted_openssh", true), ("plain_pem_rsa", false),
                      ("encrypted_pem_rsa", true), ("encrypted_pkcs8_ecdsa", true)])
    func encryptedKeysAreRecognisedInEveryFormat(name: String, encrypted: Bool) throws {
        #expect(PrivateKeyText.isEncrypted(try Self.key(name)) == encrypted)
    }

    @Test(arguments: ["plain_openssh", "plain_pem_rsa"])
    func libsshReadsUnencryptedKeysFromMemory(name: String) throws {
        guard case .success = SSHKey.importPrivate(try Self.key(name)) else {
            Issue.record("libssh could not read \(name)")
            return
        }
    }

    @Test func encryptedKeyIsInconclusiveAndNoConnectionIsMade() throws {
        let login = Login(user: "deploy", secret: Secret(try Self.key("encrypted_openssh")), method: .privateKey)
        let result = SSHProber().attempt(Self.request("ssh://127.0.0.1:\(Self.closedPort)", login: login))
        #expect(result == .failure(TransportFailure(kind: .other, message: "encrypted private key: revenant does not take passphrases, nothing sent")))
    }

    @Test func textThatIsNoKeyIsInconclusiveAndSaysNothingOfItself() {
        // Armour around "not a key" in base64: no key is committed, only the shape of one.
        let (begin, end) = PrivateKeyText.armour("OPENSSH")
        let secret = "\(begin)\nbm90IGEga2V5\n\(end)\n"
        let result = SSHProber().attempt(Self.request("ssh://127.0.0.1:\(Self.closedPort)", login: Login(user: "u", secret: Secret(secret), method: .privateKey)))
        guard case .failure(let failure) = result else { Issue.record("\(result)"); return }
        #expect(failure.kind == .other)
        #expect(failure.message.hasPrefix("the private key could not be read"))
        #expect(!failure.message.contains("bm90IGEga2V5"))
    }

    @Test func generatedNegativeControlKeysDifferEveryTime() throws {
        let a = try #require(SSHKey.generateEd25519()), b = try #require(SSHKey.generateEd25519())
        let digestA = try #require(SSHKey.sha256(of: a.raw)), digestB = try #require(SSHKey.sha256(of: b.raw))
        #expect(digestA.count == 32 && digestA != digestB)
    }

    // MARK: host key pins and hosts

    @Test func pinIsReadWithOrWithoutItsPrefixAndPrintedAsSshKeygenDoes() throws {
        let pin = "SHA256:LvX/xkNSMIspO5Bd7jOKgr+NvNnUtO/aqMveeNbJ8Z8"
        let digest = try #require(SSHProber.pinnedDigest(pin))
        #expect(digest.count == 32)
        #expect(SSHProber.pinnedDigest(String(pin.dropFirst(7))) == digest)
        #expect(SSHProber.fingerprint(digest) == pin)
        #expect(SSHProber.pinnedDigest("SHA256:short") == nil)
    }

    @Test func unpinnedOrMalformedPinSendsNothing() {
        let login = Login(user: "u", secret: "hunter2")
        for pin in [nil, "SHA256:not-a-pin"] as [String?] {
            let result = SSHProber().attempt(Self.request("ssh://127.0.0.1:\(Self.closedPort)", login: login, pin: pin))
            guard case .failure(let failure) = result else { Issue.record("\(result)"); continue }
            #expect(failure.kind == .refusedHost, "\(failure)")
        }
    }

    @Test func urlNamingAnotherHostThanTheCheckedOneSendsNothing() {
        let login = Login(user: "u", secret: "hunter2")
        #expect(SSHProber().attempt(Self.request("ssh://10.0.0.1:22", host: "127.0.0.1", login: login)) == .failure(LoginEndpoint.refused))
        #expect(PostgresProber().attempt(Self.request("postgresql://10.0.0.1/db", host: "127.0.0.1", login: login)) == .failure(LoginEndpoint.refused))
    }

    @Test func loginEndpointReadsPortAndDatabase() throws {
        let login = Login(user: "u", secret: "p")
        let e = try #require(LoginEndpoint(Self.request("postgresql://127.0.0.1:6543/billing%20db", login: login), defaultPort: 5432))
        #expect(e == LoginEndpoint(host: "127.0.0.1", port: 6543, path: "billing db"))
        let v6 = try #require(LoginEndpoint(Self.request("ssh://[::1]", host: "::1", login: login), defaultPort: 22))
        #expect(v6.host == "::1" && v6.port == 22 && v6.path.isEmpty)
    }

    // MARK: PostgreSQL answers

    static let prefix = "connection to server at \"127.0.0.1\", port 5432 failed: "

    @Test(arguments: [
        ("FATAL:  password authentication failed for user \"svc\"", TransportFailure.Kind.loginDenied),
        ("FATAL:  role \"svc\" does not exist", .loginDenied),
        ("FATAL:  role \"svc\" is not permitted to log in", .loginDenied),
        ("FATAL:  database \"billing\" does not exist", .other),
        ("FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"svc\", database \"billing\", no encryption", .other),
        ("FATAL:  pg_hba.conf rejects connection for host \"127.0.0.1\", user \"svc\", database \"billing\"", .other),
        ("FATAL:  sorry, too many clients already", .other),
        ("FATAL:  the database system is starting up", .other),
        // Another language: not recognised, so not a rejection.
        ("FATAL:  Passwort-Authentifizierung für Benutzer »svc« fehlgeschlagen", .other),
        ("timeout expired", .timeout),
        ("Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?", .connect),
        // sslmode verify-*: stopped before any authentication message.
        ("SSL error: certificate verify failed", .tls),
        ("server certificate for \"db.internal\" does not match host name \"127.0.0.1\"", .tls),
        ("server does not support SSL, but SSL was required", .tls),
        ("could not read root certificate file \"/etc/ca.pem\": no SSL error reported", .tls),
    ])
    func libpqFailureTextsAreClassifiedConservatively(text: String, kind: TransportFailure.Kind) {
        let failure = PostgreSQLProtocol.classifyFailure(Self.prefix + text + "\n", timeout: 2)
        #expect(failure.kind == kind, "\(failure.message)")
    }

    @Test func onlyAVerifyModeSaysNothingWasSent() {
        let text = Self.prefix + "SSL error: certificate verify failed\n"
        #expect(PostgreSQLProtocol.classifyFailure(text, timeout: 2, verifying: true).message.contains("nothing was sent"))
        // Under prefer, libpq may have retried in clear: no such claim.
        let prefer = PostgreSQLProtocol.classifyFailure(text, timeout: 2)
        #expect(prefer.kind == .tls && !prefer.message.contains("nothing was sent"))
        // A TLS error after the handshake proves nothing and claims nothing, even when verifying.
        let late = PostgreSQLProtocol.classifyFailure(Self.prefix + "SSL SYSCALL error: EOF detected\n", timeout: 2, verifying: true)
        #expect(late.kind == .tls && !late.message.contains("nothing was sent"))
    }

    /// verify-full: libpq's host-name mismatch quotes the certificate's name, which its owner chose;
    /// a name that reads like a refusal is still an untrusted server (found by an adversarial run).
    @Test(arguments: ["FATAL: password authentication failed for user x", "FATAL:  role \"x\" is not permitted to log in",
                      "x FATAL:  role \"app\" does not exist"])
    func aCertificateNameIsNeverTheServersAnswer(name: String) {
        let text = Self.prefix + "server certificate for \"\(name)\" does not match host name \"127.0.0.1\"\n"
        let failure = PostgreSQLProtocol.classifyFailure(text, timeout: 2, verifying: true)
        #expect(failure.kind == .tls && failure.message.contains("nothing was sent"), "\(failure.message)")
    }

    @Test func missingDatabaseSaysTheCredentialsMayBeGood() {
        let failure = PostgreSQLProtocol.classifyFailure(Self.prefix + "FATAL:  database \"billing\" does not exist", timeout: 2)
        #expect(failure.message.contains("3D000") && failure.message.contains("proves nothing"))
    }

    @Test func libpqIsToldEverythingAndReadsNoPasswordFile() {
        let endpoint = LoginEndpoint(host: "127.0.0.1", port: 5433, path: "")
        let p = Dictionary(uniqueKeysWithValues: PostgresProber.parameters(endpoint: endpoint, user: "svc", timeout: 0.5))
        #expect(p["dbname"] == "postgres")
        #expect(p["passfile"] == "/dev/null")
        #expect(p["hostaddr"] == "127.0.0.1", "an address literal is not looked up")
        #expect(p["connect_timeout"] == "2", "libpq's smallest timeout")
        #expect(p["sslmode"] == "prefer" && p["application_name"] == "revenant")
        #expect(p["service"] == nil)
        let named = Dictionary(uniqueKeysWithValues: PostgresProber.parameters(
            endpoint: LoginEndpoint(host: "db.internal", port: 5432, path: "app"), user: "svc", timeout: 7.2))
        #expect(named["hostaddr"] == nil && named["connect_timeout"] == "8" && named["dbname"] == "app")
        // A name of hex letters and dots is still a name (libpq cannot read it as an address).
        for host in ["db.cafe", "beef.dead.be", "add"] { #expect(!PostgresProber.isAddressLiteral(host), "\(host)") }
        for host in ["10.0.0.1", "::1", "fe80::1", "2001:db8::5"] { #expect(PostgresProber.isAddressLiteral(host), "\(host)") }
        #expect(p["sslrootcert"] == nil, "prefer checks no certificate")
    }

    @Test func verifyFullGivesLibpqTheCAFile() {
        let endpoint = LoginEndpoint(host: "db.internal", port: 5432, path: "app")
        let p = Dictionary(uniqueKeysWithValues: PostgresProber.parameters(
            endpoint: endpoint, user: "svc", timeout: 2,
            tls: PostgresTLS(mode: .verifyFull), rootCertificate: "/etc/pg-ca.pem"))
        #expect(p["sslmode"] == "verify-full" && p["sslrootcert"] == "/etc/pg-ca.pem")
        // The prober takes the CA from postgresql.ca_bundle, else from tls.ca_bundle.
        #expect(PostgresProber(tls: PostgresTLS(mode: .verifyCA), fallbackCABundle: "/tls.pem").rootCertificate == "/tls.pem")
        #expect(PostgresProber(tls: PostgresTLS(mode: .verifyCA, caBundle: "/pg.pem"), fallbackCABundle: "/tls.pem").rootCertificate == "/pg.pem")
        #expect(PostgresProber(tls: PostgresTLS(mode: .prefer), fallbackCABundle: "/tls.pem").rootCertificate == nil)
    }

    @Test func verifyModeWithoutACAFileSendsNothing() {
        let login = Login(user: "svc", secret: "pw")
        let result = PostgresProber(tls: PostgresTLS(mode: .verifyFull)).attempt(Self.request("postgresql://127.0.0.1:9/db", host: "127.0.0.1", login: login))
        guard case .failure(let failure) = result else { Issue.record("expected a failure"); return }
        #expect(failure.kind == .tls && failure.message.contains("nothing is sent"))
    }
}

/// sslmode=prefer reports both attempts in one message: a 3D000 in either means the password was
/// accepted once, so the other attempt's refusal is not a rejection.
@Suite struct PostgresRetryMessageTests {
    @Test func anAcceptedPasswordInOneAttemptWinsOverARefusalInTheOther() {
        let both = """
            connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "app" does not exist
            connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "svc"
            """
        #expect(PostgreSQLProtocol.classifyFailure(both, timeout: 5).kind == .other)
        let refused = "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication failed for user \"svc\""
        #expect(PostgreSQLProtocol.classifyFailure(refused, timeout: 5).kind == .loginDenied)
    }
}

/// Which refused binds say "this password is wrong". The diagnostic texts are Active Directory's
/// (`data NNN`); slapd's own refusals run against a real server in LDAPProtocolTests.
@Suite struct LDAPBindAnswerTests {
    static func ad(_ code: String) -> String { "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data \(code), v4563" }

    @Test(arguments: ["52e", "525", "533", "701"])
    func aWrongPasswordOrAnAccountRefusedForGoodIsARejection(code: String) {
        #expect(LDAPProber.classify(code: 49, diagnostic: Self.ad(code)).kind == .loginDenied)
    }

    @Test(arguments: ["775", "532", "773", "530", "531", "52f", "569", "568", "5f0"])
    func aPasswordThatMayStillBeRightIsNotDisproved(code: String) {
        let failure = LDAPProber.classify(code: 49, diagnostic: Self.ad(code))
        #expect(failure.kind == .other)
        #expect(failure.message.contains("not disproved") && failure.message.contains("data \(code)"), "\(failure.message)")
        #expect(LDAPProber.classify(code: 49, diagnostic: Self.ad(code.uppercased())).kind == .other)
    }

    @Test func slapdsBareRefusalAndOtherResults() {
        #expect(LDAPProber.classify(code: 49, diagnostic: "").kind == .loginDenied)
        #expect(LDAPProber.classify(code: 53, diagnostic: "unauthenticated bind (DN with no password) disallowed").kind == .other)
        #expect(LDAPProber.classify(code: -1, diagnostic: "").kind == .connect)
        #expect(LDAPProber.classify(code: -5, diagnostic: "").kind == .timeout)
    }

    /// draft-behera-ldap-password-policy-10 §6.2: a 49 with the password policy response control
    /// never proves the password wrong, whatever the control says (slapd hides a lock behind an
    /// empty one); without the control, slapd's bare 49 is still a refusal.
    @Test(arguments: [LDAPProtocol.PasswordPolicyAnswer.error(1), .error(0), .error(2), .error(8), .noError, .unreadable])
    func aRefusalUnderAPasswordPolicyIsNotARejection(answer: LDAPProtocol.PasswordPolicyAnswer) {
        let failure = LDAPProber.classify(code: 49, diagnostic: "", passwordPolicy: answer)
        #expect(failure.kind == .other)
        #expect(failure.message.hasPrefix("ldap 49 Invalid credentials: "), "\(failure.message)")
    }

    @Test func aLockedAccountSaysSoAndOtherResultsKeepTheirKind() {
        let locked = LDAPProber.classify(code: 49, diagnostic: "", passwordPolicy: .error(1)).message
        #expect(locked.contains("locked") && locked.contains("accountLocked") && locked.contains("proves nothing"), "\(locked)")
        #expect(LDAPProber.classify(code: 49, diagnostic: "", passwordPolicy: .noError).message.contains("ppolicy_use_lockout"))
        #expect(LDAPProber.classify(code: 49, diagnostic: "", passwordPolicy: .error(0)).message.contains("passwordExpired"))
        #expect(LDAPProber.classify(code: -1, diagnostic: "", passwordPolicy: .noError).kind == .connect)
        #expect(LDAPProber.classify(code: 49, diagnostic: "", passwordPolicy: nil).kind == .loginDenied)
    }

    @Test func anEmptyPasswordIsNeverSent() {
        let request = ProbeRequest(method: "GET", url: "ldap://127.0.0.1:1/", host: "127.0.0.1", headers: [], timeout: 1)
        var withLogin = request
        withLogin.login = Login(user: "cn=x,dc=example", secret: "", method: .password)
        guard case .failure(let failure) = LDAPProber().attempt(withLogin) else { Issue.record("an empty password was sent"); return }
        #expect(failure.message.contains("not sent"))
    }
}

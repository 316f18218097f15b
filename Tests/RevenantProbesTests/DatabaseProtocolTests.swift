import RevenantCore
import Testing
@testable import RevenantProbes

/// How MySQL/MariaDB connection errors and Redis AUTH replies read (docs/protocols/mysql.md,
/// docs/protocols/redis.md). Real servers answer them in IntegrationTests.
@Suite struct DatabaseProtocolTests {
    static let probe = SampleProbe.make(auth: .login)

    static func outcome(_ unit: any ProtocolUnit, _ result: ProbeResult) -> ProbeOutcome {
        unit.read(result, probe: probe, lookup: "")
    }

    @Test func onlyAccessDeniedRejectsAMySQLLogin() {
        let denied = MySQLProtocol.classifyFailure(code: 1045, message: "Access denied for user 'a'@'10.0.0.1' (using password: YES)", timeout: 5)
        guard case .rejected(let reason) = Self.outcome(MySQLProtocol(), denied) else { Issue.record("\(denied)"); return }
        #expect(reason.contains("1045"))
    }

    /// Locked, wrong host, blocked host, too many connections, an authentication method this
    /// client will not use, unknown errors: none is about the password.
    @Test(arguments: [3118, 4151, 1130, 1129, 1040, 1203, 1226, 1251, 1698, 2059, 2061, 5010, 1044, 1049, 9999])
    func otherMySQLRefusalsProveNothing(code: Int) {
        let result = MySQLProtocol.classifyFailure(code: code, message: "server words", timeout: 5)
        guard case .inconclusive(let reason) = Self.outcome(MySQLProtocol(), result) else { Issue.record("\(code): \(result)"); return }
        #expect(reason.contains("error \(code)"), "\(reason)")
    }

    /// The server checks expiry after the password: 1820/1862 say the password is right.
    @Test(arguments: [1820, 1862]) func anExpiredPasswordIsRightAndReadsAsALogin(code: Int) {
        let result = MySQLProtocol.classifyFailure(code: code, message: "Your password has expired", timeout: 5)
        guard case .authenticated(let reason) = Self.outcome(MySQLProtocol(), result) else { Issue.record("\(result)"); return }
        #expect(reason.contains("expired"))
        guard case .authenticated(let plain) = Self.outcome(MySQLProtocol(), .success(.loginAccepted(MySQLProtocol.connected))) else { return }
        #expect(plain == "mysql login accepted")
    }

    @Test func mySQLWireFailuresKeepTheirKind() {
        func kind(_ code: Int, _ message: String) -> TransportFailure.Kind? {
            if case .failure(let f) = MySQLProtocol.classifyFailure(code: code, message: message, timeout: 2) { return f.kind }
            return nil
        }
        #expect(kind(2026, "SSL is required, but the server does not support it") == .tls)
        #expect(kind(2002, "Can't connect to server on '127.0.0.1' (111)") == .connect)
        #expect(kind(2005, "Unknown server host 'x'") == .dns)
        #expect(kind(2013, "Lost connection to server at 'handshake: reading initial communication packet', system error: 110") == .timeout)
        #expect(kind(2013, "Lost connection to server at 'handshake: reading initial communication packet', system error: 104") == .connect)
    }

    /// Without verified TLS no plugin that puts the password itself on the wire is allowed.
    @Test func cleartextPluginsOnlyOverVerifiedTLS() {
        let plain = MySQLProtocol.allowedPlugins(verifiedTLS: false).split(separator: ",")
        #expect(plain == ["mysql_native_password", "client_ed25519"])
        let verified = MySQLProtocol.allowedPlugins(verifiedTLS: true).split(separator: ",")
        #expect(verified.contains("mysql_clear_password") && verified.contains("caching_sha2_password"))
    }

    @Test func redisOKIsALoginAndWrongPassARejection() {
        #expect(Self.outcome(RedisProtocol(), RedisProtocol.readAuthReply(Array("+OK".utf8))) == .authenticated(reason: "redis login accepted"))
        let wrong = RedisProtocol.readAuthReply(Array("-WRONGPASS invalid username-password pair or user is disabled.".utf8))
        guard case .rejected(let reason) = Self.outcome(RedisProtocol(), wrong) else { Issue.record("\(wrong)"); return }
        #expect(reason.contains("WRONGPASS"))
    }

    /// NOAUTH, ERR (no ACLs, no password configured, too many arguments), DENIED (protected
    /// mode), a RESP3 or integer reply, an empty line, a simple string that is not OK.
    @Test(arguments: ["-NOAUTH Authentication required.", "-ERR wrong number of arguments for 'auth' command",
                      "-ERR AUTH <password> called without any password configured for the default user.",
                      "-DENIED Redis is running in protected mode", "-WRONGPASSWORD", ":1", "$2", "+QUEUED", "", "-"])
    func otherRedisRepliesProveNothing(reply: String) {
        let result = RedisProtocol.readAuthReply(Array(reply.utf8))
        guard case .inconclusive = Self.outcome(RedisProtocol(), result) else { Issue.record("\(reply): \(result)"); return }
    }

    @Test func redisReplyTextIsQuotedAsTheServers() {
        let result = RedisProtocol.readAuthReply(Array("-ERR \u{1B}[31mred".utf8))
        guard case .failure(let f) = result else { Issue.record("\(result)"); return }
        #expect(!f.message.contains("\u{1B}"))
    }
}

import CKrb5
import Foundation
import RevenantCore
import RevenantProbes
import Testing
@testable import RevenantNet

/// What the Kerberos prober decides before (or without) a KDC: which KDC errors are rejections,
/// realms and principal names, what is never sent, the in-memory configuration libkrb5 is given,
/// and replies whose length revenant refuses. Logins against a real MIT KDC are in
/// IntegrationTests (KerberosProtocolTests).
@Suite struct KerberosProberTests {
    @Test(arguments: [24, 31])
    func onlyPreauthFailedAndAnUndecryptableReplyAreRejections(number: Int) {
        #expect(KerberosProtocol.classifyError(number: number, said: "x").kind == .loginDenied)
    }

    /// Principal unknown, disabled/locked, password expired, principal expired, skew, wrong realm,
    /// no common encryption type, policy and anything unknown prove nothing about the password.
    @Test(arguments: [6, 18, 23, 1, 37, 68, 14, 12, 0, 60, 127])
    func everyOtherKDCErrorIsInconclusive(number: Int) {
        let failure = KerberosProtocol.classifyError(number: number, said: "Client's credentials have been revoked")
        #expect(failure.kind == .other)
        #expect(failure.message.contains("Client's credentials have been revoked"))
    }

    @Test func realmIsTheTargetPathAsWritten() throws {
        #expect(try KerberosProtocol.realm(fromPath: "EXAMPLE.COM").get() == "EXAMPLE.COM")
        #expect(try KerberosProtocol.realm(fromPath: "example.com").get() == "example.com")
        for bad in ["", "EXAMPLE.COM/x", "A@B", "A:88", "A B", "R\\E", "RÉALM", String(repeating: "R", count: 256)] {
            #expect((try? KerberosProtocol.realm(fromPath: bad).get()) == nil, "\(bad)")
        }
    }

    @Test func principalTakesTheTargetRealmAndNoOther() throws {
        #expect(try KerberosProtocol.principal("alice", realm: "R.TEST").get() == "alice@R.TEST")
        #expect(try KerberosProtocol.principal("svc/host.r.test@R.TEST", realm: "R.TEST").get() == "svc/host.r.test@R.TEST")
        #expect(try KerberosProtocol.principal("a\\@b", realm: "R.TEST").get() == "a\\@b@R.TEST")
        #expect((try? KerberosProtocol.principal("alice@OTHER.TEST", realm: "R.TEST").get()) == nil)
        #expect((try? KerberosProtocol.principal("", realm: "R.TEST").get()) == nil)
    }

    static func request(_ url: String, host: String = "127.0.0.1", user: String = "alice", secret: Secret = "pw") -> ProbeRequest {
        var r = ProbeRequest(method: "LOGIN", url: url, host: host, headers: [], timeout: 1)
        r.login = Login(user: user, secret: secret)
        return r
    }

    /// Port 9 has no listener here: had anything been sent, the failure would be `connect`.
    @Test(arguments: [
        ("kerberos://127.0.0.1:9/R.TEST", "127.0.0.1", Secret(bytes: [0x70, 0x00, 0x77]), "alice", "NUL byte"),
        ("kerberos://127.0.0.1:9/", "127.0.0.1", Secret("pw"), "alice", "no realm"),
        ("kerberos://127.0.0.1:9/R.TEST", "127.0.0.1", Secret("pw"), "alice@OTHER.TEST", "not the target's realm"),
        ("kerberos://10.0.0.1:9/R.TEST", "127.0.0.1", Secret("pw"), "alice", "does not name the allowed host"),
    ])
    func nothingIsSentForWhatCannotBeAsked(url: String, host: String, secret: Secret, user: String, says: String) {
        guard case .failure(let failure) = KerberosProber().attempt(Self.request(url, host: host, user: user, secret: secret)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.kind != .connect && failure.kind != .loginDenied)
        #expect(failure.message.contains(says), "\(failure.message)")
    }

    /// libkrb5 reads the configuration revenant holds in memory, whatever KRB5_CONFIG says.
    @Test func theContextUsesTheInMemoryConfiguration() throws {
        let endpoint = LoginEndpoint(host: "127.0.0.1", port: 8888, path: "IN.MEMORY.TEST")
        let profile = KerberosProfile(realm: "IN.MEMORY.TEST", kdc: endpoint)
        #expect(profile.relations[["realms", "IN.MEMORY.TEST", "kdc"]] == ["127.0.0.1:8888"])
        #expect(profile.relations[["libdefaults", "dns_lookup_kdc"]] == ["false"])
        let context = try #require(KerberosContext(realm: "IN.MEMORY.TEST", kdc: endpoint))
        #expect(context.defaultRealm == "IN.MEMORY.TEST")
    }

    /// A reply length with the reserved high bit, zero, or over the cap is refused unread.
    @Test(arguments: [[0x80, 0, 0, 1], [0, 0, 0, 0], [0, 0x20, 0, 0]] as [[UInt8]])
    func replyLengthsOutsideWhatIsReadAreRefused(header: [UInt8]) throws {
        let server = try OneReplyServer(reply: header)
        defer { server.close() }
        let endpoint = LoginEndpoint(host: "127.0.0.1", port: server.port, path: "R.TEST")
        let result = KDCExchange.send([1, 2, 3], to: endpoint, deadline: Date().addingTimeInterval(2), timeout: 2)
        guard case .failure(let failure) = result else {
            Issue.record("expected a refusal")
            return
        }
        #expect(failure.message.contains("reply length"), "\(failure.message)")
    }
}

extension KerberosContext {
    /// The context's default realm (from the in-memory profile).
    var defaultRealm: String? {
        var realm: UnsafeMutablePointer<CChar>?
        guard withRaw({ krb5_get_default_realm($0, &realm) }) == 0, let realm else { return nil }
        defer { free(realm) }
        return String(cString: realm)
    }
}

/// A loopback listener that answers the first connection with fixed bytes once it has read a
/// request, on a thread of its own.
final class OneReplyServer: @unchecked Sendable {
    // @unchecked: `fd` and `port` are set in init and only read afterwards.
    let fd: Int32
    let port: Int

    init(reply: [UInt8]) throws {
        let (listener, port) = try DripServer.listen()
        fd = listener
        self.port = port
        let thread = Thread {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 64)
            _ = recv(client, &buffer, buffer.count, 0)
            _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            Glibc.close(client)
        }
        thread.start()
    }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

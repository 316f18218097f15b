import RevenantCore
import RevenantProbes
import Testing
@testable import RevenantNet

/// What the MySQL and Redis probers decide before talking to a server, and the RESP bytes they send.
@Suite struct DatabaseProberTests {
    static func request(_ url: String, password: Secret) -> ProbeRequest {
        var r = ProbeRequest(method: "LOGIN", url: url, host: "127.0.0.1", headers: [], timeout: 1)
        r.login = Login(user: "svc", secret: password)
        return r
    }

    /// A NUL would cut the C string Connector/C takes: refused, never truncated.
    @Test func aMySQLPasswordWithNULIsNotSent() {
        let result = MySQLProber().attempt(Self.request("mysql://127.0.0.1:1", password: Secret(bytes: [0x61, 0x00, 0x62])))
        guard case .failure(let f) = result else { Issue.record("\(result)"); return }
        #expect(f.kind == .other && f.message.contains("NUL"), "\(f)")
    }

    @Test func aLoginURLForAnotherHostSendsNothing() {
        var r = Self.request("mysql://10.0.0.9:3306", password: "pw")
        r.host = "127.0.0.1"
        #expect(MySQLProber().attempt(r) == .failure(LoginEndpoint.refused))
        r.url = "redis://10.0.0.9:6379"
        #expect(RedisProber().attempt(r) == .failure(LoginEndpoint.refused))
    }

    /// Bulk strings carry the bytes as they are: a NUL, CR LF or non-UTF-8 byte in the password too.
    @Test func authIsARESPArrayOfExactBulkStrings() {
        let password: [UInt8] = [0x70, 0x00, 0x0D, 0x0A, 0xFF]
        let bytes = RedisProber.command([Array("AUTH".utf8), Array("svc".utf8), password])
        #expect(bytes == Array("*3\r\n$4\r\nAUTH\r\n$3\r\nsvc\r\n$5\r\n".utf8) + password + [0x0D, 0x0A])
        #expect(RedisProber.command([Array("QUIT".utf8)]) == Array("*1\r\n$4\r\nQUIT\r\n".utf8))
    }
}

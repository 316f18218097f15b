import Foundation
import RevenantCore
import RevenantProbes

/// Tries one Redis `AUTH username password` (RESP, written here: a few bytes, no client library)
/// over TCP, or TLS for `rediss://`, then sends `QUIT`: no other command runs.
/// docs/protocols/redis.md says what each reply means and why.
public struct RedisProber: LoginProber {
    let options: TransportOptions

    public init(options: TransportOptions = TransportOptions()) {
        self.options = options
    }

    public func attempt(_ request: ProbeRequest) -> ProbeResult {
        guard let login = request.login, login.method == .password else {
            return .failure(TransportFailure(kind: .other, message: "a Redis probe needs an ACL user and a password"))
        }
        let tls = request.url.lowercased().hasPrefix("rediss:")
        guard let endpoint = LoginEndpoint(request, defaultPort: 6379) else { return .failure(LoginEndpoint.refused) }
        let stream: CurlStream
        switch CurlStream.open(host: endpoint.host, port: endpoint.port, tls: tls, timeout: request.timeout, options: options) {
        case .success(let opened): stream = opened
        case .failure(let failure): return .failure(failure)
        }
        var command = Self.command(["AUTH".utf8.map { $0 }, Array(login.user.utf8), login.secret.bytes])
        defer { for i in command.indices { command[i] = 0 } }
        if let failure = stream.send(command) { return .failure(failure) }
        let reply = stream.readLine(limit: RedisProtocol.maxReplyBytes)
        // Polite end of the session whatever the answer; its reply is not waited for.
        _ = stream.send(Self.command([Array("QUIT".utf8)]))
        switch reply {
        case .success(let line): return RedisProtocol.readAuthReply(line)
        case .failure(let failure): return .failure(failure)
        }
    }

    /// A command as a RESP array of bulk strings: every argument's bytes exactly, with its length
    /// (https://redis.io/docs/latest/develop/reference/protocol-spec/#bulk-strings).
    static func command(_ arguments: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            out += Array("$\(argument.count)\r\n".utf8)
            out += argument
            out += [0x0D, 0x0A]
        }
        return out
    }
}

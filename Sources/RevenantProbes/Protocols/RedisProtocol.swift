import RevenantCore

/// Redis `AUTH username password` with ACL users (docs/protocols/redis.md): `+OK` is a login,
/// `-WRONGPASS` the server's own "wrong credentials"; every other reply proves nothing.
public struct RedisProtocol: LoginShaped {
    var name: String { "redis" }
    public var schemes: [String: Int] { ["redis": 6379, "rediss": 6379] }
    public var usernameMeaning: String { "the ACL user (`default` for a server with only requirepass)" }

    /// The longest reply line read to AUTH; a longer one is not Redis's answer to it.
    public static let maxReplyBytes = 4096

    /// What one RESP reply line (without its CRLF) to `AUTH user pass` says.
    /// Redis 6.0+ answers a wrong password, an unknown user and a user switched `off` alike with
    /// `-WRONGPASS` (https://redis.io/docs/latest/commands/auth/): each means this password opens
    /// nothing now. `-NOAUTH`, `-ERR` (a server without ACLs: "wrong number of arguments", or no
    /// password configured), `-DENIED` (protected mode) and any other reply are not about the
    /// password: inconclusive.
    public static func readAuthReply(_ line: [UInt8]) -> ProbeResult {
        guard let first = line.first else {
            return .failure(TransportFailure(kind: .other, message: "an empty reply to AUTH, which proves nothing"))
        }
        let text = String(decoding: line.dropFirst(), as: UTF8.self)
        switch first {
        case UInt8(ascii: "+") where text == "OK":
            return .success(.loginAccepted("AUTH accepted (+OK)"))
        case UInt8(ascii: "-"):
            let code = text.prefix { $0 != " " }
            if code == "WRONGPASS" {
                return .failure(TransportFailure(kind: .loginDenied, message: "-WRONGPASS (a wrong password, or no such enabled user): \(ServerText.quote(text))"))
            }
            return .failure(TransportFailure(kind: .other, message: "Redis refused AUTH for a reason that proves nothing: \(ServerText.quote(text))"))
        default:
            return .failure(TransportFailure(kind: .other, message: "a reply to AUTH that is not +OK or an error: \(ServerText.quote(String(decoding: line, as: UTF8.self)))"))
        }
    }
}

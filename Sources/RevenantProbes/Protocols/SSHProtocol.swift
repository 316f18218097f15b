import RevenantCore

/// SSH userauth, by key or password (docs/protocols/ssh.md).
public struct SSHProtocol: LoginShaped {
    var name: String { "ssh" }
    public var schemes: [String: Int] { ["ssh": 22] }
}

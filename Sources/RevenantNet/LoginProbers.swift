import RevenantCore

/// The probers of protocols libcurl does not speak, by URL scheme.
public enum LoginProbers {
    public static func standard(options: TransportOptions) -> [String: any LoginProber] {
        // Neither uses the HTTP options: SSH trusts only the pinned host key; libpq's TLS
        // (`sslmode=prefer`) protects the password in transit but authenticates nothing.
        ["ssh": SSHProber(), "postgresql": PostgresProber()]
    }
}

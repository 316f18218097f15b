import RevenantCore

/// The probers of protocols libcurl does not speak, by URL scheme.
public enum LoginProbers {
    public static func standard(options: TransportOptions) -> [String: any LoginProber] {
        [:]
    }
}

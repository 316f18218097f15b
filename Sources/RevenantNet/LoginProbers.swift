import RevenantCore

/// The probers of protocols libcurl does not speak, by URL scheme.
public enum LoginProbers {
    public static func standard(options: TransportOptions, postgres: PostgresTLS = PostgresTLS()) -> [String: any LoginProber] {
        // SSH trusts only the pinned host key. PostgreSQL's TLS is config `postgresql.sslmode`:
        // `prefer` protects the password in transit but authenticates nothing; `verify-*` trusts
        // `postgresql.ca_bundle`, else `tls.ca_bundle`.
        let ldap = LDAPProber(caBundle: options.caBundle, caDirectory: options.caDirectory, insecureHosts: options.insecureHosts)
        return ["ssh": SSHProber(), "postgresql": PostgresProber(tls: postgres, fallbackCABundle: options.caBundle),
                "ldap": ldap, "ldaps": ldap,
                // MySQL: `mysqls://` checks the server against `tls.ca_bundle`; Redis over TLS as HTTPS is.
                "mysql": MySQLProber(caBundle: options.caBundle, caDirectory: options.caDirectory),
                "mysqls": MySQLProber(caBundle: options.caBundle, caDirectory: options.caDirectory),
                "redis": RedisProber(options: options), "rediss": RedisProber(options: options),
                "kerberos": KerberosProber()]
    }
}

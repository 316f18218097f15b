/// The CAs a TLS peer must chain to: `tls.ca_bundle` when the configuration names one, else what
/// OpenSSL's own `SSL_CERT_FILE` and `SSL_CERT_DIR` name (a PEM bundle; a directory hashed by
/// `openssl rehash`/`c_rehash`), else each library's default (the system store). The same for every
/// TLS path: libcurl (HTTP, IMAP, SMTP probes and the CRL/OCSP/caIssuers fetches), libldap and libpq.
public struct TrustAnchors: Sendable, Equatable {
    public var file: String?
    public var directory: String?

    public init(file: String? = nil, directory: String? = nil) {
        self.file = file
        self.directory = directory
    }

    /// The one place the two variables are read; `environment` is the process's (passed in, so a
    /// test gives its own). An empty value is unset, as for OpenSSL. `tls.ca_bundle` wins: a flag or
    /// the configuration file comes before the environment (DESIGN.md §9).
    public static func resolve(caBundle: String?, environment: [String: String]) -> TrustAnchors {
        if let caBundle { return TrustAnchors(file: caBundle) }
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return TrustAnchors(file: value("SSL_CERT_FILE"), directory: value("SSL_CERT_DIR"))
    }
}

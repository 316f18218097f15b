/// One probe request as a transport sends it: an HTTP request, or a login of another protocol
/// (its URL's scheme says which: `ldap://`, `imap://`, `ssh://`, `postgresql://`, ...).
/// Built by the probe layer; the secret lives only here.
public struct ProbeRequest: Sendable {
    public var method: String
    public var url: String
    /// The only host this request may reach (checked again by the transport).
    public var host: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var timeout: Timeout
    /// Who logs in, for protocols that log in by name and for SigV4; never put into the URL.
    public var login: Login?
    /// `aws:amz:REGION:SERVICE`: sign with AWS Signature Version 4 (the login is key id + secret).
    public var awsSigV4: String?
    /// The certificate and key presented in the TLS handshake.
    public var clientIdentity: ClientIdentity?
    /// SSH: the server's host key must have this SHA-256 fingerprint (`SHA256:base64`), or nothing is sent.
    public var hostKeySHA256: String?

    public init(method: String, url: String, host: String, headers: [(name: String, value: String)], body: [UInt8]? = nil, timeout: Timeout = .default) {
        self.method = method
        self.url = url
        self.host = host
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A login handed to a protocol's own authentication.
public struct Login: Sendable, Equatable {
    public enum Method: Sendable, Equatable {
        case password
        /// `secret` is a private key (OpenSSH or PEM text).
        case privateKey
        /// A key made for this attempt only and thrown away: the negative control of key logins.
        case generatedKey
    }

    public var user: String
    /// Exactly the bytes stored (a password need not be UTF-8).
    public var secret: Secret
    public var method: Method
    /// SSH: the OpenSSH user certificate (`-cert.pub` text) presented with the private key.
    public var certificate: [UInt8]?

    public init(user: String, secret: Secret, method: Method = .password, certificate: [UInt8]? = nil) {
        self.user = user
        self.secret = secret
        self.method = method
        self.certificate = certificate
    }
}

/// A TLS client certificate and its private key.
public enum ClientIdentity: Sendable, Equatable {
    /// PEM (or DER) bytes as read from the inventory's files.
    case pem(certificate: [UInt8], key: [UInt8])
    /// A self-signed certificate made for this run only: the negative control of mTLS probes.
    case generated
}

/// What a server answered to a probe: an HTTP response (which matchers read), or a login of
/// another protocol that the server accepted (LDAP bind, IMAP/SMTP AUTH, SSH userauth,
/// PostgreSQL startup). A refused login is a failure of kind `loginDenied`.
public enum ProbeAnswer: Sendable, Equatable {
    case http(HTTPResponse)
    /// What the server said on accepting the login ("bind accepted", "publickey accepted").
    case loginAccepted(String)

    /// The HTTP response, if this answer is one.
    public var http: HTTPResponse? {
        if case .http(let response) = self { return response }
        return nil
    }
}

/// What an HTTP server answered. The body is kept only up to a limit.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// The `Location` of a redirect, for the report (never followed).
    public var redirectLocation: String? { header("location") }

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, case-insensitive.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// One response header.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Why no HTTP response came back.
public struct TransportFailure: Sendable, Equatable, Error {
    public enum Kind: String, Sendable {
        case timeout, dns, connect, tls, refusedHost = "refused_host", other
        /// The protocol's own "wrong credentials" answer (LDAP 49, IMAP `NO`, SSH userauth failure, SQLSTATE 28P01).
        case loginDenied = "login_denied"
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// An answer or the reason there is none.
public typealias ProbeResult = Result<ProbeAnswer, TransportFailure>

/// Sends requests. The engine gets one injected: libcurl in production, a table in unit tests.
public protocol ProbeTransport: Sendable {
    func send(_ request: ProbeRequest) async -> ProbeResult
    /// Ends every transfer in flight now (interrupted runs); they complete as failures.
    func cancelAll()
}

extension ProbeTransport {
    public func cancelAll() {}
}

/// Tries one login of a protocol libcurl does not speak (SSH, PostgreSQL). Blocking: the caller
/// runs it off the event loop. Success is `.loginAccepted`; wrong credentials are
/// `.failure(kind: .loginDenied)`; anything else is another failure kind.
public protocol LoginProber: Sendable {
    func attempt(_ request: ProbeRequest) -> ProbeResult
}

/// A transport that can start a request and call back when it completes, without a task per
/// request (the engine then needs no thread hop per transfer).
public protocol CallbackTransport: ProbeTransport {
    /// `completion` runs once, on a thread of the transport's choosing.
    func start(_ request: ProbeRequest, completion: @escaping @Sendable (ProbeResult) -> Void)
}

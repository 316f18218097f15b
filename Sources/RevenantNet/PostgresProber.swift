import CLibPQ
import Foundation
import RevenantCore

/// Tries one PostgreSQL password login with libpq and closes the connection at once: no query
/// runs. docs/protocols/postgresql.md says what each answer means and why.
public struct PostgresProber: LoginProber {
    /// libpq's `sslmode`, and for `verify-*` the CA file (`sslrootcert`) the server must chain to.
    let tls: PostgresTLS
    let rootCertificate: String?

    public init(tls: PostgresTLS = PostgresTLS(), fallbackCABundle: String? = nil) {
        self.tls = tls
        rootCertificate = tls.mode.verifiesServer ? (tls.caBundle ?? fallbackCABundle) : nil
    }

    /// Environment variables through which libpq itself would pick another address or a service
    /// file's settings for a connection: with one set, no password is sent (DESIGN §1.3).
    static let redirectingEnvironment = ["PGHOSTADDR", "PGSERVICE"]

    public func attempt(_ request: ProbeRequest) -> ProbeResult {
        guard let login = request.login, login.method == .password else {
            return .failure(TransportFailure(kind: .other, message: "a PostgreSQL probe needs a role and a password"))
        }
        guard let endpoint = LoginEndpoint(request, defaultPort: 5432) else { return .failure(LoginEndpoint.refused) }
        if let name = Self.redirectingEnvironment.first(where: { getenv($0) != nil }) {
            return .failure(TransportFailure(kind: .refusedHost, message: "\(name) is set: libpq could connect elsewhere or take settings from a service file, so nothing is sent"))
        }
        if tls.mode.verifiesServer && rootCertificate == nil {
            return .failure(TransportFailure(kind: .tls, message: "sslmode \(tls.mode.rawValue) needs a CA file (postgresql.ca_bundle or tls.ca_bundle): nothing is sent"))
        }
        let parameters = Self.parameters(endpoint: endpoint, user: login.user, timeout: request.timeout,
                                         tls: tls, rootCertificate: rootCertificate)
        guard let connection = PostgresConnection(parameters, password: login.secret) else {
            return .failure(TransportFailure(kind: .other, message: "libpq could not allocate a connection"))
        }
        if connection.isOK { return .success(.loginAccepted("connection accepted")) }
        return .failure(Self.classifyFailure(connection.errorMessage, timeout: request.timeout,
                                             verifying: tls.mode.verifiesServer))
    }

    /// Every keyword libpq gets. Nothing is left for libpq to fill in from ~/.pgpass
    /// (`passfile=/dev/null`) and everything that says where to connect is given.
    /// The password is not among them: it goes to libpq as the bytes stored (PostgresConnection).
    static func parameters(endpoint: LoginEndpoint, user: String, timeout: Timeout,
                           tls: PostgresTLS = PostgresTLS(), rootCertificate: String? = nil) -> [(String, String)] {
        var list: [(String, String)] = [
            ("host", endpoint.host),
            ("port", String(endpoint.port)),
            ("dbname", endpoint.path.isEmpty ? "postgres" : endpoint.path),
            ("user", user),
            // libpq counts whole seconds and takes 1 as 2.
            ("connect_timeout", String(max(2, timeout.wholeSeconds))),
            ("sslmode", tls.mode.rawValue),
            // No Kerberos round trip: GSS encryption needs a ticket revenant never has.
            ("gssencmode", "disable"),
            ("application_name", "revenant"),
            ("passfile", "/dev/null"),
        ]
        // verify-*: the server's certificate must chain to this file (libpq checks it before any
        // authentication message, so a server that fails sees no password, not even its hash).
        if let rootCertificate { list.append(("sslrootcert", rootCertificate)) }
        // An address literal also goes in `hostaddr`: no name lookup can move it.
        if PostgresProber.isAddressLiteral(endpoint.host) { list.append(("hostaddr", endpoint.host)) }
        return list
    }

    /// An IPv4 or IPv6 address as written, not a name made of hex digits and dots (`db.cafe`).
    static func isAddressLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// libpq exposes no SQLSTATE for a failed connection (there is no result to ask), so the
    /// server's FATAL text is all there is: only PostgreSQL's English wording of the role's own
    /// "wrong credentials" (28P01, and the 28000 cases about the role) counts as a rejection;
    /// anything unrecognised (another language, another server) stays inconclusive.
    /// `verifying`: sslmode was verify-ca or verify-full, so a failed certificate check came
    /// before any authentication message.
    static func classifyFailure(_ message: String, timeout: Timeout, verifying: Bool = false) -> TransportFailure {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        if let fatal = lower.range(of: "fatal:") {
            let said = lower[fatal.upperBound...]
            // sslmode=prefer: libpq retries without TLS after any failure and reports both attempts
            // in one message. An answer that proves nothing (or that the password was accepted, as
            // 3D000 does) in either attempt wins over a refusal in the other.
            if said.contains("database \"") && said.contains("\" does not exist") {
                // PostgreSQL looks the database up after authentication: the credentials may be good.
                return TransportFailure(kind: .other, message: "the target's database does not exist (SQLSTATE 3D000); the server checks it after the password, so this proves nothing: fix the target")
            }
            if said.contains("pg_hba.conf") {
                // Refused by address/database rules before any password was asked for.
                return TransportFailure(kind: .other, message: "refused by pg_hba.conf before the password was checked (SQLSTATE 28000): proves nothing about the password")
            }
            if said.contains("too many") { return TransportFailure(kind: .other, message: "the server has too many connections (SQLSTATE 53300)") }
            if said.contains("password authentication failed for user") {
                return TransportFailure(kind: .loginDenied, message: "password authentication failed (SQLSTATE 28P01)")
            }
            if said.contains("is not permitted to log in") {
                return TransportFailure(kind: .loginDenied, message: "the role may not log in (SQLSTATE 28000)")
            }
            if said.contains("role \"") && said.contains("\" does not exist") {
                return TransportFailure(kind: .loginDenied, message: "the role does not exist (SQLSTATE 28000)")
            }
        }
        let untrusted = Self.untrustedServer.contains(where: lower.contains)
        if verifying && untrusted {
            return TransportFailure(kind: .tls, message: "PostgreSQL server not trusted, nothing was sent: \(ServerText.quote(oneLine(text)))")
        }
        if untrusted || lower.contains("ssl") {
            // Under prefer/require libpq may have retried without TLS, and a TLS error after the
            // handshake may follow the login: nothing is claimed about what was sent.
            return TransportFailure(kind: .tls, message: "PostgreSQL TLS failed, which proves nothing: \(ServerText.quote(oneLine(text)))")
        }
        if lower.contains("timeout expired") {
            return TransportFailure(kind: .timeout, message: "no PostgreSQL answer within \(max(2, timeout.wholeSeconds)) s")
        }
        if lower.contains("connection refused") || lower.contains("no route to host") || lower.contains("network is unreachable") {
            return TransportFailure(kind: .connect, message: "PostgreSQL connection failed: \(ServerText.quote(oneLine(text)))")
        }
        return TransportFailure(kind: .other, message: "PostgreSQL login failed for a reason that proves nothing: \(ServerText.quote(oneLine(text)))")
    }

    /// libpq's words when a `verify-*` sslmode stopped the connection before authentication: no TLS
    /// offered, a certificate that does not chain to the CA file, one for another host name, or
    /// an unreadable CA file.
    static let untrustedServer = ["server does not support ssl", "certificate verify failed", "does not match host name",
                                  "root certificate file"]

    /// libpq's message on one line (it puts a hint on a line of its own).
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}

/// One libpq connection (`PGconn`), finished (closed and freed) when this owner goes.
final class PostgresConnection {
    private let raw: OpaquePointer

    /// Connects and waits (libpq's blocking connect, bounded by `connect_timeout`).
    init?(_ parameters: [(String, String)], password: Secret) {
        let keys = parameters.map { strdup($0.0) } + [strdup("password")]
        let values = parameters.map { strdup($0.1) }
        defer {
            for v in values { free(v) }
            for k in keys { free(k) }
        }
        // The password's copy is wiped when the call returns (Secret.withCString).
        let made: OpaquePointer? = password.withCString { secret in
            let keyArray: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
            let valueArray: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [secret, nil]
            return PQconnectdbParams(keyArray, valueArray, 0)
        }
        guard let conn = made else { return nil }
        raw = conn
    }

    deinit { PQfinish(raw) }

    var isOK: Bool { PQstatus(raw) == CONNECTION_OK }

    var errorMessage: String { PQerrorMessage(raw).map { String(cString: $0) } ?? "" }
}

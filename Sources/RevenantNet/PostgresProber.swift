import CLibPQ
import Foundation
import RevenantCore
import RevenantProbes

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
        return .failure(PostgreSQLProtocol.classifyFailure(connection.errorMessage, timeout: request.timeout,
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

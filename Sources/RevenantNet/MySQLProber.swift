import CMariaDB
import Foundation
import RevenantCore
import RevenantProbes

/// Tries one MySQL/MariaDB password login with MariaDB Connector/C and closes the connection at
/// once: no database is named and no query runs. `mysqls://` requires TLS with a verified server
/// certificate; `mysql://` uses TLS when the server offers it. docs/protocols/mysql.md says what
/// each answer means and why.
public struct MySQLProber: LoginProber {
    /// The CA file a `mysqls://` server must chain to (`tls.ca_bundle`, else SSL_CERT_FILE, else the system's).
    let caBundle: String
    /// A hashed CA directory (SSL_CERT_DIR), trusted besides the file.
    let caDirectory: String?

    public init(caBundle: String? = nil, caDirectory: String? = nil) {
        self.caBundle = caBundle ?? LDAPProber.systemCAs
        self.caDirectory = caDirectory
    }

    /// `mysql_library_init` is not thread-safe: once per process, before any handle.
    static let library: Void = { _ = mysql_server_init(0, nil, nil) }()

    public func attempt(_ request: ProbeRequest) -> ProbeResult {
        guard let login = request.login, login.method == .password else {
            return .failure(TransportFailure(kind: .other, message: "a MySQL probe needs a user and a password"))
        }
        // mysql_real_connect takes the password as a C string: a NUL would cut it, and the shorter
        // password's refusal would prove nothing about the real one.
        guard !login.secret.bytes.contains(0) else {
            return .failure(TransportFailure(kind: .other, message: "the password holds a NUL byte, which MySQL's client library cannot carry: not sent"))
        }
        let verifiedTLS = request.url.lowercased().hasPrefix("mysqls:")
        guard let endpoint = LoginEndpoint(request, defaultPort: 3306) else { return .failure(LoginEndpoint.refused) }
        _ = Self.library
        guard let mysql = mysql_init(nil) else {
            return .failure(TransportFailure(kind: .other, message: "Connector/C could not allocate a connection"))
        }
        defer { mysql_close(mysql) }
        configure(mysql, timeout: request.timeout, verifiedTLS: verifiedTLS)
        // Connector/C's own timeouts bound each read, not the login: a server that drips its
        // packets would hold a blocking connect for as long as it likes. The non-blocking API lets
        // one deadline bound the whole login; mysql_close abandons it wherever it stands.
        mysql_options(mysql, MYSQL_OPT_NONBLOCK, nil)
        let deadline = Date().addingTimeInterval(request.timeout.seconds)
        var connected: UnsafeMutablePointer<MYSQL>?
        // Connector/C keeps the argument pointers until the login ends, across every _cont: each C
        // string lives for the whole loop (a temporary one would be gone after _start).
        let finished = endpoint.host.withCString { host in
            login.user.withCString { user in
                login.secret.withCString { password -> Bool in
                    var status = mysql_real_connect_start(&connected, mysql, host, user, password, nil, UInt32(endpoint.port), nil, 0)
                    while status != 0 {
                        guard let ready = Self.wait(mysql, for: status, until: deadline) else { return false }
                        status = mysql_real_connect_cont(&connected, mysql, ready)
                    }
                    return true
                }
            }
        }
        guard finished else {
            return .failure(TransportFailure(kind: .timeout, message: "no MySQL login within \(request.timeout)"))
        }
        if connected != nil { return .success(.loginAccepted(MySQLProtocol.connected)) }
        let message = mysql_error(mysql).map { String(cString: $0) } ?? ""
        return MySQLProtocol.classifyFailure(code: Int(mysql_errno(mysql)), message: message, timeout: request.timeout)
    }

    /// What the connection is ready for (MYSQL_WAIT_* bits) once it is ready for part of
    /// `status`, or Connector/C's own timeout passed; nil when `deadline` comes first.
    static func wait(_ mysql: UnsafeMutablePointer<MYSQL>, for status: Int32, until deadline: Date) -> Int32? {
        var events: Int16 = 0
        if status & MYSQL_WAIT_READ != 0 { events |= Int16(POLLIN) }
        if status & MYSQL_WAIT_WRITE != 0 { events |= Int16(POLLOUT) }
        if status & MYSQL_WAIT_EXCEPT != 0 { events |= Int16(POLLPRI) }
        while true {
            let left = deadline.timeIntervalSinceNow * 1000
            guard left > 0 else { return nil }
            var wait = min(left.rounded(.up), Double(Int32.max))
            let own = status & MYSQL_WAIT_TIMEOUT != 0 ? Double(mysql_get_timeout_value_ms(mysql)) : .infinity
            if own < wait { wait = own }
            var entry = pollfd(fd: mysql_get_socket(mysql), events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(wait))
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { return own <= left ? MYSQL_WAIT_TIMEOUT : nil }
            var got: Int32 = 0
            if entry.revents & Int16(POLLIN | POLLHUP | POLLERR | POLLNVAL) != 0 { got |= MYSQL_WAIT_READ }
            if entry.revents & Int16(POLLOUT | POLLHUP | POLLERR | POLLNVAL) != 0 { got |= MYSQL_WAIT_WRITE }
            if entry.revents & Int16(POLLPRI) != 0 { got |= MYSQL_WAIT_EXCEPT }
            return got & status
        }
    }

    /// Every option that decides where the password goes and how: TCP only (a `localhost` target
    /// would otherwise mean the local socket), bounded waits, TLS, the allowed plugins, and no
    /// option file or `LOAD DATA LOCAL`.
    func configure(_ mysql: UnsafeMutablePointer<MYSQL>, timeout: Timeout, verifiedTLS: Bool) {
        var tcp = UInt32(MYSQL_PROTOCOL_TCP.rawValue)
        mysql_options(mysql, MYSQL_OPT_PROTOCOL, &tcp)
        // Connector/C counts whole seconds; 0 would mean its default.
        var seconds = UInt32(max(1, timeout.wholeSeconds))
        mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &seconds)
        mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &seconds)
        mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &seconds)
        var off: my_bool = 0
        mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &off)
        // TLS is always asked for. Only with verification does Connector/C refuse a server that
        // offers none (else it goes on in plain text): `mysqls://` verifies, so it never falls back.
        // An expired (right) password then gets ER_MUST_CHANGE_PASSWORD_LOGIN, which says so,
        // rather than a sandbox session (servers with disconnect_on_expired_password OFF still give one).
        mysql_options(mysql, MYSQL_OPT_CAN_HANDLE_EXPIRED_PASSWORDS, &off)
        var on: my_bool = 1
        mysql_options(mysql, MYSQL_OPT_SSL_ENFORCE, &on)
        var verify: my_bool = verifiedTLS ? 1 : 0
        mysql_options(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify)
        if verifiedTLS {
            mysql_options(mysql, MYSQL_OPT_SSL_CA, caBundle)
            if let caDirectory { mysql_options(mysql, MYSQL_OPT_SSL_CAPATH, caDirectory) }
        }
        mysql_options(mysql, MARIADB_OPT_RESTRICTED_AUTH, MySQLProtocol.allowedPlugins(verifiedTLS: verifiedTLS))
    }
}

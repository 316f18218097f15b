import CLDAP
import Foundation
import RevenantCore
import RevenantProbes

/// Tries one LDAP simple bind (RFC 4511 §4.2) with OpenLDAP's library and unbinds at once: no
/// search, nothing written. libldap, not libcurl: a refused bind's diagnostic message is where
/// Active Directory says whether the password itself was wrong, and libcurl drops it.
/// docs/protocols/ldap.md says what each answer means.
public struct LDAPProber: LoginProber {
    let caBundle: String?
    /// A CA directory (hashed names, as `SSL_CERT_DIR`), beside the CA file.
    let caDirectory: String?
    let insecureHosts: [String]

    public init(caBundle: String? = nil, caDirectory: String? = nil, insecureHosts: [String] = []) {
        self.caBundle = caBundle
        self.caDirectory = caDirectory
        self.insecureHosts = insecureHosts
    }

    /// For the executable to call first, before any thread reads the environment. libldap reads
    /// ldap.conf, ~/.ldaprc and LDAP* variables unless LDAPNOINIT is set (revenant sets every
    /// option that protects a password on each handle anyway, so this only keeps runs alike).
    public static func prepareProcess() {
        setenv("LDAPNOINIT", "1", 1)
        _ = ignoreSIGPIPE
    }

    /// libldap's TLS layer writes with plain `write`: on a socket the server (or the watchdog) has
    /// closed, SIGPIPE would end the whole run; ignored, the write fails and the bind with it.
    static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// The system's CA bundle, for `ldaps://` when `tls.ca_bundle` names none.
    static let systemCAs = "/etc/ssl/certs/ca-certificates.crt"

    public func attempt(_ request: ProbeRequest) -> ProbeResult {
        guard let login = request.login, login.method == .password else {
            return .failure(TransportFailure(kind: .other, message: "an LDAP probe needs a bind DN and a password"))
        }
        // RFC 4513 §5.1.2: a DN with an empty password is an unauthenticated bind, which many
        // servers answer with success: never sent.
        guard !login.secret.isEmpty else {
            return .failure(TransportFailure(kind: .other, message: "empty password: an unauthenticated bind proves nothing, not sent"))
        }
        let secure = request.url.lowercased().hasPrefix("ldaps:")
        guard let endpoint = LoginEndpoint(request, defaultPort: secure ? 636 : 389) else { return .failure(LoginEndpoint.refused) }
        _ = Self.ignoreSIGPIPE
        let fd: Int32
        switch TCPConnection.open(host: endpoint.host, port: endpoint.port, timeout: request.timeout) {
        case .success(let connected): fd = connected
        case .failure(let failure): return .failure(failure)
        }
        // From here the TLS handshake and the bind's answer have the timeout together; then
        // the socket is shut down, which ends any wait inside libldap.
        let watchdog = SocketWatchdog(fd: fd, after: request.timeout.seconds)
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        var handle: OpaquePointer?
        guard ldap_init_fd(fd, RV_LDAP_PROTO_TCP, "\(secure ? "ldaps" : "ldap")://\(host):\(endpoint.port)", &handle) == LDAP_SUCCESS,
              let ld = handle else {
            _ = watchdog.disarm()
            close(fd)
            return .failure(TransportFailure(kind: .other, message: "libldap could not take the connection to \(endpoint.host)"))
        }
        defer {
            _ = watchdog.disarm()
            ldap_unbind_ext_s(ld, nil, nil)  // closes the socket
        }
        var version = LDAP_VERSION3
        ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)
        ldap_set_option(ld, LDAP_OPT_REFERRALS, nil)  // LDAP_OPT_OFF: a referral is never chased
        var timeout = timeval(tv_sec: request.timeout.wholeSeconds, tv_usec: 0)
        ldap_set_option(ld, LDAP_OPT_TIMEOUT, &timeout)  // the wait for the bind's answer
        if secure {
            var check = insecureHosts.contains(endpoint.host) ? LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND
            ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &check)
            ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, caBundle ?? Self.systemCAs)
            if let caDirectory { ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, caDirectory) }
            var server: Int32 = 0
            ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &server)
            // ldaps: TLS from the first byte; the certificate must chain to the CA file and name the host.
            let tls = ldap_install_tls(ld)
            if tls != LDAP_SUCCESS {
                if watchdog.disarm() { return .failure(Self.timedOut(request.timeout, during: "the TLS handshake")) }
                return .failure(TransportFailure(kind: .tls, message: "ldap \(tls) \(String(cString: ldap_err2string(tls))): the TLS handshake failed "
                    + "(is the server's certificate trusted and does it name \(endpoint.host)? tls.ca_bundle names the directory's CA)"))
            }
        }
        var password = login.secret.bytes.map { CChar(bitPattern: $0) }
        defer { for i in password.indices { password[i] = 0 } }
        let (code, passwordPolicy) = password.withUnsafeMutableBufferPointer { buffer in
            var credential = berval(bv_len: ber_len_t(buffer.count), bv_val: buffer.baseAddress)
            return Self.bind(ld, dn: login.user, credential: &credential)
        }
        if code == LDAP_SUCCESS { return .success(.loginAccepted("bind accepted")) }
        if watchdog.disarm() { return .failure(Self.timedOut(request.timeout, during: "the bind")) }
        return .failure(Self.classify(code: code, diagnostic: Self.diagnostic(ld), passwordPolicy: passwordPolicy))
    }

    /// A simple bind with the password policy request control (draft-behera-ldap-password-policy-10
    /// §6.1), so a server that locks accounts can say so; non-critical, so a server that does not
    /// know the control binds as without it. The result code, and the response control's answer
    /// (nil when the server sent none).
    static func bind(_ ld: OpaquePointer, dn: String, credential: inout berval) -> (Int32, LDAPProtocol.PasswordPolicyAnswer?) {
        var request: UnsafeMutablePointer<LDAPControl>?
        guard ldap_create_passwordpolicy_control(ld, &request) == LDAP_SUCCESS, let request else { return (LDAP_NO_MEMORY, nil) }
        defer { ldap_control_free(request) }
        request.pointee.ldctl_iscritical = 0
        var requests: [UnsafeMutablePointer<LDAPControl>?] = [request, nil]
        var id: Int32 = 0
        let sent = ldap_sasl_bind(ld, dn, nil, &credential, &requests, nil, &id)  // mechanism nil: LDAP_SASL_SIMPLE
        guard sent == LDAP_SUCCESS else { return (sent, nil) }
        // No timeout given: LDAP_OPT_TIMEOUT bounds the wait, as in ldap_sasl_bind_s.
        var answer: OpaquePointer?
        guard ldap_result(ld, id, LDAP_MSG_ALL, nil, &answer) > 0, let answer else {
            var failed = LDAP_OTHER
            ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &failed)
            return (failed, nil)
        }
        var code = LDAP_OTHER
        var controls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        // Keeps the diagnostic message on the handle (`diagnostic`); 1: frees the answer.
        let parsed = ldap_parse_result(ld, answer, &code, nil, nil, nil, &controls, 1)
        defer { ldap_controls_free(controls) }
        guard parsed == LDAP_SUCCESS else { return (parsed, nil) }
        guard let response = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, controls, nil) else { return (code, nil) }
        var expiresIn: ber_int_t = -1, graceLogins: ber_int_t = -1
        var error = PP_noError
        guard ldap_parse_passwordpolicy_control(ld, response, &expiresIn, &graceLogins, &error) == LDAP_SUCCESS else {
            return (code, .unreadable)
        }
        return (code, error == PP_noError ? .noError : .error(Int(error.rawValue)))
    }

    static func timedOut(_ timeout: Timeout, during what: String) -> TransportFailure {
        TransportFailure(kind: .timeout, message: "no answer within \(timeout) during \(what)")
    }

    /// The server's diagnostic message of the last operation (empty when there is none).
    static func diagnostic(_ ld: OpaquePointer) -> String {
        var text: UnsafeMutablePointer<CChar>?
        guard ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text) == LDAP_OPT_SUCCESS, let text else { return "" }
        defer { ldap_memfree(text) }
        // Kept short: a server's text is evidence in a reason, never a body.
        return String(String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines).prefix(1_000))
    }

    /// A refused bind's result code, diagnostic message and password policy answer as a failure:
    /// only invalidCredentials (49) is `loginDenied`, and not when Active Directory says the
    /// password itself was right, nor when a password policy answered (it may hide a lock).
    static func classify(code: Int32, diagnostic: String, passwordPolicy: LDAPProtocol.PasswordPolicyAnswer? = nil) -> TransportFailure {
        let name = String(cString: ldap_err2string(code))
        let text = "ldap \(code) \(name)" + (diagnostic.isEmpty ? "" : " (server: `\(ServerText.quote(diagnostic))`)")
        switch code {
        case LDAP_INVALID_CREDENTIALS:
            if let state = LDAPProtocol.activeDirectoryKeepsThePassword(diagnostic) {
                return TransportFailure(kind: .other, message: "\(text): \(state), so the password is not disproved")
            }
            if let passwordPolicy {
                return TransportFailure(kind: .other, message: "\(text): \(LDAPProtocol.passwordPolicyKeepsThePassword(passwordPolicy))")
            }
            return TransportFailure(kind: .loginDenied, message: text)
        case LDAP_TIMEOUT:
            return TransportFailure(kind: .timeout, message: text)
        case LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR:
            return TransportFailure(kind: .connect, message: text)
        default:
            return TransportFailure(kind: .other, message: text)
        }
    }

}

/// A TCP connection made with a deadline: libldap's own connect timeout also switches its TLS
/// handshake to a loop that spins on a silent server, so revenant connects and hands libldap the socket.
enum TCPConnection {
    /// A connected, blocking socket to `host:port` (each address in turn, within the deadline).
    static func open(host: String, port: Int, timeout: Timeout) -> Result<Int32, TransportFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            return .failure(TransportFailure(kind: .dns, message: "cannot resolve \(host)"))
        }
        defer { freeaddrinfo(list) }
        let deadline = Date().addingTimeInterval(timeout.seconds)
        var why = "no address"
        var timedOut = false
        var addresses: [UnsafeMutablePointer<addrinfo>] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            addresses.append(entry)
            next = entry.pointee.ai_next
        }
        for (i, entry) in addresses.enumerated() {
            // Each address gets its share of what is left: a silent first one (a dead AAAA
            // record) must not use up the time of a working second one.
            let share = max(0, deadline.timeIntervalSinceNow) / Double(addresses.count - i)
            let fd = socket(entry.pointee.ai_family, entry.pointee.ai_socktype, entry.pointee.ai_protocol)
            guard fd >= 0 else { why = String(cString: strerror(errno)); continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = Glibc.connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen)
            if result != 0 && errno == EINPROGRESS {
                var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let milliseconds = Int32(min(Double(Int32.max), (share * 1000).rounded(.up)))
                if poll(&waiting, 1, milliseconds) == 1 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    result = error == 0 ? 0 : -1
                    errno = error
                } else {
                    close(fd)
                    timedOut = true
                    why = "no answer"
                    continue
                }
            }
            if result == 0 {
                _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
                return .success(fd)
            }
            why = String(cString: strerror(errno))
            close(fd)
        }
        if timedOut { return .failure(TransportFailure(kind: .timeout, message: "no connection to \(host):\(port) within \(timeout)")) }
        return .failure(TransportFailure(kind: .connect, message: "cannot connect to \(host):\(port): \(why)"))
    }
}

/// Shuts a socket down once its time is up, unless disarmed first; a shut-down socket ends any
/// read or handshake waiting on it. Disarm before the socket is closed: the descriptor's number
/// may be reused at once.
final class SocketWatchdog: @unchecked Sendable {
    // @unchecked: `done` and `fired` are only touched under `lock`.
    private let lock = NSLock()
    private let fd: Int32
    private var done = false
    private var fired = false

    private let wake = DispatchSemaphore(value: 0)

    /// A thread of its own: a timer on Dispatch's pool would wait behind the very probes blocked
    /// on their sockets (measured: 63 s for 64 blocked probes with a 1 s deadline).
    init(fd: Int32, after seconds: Double) {
        self.fd = fd
        let thread = Thread { [self] in
            guard wake.wait(timeout: .now() + seconds) == .timedOut else { return }
            lock.withLock {
                guard !done else { return }
                fired = true
                shutdown(fd, Int32(SHUT_RDWR))
            }
        }
        thread.name = "revenant-ldap-watchdog"
        thread.start()
    }

    /// Stops the watchdog; whether it had already shut the socket down. Calling it again only
    /// answers again (an early return reads the answer, then the cleanup disarms once more).
    func disarm() -> Bool {
        let (wasFired, first) = lock.withLock { () -> (Bool, Bool) in
            defer { done = true }
            return (fired, !done)
        }
        if first { wake.signal() }
        return wasFired
    }
}

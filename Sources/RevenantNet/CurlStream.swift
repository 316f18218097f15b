import CCurl
import Foundation
import RevenantCore

/// A byte stream to `host:port`, plain TCP or TLS, opened by libcurl with CURLOPT_CONNECT_ONLY
/// (connect, and for TLS the handshake with the same verification as every HTTPS probe:
/// `tls.ca_bundle` or SSL_CERT_FILE, `tls.insecure_hosts`), then bytes both ways with
/// `curl_easy_send`/`curl_easy_recv` under one deadline. No proxy: the bytes go to the host
/// itself. The stream owns its easy handle and closes the connection when it goes.
final class CurlStream {
    private let easy: UnsafeMutableRawPointer
    private let socket: curl_socket_t
    private let deadline: Date
    private let timeout: Timeout

    /// Connects (and shakes hands for `tls`) within `timeout`; the same deadline bounds every
    /// later send and read.
    static func open(host: String, port: Int, tls: Bool, timeout: Timeout, options: TransportOptions) -> Result<CurlStream, TransportFailure> {
        CurlGlobal.initialize()
        guard let easy = curl_easy_init() else {
            return .failure(TransportFailure(kind: .other, message: "libcurl could not create a handle"))
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        let deadline = Date().addingTimeInterval(timeout.seconds)
        let name = host.contains(":") ? "[\(host)]" : host
        // The scheme only picks plain TCP or TLS: with CONNECT_ONLY libcurl sends no request.
        let scheme = tls ? "https" : "http"
        _ = rv_easy_setopt_string(easy, CURLOPT_URL, "\(scheme)://\(name):\(port)/")
        _ = rv_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, scheme)
        _ = rv_easy_setopt_long(easy, CURLOPT_CONNECT_ONLY, 1)
        _ = rv_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = rv_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout.milliseconds)
        _ = rv_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        // A proxy would receive the login instead of the host: never one.
        _ = rv_easy_setopt_string(easy, CURLOPT_PROXY, "")
        _ = rv_easy_setopt_string(easy, CURLOPT_NOPROXY, "*")
        if tls {
            _ = rv_easy_setopt_long(easy, CURLOPT_SSL_ENABLE_ALPN, 0)
            TrustAnchors(file: options.caBundle, directory: options.caDirectory).apply(to: easy)
            if options.insecureHosts.contains(host) {
                _ = rv_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
                _ = rv_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
            }
        }
        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else {
            curl_easy_cleanup(easy)
            let detail = String(cString: errorBuffer)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            let kind = Transfer.kind(of: code)
            let what = kind == .tls ? "TLS failed, nothing was sent"
                : tls && kind == .timeout ? "no TLS session with \(host):\(port) within \(timeout), nothing was sent"
                : "no connection to \(host):\(port)"
            return .failure(TransportFailure(kind: kind == .loginDenied ? .other : kind,
                                             message: "\(what) (curl \(code.rawValue): \(ServerText.quote(text)))"))
        }
        var socket: curl_socket_t = -1
        guard rv_easy_getinfo_socket(easy, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK, socket >= 0 else {
            curl_easy_cleanup(easy)
            return .failure(TransportFailure(kind: .other, message: "libcurl gave no socket"))
        }
        return .success(CurlStream(easy: easy, socket: socket, deadline: deadline, timeout: timeout))
    }

    private init(easy: UnsafeMutableRawPointer, socket: curl_socket_t, deadline: Date, timeout: Timeout) {
        self.easy = easy
        self.socket = socket
        self.deadline = deadline
        self.timeout = timeout
    }

    deinit { curl_easy_cleanup(easy) }

    /// Sends every byte, or fails.
    func send(_ bytes: [UInt8]) -> TransportFailure? {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes.withUnsafeBytes { raw in
                curl_easy_send(easy, raw.baseAddress! + offset, raw.count - offset, &sent)
            }
            if code == CURLE_AGAIN {
                if let failure = wait(for: Int16(POLLOUT)) { return failure }
                continue
            }
            guard code == CURLE_OK else {
                return TransportFailure(kind: .connect, message: "sending failed (curl \(code.rawValue))")
            }
            offset += sent
        }
        return nil
    }

    /// One line up to CRLF (without it), at most `limit` bytes; nil with the failure otherwise.
    /// Bytes after the CRLF are not read.
    func readLine(limit: Int) -> Result<[UInt8], TransportFailure> {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            var got = 0
            let code = curl_easy_recv(easy, &byte, 1, &got)
            if code == CURLE_AGAIN {
                if let failure = wait(for: Int16(POLLIN)) { return .failure(failure) }
                continue
            }
            guard code == CURLE_OK else {
                return .failure(TransportFailure(kind: .connect, message: "reading failed (curl \(code.rawValue))"))
            }
            guard got == 1 else {
                return .failure(TransportFailure(kind: .connect, message: "the server closed the connection without a full reply"))
            }
            if byte == UInt8(ascii: "\n") && line.last == UInt8(ascii: "\r") { return .success(Array(line.dropLast())) }
            guard line.count < limit else {
                return .failure(TransportFailure(kind: .other, message: "a reply line longer than \(limit) bytes, not read further"))
            }
            line.append(byte)
        }
    }

    /// Waits until the socket is ready or the deadline passes.
    private func wait(for events: Int16) -> TransportFailure? {
        let left = deadline.timeIntervalSinceNow
        guard left > 0 else { return TransportFailure(kind: .timeout, message: "no answer within \(timeout)") }
        var entry = pollfd(fd: socket, events: events, revents: 0)
        let ready = poll(&entry, 1, Int32(min(Double(Int32.max), (left * 1000).rounded(.up))))
        if ready == 0 { return TransportFailure(kind: .timeout, message: "no answer within \(timeout)") }
        if ready < 0 && errno != EINTR { return TransportFailure(kind: .connect, message: "waiting on the connection failed") }
        return nil
    }
}

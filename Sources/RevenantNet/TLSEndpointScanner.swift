import CCurl
import COpenSSL
import Foundation
import RevenantCore

/// A TLS endpoint named on the command line: `host:port`, `[v6]:port` or `https://host[:port][/]`.
public struct TLSEndpoint: Sendable, Equatable {
    /// The argument as given: the name in warnings.
    public var argument: String
    /// Host name or IP literal (an IPv6 literal without brackets).
    public var host: String
    public var port: Int

    /// The leaf's id in reports: the argument as given, without the trailing `/` of a URL (the
    /// rest of the chain is `id#2`, `id#3`, ...).
    public var id: String { argument.contains("://") && argument.hasSuffix("/") ? String(argument.dropLast()) : argument }

    /// Whether `host` is an IP literal (then no SNI is sent, and verification matches the address).
    public var hostIsIP: Bool { Self.isIPv4(host) || host.contains(":") }

    /// The URL libcurl connects to (only the scheme, host and port matter: no request is sent).
    var url: String { "https://\(host.contains(":") ? "[\(host)]" : host):\(port)/" }

    /// Parses an endpoint argument; the error text says what is wrong and what is accepted.
    public static func parse(_ argument: String) -> Result<TLSEndpoint, TLSEndpointError> {
        let accepted = "give host:port or https://host[:port]"
        var rest = Substring(argument)
        var defaultPort: Int?
        if let schemeEnd = argument.range(of: "://") {
            let scheme = argument[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "https" else {
                return .failure(TLSEndpointError(argument: argument, reason: "the \(scheme):// scheme is not supported for certificate scanning (\(accepted))"))
            }
            rest = argument[schemeEnd.upperBound...]
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            defaultPort = 443
        }
        if rest.contains(where: { "/?#@ \t".contains($0) }) || rest.isEmpty {
            return .failure(TLSEndpointError(argument: argument, reason: "not an endpoint: no user info, path, query or fragment (\(accepted))"))
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                return .failure(TLSEndpointError(argument: argument, reason: "unterminated IPv6 literal (\(accepted))"))
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return .failure(TLSEndpointError(argument: argument, reason: "unexpected text after the IPv6 literal")) }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return .failure(TLSEndpointError(argument: argument, reason: "not an IPv6 literal: [\(host)]"))
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        if !host.contains(":") {
            guard isHostName(host) else {
                return .failure(TLSEndpointError(argument: argument, reason: "not a host name or IP address: \(host)"))
            }
        }
        let port: Int
        if let portText {
            guard let p = Int(portText), portText.allSatisfy(\.isASCII), (1...65535).contains(p) else {
                return .failure(TLSEndpointError(argument: argument, reason: "the port must be a number from 1 to 65535"))
            }
            port = p
        } else if let defaultPort {
            port = defaultPort
        } else {
            return .failure(TLSEndpointError(argument: argument, reason: "no port (\(accepted))"))
        }
        return .success(TLSEndpoint(argument: argument, host: host.lowercased(), port: port))
    }

    static func isHostName(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }
}

/// Why an argument is not an endpoint revenant can scan (an input error: exit 2).
public struct TLSEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public var argument: String
    public var reason: String
    public var description: String { "\(argument): \(reason)" }
}

/// What one endpoint served: its chain (leaf first), how verification went, or why nothing was read.
public struct TLSEndpointScan {
    public var endpoint: TLSEndpoint
    public var certificates: [X509Certificate]
    /// Set when the chain could not be read (refused, timeout, TLS error, not TLS), or was read only in part.
    public var problem: String?
    /// The separate verification of the served chain (nil when no chain was read).
    public var verification: TLSVerification?
}

/// The result of verifying a served chain against the CA bundle (or the system store) and the host.
public struct TLSVerification: Sendable, Equatable {
    public var verified: Bool
    /// OpenSSL's reason when not verified, e.g. "certificate has expired".
    public var error: String?
}

/// Settings of a scan.
public struct TLSScanOptions: Sendable {
    /// Connect and handshake, each bounded by this (config `timeout_seconds`).
    public var timeout: Timeout
    /// Trust anchors for the verification tag (config `tls.ca_bundle`); nil: the system store.
    public var caBundle: String?
    /// Explicit proxy; nil lets libcurl read the standard environment variables (as the transport does).
    public var proxy: String?

    public init(timeout: Timeout = .default, caBundle: String? = nil, proxy: String? = nil) {
        self.timeout = timeout
        self.caBundle = caBundle
        self.proxy = proxy
    }
}

/// Reads the certificate chain a TLS server presents, through libcurl: one blocking easy handle
/// with CURLOPT_CONNECT_ONLY (TCP connect and TLS handshake, then nothing: no request, no secret
/// is ever sent) and CURLOPT_CERTINFO, whose "Cert:" entries hold each served certificate as PEM.
/// libcurl (OpenSSL backend) gathers CERTINFO during the handshake, so CONNECT_ONLY is enough and
/// no direct OpenSSL socket code is needed.
public enum TLSEndpointScanner {
    public static func scan(_ endpoint: TLSEndpoint, options: TLSScanOptions = TLSScanOptions()) -> TLSEndpointScan {
        CurlGlobal.initialize()
        var scan = TLSEndpointScan(endpoint: endpoint, certificates: [], problem: nil, verification: nil)
        guard let easy = curl_easy_init() else {
            scan.problem = "libcurl could not create a handle"
            return scan
        }
        defer { curl_easy_cleanup(easy) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        let timeout = options.timeout.milliseconds
        _ = rv_easy_setopt_string(easy, CURLOPT_URL, endpoint.url)
        _ = rv_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "https")
        _ = rv_easy_setopt_long(easy, CURLOPT_CONNECT_ONLY, 1)
        _ = rv_easy_setopt_long(easy, CURLOPT_CERTINFO, 1)
        _ = rv_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = rv_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout)
        _ = rv_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeout)
        _ = rv_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        // Verification is OFF for the scan on purpose: a scan must read expired, self-signed and
        // otherwise untrusted certificates (those are exactly the findings). Nothing is sent over the
        // connection, so nothing is exposed by not verifying. Whether the chain *would* verify is
        // decided separately, offline, by `verify` below (the `verified` tag).
        _ = rv_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
        _ = rv_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        ProxyEnvironment.apply(options.proxy, to: easy)
        // libcurl sends SNI for a host name and none for an IP literal, as wanted.

        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else {
            scan.problem = reason(code, detail: String(cString: errorBuffer))
            return scan
        }
        var raw: UnsafeMutableRawPointer?
        guard rv_easy_getinfo_pointer(easy, CURLINFO_CERTINFO, &raw) == CURLE_OK, let raw else {
            scan.problem = "libcurl gave no certificate information"
            return scan
        }
        let info = raw.assumingMemoryBound(to: curl_certinfo.self).pointee
        var pems: [[UInt8]] = []
        for i in 0..<Int(max(0, info.num_of_certs)) {
            var item = info.certinfo?[i]
            while let node = item {
                if let data = node.pointee.data {
                    let entry = String(cString: data)
                    if entry.hasPrefix("Cert:") { pems.append(Array(entry.dropFirst(5).utf8)) }
                }
                item = node.pointee.next
            }
        }
        if pems.isEmpty {
            scan.problem = "the server presented no certificate"
            return scan
        }
        for (i, pem) in pems.enumerated() {
            let file = X509Loader.load(bytes: pem, path: endpoint.argument)
            guard let certificate = file.certificates.first, file.problem == nil else {
                scan.problem = "served certificate \(i + 1) cannot be read (\(file.problem?.reason ?? "no certificate"))"
                break
            }
            scan.certificates.append(certificate)
        }
        if !scan.certificates.isEmpty {
            scan.verification = verify(scan.certificates, endpoint: endpoint, caBundle: options.caBundle)
        }
        return scan
    }

    /// Verifies a served chain (leaf first, the rest as untrusted intermediates) as a client would:
    /// against `caBundle` (or OpenSSL's default paths, the system store), at the current time, with
    /// the leaf matching the host name or IP address. No network access.
    public static func verify(_ chain: [X509Certificate], endpoint: TLSEndpoint, caBundle: String?) -> TLSVerification {
        guard let leaf = chain.first else { return TLSVerification(verified: false, error: "no certificate") }
        defer { ERR_clear_error() }
        guard let store = X509_STORE_new() else { return TLSVerification(verified: false, error: "OpenSSL could not allocate a store") }
        defer { X509_STORE_free(store) }
        if let caBundle {
            guard X509_STORE_load_file(store, caBundle) == 1 else {
                return TLSVerification(verified: false, error: "cannot load the CA bundle \(caBundle)")
            }
        } else if X509_STORE_set_default_paths(store) != 1 {
            return TLSVerification(verified: false, error: "cannot load the system certificate store")
        }
        guard let untrusted = OPENSSL_sk_new_null() else { return TLSVerification(verified: false, error: "OpenSSL could not allocate a stack") }
        // The stack only borrows the pointers (the X509Certificate values own them): freed without its items.
        defer { OPENSSL_sk_free(untrusted) }
        for certificate in chain.dropFirst() { _ = OPENSSL_sk_push(untrusted, UnsafeRawPointer(certificate.keyed)) }
        guard let context = X509_STORE_CTX_new() else { return TLSVerification(verified: false, error: "OpenSSL could not allocate a context") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.keyed, untrusted) == 1 else {
            return TLSVerification(verified: false, error: "OpenSSL could not set up verification")
        }
        let parameters = X509_STORE_CTX_get0_param(context)
        _ = X509_VERIFY_PARAM_set_purpose(parameters, X509_PURPOSE_SSL_SERVER)
        if endpoint.hostIsIP {
            _ = X509_VERIFY_PARAM_set1_ip_asc(parameters, endpoint.host)
        } else {
            _ = X509_VERIFY_PARAM_set1_host(parameters, endpoint.host, 0)
        }
        if X509_verify_cert(context) == 1 { return TLSVerification(verified: true, error: nil) }
        let code = X509_STORE_CTX_get_error(context)
        return TLSVerification(verified: false, error: String(cString: X509_verify_cert_error_string(Int(code))))
    }

    /// A short reason for a failed connect or handshake, with libcurl's own text.
    static func reason(_ code: CURLcode, detail: String) -> String {
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let what: String
        switch code {
        case CURLE_COULDNT_CONNECT: what = "connection failed"
        case CURLE_OPERATION_TIMEDOUT: what = "timed out"
        case CURLE_COULDNT_RESOLVE_HOST: what = "cannot resolve the host"
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING: what = "connection failed"
        case CURLE_SSL_CONNECT_ERROR:
            what = text.contains("wrong version number") || text.contains("packet length too long")
                ? "not a TLS endpoint (TLS handshake failed)" : "TLS handshake failed"
        default: what = "cannot read the certificate chain"
        }
        return "\(what) (curl \(code.rawValue): \(text))"
    }
}

import CCurl
import Foundation
import RevenantCore

/// Fetches CRLs (GET) and OCSP answers (POST) with one blocking libcurl easy handle per call:
/// http, https and file URLs only, bounded by a timeout and a size limit, no redirects, no cookies.
public struct RevocationFetcher: Sendable {
    public static let schemes = ["http", "https", "file"]

    public var timeout: Timeout
    /// A larger answer is refused (a 1,000,000-entry CRL is ~40 MB DER, ~55 MB PEM).
    public var maxBytes: Int
    /// Explicit proxy; nil lets libcurl read the standard environment variables.
    public var proxy: String?
    /// The CAs an https server must chain to (nil parts: libcurl's defaults).
    public var trust: TrustAnchors

    public init(timeout: Timeout = .default, maxBytes: Int = 256 << 20, proxy: String? = nil, trust: TrustAnchors = TrustAnchors()) {
        self.timeout = timeout
        self.maxBytes = maxBytes
        self.proxy = proxy
        self.trust = trust
    }

    /// The scheme when it is one revenant fetches from, else nil.
    public static func scheme(of url: String) -> String? {
        guard let end = url.range(of: "://") else { return nil }
        let scheme = url[..<end.lowerBound].lowercased()
        return schemes.contains(scheme) ? scheme : nil
    }

    /// GET `url` (nil `body`) or POST `body` with `contentType`; the bytes, or why there are none.
    public func fetch(_ url: String, body: [UInt8]? = nil, contentType: String? = nil) -> Result<[UInt8], FetchFailure> {
        guard Self.scheme(of: url) != nil else {
            return .failure(FetchFailure(message: "only http, https and file URLs are fetched"))
        }
        CurlGlobal.initialize()
        guard let easy = curl_easy_init() else { return .failure(FetchFailure(message: "libcurl could not create a handle")) }
        defer { curl_easy_cleanup(easy) }
        let sink = Sink(limit: maxBytes)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headers) }

        let timeout = self.timeout.milliseconds
        _ = rv_easy_setopt_string(easy, CURLOPT_URL, url)
        _ = rv_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https,file")
        _ = rv_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = rv_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = rv_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout)
        _ = rv_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeout)
        _ = rv_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = rv_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
        _ = rv_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, Sink.onBody)
        ProxyEnvironment.apply(proxy, to: easy)
        trust.apply(to: easy)
        if var body {
            if let contentType { headers = curl_slist_append(headers, "Content-Type: \(contentType)") }
            _ = rv_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headers)
            // COPYPOSTFIELDS copies, so the body need not outlive this call.
            _ = rv_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count)
            body.append(0)
            _ = body.withUnsafeMutableBytes { rv_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
        }
        let code = curl_easy_perform(easy)
        if sink.overflow { return .failure(FetchFailure(message: "larger than \(maxBytes >> 20) MiB: not read")) }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            let what = code == CURLE_OPERATION_TIMEDOUT ? FetchFailure.timedOut : FetchFailure.unreachable
            return .failure(FetchFailure(message: "\(what) (curl \(code.rawValue): \(text))"))
        }
        var status = 0
        _ = rv_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        // file:// has no status (0); HTTP must answer 200.
        if status != 0 && status != 200 { return .failure(FetchFailure(message: "HTTP status \(status)", httpStatus: status)) }
        return .success(sink.bytes)
    }

    /// Collects a body up to a limit (libcurl calls `onBody` on this thread, inside `perform`).
    final class Sink {
        let limit: Int
        var bytes: [UInt8] = []
        var overflow = false

        init(limit: Int) { self.limit = limit }

        static let onBody: curl_write_callback = { data, size, count, userdata in
            let sink = Unmanaged<Sink>.fromOpaque(userdata!).takeUnretainedValue()
            let n = size * count
            guard sink.bytes.count + n <= sink.limit else {
                sink.overflow = true
                return 0  // a short count makes libcurl stop the transfer
            }
            if n > 0, let data {
                data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            }
            return n
        }
    }
}

/// Why a fetch gave nothing.
public struct FetchFailure: Error, Sendable, Equatable {
    static let timedOut = "timed out"
    static let unreachable = "unreachable"

    public var message: String
    /// The HTTP status when the server answered with one other than 200.
    public var httpStatus: Int?

    public init(message: String, httpStatus: Int? = nil) {
        self.message = message
        self.httpStatus = httpStatus
    }

    /// Whether a reason (a fetch failure's message, or a lookup's reason built on it) says the source
    /// could not be reached at all, as opposed to answering something unusable.
    public static func isTransport(_ reason: String) -> Bool {
        reason.hasPrefix(timedOut + " (curl") || reason.hasPrefix(unreachable + " (curl")
    }
}

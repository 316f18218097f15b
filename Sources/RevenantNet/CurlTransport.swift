import CCurl
import Foundation
import RevenantCore
import RevenantProbes

/// Settings every transfer shares.
public struct TransportOptions: Sendable {
    public var caBundle: String?
    /// A CA directory (hashed names, as `SSL_CERT_DIR`), beside `caBundle`.
    public var caDirectory: String?
    /// Hosts whose TLS certificate is not verified (tests, labs). Never the default.
    public var insecureHosts: [String] = []
    /// Explicit proxy; nil lets libcurl read the standard environment variables.
    public var proxy: String?
    /// Bodies are kept up to this many bytes; the rest is read and dropped.
    public var maxBodyBytes = 64 * 1024
    /// Connections kept open for reuse.
    public var maxConnections = 256

    public init() {}
}

/// The libcurl transport: one `curl_multi` event loop on its own thread drives every transfer, which
/// the caller's thread sets up; callers wait on continuations. Redirects are never followed, and a
/// transfer may use only the scheme its probe names.
public final class CurlTransport: CallbackTransport, @unchecked Sendable {
    // @unchecked: `queue`, `pool`, `closed`, `abortRequested` and `sleeping` are guarded by `lock`,
    // `urls` by `urlLock`; `multi` and every Transfer in `queue` or in flight are touched only by
    // the loop thread once handed over.
    private let lock = NSLock()
    /// Transfers set up and ready to add, each with its easy handle.
    private var queue: [(easy: UnsafeMutableRawPointer, transfer: Transfer)] = []
    /// Easy handles no transfer uses, each with the transfer that used it last. The caller that
    /// takes one resets it and frees that transfer: the loop thread, which every transfer waits
    /// on, does no more per transfer than libcurl's own work and reading the answer.
    private var pool: [(easy: UnsafeMutableRawPointer, last: Transfer?)] = []
    private var closed = false
    private var abortRequested = false
    /// The loop found the queue empty and waits (or is about to) in `curl_multi_poll`: only then
    /// does a new transfer need `curl_multi_wakeup`, a syscall that also makes the kernel switch
    /// threads. A loop that is awake drains the queue on its next turn anyway.
    private var sleeping = false
    private let multi: UnsafeMutableRawPointer
    private let options: TransportOptions
    private let finished = DispatchSemaphore(value: 0)
    private let urlLock = NSLock()
    private var urls = CurlURL.LastParsed()

    public init(options: TransportOptions = TransportOptions()) {
        CurlGlobal.initialize()
        self.options = options
        multi = curl_multi_init()!
        _ = rv_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, options.maxConnections)
        let thread = Thread { [self] in loop() }
        thread.name = "revenant-curl"
        thread.start()
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    /// Stops the loop; transfers still queued complete as failures. Call once, when done.
    public func close() {
        lock.withLock { closed = true }
        curl_multi_wakeup(multi)
        finished.wait()
    }

    public func cancelAll() {
        lock.withLock { abortRequested = true }
        curl_multi_wakeup(multi)
    }

    /// What a transfer started on, or still in, a closed transport gets.
    static let closedFailure = ProbeResult.failure(TransportFailure(kind: .other, message: "transport closed"))

    static let timing = ProcessInfo.processInfo.environment["REVENANT_TIMING"] == "1"

    /// Whether this transport runs URLs of `scheme`.
    public static func handles(_ scheme: String) -> Bool { Transfer.schemes.contains(scheme) }

    public func send(_ request: ProbeRequest) async -> ProbeResult {
        await withCheckedContinuation { continuation in
            start(request) { continuation.resume(returning: $0) }
        }
    }

    /// Sets the transfer up on the caller's thread (an easy handle's options, its header list) and
    /// hands it to the loop.
    public func start(_ request: ProbeRequest, completion: @escaping @Sendable (ProbeResult) -> Void) {
        guard let taken = lock.withLock({ () -> (easy: UnsafeMutableRawPointer, last: Transfer?)? in
            closed ? nil : pool.popLast() ?? (curl_easy_init()!, nil)
        }) else {
            completion(CurlTransport.closedFailure)
            return
        }
        let easy = taken.easy
        if taken.last != nil { curl_easy_reset(easy) }
        let transfer = Transfer(request: request, completion: completion, maxBody: options.maxBodyBytes)
        let parts = urlLock.withLock { urls.parts(of: request.url) }
        if let failure = transfer.configure(easy, options: options, parts: parts) {
            // Back to the pool, unless the loop has stopped meanwhile and cleaned the pool up
            // (found by a review: the handle was then never freed).
            let pooled = lock.withLock { () -> Bool in
                if closed { return false }
                pool.append((easy, transfer))
                return true
            }
            if !pooled { curl_easy_cleanup(easy) }
            transfer.finish(.failure(failure))
            return
        }
        // Wake the loop only when it sleeps, once: it drains the whole queue each turn.
        let (accepted, wake) = lock.withLock { () -> (Bool, Bool) in
            if closed { return (false, false) }
            queue.append((easy, transfer))
            defer { sleeping = false }
            return (true, sleeping)
        }
        if wake { curl_multi_wakeup(multi) }
        if !accepted {
            // The loop has stopped and cleaned up the pool: this handle is the caller's to free.
            curl_easy_cleanup(easy)
            transfer.finish(CurlTransport.closedFailure)
        }
    }

    private func loop() {
        var active: [UnsafeMutableRawPointer: Transfer] = [:]
        var stillRunning: Int32 = 0
        // The queue and this list trade places each turn: both keep their storage, where handing
        // out a copy of the queue and emptying it would allocate a new buffer every turn.
        var incoming: [(easy: UnsafeMutableRawPointer, transfer: Transfer)] = []
        // Handles done with this turn, given back to the pool at once (one lock, not one each).
        var spent: [(easy: UnsafeMutableRawPointer, last: Transfer?)] = []
        while true {
            incoming.removeAll(keepingCapacity: true)
            let (stop, abort) = lock.withLock { () -> (Bool, Bool) in
                swap(&queue, &incoming)
                defer { abortRequested = false }
                return (closed, abortRequested)
            }
            if abort {
                for (easy, transfer) in active {
                    curl_multi_remove_handle(multi, easy)
                    transfer.finish(.failure(TransportFailure(kind: .other, message: "interrupted")))
                    transfer.releaseAnswer()
                    spent.append((easy, transfer))
                }
                active.removeAll()
            }
            for (easy, transfer) in incoming {
                if stop || abort {
                    spent.append((easy, transfer))
                    transfer.finish(CurlTransport.closedFailure)
                    continue
                }
                active[easy] = transfer
                curl_multi_add_handle(multi, easy)
            }
            if stop {
                for (easy, transfer) in active {
                    curl_multi_remove_handle(multi, easy)
                    spent.append((easy, transfer))
                    transfer.finish(CurlTransport.closedFailure)
                }
                active.removeAll()
                // No caller takes a handle once `closed` is set (start checks it under the lock).
                let idle = lock.withLock { () -> [(easy: UnsafeMutableRawPointer, last: Transfer?)] in
                    defer { pool.removeAll() }
                    return pool
                }
                for (easy, _) in idle + spent { curl_easy_cleanup(easy) }
                if CurlTransport.timing {
                    // `REVENANT_TIMING=1`: this thread's CPU, the part of a run no other core can take over.
                    var cpu = timespec()
                    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
                    FileHandle.standardError.write(Data("timing: curl loop thread CPU: \(Double(cpu.tv_sec) + Double(cpu.tv_nsec) / 1e9) s\n".utf8))
                }
                finished.signal()
                return
            }
            curl_multi_perform(multi, &stillRunning)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let transfer = active.removeValue(forKey: easy) else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                transfer.finish(transfer.result(easy, code: code))
                // The answer is the caller's now: a pooled transfer keeps none of it (up to 64 KiB each).
                transfer.releaseAnswer()
                spent.append((easy, transfer))
            }
            // Sleep only with nothing queued; a transfer queued after this look wakes the poll
            // (curl_multi_wakeup before the poll starts still ends it at once).
            let sleep = lock.withLock { () -> Bool in
                pool.append(contentsOf: spent)
                sleeping = queue.isEmpty && !closed && !abortRequested
                return sleeping
            }
            spent.removeAll(keepingCapacity: true)
            if sleep {
                // No longer than libcurl's own next deadline: between two steps of a transfer it
                // may have no socket to watch, and the poll would otherwise sleep the whole second
                // (scripts/bench-libcurl.c says the same of curl_multi_poll).
                var deadline = -1
                curl_multi_timeout(multi, &deadline)
                if deadline != 0 {
                    curl_multi_poll(multi, nil, 0, Int32(deadline < 0 || deadline > 1000 ? 1000 : deadline), nil)
                }
                lock.withLock { sleeping = false }
            }
        }
    }
}

/// The proxy of a transfer: the configured one, else libcurl's reading of the standard variables.
enum ProxyEnvironment {
    /// Whether any standard proxy variable is set (libcurl then picks the proxy per URL itself).
    static let present: Bool = {
        let names = ["http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
        return names.contains { getenv($0) != nil }
    }()

    static func apply(_ proxy: String?, to easy: UnsafeMutableRawPointer) {
        if let proxy {
            _ = rv_easy_setopt_string(easy, CURLOPT_PROXY, proxy)
        } else if !present {
            // No proxy variable is set: say so once, instead of libcurl reading the environment per transfer.
            _ = rv_easy_setopt_string(easy, CURLOPT_PROXY, "")
            return
        }
        _ = rv_easy_setopt_string(easy, CURLOPT_NOPROXY, noProxy)
    }

    /// Loopback is never reached through a proxy: plain http is sent only there, and a proxy would
    /// read the secret and answer for the target (found by an adversarial run: a proxy's 401 read
    /// as the target's refusal). The user's own `no_proxy` hosts stay (CURLOPT_NOPROXY replaces it).
    static let noProxy: String = {
        let given = (getenv("no_proxy") ?? getenv("NO_PROXY")).map { String(cString: $0) } ?? ""
        if given.trimmingCharacters(in: .whitespaces) == "*" { return "*" }
        return (given.split(separator: ",").map(String.init) + ["localhost", "127.0.0.0/8", "::1"]).joined(separator: ",")
    }()
}

/// libcurl's global state is set up once per process.
enum CurlGlobal {
    static let once: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
    static func initialize() { _ = once }
}

/// One request in flight: owns its header list and collects the response.
final class Transfer: @unchecked Sendable {
    // @unchecked: set up by the caller, used only by the loop thread while in flight, then freed
    // by the caller that takes its easy handle next (the pool's lock orders each hand-over).
    let request: ProbeRequest
    let completion: @Sendable (ProbeResult) -> Void
    let maxBody: Int
    var body: [UInt8] = []
    var headers: [HTTPHeader] = []
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// IMAP and SMTP: the scheme, and the server's last reply line (libcurl hands replies to the
    /// header callback), which says why a login was refused.
    var replyScheme: String?
    /// The body reached `maxBody` and the transfer was ended on purpose.
    var bodyCut = false
    /// Set for a login of another protocol than HTTP(S) (IMAP, SMTP, LDAP): its success is a login accepted.
    var loginScheme: String?
    var lastReply = ""
    /// SMTP: the server answered AUTH with 235 (RFC 4954 §6). IMAP: the greeting was `* PREAUTH`
    /// (RFC 9051 §7.1.4), a session with no login at all.
    var authenticationSucceeded = false
    var preauthenticated = false
    /// libcurl writes its error text here; owned (allocated and freed) by this transfer. Only its
    /// first byte is set: libcurl (7.60 and later) empties it again before the transfer runs and
    /// ends what it writes with a NUL, and it is read only after the transfer ran.
    let errorBuffer: UnsafeMutablePointer<CChar> = {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        buffer.initialize(to: 0)
        return buffer
    }()
    var done = false

    init(request: ProbeRequest, completion: @escaping @Sendable (ProbeResult) -> Void, maxBody: Int) {
        self.request = request
        self.completion = completion
        self.maxBody = maxBody
    }

    deinit {
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func releaseAnswer() {
        body = []
        headers = []
    }

    func finish(_ result: ProbeResult) {
        guard !done else { return }
        done = true
        completion(result)
    }

    /// Sets every option; returns a failure instead when the request must not be sent.
    /// `parts`: the URL's scheme and host as libcurl reads them (nil: it cannot parse the URL).
    func configure(_ easy: UnsafeMutableRawPointer, options: TransportOptions, parts: (scheme: String, host: String)?) -> TransportFailure? {
        guard let (scheme, host) = parts, host == request.host.lowercased() else {
            return TransportFailure(kind: .refusedHost, message: "URL host does not match the allowed host \(request.host)")
        }
        // One scheme per transfer, the one the probe's protocol named: no redirect or URL trick
        // can move a secret to another protocol.
        guard Transfer.schemes.contains(scheme) else {
            return TransportFailure(kind: .refusedHost, message: "URL scheme is not one libcurl probes may use (\(Transfer.schemes.joined(separator: ", ")))")
        }
        if Transfer.mailSchemes.contains(scheme) { replyScheme = scheme }
        if scheme != "http" && scheme != "https" { loginScheme = scheme }
        // SMTP: stop once logged in (libcurl's SMTP connect phase is greeting, EHLO, AUTH). Any
        // command after it (libcurl's default is HELP) is the server's business, not the login's:
        // a submission server answers it by connecting to its relay, which can fail after a good login.
        if scheme.hasPrefix("smtp") { _ = rv_easy_setopt_long(easy, CURLOPT_CONNECT_ONLY, 1) }
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = rv_easy_setopt_string(easy, CURLOPT_URL, request.url)
        _ = rv_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, scheme)
        _ = rv_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = rv_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = rv_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeout.milliseconds)
        _ = rv_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.timeout.milliseconds)
        _ = rv_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me)
        _ = rv_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = rv_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        _ = rv_easy_setopt_write_function(easy, CURLOPT_WRITEFUNCTION, Transfer.onBody)
        _ = rv_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        _ = rv_easy_setopt_write_function(easy, CURLOPT_HEADERFUNCTION, Transfer.onHeader)
        switch request.method {
        case "GET": break
        case "HEAD": _ = rv_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        case "POST":
            // COPYPOSTFIELDS copies, so the body need not outlive this call.
            var body = request.body ?? []
            _ = rv_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count)
            body.append(0)
            _ = body.withUnsafeMutableBytes { rv_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
        default:
            _ = rv_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        // libcurl's SigV4 (7.88) signs every header of this list, including an emptied `Expect:` it
        // never sends, while AWS-compatible verifiers (botocore's rules) leave `user-agent` and
        // `expect` out of the signature: either one gives SignatureDoesNotMatch. So a signed request
        // names its User-Agent through CURLOPT_USERAGENT (sent, not signed) and has no `Expect:`;
        // its form body is far below the size at which libcurl would add one.
        let signed = request.awsSigV4 != nil
        for header in request.headers {
            if signed && header.name.lowercased() == "user-agent" {
                _ = rv_easy_setopt_string(easy, CURLOPT_USERAGENT, header.value)
                continue
            }
            headerList = Transfer.append(header, to: headerList)
        }
        // Without this libcurl adds "Expect: 100-continue" to larger POSTs. Only a request with a
        // body needs it: on every other the empty header costs libcurl a pass over the list per
        // request (2,400 instructions of ~80,000, callgrind, scripts/bench-libcurl.c).
        if !signed && request.body != nil { headerList = curl_slist_append(headerList, "Expect:") }
        _ = rv_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        TrustAnchors(file: options.caBundle, directory: options.caDirectory).apply(to: easy)
        if options.insecureHosts.contains(host) {
            _ = rv_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            _ = rv_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        ProxyEnvironment.apply(options.proxy, to: easy)
        if let login = request.login {
            // Set apart from the URL, so no URL (report, log, redirect) can ever carry them.
            _ = rv_easy_setopt_string(easy, CURLOPT_USERNAME, login.user)
            _ = login.secret.withCString { rv_easy_setopt_string(easy, CURLOPT_PASSWORD, $0) }  // libcurl keeps a copy
            // IMAP/SMTP: SASL PLAIN, as mail clients log in. libcurl would otherwise pick the
            // strongest mechanism offered (SCRAM, CRAM-MD5, ...), which a server keeping only
            // password hashes cannot check: a correct password refused would read as "revoked".
            if replyScheme != nil { _ = rv_easy_setopt_string(easy, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN") }
        }
        if let provider = request.awsSigV4 { _ = rv_easy_setopt_string(easy, CURLOPT_AWS_SIGV4, provider) }
        switch request.clientIdentity {
        case .pem(let certificate, let key):
            setIdentity(easy, certificate: certificate, key: key)
        case .generated:
            guard let made = ThrowawayIdentity.pem else {
                return TransportFailure(kind: .other, message: "could not make the throwaway client certificate of the negative control")
            }
            setIdentity(easy, certificate: made.certificate, key: made.key)
        case nil:
            break
        }
        return nil
    }

    /// Adds `Name: value` to a header list. The line is put together on the stack: libcurl copies
    /// it, so a heap string per header and request would only be freed again at once.
    static func append(_ header: (name: String, value: String), to list: UnsafeMutablePointer<curl_slist>?) -> UnsafeMutablePointer<curl_slist>? {
        let length = header.name.utf8.count + 2 + header.value.utf8.count
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { line in
            var i = 0
            for byte in header.name.utf8 { line[i] = CChar(bitPattern: byte); i += 1 }
            line[i] = CChar(UInt8(ascii: ":")); line[i + 1] = CChar(UInt8(ascii: " ")); i += 2
            for byte in header.value.utf8 { line[i] = CChar(bitPattern: byte); i += 1 }
            line[i] = 0
            return curl_slist_append(list, line.baseAddress)
        }
    }

    func setIdentity(_ easy: UnsafeMutableRawPointer, certificate: [UInt8], key: [UInt8]) {
        // PEM when it looks like PEM, else DER; libcurl copies the blobs.
        let certType = X509Loader.isPEM(certificate) ? "PEM" : "DER"
        let keyType = X509Loader.isPEM(key) ? "PEM" : "DER"
        _ = rv_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, certType)
        _ = rv_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, keyType)
        _ = certificate.withUnsafeBytes { rv_easy_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) }
        _ = key.withUnsafeBytes { rv_easy_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) }
    }

    /// The URL schemes the libcurl transport runs (SSH and PostgreSQL go to their own probers).
    static let schemes = ["http", "https", "ldap", "ldaps", "imap", "imaps", "smtp", "smtps"]
    /// Those whose server replies come through the header callback (`replyScheme`).
    static let mailSchemes = ["imap", "imaps", "smtp", "smtps"]

    func result(_ easy: UnsafeMutableRawPointer, code: CURLcode) -> ProbeResult {
        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && bodyCut) else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            if code == CURLE_LOGIN_DENIED, let scheme = replyScheme {
                // libcurl says 67 for any refused IMAP/SMTP login, also "too many connections" or
                // "try later": only the protocol's own answer for wrong credentials proves anything.
                let refused = MailLogin.refusesCredentials(lastReply, scheme: scheme)
                // An IMAP tag (`A002`) differs per connection: left out, so equal answers read equal.
                let reply = scheme.hasPrefix("imap") ? String(lastReply.drop { $0 != " " }.dropFirst()) : lastReply
                return .failure(TransportFailure(kind: refused ? .loginDenied : .other,
                                                 message: "curl \(code.rawValue): \(ServerText.quote(message)) (server: `\(ServerText.quote(reply))`)"
                                                     + (refused ? "" : ", not an answer about the credentials")))
            }
            // LDAP: libcurl says 67 for bind result 49 and keeps none of the server's diagnostic
            // text, so Active Directory's sub-codes for a *correct* password on a locked, expired
            // or must-change account (`data 775`, `532`, `773`) cannot be told from a wrong one
            // here: docs/protocols/ldap.md says so.
            // libcurl's text may quote the server (an FTP-style reply, a host name it was sent to).
            return .failure(TransportFailure(kind: Transfer.kind(of: code), message: "curl \(code.rawValue): \(ServerText.quote(message))"))
        }
        if let scheme = replyScheme,
           let why = MailLogin.noLogin(scheme: scheme, authenticated: authenticationSucceeded, preauthenticated: preauthenticated) {
            return .failure(TransportFailure(kind: .other, message: why))
        }
        if let scheme = loginScheme { return .success(.loginAccepted("\(scheme) login accepted")) }
        var status = 0
        _ = rv_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(.http(HTTPResponse(status: status, headers: headers, body: body)))
    }

    static func kind(of code: CURLcode) -> TransportFailure.Kind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .dns
        case CURLE_COULDNT_CONNECT: .connect
        case CURLE_LOGIN_DENIED: .loginDenied
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_CLIENTCERT:
            .tls
        default: .other
        }
    }

    /// Keeps the body up to `maxBody`, then ends the transfer: the matchers never read further, and
    /// a server sending a gigabyte (or never ending) costs 64 KiB and no more time. The answer still
    /// counts (`result` reads the end as ours, not a failure).
    static let onBody: curl_write_callback = { data, size, count, userdata in
        let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * count
        let keep = min(n, transfer.maxBody - transfer.body.count)
        if keep > 0, let data {
            data.withMemoryRebound(to: UInt8.self, capacity: keep) {
                transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: keep))
            }
        }
        if keep < n {
            transfer.bodyCut = true
            return 0  // libcurl ends the transfer with CURLE_WRITE_ERROR
        }
        return n
    }

    static let onHeader: curl_write_callback = { data, size, count, userdata in
        let transfer = Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
        let n = size * count
        guard let data else { return n }
        data.withMemoryRebound(to: UInt8.self, capacity: n) { start in
            transfer.onHeaderLine(UnsafeBufferPointer(start: start, count: n))
        }
        return n
    }

    /// One raw header line: a status line starts a new header block (after 1xx), else `Name: value`.
    func onHeaderLine(_ line: UnsafeBufferPointer<UInt8>) {
        if let scheme = replyScheme {
            // Kept short: a reply is evidence in a reason, never a body. ServerText.quote makes the
            // final cut, with the `…` the scrubber reads (a cut made here would hide it).
            lastReply = String(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).prefix(1_000))
            if scheme.hasPrefix("smtp") && lastReply.hasPrefix("235") { authenticationSucceeded = true }
            if scheme.hasPrefix("imap") && lastReply.uppercased().hasPrefix("* PREAUTH") { preauthenticated = true }
            return
        }
        if line.starts(with: Transfer.statusPrefix) {
            headers.removeAll(keepingCapacity: true)
            return
        }
        // A server may send any number of headers: the first ones are kept, the rest not read into memory.
        guard headers.count < Transfer.maxHeaders else { return }
        // Room for a usual answer's headers at once, instead of the array growing 1, 2, 4, 8.
        if headers.capacity == 0 { headers.reserveCapacity(16) }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        var lower = colon + 1
        var upper = line.count
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        while lower < upper && isSpace(line[lower]) { lower += 1 }
        while upper > lower && isSpace(line[upper - 1]) { upper -= 1 }
        headers.append(HTTPHeader(
            name: String(decoding: UnsafeBufferPointer(rebasing: line[..<colon]), as: UTF8.self),
            value: String(decoding: UnsafeBufferPointer(rebasing: line[lower..<upper]), as: UTF8.self)))
    }

    static let statusPrefix = Array("HTTP/".utf8)
    static let maxHeaders = 100
}

/// libcurl's own URL parser, so the host we check is the host libcurl will connect to.
enum CurlURL {
    /// Scheme and host (lower case, IPv6 without brackets), or nil when libcurl cannot parse it.
    static func parts(of url: String) -> (scheme: String, host: String)? {
        guard let handle = curl_url() else { return nil }
        defer { curl_url_cleanup(handle) }
        guard curl_url_set(handle, CURLUPART_URL, url, 0) == CURLUE_OK else { return nil }
        func part(_ which: CURLUPart) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard curl_url_get(handle, which, &value, 0) == CURLUE_OK, let value else { return nil }
            defer { curl_free(value) }
            return String(cString: value).lowercased()
        }
        guard let scheme = part(CURLUPART_SCHEME), var host = part(CURLUPART_HOST) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (scheme, host)
    }

    /// The last URL parsed and its parts: the requests of one probe and target mostly share one URL
    /// (the secret travels in a header), and parsing it costs the loop thread allocations per transfer.
    struct LastParsed {
        var url: String?
        var parts: (scheme: String, host: String)?

        mutating func parts(of url: String) -> (scheme: String, host: String)? {
            if url == self.url { return parts }
            parts = CurlURL.parts(of: url)
            self.url = url
            return parts
        }
    }

}

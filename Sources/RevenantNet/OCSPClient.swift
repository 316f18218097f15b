import COpenSSL
import Foundation
import RevenantCore

/// RFC 6960 OCSP over HTTP (POST, or GET: appendix A.1): builds the request (SHA-1 CertID, nonce), sends it, and accepts an
/// answer only when it is signed by the issuer or by a responder the issuer delegated (OCSPSigning
/// EKU, §4.2.2.2), names this certificate, and is fresh. Anything else proves nothing.
public struct OCSPClient: Sendable {
    public var fetcher: RevocationFetcher
    /// Clock skew tolerated on thisUpdate/nextUpdate (OpenSSL's `OCSP_check_validity` leeway).
    public var leewaySeconds = 300
    /// Oldest thisUpdate accepted from an answer without nextUpdate (OCSP_check_validity's maxsec).
    public var maxAgeSeconds = 604_800
    /// POST first (GET when refused), or GET first when the request fits in a GET URL.
    public var method: OCSPMethod

    public init(fetcher: RevocationFetcher, method: OCSPMethod = .post) {
        self.fetcher = fetcher
        self.method = method
    }

    /// Asks `url` about `certificate`, issued by `issuer`.
    public func lookup(_ certificate: X509Certificate, issuer: X509Certificate, url: String, now: Date) -> RevocationLookup {
        let started = Date()
        var lookup = RevocationLookup(source: .ocsp, url: url, status: .unavailable("no answer"))
        defer { ERR_clear_error() }
        guard let request = OCSPRequest(certificate, issuer: issuer) else {
            lookup.status = .unavailable("cannot build the OCSP request (OpenSSL: \(X509Loader.openSSLErrors()))")
            return lookup
        }
        let answer = send(request.der, to: url)
        lookup.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        switch answer {
        case .failure(let f): lookup.status = .unavailable(f.message)
        case .success(let bytes): evaluate(bytes, request: request, issuer: issuer, now: now, into: &lookup)
        }
        return lookup
    }

    /// The basic response in `bytes` that answers `request`, or why there is none: not an OCSP
    /// response, an unsigned error status (tryLater, internalError, unauthorized…), not basic, or a
    /// nonce other than the request's (RFC 6960 §4.4.1: a replay; none at all is common, pre-signed).
    static func basicResponse(_ bytes: [UInt8], request: OCSPRequest) -> Result<OCSPBasicResponse, FetchFailure> {
        guard let response = OCSPResponse(der: bytes) else {
            return .failure(FetchFailure(message: "not an OCSP response (OpenSSL: \(X509Loader.openSSLErrors()))"))
        }
        let responseStatus = OCSP_response_status(response.pointer)
        guard responseStatus == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
            let text = OCSP_response_status_str(Int(responseStatus)).map { String(cString: $0) } ?? "\(responseStatus)"
            return .failure(FetchFailure(message: "the responder answered \(text) (OCSPResponseStatus \(responseStatus))"))
        }
        guard let basic = OCSP_response_get1_basic(response.pointer) else {
            return .failure(FetchFailure(message: "the response is not a basic OCSP response"))
        }
        let answer = OCSPBasicResponse(basic)
        if OCSP_check_nonce(request.pointer, basic) == 0 {
            return .failure(FetchFailure(message: "the response's nonce does not match the request's (replayed answer?)"))
        }
        return .success(answer)
    }

    /// HTTP statuses by which a responder refuses the method itself (405 Method Not Allowed, 501 Not
    /// Implemented): the same request may then go by the other method.
    static let methodRefused: Set<Int> = [405, 501]

    /// Sends a DER OCSPRequest to `url` by `method`. A request whose GET form does not fit goes by
    /// POST either way; a responder that refuses POST is asked again by GET (RFC 6960 A.1 lets
    /// responders serve either). Caching is the caller's: the answer is the same whichever way it came.
    func send(_ der: [UInt8], to url: String) -> Result<[UInt8], FetchFailure> {
        let getURL = Self.getURL(url, request: der)
        if method == .get, let getURL { return fetcher.fetch(getURL) }
        let posted = fetcher.fetch(url, body: der, contentType: "application/ocsp-request")
        guard case .failure(let refused) = posted, let status = refused.httpStatus, Self.methodRefused.contains(status) else { return posted }
        guard let getURL else {
            return .failure(FetchFailure(message: "\(refused.message) to POST, and the request is too long for GET", httpStatus: status))
        }
        switch fetcher.fetch(getURL) {
        case .success(let bytes): return .success(bytes)
        case .failure(let f): return .failure(FetchFailure(message: "POST refused (HTTP \(status)); GET: \(f.message)", httpStatus: f.httpStatus))
        }
    }

    /// RFC 6960 appendix A.1: the responder URL, "/", and the URL-encoded base64 of the DER request;
    /// nil unless the URL is http(s) and the encoded request is under 255 bytes (RFC 5019 §5 keeps GET
    /// to requests that small, so caches and proxies carry them).
    public static func getURL(_ url: String, request der: [UInt8]) -> String? {
        guard let scheme = RevocationFetcher.scheme(of: url), scheme == "http" || scheme == "https" else { return nil }
        var encoded = ""
        for character in Data(der).base64EncodedString() {
            switch character {
            case "+": encoded += "%2B"
            case "/": encoded += "%2F"
            case "=": encoded += "%3D"
            default: encoded.append(character)
            }
        }
        guard encoded.utf8.count < 255 else { return nil }
        return (url.hasSuffix("/") ? url : url + "/") + encoded
    }

    /// Judges a DER OCSPResponse about `certificate` as `lookup` judges an answer (for the fuzz
    /// target: the nonce sent is a fresh one, so no answer from elsewhere is ever "good").
    public func read(_ bytes: [UInt8], about certificate: X509Certificate, issuer: X509Certificate, now: Date) -> RevocationLookup {
        defer { ERR_clear_error() }
        var lookup = RevocationLookup(source: .ocsp, url: "fuzz", status: .unavailable("no answer"))
        guard let request = OCSPRequest(certificate, issuer: issuer) else { return lookup }
        evaluate(bytes, request: request, issuer: issuer, now: now, into: &lookup)
        return lookup
    }

    /// Judges a DER OCSPResponse for `request` (exposed for tests and the vectors check).
    func evaluate(_ bytes: [UInt8], request: OCSPRequest, issuer: X509Certificate, now: Date, into lookup: inout RevocationLookup) {
        let answer: OCSPBasicResponse
        switch Self.basicResponse(bytes, request: request) {
        case .failure(let why):
            lookup.status = .unavailable(why.message)
            return
        case .success(let a): answer = a
        }
        let basic = answer.pointer
        lookup.producedAt = X509Certificate.date(OCSP_resp_get0_produced_at(basic))
        if let why = Self.signatureProblem(basic, issuer: issuer, now: now) {
            lookup.status = .unavailable(why)
            return
        }
        var status: Int32 = -1
        var reason: Int32 = -1
        var revokedAt: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        guard OCSP_resp_find_status(basic, request.id, &status, &reason, &revokedAt, &thisUpdate, &nextUpdate) == 1 else {
            lookup.status = .unavailable("the response has no status for this certificate")
            return
        }
        lookup.thisUpdate = X509Certificate.date(thisUpdate)
        lookup.nextUpdate = X509Certificate.date(nextUpdate)
        if let why = freshnessProblem(thisUpdate: thisUpdate, nextUpdate: nextUpdate, now: now) {
            lookup.status = .unavailable(why)
            return
        }
        switch status {
        case V_OCSP_CERTSTATUS_GOOD: lookup.status = .good
        case V_OCSP_CERTSTATUS_REVOKED:
            lookup.status = .revoked(at: X509Certificate.date(revokedAt), reason: reason >= 0 ? RevocationReason.name(Int(reason)) : nil)
        default: lookup.status = .unknown
        }
    }

    /// §4.2.2.1 freshness of a SingleResponse: nil when thisUpdate is not in the future and nextUpdate
    /// (when set) has not passed, or without nextUpdate thisUpdate is no older than `maxAgeSeconds`; else why not.
    func freshnessProblem(thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?, nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?,
                          now: Date) -> String? {
        let this = X509Certificate.date(thisUpdate), next = X509Certificate.date(nextUpdate)
        guard OCSP_check_validity(thisUpdate, nextUpdate, leewaySeconds, nextUpdate == nil ? maxAgeSeconds : -1) == 1 else {
            let after = next.map { ", nextUpdate \(Timestamp.format($0))" } ?? ""
            return "stale or not yet valid answer (thisUpdate \(this.map(Timestamp.format) ?? "?")\(after))"
        }
        if let this, this > now.addingTimeInterval(Double(leewaySeconds)) {
            return "not yet valid: thisUpdate \(Timestamp.format(this)) is in the future"
        }
        if let next, next < now.addingTimeInterval(-Double(leewaySeconds)) {
            return "stale: nextUpdate \(Timestamp.format(next)) has passed"
        }
        if next == nil, let this, this < now.addingTimeInterval(-Double(maxAgeSeconds)) {
            return "stale: no nextUpdate and thisUpdate \(Timestamp.format(this)) is older than \(maxAgeSeconds / 86_400) days"
        }
        return nil
    }

    /// nil when the response is signed by `issuer`, or by a certificate that `issuer` signed, that
    /// carries the OCSPSigning EKU and is valid at `now` (RFC 6960 §4.2.2.2); else why not.
    static func signatureProblem(_ basic: OpaquePointer, issuer: X509Certificate, now: Date) -> String? {
        switch signer(of: basic, issuer: issuer) {
        case .issuer: return nil
        case .unauthorized(let why): return why
        case .delegated(_, let from, let until, let ocspSigning):
            guard ocspSigning else { return "the delegated responder's certificate lacks the OCSPSigning extended key usage" }
            guard (from...until).contains(now) else {
                return "the delegated responder's certificate is not valid now (\(Timestamp.format(from)) to \(Timestamp.format(until)))"
            }
            return nil
        }
    }

    /// Who signed `basic`: the issuer, a certificate the issuer signed (with its validity and whether it
    /// has the OCSPSigning EKU), or nobody the issuer stands behind. The signature itself is verified.
    static func signer(of basic: OpaquePointer, issuer: X509Certificate) -> OCSPResponderFacts.Signer {
        guard let candidates = OPENSSL_sk_new_null() else { return .unauthorized("OpenSSL could not allocate a stack") }
        // The stack borrows the issuer's pointer: freed without its items.
        defer { OPENSSL_sk_free(candidates) }
        _ = OPENSSL_sk_push(candidates, UnsafeRawPointer(issuer.keyed))
        var signer: OpaquePointer?
        guard OCSP_resp_get0_signer(basic, &signer, candidates) == 1, let signer else {
            return .unauthorized("the response's signer is neither the issuer nor a certificate it includes")
        }
        // Signature only here; the signer's authority is checked below, against this issuer alone.
        guard OCSP_basic_verify(basic, candidates, nil, UInt(OCSP_NOVERIFY)) == 1 else {
            return .unauthorized("the response's signature does not verify (OpenSSL: \(X509Loader.openSSLErrors()))")
        }
        if X509_cmp(signer, issuer.keyed) == 0 { return .issuer }
        guard X509_check_issued(issuer.keyed, signer) == X509_V_OK, let key = X509_get0_pubkey(issuer.keyed),
              X509_verify(signer, key) == 1 else {
            return .unauthorized("the response is signed by a responder the issuer did not certify")
        }
        guard let from = X509Certificate.date(X509_get0_notBefore(signer)), let until = X509Certificate.date(X509_get0_notAfter(signer)) else {
            return .unauthorized("the delegated responder's certificate has unreadable validity dates")
        }
        let ocspSigning = X509_get_extension_flags(signer) & UInt32(EXFLAG_XKUSAGE) != 0
            && X509_get_extended_key_usage(signer) & UInt32(XKU_OCSP_SIGN) != 0
        return .delegated(subject: X509Certificate.name(X509_get_subject_name(signer)), notBefore: from, notAfter: until, ocspSigning: ocspSigning)
    }
}

/// An OCSP request for one certificate; owns the `OCSP_REQUEST` and a copy of its CertID.
final class OCSPRequest {
    let pointer: OpaquePointer
    let id: OpaquePointer
    let der: [UInt8]

    convenience init?(_ certificate: X509Certificate, issuer: X509Certificate) {
        guard let id = OCSP_cert_to_id(EVP_sha1(), certificate.keyed, issuer.keyed) else { return nil }
        self.init(id: id)
    }

    /// A request for `id`, which it takes over (freed here on failure).
    init?(id: OpaquePointer) {
        guard let copy = OCSP_CERTID_dup(id), let request = OCSP_REQUEST_new() else {
            OCSP_CERTID_free(id)
            return nil
        }
        // add0: the request owns `id` from here on; `copy` is ours, for finding the answer.
        guard OCSP_request_add0_id(request, id) != nil else {
            OCSP_CERTID_free(id)
            OCSP_CERTID_free(copy)
            OCSP_REQUEST_free(request)
            return nil
        }
        guard OCSP_request_add1_nonce(request, nil, -1) == 1 else {
            OCSP_CERTID_free(copy)
            OCSP_REQUEST_free(request)  // frees `id` too
            return nil
        }
        let length = i2d_OCSP_REQUEST(request, nil)
        var out = [UInt8](repeating: 0, count: Int(max(0, length)))
        out.withUnsafeMutableBufferPointer { buf in
            var p = buf.baseAddress
            _ = i2d_OCSP_REQUEST(request, &p)
        }
        pointer = request
        self.id = copy
        der = out
    }

    deinit {
        OCSP_CERTID_free(id)
        OCSP_REQUEST_free(pointer)
    }
}

/// A BasicOCSPResponse; the only owner of its pointer.
final class OCSPBasicResponse {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { OCSP_BASICRESP_free(pointer) }
}

/// A decoded OCSPResponse; the only owner of its pointer.
final class OCSPResponse {
    let pointer: OpaquePointer

    init?(der: [UInt8]) {
        let decoded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_OCSP_RESPONSE(nil, &cursor, buffer.count)
        }
        guard let decoded else { return nil }
        pointer = decoded
    }

    deinit { OCSP_RESPONSE_free(pointer) }

    /// A one-line description of what the response holds, or why it is unusable (for the vectors test).
    var summary: String {
        let status = OCSP_response_status(pointer)
        guard status == OCSP_RESPONSE_STATUS_SUCCESSFUL else { return "responseStatus \(status)" }
        guard let basic = OCSP_response_get1_basic(pointer) else {
            ERR_clear_error()
            return "not a basic response"
        }
        defer { OCSP_BASICRESP_free(basic) }
        let produced = X509Certificate.date(OCSP_resp_get0_produced_at(basic)).map(Timestamp.format) ?? "invalid producedAt"
        return "basic, \(OCSP_resp_count(basic)) status(es), producedAt \(produced)"
    }
}

import COpenSSL
import Foundation
import RevenantCore

/// RFC 3161 time-stamps over a ledger's seal (docs/evidence.md, "A timestamp over the seal"): the
/// seal's signature is hashed (SHA-256) and sent to a time-stamping authority, whose signed answer
/// proves the seal existed at the time it states. Checked as `openssl ts -verify -data` checks it.
public enum TimestampAuthority {
    /// A TSA's answer is a few kilobytes (a signature and the TSA's certificates).
    public static let replyLimit = 64 << 10

    /// Asks the TSA at `url` to stamp `data`; the DER TimeStampResp, once it is a granted answer to
    /// this request (same hash, same nonce). Its signature is checked later, against the TSA's CA.
    public static func stamp(_ data: [UInt8], url: String, fetcher: RevocationFetcher) -> Result<[UInt8], TimestampFailure> {
        defer { ERR_clear_error() }
        guard let request = TimestampRequest(over: data) else {
            return .failure(TimestampFailure("cannot build the time-stamp request (OpenSSL: \(X509Loader.openSSLErrors()))"))
        }
        var limited = fetcher
        limited.maxBytes = replyLimit
        let reply: [UInt8]
        switch limited.fetch(url, body: request.der, contentType: "application/timestamp-query") {
        case .failure(let f): return .failure(TimestampFailure("the time-stamping authority at \(url): \(f.message)"))
        case .success(let bytes): reply = bytes
        }
        return withReply(reply) { response in
            if let refused = refusal(response) { return .failure(TimestampFailure("the time-stamping authority at \(url) \(refused)")) }
            guard let context = TS_REQ_to_TS_VERIFY_CTX(request.handle, nil) else {
                return .failure(TimestampFailure("cannot check the time-stamp (OpenSSL: \(X509Loader.openSSLErrors()))"))
            }
            defer { TS_VERIFY_CTX_free(context) }
            // Version, hash and nonce: this answer is to this request (the signature is checked with the TSA's CA).
            _ = TS_VERIFY_CTX_set_flags(context, Int32(TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE))
            guard TS_RESP_verify_response(context, response) == 1 else {
                return .failure(TimestampFailure("the time-stamping authority at \(url) answered another request: \(X509Loader.openSSLErrors())"))
            }
            return .success(reply)
        }
    }

    /// Checks a stored TimeStampResp over `data`: granted, signed by a TSA certificate (timeStamping
    /// EKU) that chains to one of the certificates in `trustedPEM`, and of `data`'s hash.
    public static func verify(reply: [UInt8], data: [UInt8], trustedPEM: [UInt8]) -> Result<TimestampToken, TimestampFailure> {
        defer { ERR_clear_error() }
        return withReply(reply) { response in
            if let refused = refusal(response) { return .failure(TimestampFailure("the stored time-stamp is a refusal: the TSA \(refused)")) }
            guard let context = TS_VERIFY_CTX_new() else { return .failure(TimestampFailure("out of memory")) }
            defer { TS_VERIFY_CTX_free(context) }  // frees the store and the data BIO given to it
            guard let store = trustStore(trustedPEM) else {
                return .failure(TimestampFailure("the TSA CA file holds no PEM certificate"))
            }
            _ = TS_VERIFY_CTX_set_store(context, store)
            guard let bio = BIO_new(BIO_s_mem()) else { return .failure(TimestampFailure("out of memory")) }
            _ = data.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            _ = TS_VERIFY_CTX_set_data(context, bio)
            _ = TS_VERIFY_CTX_set_flags(context, Int32(TS_VFY_VERSION | TS_VFY_SIGNER | TS_VFY_SIGNATURE | TS_VFY_DATA))
            guard TS_RESP_verify_response(context, response) == 1 else {
                return .failure(TimestampFailure("the time-stamp does not verify: \(X509Loader.openSSLErrors())"))
            }
            guard let token = token(response) else { return .failure(TimestampFailure("the time-stamp holds no time")) }
            return .success(token)
        }
    }

    /// Parses a DER TimeStampResp (nothing after it) and hands it to `body`.
    static func withReply<T>(_ reply: [UInt8], _ body: (OpaquePointer) -> Result<T, TimestampFailure>) -> Result<T, TimestampFailure> {
        let parsed: OpaquePointer? = reply.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            guard let response = d2i_TS_RESP(nil, &cursor, buffer.count) else { return nil }
            if cursor != buffer.baseAddress.map({ $0 + buffer.count }) {
                TS_RESP_free(response)
                return nil
            }
            return response
        }
        guard let response = parsed else { return .failure(TimestampFailure("not an RFC 3161 time-stamp response (\(reply.count) bytes)")) }
        defer { TS_RESP_free(response) }
        return body(response)
    }

    /// Why a TimeStampResp is no stamp: its PKIStatus (0 granted, 1 granted with mods; the TSA's own text is not repeated).
    static func refusal(_ response: OpaquePointer) -> String? {
        guard let info = TS_RESP_get_status_info(response), let status = TS_STATUS_INFO_get0_status(info) else { return "sent no status" }
        let code = ASN1_INTEGER_get(status)
        guard code == 0 || code == 1 else { return "refused the request (PKIStatus \(code))" }
        return TS_RESP_get_tst_info(response) == nil ? "granted the request but sent no token" : nil
    }

    /// The certificates of a PEM file, as a store of trust anchors.
    static func trustStore(_ pem: [UInt8]) -> OpaquePointer? {
        guard let store = X509_STORE_new(), let bio = pem.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else { return nil }
        defer { BIO_free(bio) }
        var added = 0
        while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
            if X509_STORE_add_cert(store, certificate) == 1 { added += 1 }
            X509_free(certificate)
        }
        ERR_clear_error()  // the end of the file reads as "no start line"
        guard added > 0 else { X509_STORE_free(store); return nil }
        return store
    }

    /// The time and serial number the TSA signed.
    static func token(_ response: OpaquePointer) -> TimestampToken? {
        guard let info = TS_RESP_get_tst_info(response), let time = TS_TST_INFO_get_time(info) else { return nil }
        var tm = tm()
        guard ASN1_TIME_to_tm(time, &tm) == 1 else { return nil }
        var serial = "?"
        if let integer = TS_TST_INFO_get_serial(info), let bn = ASN1_INTEGER_to_BN(integer, nil) {
            if let hex = BN_bn2hex(bn) {
                serial = String(cString: hex)
                revenant_OPENSSL_free(hex)
            }
            BN_free(bn)
        }
        return TimestampToken(time: Date(timeIntervalSince1970: TimeInterval(timegm(&tm))), serial: serial)
    }
}

/// A TimeStampReq for SHA-256 of some bytes, with a random 64-bit nonce and the TSA's certificate asked for.
final class TimestampRequest {
    let handle: OpaquePointer
    let der: [UInt8]

    init?(over data: [UInt8]) {
        guard let request = TS_REQ_new() else { return nil }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard data.withUnsafeBytes({ EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }) == 1,
              let imprint = TS_MSG_IMPRINT_new() else { TS_REQ_free(request); return nil }
        defer { TS_MSG_IMPRINT_free(imprint) }
        guard let algorithm = X509_ALGOR_new() else { TS_REQ_free(request); return nil }
        defer { X509_ALGOR_free(algorithm) }
        var ok = X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nil) == 1
        ok = ok && TS_MSG_IMPRINT_set_algo(imprint, algorithm) == 1
        ok = ok && TS_MSG_IMPRINT_set_msg(imprint, &digest, Int32(length)) == 1
        ok = ok && TS_REQ_set_version(request, 1) == 1 && TS_REQ_set_msg_imprint(request, imprint) == 1
        ok = ok && TS_REQ_set_cert_req(request, 1) == 1
        if ok, let bn = BN_new() {
            if BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1, let nonce = BN_to_ASN1_INTEGER(bn, nil) {
                ok = TS_REQ_set_nonce(request, nonce) == 1
                ASN1_INTEGER_free(nonce)
            } else {
                ok = false
            }
            BN_free(bn)
        } else {
            ok = false
        }
        var out: UnsafeMutablePointer<UInt8>?
        let count = ok ? i2d_TS_REQ(request, &out) : -1
        guard count > 0, let out else { TS_REQ_free(request); return nil }
        der = Array(UnsafeBufferPointer(start: out, count: Int(count)))
        revenant_OPENSSL_free(out)
        handle = request
    }

    deinit { TS_REQ_free(handle) }
}

/// What a TSA signed: when, and its serial number for the stamp.
public struct TimestampToken: Sendable, Equatable {
    public let time: Date
    public let serial: String
}

public struct TimestampFailure: Error, Sendable, Equatable {
    public let message: String
    init(_ message: String) { self.message = message }
}

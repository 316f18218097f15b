import COpenSSL
import Foundation
import RevenantCore

/// One X.509 CRL (RFC 5280 §5), PEM or DER; the only owner of its OpenSSL `X509_CRL`.
public final class CertificateRevocationList: @unchecked Sendable {
    // @unchecked: after init the CRL is only read. OpenSSL sorts the revoked list on the first
    // lookup under the CRL's own lock (`def_crl_lookup`), so concurrent lookups are safe.
    let pointer: OpaquePointer
    /// RFC 2253 form of the issuer name.
    public let issuer: String
    public let thisUpdate: Date?
    public let nextUpdate: Date?
    /// cRLNumber in decimal, when present.
    public let crlNumber: String?
    public let entryCount: Int
    /// Why this CRL does not cover every certificate of its issuer for every reason, or has
    /// extensions revenant cannot honour (nil: a complete CRL, RFC 5280 §5.2.5, §5.2.4, §5.3).
    public let scopeProblem: String?

    /// Decodes PEM (an `X509 CRL` block) or DER.
    public init(bytes: [UInt8]) throws(CRLError) {
        let head = Array(bytes.prefix(4096))
        let isPEM = X509Loader.contains(head, "-----BEGIN X509 CRL")
        if !isPEM && X509Loader.isPEM(head) {
            throw CRLError("no X509 CRL block in this PEM (found: \(X509Loader.pemLabels(bytes).joined(separator: ", ")))")
        }
        let crl: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return nil }
            if isPEM {
                // BIO_new_mem_buf does not copy: the BIO lives only inside this closure.
                guard let bio = BIO_new_mem_buf(base, Int32(clamping: buffer.count)) else { return nil }
                defer { BIO_free(bio) }
                return PEM_read_bio_X509_CRL(bio, nil, nil, nil)
            }
            var cursor: UnsafePointer<UInt8>? = base
            return d2i_X509_CRL(nil, &cursor, buffer.count)
        }
        guard let crl else {
            throw CRLError("not a CRL (\(isPEM ? "PEM" : "DER"); OpenSSL: \(X509Loader.openSSLErrors()))")
        }
        pointer = crl
        issuer = X509Certificate.name(X509_CRL_get_issuer(crl))
        thisUpdate = X509Certificate.date(X509_CRL_get0_lastUpdate(crl))
        nextUpdate = X509Certificate.date(X509_CRL_get0_nextUpdate(crl))
        crlNumber = Self.number(crl)
        entryCount = X509_CRL_get_REVOKED(crl).map { Int(OPENSSL_sk_num($0)) } ?? 0
        scopeProblem = Self.scope(crl)
        ERR_clear_error()
    }

    deinit { X509_CRL_free(pointer) }

    /// What the publication rules (`CRLLifecycle`) look at.
    public var facts: CRLFacts {
        // thisUpdate is always there (d2i requires it); nextUpdate is optional.
        let invalid = (thisUpdate == nil ? ["thisUpdate"] : []) + (nextUpdate == nil && X509_CRL_get0_nextUpdate(pointer) != nil ? ["nextUpdate"] : [])
        return CRLFacts(issuer: issuer, thisUpdate: thisUpdate, nextUpdate: nextUpdate, invalidDates: invalid)
    }

    /// Whether `issuer` issued this CRL: the names match and the signature verifies with its key
    /// (RFC 5280 §6.3.3 (f)-(g); indirect CRLs and delta CRLs are not supported here).
    public func isSigned(by issuer: X509Certificate) -> Bool {
        defer { ERR_clear_error() }
        guard X509_NAME_cmp(X509_CRL_get_issuer(pointer), X509_get_subject_name(issuer.keyed)) == 0,
              let key = X509_get0_pubkey(issuer.keyed) else { return false }
        return X509_CRL_verify(pointer, key) == 1
    }

    /// Whether the CRL is current at `now`: thisUpdate not in the future (beyond `leeway`), and a
    /// nextUpdate that has not passed (a CRL without one cannot be judged fresh).
    public func freshness(at now: Date, leeway: TimeInterval = 300) -> String? {
        guard let thisUpdate else { return "thisUpdate is not a valid time" }
        if thisUpdate > now.addingTimeInterval(leeway) { return "not yet valid: thisUpdate \(Timestamp.format(thisUpdate)) is in the future" }
        guard let nextUpdate else { return "no nextUpdate: its freshness cannot be judged" }
        if nextUpdate < now.addingTimeInterval(-leeway) { return "stale: nextUpdate \(Timestamp.format(nextUpdate)) has passed" }
        return nil
    }

    /// The entry for `certificate`: revoked (date, reason) or nil. Matches serial and issuer.
    public func entry(for certificate: X509Certificate) -> (at: Date?, reason: String?)? {
        var found: OpaquePointer?
        let r = X509_CRL_get0_by_cert(pointer, &found, certificate.pointer)
        return r == 1 ? Self.describe(found) : nil
    }

    /// The entry for a serial number in hex (`1a2b`, as `CertificateInfo.serial` writes it).
    public func entry(serialHex: String) -> (at: Date?, reason: String?)? {
        var number: OpaquePointer?
        guard BN_hex2bn(&number, serialHex) > 0, let number else { return nil }
        defer { BN_free(number) }
        guard let serial = BN_to_ASN1_INTEGER(number, nil) else { return nil }
        defer { ASN1_INTEGER_free(serial) }
        var found: OpaquePointer?
        return X509_CRL_get0_by_serial(pointer, &found, serial) == 1 ? Self.describe(found) : nil
    }

    static func describe(_ revoked: OpaquePointer?) -> (at: Date?, reason: String?) {
        guard let revoked else { return (nil, nil) }
        let at = X509Certificate.date(X509_REVOKED_get0_revocationDate(revoked))
        var reason: String?
        if let raw = X509_REVOKED_get_ext_d2i(revoked, NID_crl_reason, nil, nil) {
            let code = raw.assumingMemoryBound(to: ASN1_ENUMERATED.self)
            reason = RevocationReason.name(ASN1_ENUMERATED_get(code))
            ASN1_ENUMERATED_free(code)
        }
        ERR_clear_error()
        return (at, reason)
    }

    /// A partitioned, reason-limited or indirect CRL (issuingDistributionPoint), a delta CRL, or a
    /// critical extension other than those read here: "not listed" in it does not mean "not revoked".
    static func scope(_ crl: OpaquePointer) -> String? {
        if X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1) >= 0 {
            return "it has an issuingDistributionPoint (partitioned, reason-limited or indirect CRL)"
        }
        if X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0 { return "it is a delta CRL (deltaCRLIndicator)" }
        let understood = [NID_crl_number, NID_authority_key_identifier]
        for i in 0..<max(0, X509_CRL_get_ext_count(crl)) {
            guard let ext = X509_CRL_get_ext(crl, i), X509_EXTENSION_get_critical(ext) != 0 else { continue }
            let nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext))
            if !understood.contains(nid) { return "unhandled critical extension \(Self.extensionName(ext))" }
        }
        guard let entries = X509_CRL_get_REVOKED(crl) else { return nil }
        for i in 0..<max(0, OPENSSL_sk_num(entries)) {
            let entry = OpaquePointer(OPENSSL_sk_value(entries, i))
            for j in 0..<max(0, X509_REVOKED_get_ext_count(entry)) {
                guard let ext = X509_REVOKED_get_ext(entry, j), X509_EXTENSION_get_critical(ext) != 0 else { continue }
                return "unhandled critical entry extension \(Self.extensionName(ext))"
            }
        }
        return nil
    }

    static func extensionName(_ ext: OpaquePointer) -> String {
        let object = X509_EXTENSION_get_object(ext)
        let nid = OBJ_obj2nid(object)
        if nid != NID_undef, let short = OBJ_nid2sn(nid) { return String(cString: short) }
        var buffer = [CChar](repeating: 0, count: 128)
        _ = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        return String(cString: buffer)
    }

    static func number(_ crl: OpaquePointer) -> String? {
        guard let raw = X509_CRL_get_ext_d2i(crl, NID_crl_number, nil, nil) else { return nil }
        let integer = raw.assumingMemoryBound(to: ASN1_INTEGER.self)
        defer { ASN1_INTEGER_free(integer) }
        guard let bn = ASN1_INTEGER_to_BN(integer, nil) else { return nil }
        defer { BN_free(bn) }
        guard let text = BN_bn2dec(bn) else { return nil }
        defer { revenant_OPENSSL_free(text) }
        return String(cString: text)
    }
}

/// Why bytes are not a usable CRL.
public struct CRLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

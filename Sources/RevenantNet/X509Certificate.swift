import COpenSSL
import Foundation
import RevenantCore
import RevenantCrypto

/// One certificate and what was read from it; the only owner of its OpenSSL `X509` object.
///
/// A certificate `X509FastReader` read from its DER alone has no `X509` until something needs one
/// (signatures, CRL lookups, chain verification): `pointer` then decodes it once, under a lock.
public final class X509Certificate {
    public let info: CertificateInfo

    /// The DER of a certificate read without OpenSSL; nil for one made from an `X509`.
    private let encoding: [UInt8]?
    private let lock = NSLock()
    /// Guarded by `lock` when `encoding` is set; else set once in `init` and never changed.
    private var decoded: OpaquePointer?
    private var fullPointer: OpaquePointer?

    /// Takes ownership of `x509` (freed here, also when reading it fails). `der`: the encoding it
    /// was decoded from, fingerprinted as read; without it (PKCS#12, a TLS peer) it is re-encoded.
    init(taking x509: OpaquePointer, der: UnsafeBufferPointer<UInt8>? = nil) throws(CertificateLoadError) {
        do {
            info = try Self.read(x509, der: der)
        } catch {
            X509_free(x509)
            throw error
        }
        encoding = nil
        decoded = x509
    }

    /// The certificate at the start of `der` when `X509FastReader` can read it, else nil.
    static func fast(_ der: [UInt8]) -> X509Certificate? {
        guard let (info, length) = X509FastReader.info(der) else { return nil }
        return X509Certificate(info: info, encoding: length == der.count ? der : Array(der[..<length]))
    }

    private init(info: CertificateInfo, encoding: [UInt8]) {
        self.info = info
        self.encoding = encoding
    }

    deinit {
        if let decoded { X509_free(decoded) }
        if let full = fullPointer { X509_free(full) }
    }

    /// The OpenSSL object. For a certificate read without OpenSSL, decoded from its DER on first use
    /// (with its key). `X509FastReader` reads only what OpenSSL decodes (the fuzz target
    /// `certificate-der` holds it to that), so the decode does not fail; if it ever did, an empty
    /// `X509` stands in: it names no issuer and verifies no signature, so nothing is proved with it.
    var pointer: OpaquePointer {
        guard let encoding else { return decoded! }
        return lock.withLock {
            if let decoded { return decoded }
            let value = Self.decodeWithKey(encoding) ?? X509_new()!
            decoded = value
            return value
        }
    }

    /// Whether OpenSSL decodes this certificate with its key (the cross-check of the DER reader).
    var keyedDecodes: Bool {
        guard let encoding else { return true }
        guard let x509 = Self.decodeWithKey(encoding) else { return false }
        X509_free(x509)
        return true
    }

    /// `d2i_X509` in the default library context (the key decoded too); the caller owns the result.
    static func decodeWithKey(_ der: [UInt8]) -> OpaquePointer? {
        defer { ERR_clear_error() }
        return der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
    }

    /// The certificate with its public key decoded, for signatures and chain verification: the
    /// object itself when its key is decoded, else (see `X509FastDecoder`) a copy decoded once from
    /// the DER, on first use, under a lock, and owned here.
    var keyed: OpaquePointer {
        let pointer = pointer
        if X509_get0_pubkey(pointer) != nil { return pointer }
        ERR_clear_error()
        return lock.withLock {
            if let full = fullPointer { return full }
            let full = Self.decodeWithKey(der)
            fullPointer = full
            return full ?? pointer
        }
    }

    /// PEM (RFC 7468): the DER encoding in base64, 64 characters a line.
    public var pem: [UInt8] {
        let text = Data(der).base64EncodedString()
        var out = Array("-----BEGIN CERTIFICATE-----\n".utf8)
        var line = text.startIndex
        while line < text.endIndex {
            let end = text.index(line, offsetBy: 64, limitedBy: text.endIndex) ?? text.endIndex
            out += Array(text[line..<end].utf8) + [0x0A]
            line = end
        }
        return out + Array("-----END CERTIFICATE-----\n".utf8)
    }

    /// The DER encoding.
    public var der: [UInt8] {
        if let encoding { return encoding }
        let pointer = pointer
        let length = i2d_X509(pointer, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buf in
            var p = buf.baseAddress
            _ = i2d_X509(pointer, &p)
        }
        return out
    }

    static func read(_ x: OpaquePointer, der: UnsafeBufferPointer<UInt8>?) throws(CertificateLoadError) -> CertificateInfo {
        guard let notBefore = date(X509_get0_notBefore(x)) else { throw CertificateLoadError(.malformed, "notBefore is not a valid time") }
        guard let notAfter = date(X509_get0_notAfter(x)) else { throw CertificateLoadError(.malformed, "notAfter is not a valid time") }
        // SHA-256 of the DER in the default library context (a keyless certificate's own context has no digests).
        let digest: [UInt8]
        if let der {
            digest = Digest.sha256(UnsafeRawBufferPointer(der))
        } else {
            var encoded: UnsafeMutablePointer<UInt8>?
            let encodedLength = i2d_X509(x, &encoded)
            defer { revenant_OPENSSL_free(encoded) }
            guard encodedLength > 0, let encoded else {
                throw CertificateLoadError(.malformed, "cannot re-encode the certificate to compute its fingerprint")
            }
            digest = Digest.sha256(UnsafeRawBufferPointer(start: encoded, count: Int(encodedLength)))
        }
        let flags = X509_get_extension_flags(x)
        let key: (type: String, bits: Int, curve: String?)
        let selfSigned: Bool
        if X509_get0_pubkey(x) != nil {
            key = publicKey(x)
            selfSigned = flags & UInt32(EXFLAG_SS) != 0
        } else if let facts = X509FastDecoder.keyFacts(x), let ss = X509FastDecoder.isSelfSigned(x) {
            // A keyless certificate (X509FastDecoder): OpenSSL cannot set EXFLAG_SS without the key.
            key = facts
            selfSigned = ss
        } else {
            (key, selfSigned) = fullyDecodedKey(x)
        }
        ERR_clear_error()
        let access = authorityInfoAccess(x)
        let info = CertificateInfo(
            subject: name(X509_get_subject_name(x)), issuer: name(X509_get_issuer_name(x)), serial: serial(x),
            subjectAltNames: subjectAltNames(x), notBefore: notBefore, notAfter: notAfter,
            keyType: key.type, keyBits: key.bits, curve: key.curve,
            signatureAlgorithm: signatureAlgorithm(x), signatureDigest: signatureDigest(x),
            sha256: Digest.hex(digest),
            crlDistributionPoints: crlDistributionPoints(x), ocspURLs: access.ocsp, caIssuerURLs: access.caIssuers,
            isCA: flags & UInt32(EXFLAG_CA) != 0, isSelfSigned: selfSigned)
        // Extension decoders leave errors behind for malformed extensions; they are not ours to report.
        ERR_clear_error()
        return info
    }

    // MARK: fields

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        let seconds = CivilTime.seconds(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                                        hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    static func name(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        // RFC 2253 with UTF-8 left as is (not escaped as \XX), so non-ASCII names stay readable.
        let flags = revenant_XN_FLAG_RFC2253() & ~UInt(ASN1_STRFLGS_ESC_MSB)
        return withMemoryBIO { bio in X509_NAME_print_ex(bio, name, 0, flags) >= 0 }
    }

    static func serial(_ x: OpaquePointer) -> String {
        guard let number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nil) else { return "" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "" }
        defer { revenant_OPENSSL_free(hex) }
        return String(cString: hex).lowercased()
    }

    /// The key facts and self-signed flag of a keyless certificate that `X509FastDecoder` cannot
    /// tell: decoded the usual (slow) way from a temporary copy.
    static func fullyDecodedKey(_ x: OpaquePointer) -> (key: (type: String, bits: Int, curve: String?), selfSigned: Bool) {
        var encoded: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(x, &encoded)
        defer { revenant_OPENSSL_free(encoded) }
        var cursor = UnsafePointer(encoded)
        guard length > 0, let full = d2i_X509(nil, &cursor, Int(length)) else {
            return (publicKey(x), X509_get_extension_flags(x) & UInt32(EXFLAG_SS) != 0)
        }
        defer { X509_free(full) }
        return (publicKey(full), X509_get_extension_flags(full) & UInt32(EXFLAG_SS) != 0)
    }

    static func publicKey(_ x: OpaquePointer) -> (type: String, bits: Int, curve: String?) {
        guard let key = X509_get0_pubkey(x) else {
            // A key OpenSSL cannot decode (unknown algorithm, bad parameters): name its OID.
            ERR_clear_error()
            var algorithm: OpaquePointer?
            if let spki = X509_get_X509_PUBKEY(x), X509_PUBKEY_get0_param(&algorithm, nil, nil, nil, spki) == 1 {
                return ("unknown (\(objectName(algorithm)))", 0, nil)
            }
            return ("unknown", 0, nil)
        }
        let bits = Int(EVP_PKEY_get_bits(key))
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA: return ("RSA", bits, nil)
        case EVP_PKEY_RSA_PSS: return ("RSA-PSS", bits, nil)
        case EVP_PKEY_DSA: return ("DSA", bits, nil)
        case EVP_PKEY_ED25519: return ("Ed25519", bits, nil)
        case EVP_PKEY_ED448: return ("Ed448", bits, nil)
        case EVP_PKEY_X25519: return ("X25519", bits, nil)
        case EVP_PKEY_X448: return ("X448", bits, nil)
        case EVP_PKEY_DH, EVP_PKEY_DHX: return ("DH", bits, nil)
        case EVP_PKEY_EC:
            var buffer = [CChar](repeating: 0, count: 80)
            var length = 0
            let curve = EVP_PKEY_get_group_name(key, &buffer, buffer.count, &length) == 1 ? text(buffer) : nil
            return ("EC", bits, curve)
        default:
            let name = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
            return (name, bits, nil)
        }
    }

    static func signatureAlgorithm(_ x: OpaquePointer) -> String {
        var algorithm: UnsafePointer<X509_ALGOR>?
        X509_get0_signature(nil, &algorithm, x)
        return objectName(algorithm?.pointee.algorithm)
    }

    static func signatureDigest(_ x: OpaquePointer) -> String? {
        var digestNID: Int32 = 0
        var keyNID: Int32 = 0
        var bits: Int32 = 0
        var flags: UInt32 = 0
        // Also looks inside RSASSA-PSS parameters, where the digest is not part of the algorithm's name.
        guard X509_get_signature_info(x, &digestNID, &keyNID, &bits, &flags) == 1, digestNID != NID_undef,
              let name = OBJ_nid2sn(digestNID) else {
            ERR_clear_error()
            return nil
        }
        return String(cString: name)
    }

    /// The long name of a known object ("sha256WithRSAEncryption"), else its dotted OID.
    static func objectName(_ object: OpaquePointer?) -> String {
        guard let object else { return "unknown" }
        let nid = OBJ_obj2nid(object)
        if nid != NID_undef, let name = OBJ_nid2ln(nid) { return String(cString: name) }
        var buffer = [CChar](repeating: 0, count: 128)
        let n = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        return n > 0 ? text(buffer) : "unknown"
    }

    static func subjectAltNames(_ x: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(x, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        return generalNames(names).map(describe)
    }

    static func crlDistributionPoints(_ x: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(x, NID_crl_distribution_points, nil, nil) else { return [] }
        let points = OpaquePointer(raw)
        defer { CRL_DIST_POINTS_free(points) }
        var urls: [String] = []
        for i in 0..<OPENSSL_sk_num(points) {
            guard let point = OPENSSL_sk_value(points, i)?.assumingMemoryBound(to: DIST_POINT.self),
                  let name = point.pointee.distpoint, name.pointee.type == 0,  // 0: fullName (RFC 5280 §4.2.1.13)
                  let full = name.pointee.name.fullname else { continue }
            urls += generalNames(full).compactMap(uri)
        }
        return urls
    }

    static func authorityInfoAccess(_ x: OpaquePointer) -> (ocsp: [String], caIssuers: [String]) {
        guard let raw = X509_get_ext_d2i(x, NID_info_access, nil, nil) else { return ([], []) }
        let access = OpaquePointer(raw)
        defer { AUTHORITY_INFO_ACCESS_free(access) }
        var ocsp: [String] = []
        var caIssuers: [String] = []
        for i in 0..<OPENSSL_sk_num(access) {
            guard let entry = OPENSSL_sk_value(access, i)?.assumingMemoryBound(to: ACCESS_DESCRIPTION.self),
                  let location = entry.pointee.location, let url = uri(location) else { continue }
            switch OBJ_obj2nid(entry.pointee.method) {
            case NID_ad_OCSP: ocsp.append(url)
            case NID_ad_ca_issuers: caIssuers.append(url)
            default: break
            }
        }
        return (ocsp, caIssuers)
    }

    // MARK: GENERAL_NAME

    static func generalNames(_ names: OpaquePointer) -> [UnsafeMutablePointer<GENERAL_NAME>] {
        (0..<OPENSSL_sk_num(names)).compactMap { OPENSSL_sk_value(names, $0)?.assumingMemoryBound(to: GENERAL_NAME.self) }
    }

    static func uri(_ name: UnsafeMutablePointer<GENERAL_NAME>) -> String? {
        name.pointee.type == GEN_URI ? string(name.pointee.d.uniformResourceIdentifier) : nil
    }

    static func describe(_ name: UnsafeMutablePointer<GENERAL_NAME>) -> String {
        switch name.pointee.type {
        case GEN_DNS: return "DNS:" + (string(name.pointee.d.dNSName) ?? "")
        case GEN_EMAIL: return "email:" + (string(name.pointee.d.rfc822Name) ?? "")
        case GEN_URI: return "URI:" + (string(name.pointee.d.uniformResourceIdentifier) ?? "")
        case GEN_IPADD: return "IP:" + ipAddress(name.pointee.d.iPAddress)
        default: return withMemoryBIO { bio in GENERAL_NAME_print(bio, name) == 1 }
        }
    }

    static func bytes(_ s: UnsafeMutablePointer<ASN1_STRING>?) -> [UInt8]? {
        guard let s, let data = ASN1_STRING_get0_data(s) else { return nil }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(s))))
    }

    static func string(_ s: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        bytes(s).map { String(decoding: $0, as: UTF8.self) }
    }

    static func ipAddress(_ s: UnsafeMutablePointer<ASN1_STRING>?) -> String {
        bytes(s).map(ipAddress) ?? ""
    }

    /// An iPAddress GeneralName's octets: IPv4 or IPv6 text, else their count and hex.
    static func ipAddress(_ b: [UInt8]) -> String {
        let family: Int32
        switch b.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return "<\(b.count) bytes: \(Digest.hex(b))>"
        }
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, b, &out, socklen_t(out.count)) != nil else { return Digest.hex(b) }
        return text(out)
    }

    /// A NUL-terminated C buffer as a string.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `print` against a fresh memory BIO and returns what it wrote (empty when it failed).
    static func withMemoryBIO(_ print: (OpaquePointer) -> Bool) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard print(bio) else {
            ERR_clear_error()
            return ""
        }
        var data: UnsafeMutablePointer<CChar>?
        let length = revenant_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }
}

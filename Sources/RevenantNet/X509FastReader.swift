import COpenSSL
import Foundation
import RevenantCore
import RevenantCrypto

/// `CertificateInfo` read from the DER alone (`CertificateDER`), without an OpenSSL `X509`, for
/// certificates in the plain profile nearly all are in: v3, strict DER, an RSA or named-curve EC
/// key, an RSA PKCS#1 v1.5 or ECDSA signature, the usual extensions in their usual forms. Each
/// fact is what `X509Certificate.read` gets from OpenSSL for the same bytes: the names of
/// algorithms, curves and attributes come from OpenSSL's own object table, and a name whose
/// printing or comparison needs more than ASCII is printed or compared by OpenSSL. On anything
/// else `info` returns nil and the caller decodes with OpenSSL, as before: a doubt is never guessed.
enum X509FastReader {
    /// The facts of the certificate at the start of `der`, and the length of its encoding; nil
    /// when it is not in the plain profile (or not a certificate).
    static func info(_ der: [UInt8]) -> (info: CertificateInfo, length: Int)? {
        guard let c = try? CertificateDER(der), !c.hasDuplicateExtensions,
              let signature = Tables.shared.signature(c), let key = Tables.shared.key(c),
              let notBefore = CertificateDER.time(c.notBefore, in: der), let notAfter = CertificateDER.time(c.notAfter, in: der)
        else { return nil }
        var isCA = false
        var altNames: [String] = []
        var crl: [String] = []
        var access: (ocsp: [String], caIssuers: [String]) = ([], [])
        if let value = c.extensionValue(CertificateDER.OID.basicConstraints) {
            guard let ca = c.basicConstraintsCA(value) else { return nil }
            isCA = ca
        }
        if let value = c.extensionValue(CertificateDER.OID.subjectAltName) {
            guard let names = c.generalNames(value), let described = describe(names) else { return nil }
            altNames = described
        }
        if let value = c.extensionValue(CertificateDER.OID.crlDistributionPoints) {
            guard let uris = c.crlDistributionPointURIs(value) else { return nil }
            crl = uris.map(text)
        }
        if let value = c.extensionValue(CertificateDER.OID.authorityInfoAccess) {
            guard let uris = c.authorityInfoAccessURIs(value) else { return nil }
            access = (uris.ocsp.map(text), uris.caIssuers.map(text))
        }
        guard let subject = NameText.render(c.subject, in: der), let issuer = NameText.render(c.issuer, in: der),
              let selfSigned = isSelfSigned(c, keyFamily: key.family, signatureFamily: signature.family) else { return nil }
        let digest = der.withUnsafeBytes { raw in Digest.sha256(UnsafeRawBufferPointer(rebasing: raw[c.encoding])) }
        let info = CertificateInfo(
            subject: subject, issuer: issuer, serial: serialHex(der[c.serial]), subjectAltNames: altNames,
            notBefore: Date(timeIntervalSince1970: TimeInterval(notBefore)), notAfter: Date(timeIntervalSince1970: TimeInterval(notAfter)),
            keyType: key.type, keyBits: key.bits, curve: key.curve,
            signatureAlgorithm: signature.name, signatureDigest: signature.digest, sha256: Digest.hex(digest),
            crlDistributionPoints: crl, ocspURLs: access.ocsp, caIssuerURLs: access.caIssuers,
            isCA: isCA, isSelfSigned: selfSigned)
        return (info, c.encoding.count)
    }

    /// OpenSSL's EXFLAG_SS (see `X509FastDecoder.isSelfSigned`): issuer and subject equal as
    /// X509_NAME_cmp compares them, a matching (or no) authority key id, and a signature made with
    /// the kind of key the certificate holds. nil: only OpenSSL can tell.
    static func isSelfSigned(_ c: CertificateDER, keyFamily: Int32, signatureFamily: Int32) -> Bool? {
        guard let same = NameText.equal(c.subject, c.issuer, in: c.bytes) else { return nil }
        guard same else { return false }
        if let value = c.extensionValue(CertificateDER.OID.authorityKeyIdentifier) {
            guard let akid = c.authorityKeyIdentifier(value) else { return nil }
            if let id = akid, let skidValue = c.extensionValue(CertificateDER.OID.subjectKeyIdentifier) {
                guard let skid = c.subjectKeyIdentifier(skidValue) else { return nil }
                if !id.elementsEqual(skid) { return false }
            }
        }
        return keyFamily == signatureFamily
    }

    /// "DNS:…", "email:…", "URI:…", "IP:…" as `X509Certificate.describe` writes them; nil for other kinds.
    static func describe(_ names: [CertificateDER.GeneralName]) -> [String]? {
        var out: [String] = []
        out.reserveCapacity(names.count)
        for name in names {
            switch name {
            case .dns(let b): out.append("DNS:" + text(b))
            case .email(let b): out.append("email:" + text(b))
            case .uri(let b): out.append("URI:" + text(b))
            case .ip(let b): out.append("IP:" + X509Certificate.ipAddress(Array(b)))
            case .other: return nil
            }
        }
        return out
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// BN_bn2hex of a non-negative INTEGER, lower-cased: whole bytes without leading zero bytes, "0" for zero.
    static func serialHex(_ contents: ArraySlice<UInt8>) -> String {
        let significant = contents.drop { $0 == 0 }
        return significant.isEmpty ? "0" : Digest.hex(significant)
    }

    /// The algorithm, curve and attribute names of OpenSSL's object table that the plain profile uses,
    /// by OID contents; read once per process.
    final class Tables: Sendable {
        static let shared = Tables()

        struct Signature {
            let oid: [UInt8]
            let name: String
            let digest: String?
            /// The key type the signature is made with (OBJ_find_sigid_algs' pkey NID).
            let family: Int32
        }

        struct Curve {
            let oid: [UInt8]
            let name: String
            let bits: Int
        }

        let signatures: [Signature]
        let curves: [Curve]
        let rsaEncryption: [UInt8]
        let ecPublicKey: [UInt8]

        init() {
            let signatureNIDs = [NID_sha256WithRSAEncryption, NID_ecdsa_with_SHA256, NID_sha384WithRSAEncryption, NID_ecdsa_with_SHA384,
                                 NID_sha512WithRSAEncryption, NID_ecdsa_with_SHA512, NID_sha1WithRSAEncryption, NID_ecdsa_with_SHA1,
                                 NID_sha224WithRSAEncryption, NID_ecdsa_with_SHA224, NID_md5WithRSAEncryption]
            signatures = signatureNIDs.compactMap { nid in
                var digest: Int32 = NID_undef
                var key: Int32 = NID_undef
                guard let oid = Self.oid(nid), let name = OBJ_nid2ln(nid), OBJ_find_sigid_algs(nid, &digest, &key) == 1,
                      digest != NID_undef, let digestName = OBJ_nid2sn(digest) else { return nil }
                return Signature(oid: oid, name: String(cString: name), digest: String(cString: digestName), family: key)
            }
            curves = X509FastDecoder.curveBits.compactMap { nid, bits in
                guard let oid = Self.oid(nid), let name = OBJ_nid2sn(nid) else { return nil }
                return Curve(oid: oid, name: String(cString: name), bits: bits)
            }
            rsaEncryption = Self.oid(NID_rsaEncryption) ?? []
            ecPublicKey = Self.oid(NID_X9_62_id_ecPublicKey) ?? []
        }

        /// The contents of an object's OID as OpenSSL holds it.
        static func oid(_ nid: Int32) -> [UInt8]? {
            guard let object = OBJ_nid2obj(nid), let data = OBJ_get0_data(object) else { return nil }
            let length = Int(OBJ_length(object))
            return length > 0 ? Array(UnsafeBufferPointer(start: data, count: length)) : nil
        }

        /// The signature algorithm when it is one of the plain ones, with no parameters or NULL.
        func signature(_ c: CertificateDER) -> Signature? {
            guard Self.absentOrNull(c.signature.parameters, in: c.bytes) else { return nil }
            return signatures.first { c.bytes[c.signature.oid].elementsEqual($0.oid) }
        }

        /// (type, bits, curve, and the key's NID for the self-signed test) for an RSA key (NULL
        /// parameters) or an EC key on a named curve of the table.
        func key(_ c: CertificateDER) -> (type: String, bits: Int, curve: String?, family: Int32)? {
            let algorithm = c.bytes[c.keyAlgorithm.oid]
            if algorithm.elementsEqual(rsaEncryption) {
                guard let parameters = c.keyAlgorithm.parameters, Self.absentOrNull(parameters, in: c.bytes),
                      let bits = c.rsaModulusBits() else { return nil }
                return ("RSA", bits, nil, NID_rsaEncryption)
            }
            if algorithm.elementsEqual(ecPublicKey) {
                // RFC 5480 §2.1.1: namedCurve; explicit parameters go to OpenSSL.
                guard let parameters = c.keyAlgorithm.parameters, parameters.tag == 0x06, !c.key.isEmpty,
                      let curve = curves.first(where: { c.bytes[parameters.contents].elementsEqual($0.oid) }) else { return nil }
                return ("EC", curve.bits, curve.name, NID_X9_62_id_ecPublicKey)
            }
            return nil
        }

        static func absentOrNull(_ parameters: DERElement?, in bytes: [UInt8]) -> Bool {
            guard let parameters else { return true }
            return parameters.tag == 0x05 && parameters.contents.isEmpty
        }
    }
}

/// The DER reader held against OpenSSL on the same bytes, for the fuzz target and tests: what
/// `X509FastReader` reads must be what OpenSSL reads, and it must read only what OpenSSL decodes.
public enum X509ReaderCrossCheck {
    public enum Outcome: Equatable, Sendable {
        /// The reader left the bytes to OpenSSL.
        case declined
        /// Both read the same facts.
        case agreed
        /// A broken promise, described (no secret: certificates are public).
        case disagreed(String)
    }

    public static func check(_ der: [UInt8]) -> Outcome {
        guard let (fast, length) = X509FastReader.info(der) else { return .declined }
        let openSSL: Result<CertificateInfo, CertificateLoadError>? = der.withUnsafeBufferPointer { buffer in
            guard case let (x509, encoding)? = X509FastDecoder.decode(buffer) else { return nil }
            guard encoding.count == length else {
                X509_free(x509)
                return .failure(CertificateLoadError(.malformed, "OpenSSL read \(encoding.count) bytes, the reader \(length)"))
            }
            do throws(CertificateLoadError) {
                return .success(try X509Certificate(taking: x509, der: encoding).info)
            } catch {
                return .failure(error)
            }
        }
        ERR_clear_error()
        guard let fullyDecoded = X509Certificate.fast(der)?.keyedDecodes, fullyDecoded else {
            return .disagreed("d2i_X509 refuses a certificate the reader read")
        }
        switch openSSL {
        case nil: return .disagreed("OpenSSL refuses a certificate the reader read")
        case .failure(let error)?: return .disagreed("OpenSSL: \(error.reason); the reader read it")
        case .success(let info)? where info != fast: return .disagreed("OpenSSL read \(info), the reader \(fast)")
        case .success?: return .agreed
        }
    }
}

extension X509ReaderCrossCheck {
    /// `PEMCertificateBlocks` against OpenSSL's PEM reader: a file the plain reader reads gives the
    /// same certificates (facts and DER) and the same problem, if any, through OpenSSL's PEM reader.
    public static func checkPEM(_ bytes: [UInt8]) -> Outcome {
        guard let blocks = PEMCertificateBlocks.blocks(bytes) else { return .declined }
        let plain = X509Loader.pem(bytes)
        let openSSL = X509Loader.pem(bytes, plainBlocks: false)
        ERR_clear_error()
        guard openSSL.1 == plain.1 else {
            return .disagreed("OpenSSL's PEM reader: \(openSSL.1.map(\.reason) ?? "-"), the plain reader: \(plain.1.map(\.reason) ?? "-") (\(blocks.count) blocks)")
        }
        guard plain.0.map(\.info) == openSSL.0.map(\.info), plain.0.map(\.der) == openSSL.0.map(\.der) else {
            return .disagreed("OpenSSL's PEM reader gives other certificates (\(openSSL.0.count) against \(plain.0.count))")
        }
        return .agreed
    }
}

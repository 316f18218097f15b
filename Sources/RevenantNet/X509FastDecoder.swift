import COpenSSL
import Foundation

/// Decodes certificates without OpenSSL 3.0's per-certificate public-key decoding.
///
/// `d2i_X509` in OpenSSL 3.0 builds a provider decoder context for every certificate's key
/// (`OSSL_DECODER_CTX_new_for_pkey`): 250–380 µs per certificate, most of a directory scan. Decoding
/// in a library context that holds only the `null` provider skips that (~30–45 µs): the ASN.1 is
/// parsed in full, but the key stays undecoded (`X509_get0_pubkey` is nil). What revenant reads
/// from the key (type, size, curve) comes from the SubjectPublicKeyInfo here instead; whatever
/// needs the key itself (signatures, chain verification) uses `X509Certificate.withFullCertificate`.
enum X509FastDecoder {
    /// A library context whose only provider is `null`, so nothing falls back to `default`.
    /// Created once per process, never freed (it outlives every certificate decoded in it).
    nonisolated(unsafe) static let keylessContext: OpaquePointer? = {
        guard let context = OSSL_LIB_CTX_new() else { return nil }
        guard OSSL_PROVIDER_load(context, "null") != nil else {
            OSSL_LIB_CTX_free(context)
            return nil
        }
        return context
    }()

    /// One certificate from DER, key left undecoded, and the bytes it was decoded from (the start of
    /// `der`: anything after the certificate is not part of it); nil when the bytes are not a
    /// certificate. Falls back to `d2i_X509` when the keyless context could not be made.
    static func decode(_ der: UnsafeBufferPointer<UInt8>) -> (x509: OpaquePointer, encoding: UnsafeBufferPointer<UInt8>)? {
        guard let start = der.baseAddress else { return nil }
        var cursor: UnsafePointer<UInt8>? = start
        let x509: OpaquePointer
        if let context = keylessContext {
            guard let value = ASN1_item_d2i_ex(nil, &cursor, der.count, X509_it(), context, nil) else { return nil }
            x509 = OpaquePointer(UnsafeMutableRawPointer(value))
        } else {
            guard let value = d2i_X509(nil, &cursor, der.count) else { return nil }
            x509 = value
        }
        let consumed = cursor.map { $0 - start } ?? der.count
        return (x509, UnsafeBufferPointer(start: start, count: consumed))
    }

    /// (type, bits, curve) from the SubjectPublicKeyInfo for RSA, RSA-PSS and named EC curves, the
    /// keys nearly every certificate has; nil for anything else (the caller decodes the key fully).
    static func keyFacts(_ x: OpaquePointer) -> (type: String, bits: Int, curve: String?)? {
        guard let spki = X509_get_X509_PUBKEY(x) else { return nil }
        var algorithm: OpaquePointer?
        var key: UnsafePointer<UInt8>?
        var keyLength: Int32 = 0
        var parameters: UnsafeMutablePointer<X509_ALGOR>?
        guard X509_PUBKEY_get0_param(&algorithm, &key, &keyLength, &parameters, spki) == 1 else { return nil }
        switch OBJ_obj2nid(algorithm) {
        case NID_rsaEncryption, NID_rsassaPss:
            // RFC 8017 A.1.1 RSAPublicKey, decoded by the legacy ASN.1 code: no provider involved.
            var cursor = key
            guard let rsa = d2i_RSAPublicKey(nil, &cursor, Int(keyLength)) else {
                ERR_clear_error()
                return nil
            }
            defer { RSA_free(rsa) }
            return (OBJ_obj2nid(algorithm) == NID_rsaEncryption ? "RSA" : "RSA-PSS", Int(RSA_bits(rsa)), nil)
        case NID_X9_62_id_ecPublicKey:
            var type: Int32 = 0
            var value: UnsafeRawPointer?
            X509_ALGOR_get0(nil, &type, &value, UnsafePointer(parameters))
            // RFC 5480 §2.1.1: namedCurve is an OID; explicit parameters go the slow way.
            guard type == V_ASN1_OBJECT, let value else { return nil }
            let nid = OBJ_obj2nid(OpaquePointer(value))
            guard let bits = curveBits[nid], let name = OBJ_nid2sn(nid) else { return nil }
            return ("EC", bits, String(cString: name))
        default:
            return nil
        }
    }

    /// Order sizes of the named curves certificates use (what `EVP_PKEY_get_bits` reports).
    static let curveBits: [Int32: Int] = [
        NID_X9_62_prime256v1: 256, NID_secp384r1: 384, NID_secp521r1: 521, NID_secp224r1: 224,
        NID_secp256k1: 256, NID_X9_62_prime192v1: 192,
        NID_brainpoolP256r1: 256, NID_brainpoolP384r1: 384, NID_brainpoolP512r1: 512,
    ]

    /// Self-issued, with no or a matching authority key id, and a signature made with the kind of key
    /// the certificate holds: OpenSSL's EXFLAG_SS test without decoding the key. nil when only the
    /// decoded key can tell (the signature names its key type by another OID than the key does).
    static func isSelfSigned(_ x: OpaquePointer) -> Bool? {
        guard X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0 else { return false }
        let akid = X509_get_ext_d2i(x, NID_authority_key_identifier, nil, nil)?.assumingMemoryBound(to: AUTHORITY_KEYID.self)
        defer { AUTHORITY_KEYID_free(akid) }
        guard X509_check_akid(x, akid) == X509_V_OK else { return false }
        // OpenSSL's check_sig_alg_match compares the key with the signature's key type by name.
        var signatureKey: Int32 = NID_undef
        guard OBJ_find_sigid_algs(X509_get_signature_nid(x), nil, &signatureKey) == 1 else { return false }
        guard let spki = X509_get_X509_PUBKEY(x) else { return nil }
        var algorithm: OpaquePointer?
        guard X509_PUBKEY_get0_param(&algorithm, nil, nil, nil, spki) == 1 else { return nil }
        let keyType = OBJ_obj2nid(algorithm)
        return keyType == signatureKey || (keyType == NID_rsaEncryption && signatureKey == NID_rsassaPss) ? true : nil
    }
}

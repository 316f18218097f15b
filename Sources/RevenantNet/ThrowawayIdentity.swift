import COpenSSL
import Foundation
import RevenantCrypto

/// A self-signed P-256 certificate and key made in memory for one run: what an mTLS probe
/// presents as its negative control. No server should trust it, so one that accepts it accepts anything.
enum ThrowawayIdentity {
    /// PEM of the certificate and of the key, made once per process.
    static let pem: (certificate: [UInt8], key: [UInt8])? = make()

    static func make() -> (certificate: [UInt8], key: [UInt8])? {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) == 1,
              EVP_PKEY_keygen(ctx, &key) == 1, let key else { ERR_clear_error(); return nil }
        defer { EVP_PKEY_free(key) }
        guard let cert = X509_new() else { return nil }
        defer { X509_free(cert) }
        var serial = [UInt8](repeating: 0, count: 16)
        _ = RAND_bytes(&serial, Int32(serial.count))
        serial[0] &= 0x7F
        guard let bn = BN_bin2bn(serial, Int32(serial.count), nil) else { return nil }
        defer { BN_free(bn) }
        let name = X509_get_subject_name(cert)
        let cn = "revenant negative control (not a real identity)"
        guard X509_set_version(cert, 2) == 1, BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nil,
              X509_gmtime_adj(X509_getm_notBefore(cert), -300) != nil, X509_gmtime_adj(X509_getm_notAfter(cert), 86_400) != nil,
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) == 1,
              X509_set_issuer_name(cert, name) == 1, X509_set_pubkey(cert, key) == 1,
              X509_sign(cert, key, EVP_sha256()) > 0 else { ERR_clear_error(); return nil }
        guard let certPEM = PEMWriter.bytes({ PEM_write_bio_X509($0, cert) }),
              let keyPEM = PEMWriter.bytes({ PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }) else { return nil }
        return (certPEM, keyPEM)
    }
}

import COpenSSL
import Foundation

/// RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) signatures with a PEM RSA private key,
/// and fresh RSA keys: what an RFC 7523 JWT bearer assertion is signed with.
public enum RSASigner {
    /// The signature of `message` under the RSA private key in `pem` (PKCS#8 or PKCS#1, unencrypted),
    /// or nil when `pem` holds no such key. The key lives in OpenSSL only for the call.
    public static func signRS256(_ message: [UInt8], privateKeyPEM pem: [UInt8]) -> [UInt8]? {
        defer { ERR_clear_error() }
        guard let key = SealKeyFile.read(pem, { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) }) else { return nil }
        defer { EVP_PKEY_free(key) }
        guard EVP_PKEY_is_a(key, "RSA") == 1, let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1,
              EVP_DigestSign(context, nil, &length, message, message.count) == 1, length > 0 else { return nil }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { return nil }
        return Array(signature.prefix(length))
    }

    /// Whether `pem` holds an RSA private key OpenSSL can sign with.
    public static func canSign(privateKeyPEM pem: [UInt8]) -> Bool {
        signRS256(Array("revenant key check".utf8), privateKeyPEM: pem) != nil
    }

    /// A fresh RSA private key (unencrypted PKCS#8 PEM), e.g. for a negative control that must look
    /// like a real key to the server and be one nobody registered.
    public static func generatePrivateKeyPEM(bits: Int = 2048) -> [UInt8]? {
        defer { ERR_clear_error() }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1,
              EVP_PKEY_generate(context, &key) == 1, let key else { return nil }
        defer { EVP_PKEY_free(key) }
        return PEMWriter.bytes { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }
}

/// What an OpenSSL PEM writer puts in a memory BIO, as bytes.
public enum PEMWriter {
    public static func bytes(_ write: (OpaquePointer) -> Int32) -> [UInt8]? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { ERR_clear_error(); return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = revenant_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { return nil }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}

import COpenSSL
import Foundation

/// The Ed25519 private key that signs seals (RFC 8032, pure Ed25519: the statement itself is signed,
/// no digest first, as `openssl pkeyutl -sign -rawin` does), read from an unencrypted PKCS#8 PEM file.
public final class SealSigningKey {
    /// The `EVP_PKEY`, freed with this value.
    private let pointer: OpaquePointer
    /// What a statement names the key by: `sha256:` and the hex SHA-256 of its public key's DER SubjectPublicKeyInfo.
    public let keyID: String

    /// Reads the key from `pem` (the bytes of `file`), then wipes `pem`: the key's bytes stay only in OpenSSL.
    /// Anything but an Ed25519 private key is refused, by `file` and what it holds; no key byte is ever in a message.
    public init(pem: inout [UInt8], file: String) throws(SealError) {
        defer {
            pem.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            ERR_clear_error()
        }
        let expected = "a seal key is an unencrypted PKCS#8 Ed25519 private key in PEM, as `openssl genpkey -algorithm ed25519` writes"
        if SealKeyFile.contains(pem, "ENCRYPTED PRIVATE KEY") { throw SealError(.key, "\(file): the private key is encrypted; \(expected)") }
        guard let pointer = SealKeyFile.read(pem, { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) }) else {
            let holds = SealKeyFile.contains(pem, "PUBLIC KEY") ? "holds a public key, not the private key" : "holds no PEM private key OpenSSL reads"
            throw SealError(.key, "\(file): \(holds); \(expected)")
        }
        var keep = false
        defer { if !keep { EVP_PKEY_free(pointer) } }
        guard EVP_PKEY_is_a(pointer, "ED25519") == 1 else {
            throw SealError(.key, "\(file): holds a key of type \(SealKeyFile.typeName(pointer)); \(expected)")
        }
        guard let id = SealKeyFile.keyID(pointer) else { throw SealError(.key, "\(file): OpenSSL cannot write the key's public half") }
        // Usable, not only readable: one signature now, so a run never learns at its end that it cannot seal.
        guard Self.sign(Array("revenant seal key check".utf8), with: pointer) != nil else {
            throw SealError(.key, "\(file): OpenSSL could not sign with this key")
        }
        keep = true
        self.pointer = pointer
        keyID = id
    }

    deinit { EVP_PKEY_free(pointer) }

    /// The 64-byte Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8]? { Self.sign(message, with: pointer) }

    private static func sign(_ message: [UInt8], with key: OpaquePointer) -> [UInt8]? {
        defer { ERR_clear_error() }
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = signature.count
        // Ed25519 takes no digest: EVP_DigestSign with a NULL digest signs the message itself (one shot).
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1,
              EVP_DigestSign(context, &signature, &length, message, message.count) == 1, length == 64 else { return nil }
        return signature
    }
}

/// The Ed25519 public key a seal is checked with, read from a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) file.
public final class SealVerifyingKey {
    private let key: PublicKey
    /// `sha256:` and the hex SHA-256 of the key's DER SubjectPublicKeyInfo, as a statement names it.
    public let keyID: String

    public init(pem: [UInt8], file: String) throws(SealError) {
        defer { ERR_clear_error() }
        let expected = "expected an Ed25519 public key in PEM (`openssl pkey -in seal-key.pem -pubout`)"
        if SealKeyFile.contains(pem, "PRIVATE KEY") {
            throw SealError(.key, "\(file): holds a private key, which stays with whoever seals; \(expected)")
        }
        guard let pointer = SealKeyFile.read(pem, { bio in PEM_read_bio_PUBKEY(bio, nil, { _, _, _, _ in 0 }, nil) }) else {
            throw SealError(.key, "\(file): holds no PEM public key OpenSSL reads; \(expected)")
        }
        key = PublicKey(pointer)
        guard EVP_PKEY_is_a(pointer, "ED25519") == 1 else {
            throw SealError(.key, "\(file): holds a key of type \(SealKeyFile.typeName(pointer)); \(expected)")
        }
        guard let id = SealKeyFile.keyID(pointer) else { throw SealError(.key, "\(file): OpenSSL cannot write the key") }
        keyID = id
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    public func verifies(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        defer { ERR_clear_error() }
        return signature.count == 64 && JWKSVerifier.digestVerify(key, digest: nil, pss: false, signature: signature, message: message)
    }
}

/// What both seal keys read from their PEM files.
enum SealKeyFile {
    /// The key a PEM reader finds in `bytes`, through a memory BIO that lives only for the call.
    static func read(_ bytes: [UInt8], _ reader: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        bytes.withUnsafeBytes { buffer in
            // BIO_new_mem_buf does not copy: the BIO is freed before `bytes` can go.
            guard !buffer.isEmpty, let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(clamping: buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return reader(bio)
        }
    }

    /// Whether a PEM label such as `BEGIN ENCRYPTED PRIVATE KEY` is in `bytes` (searched as bytes: a private
    /// key's text is never copied into a string).
    static func contains(_ bytes: [UInt8], _ label: String) -> Bool {
        let needle = Array("-----BEGIN \(label)-----".utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { start in bytes[start..<(start + needle.count)].elementsEqual(needle) }
    }

    /// "RSA", "EC", "ED448" … for saying what a file holds instead.
    static func typeName(_ key: OpaquePointer) -> String {
        EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
    }

    /// `sha256:` and the hex SHA-256 of the key's DER SubjectPublicKeyInfo (`openssl pkey -pubout -outform DER | sha256sum`).
    static func keyID(_ key: OpaquePointer) -> String? {
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        guard written == length else { return nil }
        return "sha256:" + Digest.hex(Digest.sha256(der))
    }
}

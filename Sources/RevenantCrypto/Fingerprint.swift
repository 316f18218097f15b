import COpenSSL
import Foundation
import RevenantCore

/// SHA-256 and HMAC-SHA-256 from OpenSSL, and the secret fingerprints every output carries instead of secrets.
public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { sha256($0) }
    }

    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = EVP_Digest(bytes.baseAddress, bytes.count, &out, &len, sha256Implementation ?? EVP_sha256(), nil)
        precondition(ok == 1, "EVP_Digest(SHA-256) failed")
        return out
    }

    /// SHA-256 fetched once from the default library context: `EVP_sha256()` makes every digest
    /// look its implementation up again (OpenSSL 3 "implicit fetch"). An EVP_MD is immutable once
    /// fetched and safe to share between threads; kept for the life of the process.
    nonisolated(unsafe) static let sha256Implementation: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    public static func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }

    public static func hmacSHA256(key: [UInt8], _ bytes: [UInt8]) -> [UInt8] { hmac(EVP_sha256(), size: 32, key: key, bytes) }

    /// HMAC-SHA-1: only for reading hashed OpenSSH known_hosts names (`|1|salt|hash`), which use it.
    public static func hmacSHA1(key: [UInt8], _ bytes: [UInt8]) -> [UInt8] { hmac(EVP_sha1(), size: 20, key: key, bytes) }

    static func hmac(_ md: OpaquePointer?, size: Int, key: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var len: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            bytes.withUnsafeBytes { b in
                HMAC(md, k.baseAddress, Int32(k.count), b.bindMemory(to: UInt8.self).baseAddress, b.count, &out, &len)
            }
        }
        precondition(result != nil, "HMAC failed")
        return out
    }

    /// Lowercase hex. Inlinable so that each caller gets it for its own collection: generic, every
    /// byte went through the collection's witnesses (a certificate's fingerprint and serial each).
    @inlinable
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let digits: StaticString = "0123456789abcdef"
            var i = 0
            for b in bytes {
                out[i] = digits.utf8Start[Int(b >> 4)]
                out[i + 1] = digits.utf8Start[Int(b & 0x0f)]
                i += 2
            }
            return i
        }
    }
}

/// SHA-256 over bytes given piece by piece (a ledger read one line at a time); one OpenSSL context, freed with it.
public final class SHA256Stream {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            preconditionFailure("EVP_DigestInit_ex(SHA-256) failed")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: [UInt8]) {
        let ok = bytes.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        precondition(ok == 1, "EVP_DigestUpdate(SHA-256) failed")
    }

    /// The digest of everything given so far; more may be given after (a copy of the context is finished).
    public func digest() -> [UInt8] {
        guard let copy = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(copy) }
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        precondition(EVP_MD_CTX_copy_ex(copy, context) == 1 && EVP_DigestFinal_ex(copy, &out, &len) == 1, "SHA-256 failed")
        return out
    }
}

/// Names a secret without revealing it: `sha256:` + 16 hex, or `hmac-sha256:` + 16 hex with a key.
public struct Fingerprinter: Sendable {
    let key: [UInt8]?

    public init(key: String? = nil) {
        self.key = key.map { Array($0.utf8) }
    }

    public init(key: Secret?) {
        self.key = key?.bytes
    }

    /// Of the secret's bytes as stored (a Latin-1 password is fingerprinted as Latin-1).
    public func fingerprint(_ secret: Secret) -> String { fingerprint(bytes: secret.bytes) }

    public func fingerprint(_ secret: String) -> String { fingerprint(bytes: Array(secret.utf8)) }

    public func fingerprint(bytes: [UInt8]) -> String {
        if let key {
            return "hmac-sha256:" + Digest.hex(Digest.hmacSHA256(key: key, bytes).prefix(8))
        }
        return "sha256:" + Digest.hex(Digest.sha256(bytes).prefix(8))
    }
}

/// SHA-256 fed in pieces, for inputs too large to hold at once (a history run's inventory digest).
public final class SHA256Hasher {
    private let context = EVP_MD_CTX_new()

    public init() {
        precondition(context != nil && EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    public func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &len) == 1, "EVP_DigestFinal_ex failed")
        return out
    }
}

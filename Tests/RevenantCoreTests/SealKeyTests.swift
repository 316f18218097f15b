import Foundation
import RevenantCore
import RevenantCrypto
import Testing
import TestSupport

/// Seal keys (docs/evidence.md "Sealing"): an Ed25519 private key signs through OpenSSL, its public
/// key verifies, and every other key or file is refused by name. Keys are made by the openssl CLI
/// at test time, never committed.
@Suite struct SealKeyTests {
    /// One directory of keys for the whole suite, made once and removed when the test process ends.
    static let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("revenant-seal-keys-\(UUID().uuidString)")
    static let keys: Result<String, PKIError> = Result { () throws(PKIError) in
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: SealKeyTests.directory) }
        try Shell.run("""
            set -eu
            openssl genpkey -algorithm ed25519 -out ed.pem
            openssl pkey -in ed.pem -pubout -out ed-public.pem
            openssl pkey -in ed.pem -pubout -outform DER | sha256sum | cut -c1-64 > ed-public.sha256
            openssl genpkey -algorithm ed25519 -out other.pem
            openssl pkey -in other.pem -pubout -out other-public.pem
            openssl genpkey -algorithm ed448 -out ed448.pem
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem
            openssl pkey -in ec.pem -pubout -out ec-public.pem
            openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null
            openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret -out encrypted.pem
            printf 'hello\\n' > message
            openssl pkeyutl -sign -inkey ed.pem -rawin -in message -out message.sig
            head -c 300 /dev/urandom > garbage.pem
            : > empty.pem
            """, in: directory)
        return directory
    }

    static func file(_ name: String) throws -> String {
        (try keys.get() as NSString).appendingPathComponent(name)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try #require(FileManager.default.contents(atPath: try file(name))))
    }

    static func signingKey(_ name: String) throws -> SealSigningKey {
        var pem = try bytes(name)
        return try SealSigningKey(pem: &pem, file: name)
    }

    @Test func anEd25519KeySignsAndOnlyItsPublicKeyVerifies() throws {
        let key = try Self.signingKey("ed.pem")
        let publicKey = try SealVerifyingKey(pem: try Self.bytes("ed-public.pem"), file: "ed-public.pem")
        let other = try SealVerifyingKey(pem: try Self.bytes("other-public.pem"), file: "other-public.pem")
        let message = Array("revenant-seal v1\nrecords: 3\n".utf8)
        let signature = try #require(key.sign(message))
        #expect(signature.count == 64)
        #expect(publicKey.verifies(signature, of: message))
        #expect(!other.verifies(signature, of: message), "another key's public half")
        #expect(!publicKey.verifies(signature, of: message + [0x0A]), "a changed message")
        var flipped = signature
        flipped[10] ^= 0x01
        #expect(!publicKey.verifies(flipped, of: message), "a changed signature")
        #expect(!publicKey.verifies(Array(signature.prefix(63)), of: message), "a short signature")
        // Both halves name the key alike, as `openssl pkey -pubout -outform DER | sha256sum` does.
        let expected = try String(contentsOfFile: try Self.file("ed-public.sha256"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.keyID == "sha256:" + expected && publicKey.keyID == key.keyID)
        #expect(other.keyID != key.keyID)
    }

    @Test func aSignatureMadeByStockOpenSSLVerifies() throws {
        let publicKey = try SealVerifyingKey(pem: try Self.bytes("ed-public.pem"), file: "ed-public.pem")
        #expect(publicKey.verifies(try Self.bytes("message.sig"), of: Array("hello\n".utf8)))
        #expect(!publicKey.verifies(try Self.bytes("message.sig"), of: Array("hellp\n".utf8)))
    }

    @Test func thePEMBytesAreWipedOnceRead() throws {
        var pem = try Self.bytes("ed.pem")
        _ = try SealSigningKey(pem: &pem, file: "ed.pem")
        #expect(!pem.isEmpty && pem.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [
        ("rsa.pem", "holds a key of type RSA"), ("ec.pem", "holds a key of type EC"), ("ed448.pem", "holds a key of type ED448"),
        ("encrypted.pem", "the private key is encrypted"), ("ed-public.pem", "holds a public key, not the private key"),
        ("garbage.pem", "holds no PEM private key"), ("empty.pem", "holds no PEM private key"),
    ])
    func anythingButAnEd25519PrivateKeyIsRefusedByName(name: String, why: String) throws {
        let text = String(decoding: try Self.bytes(name), as: UTF8.self)
        do {
            _ = try Self.signingKey(name)
            Issue.record("\(name) was taken as a seal key")
        } catch let error as SealError {
            #expect(error.code == .key)
            #expect(error.message.hasPrefix("\(name): \(why)"), "\(error.message)")
            #expect(error.message.contains("Ed25519"), "says what is expected: \(error.message)")
            // No line of the key's base64 body is in the message.
            for line in text.split(separator: "\n") where line.count > 20 && !line.hasPrefix("-----") {
                #expect(!error.message.contains(line))
            }
        }
    }

    @Test(arguments: [
        ("ed.pem", "holds a private key"), ("ec-public.pem", "holds a key of type EC"), ("garbage.pem", "holds no PEM public key"),
        ("empty.pem", "holds no PEM public key"),
    ])
    func aPublicKeyFileHoldsAnEd25519PublicKey(name: String, why: String) throws {
        #expect(throws: SealError.self) { try SealVerifyingKey(pem: try Self.bytes(name), file: name) }
        do { _ = try SealVerifyingKey(pem: try Self.bytes(name), file: name) } catch let error as SealError {
            #expect(error.code == .key && error.message.hasPrefix("\(name): \(why)"), "\(error.message)")
        }
    }
}

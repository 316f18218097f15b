import COpenSSL

extension Digest {
    /// SHA-1: only to match an OpenSSH KRL's SHA-1 key-hash section (PROTOCOL.krl), which uses it.
    public static func sha1(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var len: UInt32 = 0
        let ok = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &out, &len, EVP_sha1(), nil) }
        precondition(ok == 1, "EVP_Digest(SHA-1) failed")
        return out
    }
}

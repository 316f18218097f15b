import Foundation
import RevenantCore

/// An OpenSSH `known_hosts` file read for SSH host-key pins (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
/// `host[,host…] keytype base64 [comment]`, `[host]:port` for other ports, hashed names
/// `|1|salt|hash` (HMAC-SHA1 of the name under the salt). Wildcard patterns, negations and
/// `@cert-authority` lines pin nothing (a pattern is not one host's key); a `@revoked` key is
/// never a pin. Pure apart from reading the file.
public struct KnownHosts: Sendable {
    struct Entry: Sendable {
        var names: [String]
        var hashed: [(salt: [UInt8], hash: [UInt8])]
        var keyType: String
        var blob: [UInt8]
    }

    var entries: [Entry] = []
    var revoked: Set<[UInt8]> = []

    /// Key types in the order libssh offers them, so the pin is the key the server will show.
    static let preference = ["ssh-ed25519", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256", "ssh-rsa"]

    public init(text: String) {
        for raw in text.split(whereSeparator: \.isNewline) {
            var fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            var marker: String?
            if first.hasPrefix("@") { marker = first; fields.removeFirst() }
            guard fields.count >= 3, let blob = Data(base64Encoded: fields[2]).map(Array.init) else { continue }
            if marker == "@revoked" { revoked.insert(blob); continue }
            if marker != nil { continue }
            var entry = Entry(names: [], hashed: [], keyType: fields[1], blob: blob)
            for pattern in fields[0].split(separator: ",").map(String.init) {
                if pattern.hasPrefix("|1|") {
                    let parts = pattern.split(separator: "|").map(String.init)
                    if parts.count == 3, let salt = Data(base64Encoded: parts[1]), let hash = Data(base64Encoded: parts[2]) {
                        entry.hashed.append((Array(salt), Array(hash)))
                    }
                } else if !pattern.contains(where: { "*?!".contains($0) }) {
                    entry.names.append(pattern.lowercased())
                }
            }
            if !entry.names.isEmpty || !entry.hashed.isEmpty { entries.append(entry) }
        }
    }


    /// `SHA256:<base64>` of the host key recorded for `host` at `port`, or nil when none is (or
    /// the only ones recorded are revoked).
    public func pin(host: String, port: Int) -> String? {
        let name = port == 22 ? host.lowercased() : "[\(host.lowercased())]:\(port)"
        let nameBytes = Array(name.utf8)
        let matching = entries.filter { entry in
            !revoked.contains(entry.blob)
                && (entry.names.contains(name) || entry.hashed.contains { Digest.hmacSHA1(key: $0.salt, nameBytes) == $0.hash })
        }
        let best = matching.min { rank($0.keyType) < rank($1.keyType) }
        return best.map { "SHA256:" + Data(Digest.sha256($0.blob)).base64EncodedString().replacingOccurrences(of: "=", with: "") }
    }

    func rank(_ type: String) -> Int { KnownHosts.preference.firstIndex(of: type) ?? KnownHosts.preference.count }
}

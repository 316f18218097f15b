import Foundation
import Testing
import RevenantCore
import RevenantCrypto

/// Reading host-key pins from OpenSSH known_hosts text.
@Suite struct KnownHostsTests {
    // Two throwaway public key blobs (any bytes do: only their SHA-256 matters here).
    static let ed = Data("ed25519-blob-for-tests".utf8).base64EncodedString()
    static let rsa = Data("rsa-blob-for-tests".utf8).base64EncodedString()
    static func pin(_ blob: String) -> String {
        "SHA256:" + Data(Digest.sha256(Array(Data(base64Encoded: blob)!))).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    @Test func plainNamesPortsAndPreferredKeyType() {
        let hosts = KnownHosts(text: """
            # comment
            bastion.example.com,10.0.0.5 ssh-rsa \(Self.rsa)
            bastion.example.com ssh-ed25519 \(Self.ed) root@bastion
            [git.example.com]:2222 ssh-rsa \(Self.rsa)
            """)
        // Both types recorded: the one libssh prefers (Ed25519) is what the server will show.
        #expect(hosts.pin(host: "bastion.example.com", port: 22) == Self.pin(Self.ed))
        #expect(hosts.pin(host: "BASTION.example.com", port: 22) == Self.pin(Self.ed))
        #expect(hosts.pin(host: "10.0.0.5", port: 22) == Self.pin(Self.rsa))
        #expect(hosts.pin(host: "git.example.com", port: 2222) == Self.pin(Self.rsa))
        #expect(hosts.pin(host: "git.example.com", port: 22) == nil, "the port is part of the name")
        #expect(hosts.pin(host: "other.example.com", port: 22) == nil)
    }

    @Test func hashedNamesAreMatchedAndPatternsOrRevokedKeysPinNothing() {
        let salt = Array("0123456789abcdef0123".utf8)
        let hash = Digest.hmacSHA1(key: salt, Array("[db.example.com]:2200".utf8))
        let hashed = "|1|\(Data(salt).base64EncodedString())|\(Data(hash).base64EncodedString())"
        let hosts = KnownHosts(text: """
            \(hashed) ssh-ed25519 \(Self.ed)
            *.example.com ssh-rsa \(Self.rsa)
            @cert-authority *.corp.example ssh-rsa \(Self.rsa)
            @revoked * ssh-ed25519 \(Self.ed)
            legacy.example.com ssh-ed25519 \(Self.ed)
            """)
        // Revoked: the hashed entry's key is on the @revoked line, so it pins nothing either.
        #expect(hosts.pin(host: "db.example.com", port: 2200) == nil)
        #expect(hosts.pin(host: "legacy.example.com", port: 22) == nil)
        #expect(hosts.pin(host: "www.example.com", port: 22) == nil, "a wildcard is not one host's key")
        let clean = KnownHosts(text: "\(hashed) ssh-ed25519 \(Self.ed)")
        #expect(clean.pin(host: "db.example.com", port: 2200) == Self.pin(Self.ed))
        #expect(clean.pin(host: "db.example.com", port: 22) == nil)
    }
}

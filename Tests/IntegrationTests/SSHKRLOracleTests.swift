import Foundation
import Testing
import RevenantCore

/// revenant's KRL reader against OpenSSH's own: `ssh-keygen -k` writes a KRL (serial lists,
/// ranges and bitmaps, key ids, an explicit key), and for each certificate `ssh-keygen -Q` says
/// whether it is revoked; `SSHKeyRevocationList.revocation` must agree on every one.
@Suite struct SSHKRLOracleTests {
    @Test func everyCertificateIsRevokedExactlyWhenSSHKeygenSaysSo() async throws {
        let work = try WorkDirectory("ssh-krl-oracle")
        defer { work.remove() }
        func keygen(_ args: [String]) async throws -> CommandResult {
            try await run("/usr/bin/ssh-keygen", ["-q"] + args, cwd: work.url)
        }
        for name in ["ca", "k", "banned"] {
            #expect(try await keygen(["-t", "ed25519", "-N", "", "-C", name, "-f", name]).status == 0)
        }
        // Odd serials 1001…1199 (ssh-keygen packs them as a bitmap), a range, single serials, a key id, a key.
        var spec = (0..<100).map { "serial: \(1001 + 2 * $0)" }
        spec += ["serial: 60-70", "serial: 100000-900000", "serial: 2", "serial: 4294967301", "id: id-5000",
                 "key: " + (try String(contentsOf: work.file("banned.pub"), encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)]
        _ = try work.write("spec", spec.joined(separator: "\n") + "\n")
        #expect(try await keygen(["-k", "-f", "krl", "-s", "ca.pub", "spec"]).status == 0)
        let krl = try SSHKeyRevocationList.parse([UInt8](try Data(contentsOf: work.file("krl"))))
        // Each kind of entry is there, so each kind of lookup is compared.
        #expect(!krl.certificates.flatMap(\.bitmaps).isEmpty, "no bitmap section: its reading would go untested")
        #expect(krl.certificates.contains { $0.serialRanges.contains { $0.count > 1 } } && !krl.explicitKeys.isEmpty)
        #expect(krl.certificates.contains { $0.keyIDs.contains(Array("id-5000".utf8)) })

        let serials: [UInt64] = [1, 2, 3, 59, 60, 65, 70, 71, 999, 1000, 1001, 1002, 1003, 1100, 1101, 1199, 1200, 1201, 5000, 99_999, 100_000, 500_000, 900_000, 900_001, 4_294_967_301, 4_294_967_302]
        var cases: [(name: String, key: String, serial: UInt64)] = serials.map { ("c\($0)", "k", $0) }
        cases.append(("banned-cert", "banned", 7))
        var revokedCount = 0
        for c in cases {
            let pub = work.file("\(c.name).pub").path
            try FileManager.default.copyItem(atPath: work.file("\(c.key).pub").path, toPath: pub)
            #expect(try await keygen(["-s", "ca", "-I", "id-\(c.serial)", "-n", "alice", "-z", "\(c.serial)", pub]).status == 0)
            let certFile = work.file("\(c.name)-cert.pub").path
            let cert = try SSHCertificate.parse(file: [UInt8](try Data(contentsOf: URL(fileURLWithPath: certFile))))
            #expect(cert.serial == c.serial && cert.keyID == "id-\(c.serial)")
            let openssh = try await keygen(["-Q", "-f", "krl", certFile])
            let theirs = openssh.stdout.contains("REVOKED")
            let ours = krl.revocation(of: cert, sha256: { _ in [] }, sha1: { _ in [] })
            #expect((ours != nil) == theirs, "\(c.name): ssh-keygen -Q says \(openssh.stdout), revenant says \(ours ?? "not revoked")")
            if theirs { revokedCount += 1 }
        }
        // The oracle itself saw both answers (else agreeing proves little).
        #expect(revokedCount >= 8 && revokedCount < cases.count, "\(revokedCount) of \(cases.count) revoked")
    }

    /// KRLs OpenSSH refuses to read (`ssh-keygen -Q`: "Invalid KRL file"; sshd refuses every key with
    /// one): serial 0 in a list, a range or a bitmap, a negative bitmap, a bitmap past serial 2^64-1, a
    /// SHA-1 or SHA-256 hash of the wrong length.
    /// revenant must not read them either, else it would say a serial-0 certificate is revoked at the CA.
    @Test func krlsOpenSSHRefusesAreUnreadable() async throws {
        let work = try WorkDirectory("ssh-krl-refused")
        defer { work.remove() }
        func keygen(_ args: [String]) async throws -> CommandResult {
            try await run("/usr/bin/ssh-keygen", ["-q"] + args, cwd: work.url)
        }
        for name in ["ca", "k"] {
            #expect(try await keygen(["-t", "ed25519", "-N", "", "-C", name, "-f", name]).status == 0)
        }
        #expect(try await keygen(["-s", "ca", "-I", "no-serial", "-n", "alice", "k.pub"]).status == 0)  // serial 0
        let cert = try SSHCertificate.parse(file: [UInt8](try Data(contentsOf: work.file("k-cert.pub"))))
        #expect(cert.serial == 0)
        func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
        func string(_ b: [UInt8]) -> [UInt8] { u32(UInt32(b.count)) + b }
        func u64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }
        let header = Array("SSHKRL\n\0".utf8) + [0, 0, 0, 1] + u64(1) + u64(0) + u64(0) + string([]) + string([])
        func krl(_ kind: UInt8, _ data: [UInt8]) -> [UInt8] {
            let section = string(cert.signatureKey) + string([]) + [kind] + string(data)
            return header + [1] + string(section)
        }
        let refused: [(String, [UInt8])] = [
            ("list0", krl(0x20, u64(0))), ("range0", krl(0x21, u64(0) + u64(10))), ("bitmap0", krl(0x22, u64(0) + string([0x01]))),
            ("negative", krl(0x22, u64(1) + string([0x80]))), ("wraps", krl(0x22, u64(UInt64.max) + string([0x02]))),
            ("sha1-19", header + [3] + string(string([UInt8](repeating: 1, count: 19)))),
            ("sha256-31", header + [5] + string(string([UInt8](repeating: 1, count: 31)))),
        ]
        for (name, bytes) in refused {
            try Data(bytes).write(to: work.file(name))
            let openssh = try await keygen(["-Q", "-f", name, work.file("k-cert.pub").path])
            #expect(openssh.status != 0 && openssh.stderr.contains("Invalid KRL"), "\(name): ssh-keygen -Q: \(openssh)")
            #expect(throws: SSHFormatError.self, "\(name): OpenSSH cannot read it, revenant read it") { try SSHKeyRevocationList.parse(bytes) }
        }
        // A signature section (`string key`, `string signature`) whose signature does not verify: OpenSSH
        // refuses the KRL; revenant, which verifies none, reads no signed KRL and says so.
        let signed = krl(0x23, string(Array("id-9".utf8))) + [4] + string(cert.signatureKey) + string(Array("garbage".utf8))
        try Data(signed).write(to: work.file("signed"))
        let openssh = try await keygen(["-Q", "-f", "signed", work.file("k-cert.pub").path])
        #expect(openssh.status != 0 && openssh.stderr.contains("Invalid KRL"), "signed: ssh-keygen -Q: \(openssh)")
        let error = #expect(throws: SSHFormatError.self) { try SSHKeyRevocationList.parse(signed) }
        #expect(error?.message.contains("signed KRL") == true, "\(String(describing: error))")
        // The same shapes without serial 0 or the wrap are read by both, and agree.
        let fine: [(String, [UInt8])] = [("range1", krl(0x21, u64(1) + u64(10))), ("bitmap-top", krl(0x22, u64(UInt64.max) + string([0x01])))]
        for (name, bytes) in fine {
            try Data(bytes).write(to: work.file(name))
            let openssh = try await keygen(["-Q", "-f", name, work.file("k-cert.pub").path])
            #expect(openssh.status == 0 && !openssh.stdout.contains("REVOKED"), "\(name): ssh-keygen -Q: \(openssh)")
            #expect(try SSHKeyRevocationList.parse(bytes).revocation(of: cert, sha256: { _ in [] }, sha1: { _ in [] }) == nil, "\(name)")
        }
    }

    /// Key ids are compared byte for byte, as OpenSSH does: a KRL revoking `rv-jose` + U+0301 (NFD)
    /// does not revoke a certificate whose key id is `rv-jos\u{e9}` (NFC), though Swift's String ==
    /// calls the two equal. ssh-keygen -Q is the oracle for both forms.
    @Test func keyIDsMatchByteForByte() async throws {
        let work = try WorkDirectory("ssh-krl-key-id")
        defer { work.remove() }
        func keygen(_ args: [String]) async throws -> CommandResult {
            try await run("/usr/bin/ssh-keygen", ["-q"] + args, cwd: work.url)
        }
        let nfd = "rv-jose\u{301}", nfc = "rv-jos\u{e9}"
        #expect(nfd == nfc && Array(nfd.utf8) != Array(nfc.utf8), "the two forms: equal Strings, different bytes")
        for name in ["ca", "nfc", "nfd"] {
            #expect(try await keygen(["-t", "ed25519", "-N", "", "-C", name, "-f", name]).status == 0)
        }
        _ = try work.write("spec", "id: \(nfd)\n")
        #expect(try await keygen(["-k", "-f", "krl", "-s", "ca.pub", "spec"]).status == 0)
        let krl = try SSHKeyRevocationList.parse([UInt8](try Data(contentsOf: work.file("krl"))))
        var answers: [String: Bool] = [:]
        for (name, keyID) in [("nfc", nfc), ("nfd", nfd)] {
            #expect(try await keygen(["-s", "ca", "-I", keyID, "-n", "alice", "-z", "7", "\(name).pub"]).status == 0)
            let certFile = work.file("\(name)-cert.pub").path
            let cert = try SSHCertificate.parse(file: [UInt8](try Data(contentsOf: URL(fileURLWithPath: certFile))))
            #expect(Array(cert.keyID.utf8) == Array(keyID.utf8))
            let openssh = try await keygen(["-Q", "-f", "krl", certFile])
            #expect(openssh.exited && !openssh.stderr.contains("Invalid"), "\(openssh)")  // exit 1: revoked
            let ours = krl.revocation(of: cert, sha256: { _ in [] }, sha1: { _ in [] })
            answers[name] = openssh.stdout.contains("REVOKED")
            #expect((ours != nil) == openssh.stdout.contains("REVOKED"), "\(name): ssh-keygen -Q says \(openssh.stdout), revenant says \(ours ?? "not revoked")")
        }
        #expect(answers == ["nfc": false, "nfd": true], "the oracle saw both answers: \(answers)")
    }
}

import Foundation

/// An OpenSSH certificate (`…-cert.pub`), read field by field as OpenSSH's PROTOCOL.certkeys
/// lays it out. Only reading: the CA's signature is not checked here (the server checks it; a
/// forged certificate is simply refused), so nothing read here is trusted for more than saying
/// which certificate it is and when it claims to be valid.
public struct SSHCertificate: Sendable, Equatable {
    /// `ssh-ed25519-cert-v01@openssh.com`, …
    public var type: String
    /// The certified key's own type, without the certificate: `ssh-ed25519`, `ssh-rsa`, …
    public var keyType: String
    /// The certified public key as a plain key blob (`string type` + its fields): what OpenSSH
    /// fingerprints and what a KRL's key sections name.
    public var publicKeyBlob: [UInt8]
    /// RSA modulus bits, else 0 (the others have fixed sizes named by the type).
    public var rsaBits: Int
    public var serial: UInt64
    /// 1 user, 2 host.
    public var certificateType: UInt32
    public var keyID: String
    /// Empty: any principal (OpenSSH accepts such a user certificate only through an
    /// `authorized_keys` `cert-authority` line; `TrustedUserCAKeys` refuses it).
    public var principals: [String]
    /// Seconds since 1970; 0 means "always" for `validAfter`.
    public var validAfter: UInt64
    /// Seconds since 1970; `UInt64.max` means "forever".
    public var validBefore: UInt64
    public var criticalOptions: [String]
    public var extensions: [String]
    /// The CA's public key blob.
    public var signatureKey: [UInt8]

    public static let userCertificate: UInt32 = 1
    /// A `-cert.pub` file larger than this is no certificate (a large RSA certificate is ~2.5 KB).
    public static let maxFileBytes = 64 << 10
    static let maxNames = 256

    public var isUser: Bool { certificateType == Self.userCertificate }

    /// When it becomes valid, or nil when it always was.
    public var notBefore: Date? { validAfter == 0 ? nil : Self.date(validAfter) }
    /// When it stops being valid, or nil for "forever" (and any time past year 9999, which
    /// OpenSSH prints as forever too).
    public var notAfter: Date? { validBefore == .max ? nil : Self.date(validBefore) }

    static let lastSecond: UInt64 = 253_402_300_799  // 9999-12-31T23:59:59Z

    static func date(_ seconds: UInt64) -> Date? {
        seconds > lastSecond ? nil : Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// The certificate's key and type for messages: `ssh-ed25519 cert, serial 7, key id "alice"`.
    public var summary: String {
        "\(keyType) certificate, serial \(serial), key id \(ServerText.quote(keyID))"
    }

    /// Reads a `-cert.pub` file: one line `TYPE BASE64 [comment]` (blank and `#` lines skipped).
    public static func parse(file bytes: [UInt8]) throws(SSHFormatError) -> SSHCertificate {
        guard bytes.count <= maxFileBytes else { throw .tooLarge(bytes.count) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notText }
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty && !$0.hasPrefix("#") }
        let words = (line ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2 else { throw .invalid("expected `TYPE BASE64 [comment]`, as ssh-keygen writes a -cert.pub file") }
        guard let blob = Data(base64Encoded: String(words[1])) else { throw .invalid("the certificate is not base64") }
        let cert = try parse(blob: [UInt8](blob))
        guard cert.type == words[0] else { throw .invalid("the line names type \(ServerText.quote(words[0])) but the certificate is \(cert.type)") }
        return cert
    }

    /// The certified key's fields after the nonce, per certificate type (PROTOCOL.certkeys §2).
    static let keyFields: [String: (plain: String, strings: Int)] = [
        "ssh-rsa-cert-v01@openssh.com": ("ssh-rsa", 2),  // mpint e, mpint n
        "ssh-dss-cert-v01@openssh.com": ("ssh-dss", 4),  // mpint p, q, g, y
        "ecdsa-sha2-nistp256-cert-v01@openssh.com": ("ecdsa-sha2-nistp256", 2),  // curve, Q
        "ecdsa-sha2-nistp384-cert-v01@openssh.com": ("ecdsa-sha2-nistp384", 2),
        "ecdsa-sha2-nistp521-cert-v01@openssh.com": ("ecdsa-sha2-nistp521", 2),
        "ssh-ed25519-cert-v01@openssh.com": ("ssh-ed25519", 1),  // pk
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": ("sk-ecdsa-sha2-nistp256@openssh.com", 3),  // curve, Q, application
        "sk-ssh-ed25519-cert-v01@openssh.com": ("sk-ssh-ed25519@openssh.com", 2),  // pk, application
    ]

    /// Reads the certificate's binary form. Every field must be there and nothing may follow the signature.
    public static func parse(blob: [UInt8]) throws(SSHFormatError) -> SSHCertificate {
        guard blob.count <= maxFileBytes else { throw .tooLarge(blob.count) }
        var r = SSHWireReader(blob)
        let type = try r.text()
        guard let shape = keyFields[type] else { throw .unknownType(type) }
        _ = try r.string()  // nonce
        let keyStart = r.offset
        var fields: [ArraySlice<UInt8>] = []
        for _ in 0..<shape.strings { fields.append(try r.string()) }
        var publicKey = encode(Array(shape.plain.utf8))
        publicKey += blob[keyStart..<r.offset]
        let rsaBits = shape.plain == "ssh-rsa" ? bits(ofMPInt: fields[1]) : 0
        let serial = try r.uint64()
        let certType = try r.uint32()
        guard certType == 1 || certType == 2 else { throw .invalid("certificate type \(certType) is neither user (1) nor host (2)") }
        let keyID = try r.text()
        let principals = try names(try r.string(), pairs: false)
        let validAfter = try r.uint64()
        let validBefore = try r.uint64()
        let critical = try names(try r.string(), pairs: true)
        let extensions = try names(try r.string(), pairs: true)
        _ = try r.string()  // reserved
        let signatureKey = Array(try r.string())
        _ = try r.string()  // signature
        guard r.isAtEnd else { throw .invalid("bytes follow the signature") }
        guard !signatureKey.isEmpty else { throw .invalid("no signature key (CA)") }
        return SSHCertificate(type: type, keyType: shape.plain, publicKeyBlob: publicKey, rsaBits: rsaBits, serial: serial,
                              certificateType: certType, keyID: keyID, principals: principals, validAfter: validAfter,
                              validBefore: validBefore, criticalOptions: critical, extensions: extensions, signatureKey: signatureKey)
    }

    /// A packed list of strings (principals), or of name/data pairs (options, extensions: names kept).
    static func names(_ packed: ArraySlice<UInt8>, pairs: Bool) throws(SSHFormatError) -> [String] {
        var r = SSHWireReader(Array(packed))
        var out: [String] = []
        while !r.isAtEnd {
            guard out.count < maxNames else { throw .tooMany(pairs ? "options" : "principals") }
            out.append(try r.text())
            if pairs { _ = try r.string() }
        }
        return out
    }

    static func bits(ofMPInt value: ArraySlice<UInt8>) -> Int {
        guard let first = value.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (value.endIndex - first) * 8 - value[first].leadingZeroBitCount
    }

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
    }
}

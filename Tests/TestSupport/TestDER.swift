/// DER built by hand for the reader's tests (X.690 §8.1: tag, length, contents).
public enum DER {
    public static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        let bytes = withUnsafeBytes(of: UInt32(n).bigEndian) { Array($0) }.drop { $0 == 0 }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    public static func tlv(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] { [tag] + length(contents.count) + contents }
    public static func seq(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }
    public static func oid(_ contents: [UInt8]) -> [UInt8] { tlv(0x06, contents) }
    public static let null: [UInt8] = [0x05, 0x00]
    public static let sha256WithRSA: [UInt8] = seq(oid([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B]), null)
    public static let rsaEncryption: [UInt8] = seq(oid([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]), null)

    public static func name(_ cn: String) -> [UInt8] {
        seq(tlv(0x31, seq(oid([0x55, 0x04, 0x03]), tlv(0x0C, Array(cn.utf8)))))
    }

    public static func ext(_ oid: [UInt8], critical: Bool = false, _ value: [UInt8]) -> [UInt8] {
        seq(DER.oid(oid), critical ? [0x01, 0x01, 0xFF] : [], tlv(0x04, value))
    }

    /// A v3 certificate with a 2048-bit RSA key (a made-up modulus), fixed dates, basicConstraints
    /// CA:TRUE, a SAN and the given extra extensions; the signature is filler (the reader checks none).
    public static func certificate(version: [UInt8] = tlv(0xA0, tlv(0x02, [0x02])), serial: [UInt8] = [0x01, 0x02], notBefore: [UInt8] = tlv(0x17, Array("250101000000Z".utf8)),
                            notAfter: [UInt8] = tlv(0x18, Array("20300101000000Z".utf8)), extensions: [[UInt8]] = []) -> [UInt8] {
        let modulus = [0x00, 0xC0] + [UInt8](repeating: 0x5A, count: 255)
        let key = seq(tlv(0x02, modulus), tlv(0x02, [0x01, 0x00, 0x01]))
        let spki = seq(rsaEncryption, tlv(0x03, [0x00] + key))
        let basic = ext([0x55, 0x1D, 0x13], critical: true, seq([0x01, 0x01, 0xFF]))
        let san = ext([0x55, 0x1D, 0x11], seq(tlv(0x82, Array("a.example".utf8)), tlv(0x87, [127, 0, 0, 1])))
        let tbs = seq(version, tlv(0x02, serial), sha256WithRSA, name("Issuer"),
                      seq(notBefore, notAfter), name("Subject"), spki,
                      tlv(0xA3, seq(([basic, san] + extensions).flatMap { $0 })))
        return seq(tbs, sha256WithRSA, tlv(0x03, [0x00] + [UInt8](repeating: 0xAB, count: 64)))
    }
}

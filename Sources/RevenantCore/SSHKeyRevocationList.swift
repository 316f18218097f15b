/// An OpenSSH key revocation list (KRL, `ssh-keygen -k`), read as OpenSSH's PROTOCOL.krl lays it
/// out: certificates revoked by serial (list, range, bitmap) or key id under a CA, and keys revoked
/// explicitly or by SHA-1/SHA-256 hash. Read here rather than by running `ssh-keygen -Q`: no
/// process per credential, no parsing of its human-readable output, and the answer says *why* the
/// certificate is revoked. A signed KRL is not read: OpenSSH verifies each signature section and
/// refuses the KRL when one fails, which this target (no cryptography) cannot. A section or
/// extension this reader does not know, if marked critical, makes the whole list unreadable: an
/// unread section may be the one that revokes.
public struct SSHKeyRevocationList: Sendable, Equatable {
    /// Revocations under one CA key (an empty key: under any CA).
    public struct CertificateSection: Sendable, Equatable {
        public var caKey: [UInt8]
        public var serialRanges: [ClosedRange<UInt64>] = []
        /// `serial_offset` and the bitmap's bytes (big-endian; bit 0 of the last byte is the offset).
        public var bitmaps: [(offset: UInt64, bits: [UInt8])] = []
        /// As bytes: OpenSSH compares key ids byte for byte (strcmp), where String's == would also
        /// match a canonically equivalent id (`é` and `e` + U+0301), and a Set<String> would merge them.
        public var keyIDs: Set<[UInt8]> = []

        public static func == (a: Self, b: Self) -> Bool {
            a.caKey == b.caKey && a.serialRanges == b.serialRanges && a.keyIDs == b.keyIDs
                && a.bitmaps.map(\.offset) == b.bitmaps.map(\.offset) && a.bitmaps.map(\.bits) == b.bitmaps.map(\.bits)
        }
    }

    public var version: UInt64
    public var generatedAt: UInt64
    public var certificates: [CertificateSection] = []
    public var explicitKeys: Set<[UInt8]> = []
    public var sha1: Set<[UInt8]> = []
    public var sha256: Set<[UInt8]> = []

    /// A KRL larger than this is not read (ssh-keygen's KRL of 100,000 serials is ~0.8 MB).
    public static let maxFileBytes = 1 << 20
    /// Entries (serials in lists, ranges, key ids, keys, hashes) across the whole file.
    static let maxEntries = 200_000

    static let magic: UInt64 = 0x5353_484b_524c_0a00  // "SSHKRL\n\0"

    public static func parse(_ bytes: [UInt8]) throws(SSHFormatError) -> SSHKeyRevocationList {
        guard bytes.count <= maxFileBytes else { throw .tooLarge(bytes.count) }
        var r = SSHWireReader(bytes)
        guard try r.uint64() == magic else { throw .invalid("not an OpenSSH KRL (no SSHKRL magic)") }
        let format = try r.uint32()
        guard format == 1 else { throw .invalid("KRL format version \(format) (revenant reads version 1)") }
        var krl = SSHKeyRevocationList(version: try r.uint64(), generatedAt: try r.uint64())
        _ = try r.uint64()  // flags
        _ = try r.string()  // reserved
        _ = try r.string()  // comment
        var entries = 0
        func count(_ n: Int) throws(SSHFormatError) {
            entries += n
            guard entries <= maxEntries else { throw .tooMany("revocation entries") }
        }
        while !r.isAtEnd {
            let section = try r.byte()
            var data = SSHWireReader(Array(try r.string()))
            switch section {
            case 1: krl.certificates.append(try certificateSection(&data, count: count))
            case 2, 3, 5:
                while !data.isAtEnd {
                    let item = Array(try data.string())
                    // OpenSSH refuses a hash of another length ("blob_section: bad length").
                    guard item.count == (section == 3 ? 20 : section == 5 ? 32 : item.count) else {
                        throw .invalid("a KRL hash of \(item.count) bytes (SHA-1 is 20, SHA-256 32), which OpenSSH refuses")
                    }
                    try count(1)
                    switch section {
                    case 2: krl.explicitKeys.insert(item)
                    case 3: krl.sha1.insert(item)
                    default: krl.sha256.insert(item)
                    }
                }
            case 4: throw signed  // `string key` above, then `string signature`: see the type's comment
            case 255: try skipExtension(&data)
            default: throw .unknownType("KRL section \(section)")
            }
        }
        return krl
    }

    static func certificateSection(_ r: inout SSHWireReader, count: (Int) throws(SSHFormatError) -> Void) throws(SSHFormatError) -> CertificateSection {
        var section = CertificateSection(caKey: Array(try r.string()))
        _ = try r.string()  // reserved
        while !r.isAtEnd {
            let kind = try r.byte()
            var data = SSHWireReader(Array(try r.string()))
            switch kind {
            case 0x20:  // serial list
                while !data.isAtEnd {
                    let serial = try data.uint64()
                    guard serial != 0 else { throw zeroSerial }
                    try count(1)
                    section.serialRanges.append(serial...serial)
                }
            case 0x21:  // range
                let lo = try data.uint64(), hi = try data.uint64()
                guard lo <= hi, data.isAtEnd else { throw .invalid("a KRL serial range is empty or malformed") }
                guard lo != 0 else { throw zeroSerial }
                try count(1)
                section.serialRanges.append(lo...hi)
            case 0x22:  // bitmap
                let offset = try data.uint64()
                let bits = Array(try data.string())
                guard data.isAtEnd else { throw .invalid("bytes follow a KRL serial bitmap") }
                try checkBitmap(offset: offset, bits: bits)
                try count(1)
                section.bitmaps.append((offset, bits))
            case 0x23:  // key ids
                while !data.isAtEnd {
                    section.keyIDs.insert(Array(try data.text().utf8))
                    try count(1)
                }
            case 0x39: try skipExtension(&data)
            default: throw .unknownType("KRL certificate section \(kind)")
            }
        }
        return section
    }

    static let signed = SSHFormatError.invalid("a signed KRL: OpenSSH refuses it when a signature does not verify, and revenant does not verify KRL signatures")

    /// OpenSSH refuses a KRL that revokes serial 0 (the serial of a certificate signed without `-z`,
    /// never revoked by serial): `ssh-keygen -Q` cannot read it and sshd refuses every key with it.
    static let zeroSerial = SSHFormatError.invalid("the KRL revokes serial 0, which OpenSSH refuses (it cannot read this KRL)")

    /// The bitmap as OpenSSH reads it (an mpint, `sshbuf_get_bignum2_bytes_direct`): not negative, at
    /// most 2,048 bytes (16,384 bits), no bit for serial 0, and no bit past serial 2^64-1.
    static func checkBitmap(offset: UInt64, bits: [UInt8]) throws(SSHFormatError) {
        if let first = bits.first, first & 0x80 != 0 { throw .invalid("a KRL serial bitmap is negative, which OpenSSH refuses") }
        guard bits.count <= 2048 || (bits.count == 2049 && bits[0] == 0) else {
            throw .invalid("a KRL serial bitmap of \(bits.count) bytes is larger than OpenSSH reads")
        }
        guard let top = bits.firstIndex(where: { $0 != 0 }) else { return }
        let highest = UInt64((bits.count - top) * 8 - bits[top].leadingZeroBitCount - 1)  // the highest set bit
        guard highest <= UInt64.max - offset else { throw .invalid("a KRL serial bitmap runs past serial 2^64-1, which OpenSSH refuses") }
        if offset == 0, bits[bits.count - 1] & 1 == 1 { throw zeroSerial }
    }

    /// An extension: `string name, bool critical, string data`; a critical one cannot be skipped.
    static func skipExtension(_ r: inout SSHWireReader) throws(SSHFormatError) {
        let name = try r.text()
        if try r.byte() != 0 { throw .unknownType("critical KRL extension \(name)") }
        _ = try r.string()
    }

    /// Why the KRL revokes `cert`, or nil when it does not. `sha256`/`sha1` hash a key blob (the
    /// caller has the digests; this target does no cryptography). As `ssh-keygen -Q` and sshd
    /// do: the certified key and the CA's key by explicit key or hash, then the certificate by
    /// serial or key id under its CA.
    public func revocation(of cert: SSHCertificate, sha256 digest256: ([UInt8]) -> [UInt8], sha1 digest1: ([UInt8]) -> [UInt8]) -> String? {
        for (blob, whose) in [(cert.publicKeyBlob, "the certificate's key"), (cert.signatureKey, "the CA's key")] {
            if explicitKeys.contains(blob) { return "\(whose) is revoked explicitly" }
            if !sha256.isEmpty, sha256.contains(digest256(blob)) { return "\(whose) is revoked by its SHA-256 hash" }
            if !sha1.isEmpty, sha1.contains(digest1(blob)) { return "\(whose) is revoked by its SHA-1 hash" }
        }
        for section in certificates where section.caKey.isEmpty || section.caKey == cert.signatureKey {
            let under = section.caKey.isEmpty ? "under any CA" : "under its CA"
            if section.serialRanges.contains(where: { $0.contains(cert.serial) }) { return "serial \(cert.serial) is revoked \(under)" }
            if section.bitmaps.contains(where: { Self.bit(cert.serial, offset: $0.offset, bits: $0.bits) }) {
                return "serial \(cert.serial) is revoked \(under) (bitmap)"
            }
            if section.keyIDs.contains(Array(cert.keyID.utf8)) { return "key id \(ServerText.quote(cert.keyID)) is revoked \(under)" }
        }
        return nil
    }

    /// Whether the bitmap sets `serial`: bit (serial - offset), counted from the least
    /// significant bit of the big-endian bytes (an SSH mpint).
    static func bit(_ serial: UInt64, offset: UInt64, bits: [UInt8]) -> Bool {
        guard serial >= offset else { return false }
        let index = serial - offset
        let byteFromEnd = index / 8
        guard byteFromEnd < UInt64(bits.count) else { return false }
        let byte = bits[bits.count - 1 - Int(byteFromEnd)]
        return byte >> (index % 8) & 1 == 1
    }
}

/// The DER of each block of a PEM file in its plainest form (RFC 7468 §3, "strict"): nothing but
/// `-----BEGIN CERTIFICATE-----` blocks, each line ended by LF, base64 lines of at most 64
/// characters, padding only at the end, nothing before, between or after the blocks. For any other
/// file (other labels, headers, CRLF, text around, a line of 76) `blocks` is nil and the caller reads
/// the file with OpenSSL's PEM reader, as before; on these files both give the same bytes.
public enum PEMCertificateBlocks {
    static let begin = Array("-----BEGIN CERTIFICATE-----\n".utf8)
    static let end = Array("-----END CERTIFICATE-----\n".utf8)

    public static func blocks(_ bytes: [UInt8]) -> [[UInt8]]? {
        bytes.withUnsafeBufferPointer { b in
            sextets.withUnsafeBufferPointer { table in blocks(b, table: table) }
        }
    }

    static func blocks(_ b: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<UInt8>) -> [[UInt8]]? {
        var blocks: [[UInt8]] = []
        var i = 0
        while i < b.count {
            guard starts(b, at: i, with: begin) else { return nil }
            i += begin.count
            var der: [UInt8] = []
            der.reserveCapacity((b.count - i) / 4 * 3)
            var finished = false
            while !starts(b, at: i, with: end) {
                // A line: 4 to 64 base64 characters (whole quads), then LF.
                var j = i
                while j < b.count, j - i <= 64, b[j] != 0x0A { j += 1 }
                guard !finished, j < b.count, b[j] == 0x0A, j > i, (j - i) % 4 == 0,
                      let padded = decode(b, from: i, to: j, table: table, into: &der) else { return nil }
                // Only the last line may be short or padded.
                finished = padded || j - i < 64
                i = j + 1
            }
            i += end.count
            guard !der.isEmpty else { return nil }
            blocks.append(der)
        }
        return blocks.isEmpty ? nil : blocks
    }

    static func starts(_ b: UnsafeBufferPointer<UInt8>, at i: Int, with prefix: [UInt8]) -> Bool {
        b.count - i >= prefix.count && b[i..<i + prefix.count].elementsEqual(prefix)
    }

    /// Each byte's value in the base64 alphabet (RFC 4648 §4), 0xFF for any other byte.
    static let sextets: [UInt8] = (0...255).map { Base64URL.sextet(UInt8($0), c62: UInt8(ascii: "+"), c63: UInt8(ascii: "/")) ?? 0xFF }

    /// Appends the bytes of the whole base64 quads in `b[i..<end]`; true when the last quad was
    /// padded; nil for any character outside the alphabet or padding that is not at the end of the
    /// last quad.
    static func decode(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, table: UnsafeBufferPointer<UInt8>,
                       into out: inout [UInt8]) -> Bool? {
        var i = start
        while i < end {
            let (c0, c1, c2, c3) = (table[Int(b[i])], table[Int(b[i + 1])], b[i + 2], b[i + 3])
            guard c0 != 0xFF, c1 != 0xFF else { return nil }
            let v2 = table[Int(c2)]
            let v3 = table[Int(c3)]
            if v2 != 0xFF && v3 != 0xFF {
                let quad = UInt32(c0) << 18 | UInt32(c1) << 12 | UInt32(v2) << 6 | UInt32(v3)
                out.append(UInt8(truncatingIfNeeded: quad >> 16))
                out.append(UInt8(truncatingIfNeeded: quad >> 8))
                out.append(UInt8(truncatingIfNeeded: quad))
                i += 4
                continue
            }
            // Padding: only in the last quad, "x=" or "==" (RFC 4648 §4), and the bits it drops zero
            // (§3.5; OpenSSL's decoder ignores them, so such input is left to it).
            guard i + 4 == end, c3 == UInt8(ascii: "=") else { return nil }
            if c2 == UInt8(ascii: "=") {
                guard c1 & 0x0F == 0 else { return nil }
                out.append(c0 << 2 | c1 >> 4)
            } else {
                guard v2 != 0xFF, v2 & 0x03 == 0 else { return nil }
                out.append(c0 << 2 | c1 >> 4)
                out.append(c1 << 4 | v2 >> 2)
            }
            return true
        }
        return false
    }
}

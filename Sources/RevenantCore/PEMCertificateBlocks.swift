/// The DER of each block of a PEM file in its plainest form (RFC 7468 §3, "strict"): nothing but
/// `-----BEGIN CERTIFICATE-----` blocks, each line ended by LF, base64 lines of at most 64
/// characters, padding only at the end, nothing before, between or after the blocks. For any other
/// file (other labels, headers, CRLF, text around, a line of 76) `blocks` is nil and the caller reads
/// the file with OpenSSL's PEM reader, as before; on these files both give the same bytes.
public enum PEMCertificateBlocks {
    static let begin = Array("-----BEGIN CERTIFICATE-----\n".utf8)
    static let end = Array("-----END CERTIFICATE-----\n".utf8)

    public static func blocks(_ bytes: [UInt8]) -> [[UInt8]]? {
        var blocks: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard starts(bytes, at: i, with: begin) else { return nil }
            i += begin.count
            var der: [UInt8] = []
            der.reserveCapacity((bytes.count - i) / 4 * 3)
            var finished = false
            while !starts(bytes, at: i, with: end) {
                guard !finished, let newline = lineEnd(bytes, from: i), newline > i, newline - i <= 64,
                      (newline - i) % 4 == 0 else { return nil }
                guard let padded = decode(bytes[i..<newline], into: &der) else { return nil }
                // Only the last line may be short or padded.
                finished = padded || newline - i < 64
                i = newline + 1
            }
            i += end.count
            guard !der.isEmpty else { return nil }
            blocks.append(der)
        }
        return blocks.isEmpty ? nil : blocks
    }

    static func starts(_ bytes: [UInt8], at i: Int, with prefix: [UInt8]) -> Bool {
        bytes.count - i >= prefix.count && bytes[i..<i + prefix.count].elementsEqual(prefix)
    }

    static func lineEnd(_ bytes: [UInt8], from i: Int) -> Int? {
        var j = i
        while j < bytes.count, j - i <= 64 {
            if bytes[j] == 0x0A { return j }
            j += 1
        }
        return nil
    }

    /// Appends the bytes of whole base64 quads; true when the last quad was padded; nil for any
    /// character outside the alphabet or padding that is not at the end of the last quad.
    static func decode(_ line: ArraySlice<UInt8>, into out: inout [UInt8]) -> Bool? {
        var index = line.startIndex
        var padded = false
        while index < line.endIndex {
            guard !padded else { return nil }
            var quad: UInt32 = 0
            var pads = 0
            for k in 0..<4 {
                let c = line[index + k]
                if c == UInt8(ascii: "=") {
                    guard k >= 2 else { return nil }
                    pads += 1
                    quad <<= 6
                    continue
                }
                guard pads == 0, let value = sextet(c) else { return nil }
                quad = quad << 6 | UInt32(value)
            }
            out.append(UInt8(truncatingIfNeeded: quad >> 16))
            if pads < 2 { out.append(UInt8(truncatingIfNeeded: quad >> 8)) }
            if pads < 1 { out.append(UInt8(truncatingIfNeeded: quad)) }
            // RFC 4648 §3.5: the bits padding drops must be zero (OpenSSL's decoder ignores them).
            if pads > 0 && quad & (pads == 2 ? 0xFFFF : 0xFF) != 0 { return nil }
            padded = pads > 0
            index += 4
        }
        return padded
    }

    static func sextet(_ c: UInt8) -> UInt8? { Base64URL.sextet(c, c62: UInt8(ascii: "+"), c63: UInt8(ascii: "/")) }
}

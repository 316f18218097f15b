/// The ways a server may have encoded what it echoes: each takes bytes and gives them decoded
/// (undecodable parts are left as they are). SecretScrubber tries them on the server's words.
enum EchoDecoders {
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    /// `%HH` as that byte; with `escape` `=`, quoted-printable's `=HH` (RFC 2045 §6.7, mail servers).
    static func percentDecoded(_ bytes: [UInt8], plusIsSpace: Bool, escape: UInt8 = UInt8(ascii: "%")) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == escape, i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(plusIsSpace && bytes[i] == UInt8(ascii: "+") ? 0x20 : bytes[i])
                i += 1
            }
        }
        return out
    }

    /// `\/`, `\"`, `\\`, `\xHH` and `\uHHHH` (with surrogate pairs) undone; `\u00HH` as the
    /// character in UTF-8, or with `latin1` as the one byte (a server that thinks in Latin-1).
    static func unescaped(_ bytes: [UInt8], latin1: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= bytes.count, let a = hexValue(bytes[at]), let b = hexValue(bytes[at + 1]),
                  let c = hexValue(bytes[at + 2]), let d = hexValue(bytes[at + 3]) else { return nil }
            return UInt32(a) << 12 | UInt32(b) << 8 | UInt32(c) << 4 | UInt32(d)
        }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count else { out.append(bytes[i]); i += 1; continue }
            let next = bytes[i + 1]
            if next == UInt8(ascii: "u"), var scalar = hex4(i + 2) {
                i += 6
                if (0xD800..<0xDC00).contains(scalar), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(i + 2), (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                if latin1 && scalar < 0x100 { out.append(UInt8(scalar)) } else if let s = Unicode.Scalar(scalar) { out += Array(String(s).utf8) }
            } else if next == UInt8(ascii: "x"), i + 3 < bytes.count, let h = hexValue(bytes[i + 2]), let l = hexValue(bytes[i + 3]) {
                out.append(h << 4 | l)
                i += 4
            } else {
                out.append(next)
                i += 2
            }
        }
        return out
    }

    /// C's (and PostgreSQL's bytea) octal escapes: `\\` and one to three octal digits as that byte.
    static func octalUnescaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        func octal(_ b: UInt8) -> Int? { (0x30...0x37).contains(b) ? Int(b - 0x30) : nil }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count, var value = octal(bytes[i + 1]) else {
                out.append(bytes[i])
                i += 1
                continue
            }
            var j = i + 2
            while j < min(i + 4, bytes.count), let d = octal(bytes[j]), value * 8 + d <= 0xFF {
                value = value * 8 + d
                j += 1
            }
            out.append(UInt8(value))
            i = j
        }
        return out
    }

    /// `%uHHHH` (an old JavaScript escape) undone, as UTF-8.
    static func percentUDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 5 < bytes.count, bytes[i + 1] | 0x20 == UInt8(ascii: "u"),
               let a = hexValue(bytes[i + 2]), let b = hexValue(bytes[i + 3]), let c = hexValue(bytes[i + 4]), let d = hexValue(bytes[i + 5]),
               let s = Unicode.Scalar(UInt32(a) << 12 | UInt32(b) << 8 | UInt32(c) << 4 | UInt32(d)) {
                out += Array(String(s).utf8)
                i += 6
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// HTML character references: the five named ones XML knows, `&#NNN;` and `&#xHH;`.
    static func htmlDecoded(_ bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        var out = ""
        var rest = Substring(text)
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.prefix(10).firstIndex(of: ";") else { out += "&"; rest = after; continue }
            let name = after[..<semi]
            if let n = named[String(name)] {
                out += n
            } else if name.hasPrefix("#x") || name.hasPrefix("#X"), let v = UInt32(name.dropFirst(2), radix: 16), let s = Unicode.Scalar(v) {
                out.unicodeScalars.append(s)
            } else if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let s = Unicode.Scalar(v) {
                out.unicodeScalars.append(s)
            } else {
                out += "&" + name + ";"
            }
            rest = after[after.index(after: semi)...]
        }
        out += rest
        return Array(out.utf8)
    }

    static func base64Value(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x41...0x5A: b - 0x41
        case 0x61...0x7A: b - 0x61 + 26
        case 0x30...0x39: b - 0x30 + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: nil
        }
    }

    /// Ranges of 8 or more consecutive bytes that `belongs` accepts.
    static func runs(_ bytes: [UInt8], of belongs: (UInt8) -> Bool) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start: Int?
        for i in 0...bytes.count {
            if i < bytes.count, belongs(bytes[i]) {
                if start == nil { start = i }
            } else if let s = start {
                if i - s >= 8 { out.append(s..<i) }
                start = nil
            }
        }
        return out
    }

    /// Runs of base64 characters, decoded from each of the four alignments.
    static func base64Runs(_ bytes: [UInt8]) -> [[UInt8]] { bitRuns(bytes, width: 6, alignments: 4, value: base64Value) }

    /// RFC 4648 base32 (A–Z, 2–7; either case), as 5 bits a character.
    static func base32Value(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x41...0x5A: b - 0x41
        case 0x61...0x7A: b - 0x61
        case 0x32...0x37: b - 0x32 + 26
        default: nil
        }
    }

    /// Runs of base32 characters, decoded from each of the eight alignments.
    static func base32Runs(_ bytes: [UInt8]) -> [[UInt8]] { bitRuns(bytes, width: 5, alignments: 8, value: base32Value) }

    /// Runs of characters worth `width` bits each (`value`), decoded from each of the first
    /// `alignments` characters on: an echo may start anywhere in a longer run.
    static func bitRuns(_ bytes: [UInt8], width: Int, alignments: Int, value: (UInt8) -> UInt8?) -> [[UInt8]] {
        runs(bytes) { value($0) != nil }.flatMap { run -> [[UInt8]] in
            let values = bytes[run].map { value($0)! }
            return (0..<alignments).filter { values.count - $0 >= alignments }.map { shift in
                var decoded: [UInt8] = []
                var acc: UInt32 = 0
                var bits = 0
                for v in values[shift...] {
                    acc = (acc << UInt32(width) | UInt32(v)) & 0xFFFF
                    bits += width
                    if bits >= 8 {
                        bits -= 8
                        decoded.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                    }
                }
                return decoded
            }
        }
    }

    /// Runs of hex digits, decoded at both alignments.
    static func hexRuns(_ bytes: [UInt8]) -> [[UInt8]] {
        runs(bytes) { hexValue($0) != nil }.flatMap { run in
            (0..<2).map { shift in
                stride(from: run.lowerBound + shift, to: run.upperBound - 1, by: 2).map { hexValue(bytes[$0])! << 4 | hexValue(bytes[$0 + 1])! }
            }
        }
    }
}

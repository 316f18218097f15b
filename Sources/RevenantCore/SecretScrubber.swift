/// Takes every trace of a secret out of text that a server sent back (a redirect's `Location`, a
/// login refusal's message, a libcurl error quoting a reply: whatever a transport wrapped in
/// ServerText). A hostile or careless server may echo the secret in any encoding, whole or in
/// part, so the check is not "is the secret there as we sent it" but "does any run of
/// `minimumRun` bytes of the secret appear, in the text as it is or after percent-, backslash-,
/// base64- or hex-decoding one of its words". ASCII letters compare without case (`%2b` and
/// `%2B`, an upper-cased echo). What matches becomes `[redacted]`; a match found only after
/// decoding takes its whole word with it. Redacting too much costs a little clarity; redacting
/// too little leaks a secret into reports and the ledger.
public struct SecretScrubber: Sendable {
    /// Runs of this many bytes (fewer for a shorter secret) count as the secret in server text.
    public static let minimumRun = 6
    /// Secrets shorter than this are not looked for: any text would match them.
    public static let shortest = 4

    /// Runs that give a secret away in text a server sent (ServerText): any `minimumRun` bytes of it.
    let partial: [Int: Set<[UInt8]>]
    /// In revenant's own words around it only the whole secret counts: a password that contains
    /// "password" must not blank out "takes no password logins".
    let whole: [Int: Set<[UInt8]>]

    public init(secrets: [Secret]) {
        var partial: [Int: Set<[UInt8]>] = [:]
        var whole: [Int: Set<[UInt8]>] = [:]
        for secret in secrets where secret.bytes.count >= Self.shortest {
            let lower = secret.bytes.map(Self.lowercased)
            let k = min(Self.minimumRun, lower.count)
            for i in 0...(lower.count - k) { partial[k, default: []].insert(Array(lower[i..<(i + k)])) }
            whole[lower.count, default: []].insert(lower)
        }
        self.partial = partial
        self.whole = whole
    }

    public var isEmpty: Bool { partial.isEmpty }

    /// `text` with every trace of the secrets replaced by `[redacted]`, and ServerText's marks
    /// taken out: inside them any run of a secret goes, outside them the whole secret.
    public func scrub(_ text: String) -> String {
        guard !isEmpty || text.unicodeScalars.contains(where: ServerText.isMark) else { return text }
        var out = ""
        for (segment, fromServer) in ServerText.segments(text) {
            out += isEmpty ? segment : Self.scrub(segment, grams: fromServer ? partial : whole)
        }
        return out
    }

    static func scrub(_ text: String, grams: [Int: Set<[UInt8]>]) -> String {
        let bytes = Array(text.utf8)
        var hit = [Bool](repeating: false, count: bytes.count)
        var any = false
        // 1. The secret as it is, anywhere (across spaces too).
        for (start, end) in matches(bytes.map(Self.lowercased), grams) {
            for i in start..<end { hit[i] = true }
            any = true
        }
        // 2. Each word decoded every way a server might have encoded it.
        for (start, end) in Self.words(bytes) where !hit[start..<end].allSatisfy({ $0 }) {
            let word = Array(bytes[start..<end])
            if Self.decodings(of: word).contains(where: { !matches($0.map(Self.lowercased), grams).isEmpty }) {
                for i in start..<end { hit[i] = true }
                any = true
            }
        }
        guard any else { return text }
        // Whole characters only: a run that starts or ends inside a character takes all of it.
        for i in bytes.indices where hit[i] && Self.isContinuation(bytes[i]) {
            var j = i
            while j > 0 && Self.isContinuation(bytes[j]) { j -= 1; hit[j] = true }
        }
        for i in bytes.indices.dropFirst() where !hit[i] && hit[i - 1] && Self.isContinuation(bytes[i]) { hit[i] = true }
        var out = [UInt8]()
        var i = 0
        while i < bytes.count {
            guard hit[i] else { out.append(bytes[i]); i += 1; continue }
            while i < bytes.count, hit[i] { i += 1 }
            out += Array("[redacted]".utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Ranges of `lower` covered by runs of a secret.
    static func matches(_ lower: [UInt8], _ grams: [Int: Set<[UInt8]>]) -> [(Int, Int)] {
        var found: [(Int, Int)] = []
        for (k, set) in grams where lower.count >= k {
            for i in 0...(lower.count - k) where set.contains(Array(lower[i..<(i + k)])) {
                if let last = found.last, last.1 >= i { found[found.count - 1].1 = i + k } else { found.append((i, i + k)) }
            }
        }
        return found
    }

    static func lowercased(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b | 0x20 : b }
    static func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }

    /// Maximal runs of bytes that are not space, quotes or brackets: a URL, a token, a word.
    static func words(_ bytes: [UInt8]) -> [(Int, Int)] {
        let separators: Set<UInt8> = Set(" \t\r\n\"'`<>()[]{},;".utf8)
        var out: [(Int, Int)] = []
        var start: Int?
        for (i, b) in bytes.enumerated() {
            if separators.contains(b) {
                if let s = start { out.append((s, i)); start = nil }
            } else if start == nil {
                start = i
            }
        }
        if let s = start { out.append((s, bytes.count)) }
        return out
    }

    /// The word percent-decoded (with `+` as space and as itself), backslash-unescaped, and every
    /// base64 (standard or URL alphabet, at every alignment) or hex run in any of those decoded.
    static func decodings(of word: [UInt8]) -> [[UInt8]] {
        var views: [[UInt8]] = []
        if word.contains(UInt8(ascii: "%")) {
            views.append(percentDecoded(word, plusIsSpace: false))
            if word.contains(UInt8(ascii: "+")) { views.append(percentDecoded(word, plusIsSpace: true)) }
        } else if word.contains(UInt8(ascii: "+")) {
            views.append(word.map { $0 == UInt8(ascii: "+") ? 0x20 : $0 })
        }
        if word.contains(UInt8(ascii: "\\")) { views.append(unescaped(word)) }
        var out = views
        for view in [word] + views {
            out += base64Runs(view)
            out += hexRuns(view)
        }
        return out
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    static func percentDecoded(_ bytes: [UInt8], plusIsSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(plusIsSpace && bytes[i] == UInt8(ascii: "+") ? 0x20 : bytes[i])
                i += 1
            }
        }
        return out
    }

    /// `\/`, `\"`, `\\`, `\xHH` and `\uHHHH` (ASCII and Latin-1 code points as bytes) undone.
    static func unescaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count else { out.append(bytes[i]); i += 1; continue }
            let next = bytes[i + 1]
            if next == UInt8(ascii: "u"), i + 5 < bytes.count,
               let a = hexValue(bytes[i + 2]), let b = hexValue(bytes[i + 3]), let c = hexValue(bytes[i + 4]), let d = hexValue(bytes[i + 5]) {
                let scalar = UInt32(a) << 12 | UInt32(b) << 8 | UInt32(c) << 4 | UInt32(d)
                if scalar < 0x100 { out.append(UInt8(scalar)) } else if let s = Unicode.Scalar(scalar) { out += Array(String(s).utf8) }
                i += 6
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
    static func base64Runs(_ bytes: [UInt8]) -> [[UInt8]] {
        runs(bytes) { base64Value($0) != nil }.flatMap { run -> [[UInt8]] in
            let values = bytes[run].map { base64Value($0)! }
            return (0..<4).filter { values.count - $0 >= 4 }.map { shift in
                var decoded: [UInt8] = []
                var acc: UInt32 = 0
                var bits = 0
                for v in values[shift...] {
                    acc = acc << 6 | UInt32(v)
                    bits += 6
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

/// Marks text that came from a server inside a message revenant writes, so that SecretScrubber
/// knows which words are the server's (scrubbed of any run of a secret) and which are revenant's
/// own. The marks are two private-use characters that the scrubber removes; a server that sends
/// them has them taken out first, so it cannot end its quote early.
public enum ServerText {
    static let open: Unicode.Scalar = "\u{E000}"
    static let close: Unicode.Scalar = "\u{E001}"

    static func isMark(_ s: Unicode.Scalar) -> Bool { s == open || s == close }

    /// Whether `text` holds a server's words (both marks begin with the byte 0xEE in UTF-8).
    public static func isMarked(_ text: String) -> Bool { text.utf8.contains(0xEE) && text.unicodeScalars.contains(where: isMark) }

    /// `text` marked as the server's.
    public static func quote(_ text: some StringProtocol) -> String {
        var out = String.UnicodeScalarView()
        out.append(open)
        out.append(contentsOf: text.unicodeScalars.filter { !isMark($0) })
        out.append(close)
        return String(out)
    }

    /// `text` in runs of revenant's words and the server's, marks removed.
    static func segments(_ text: String) -> [(String, Bool)] {
        let scalars = text.unicodeScalars
        var out: [(String, Bool)] = []
        var start = scalars.startIndex
        var inside = false
        var i = scalars.startIndex
        while i < scalars.endIndex {
            let next = scalars.index(after: i)
            if isMark(scalars[i]) {
                if start < i { out.append((String(scalars[start..<i]), inside)) }
                inside = scalars[i] == open
                start = next
            }
            i = next
        }
        if start < scalars.endIndex { out.append((String(scalars[start...]), inside)) }
        return out
    }
}

import Foundation

/// Every run of `SecretGrams.run` bytes of some secrets (and the whole of a shorter one), in each
/// form a server may hand it back in: as stored, case-folded, NFC and NFD, Latin-1 and UTF-8 of
/// each other (a server that reads bytes in the other charset), mojibake, and with U+FFFD where a
/// byte was not UTF-8. Held in a Bloom filter: a false hit only blanks a few more characters,
/// and a run with a million secrets needs no more than 32 MiB for them.
public struct SecretGrams: Sendable {
    /// Runs of this many bytes count as the secret (a shorter secret counts whole).
    public static let run = 6
    /// Secrets shorter than this are not looked for: any text would match them.
    public static let shortest = 4

    let bits: [UInt64]
    let mask: UInt64
    /// The run lengths present: 6, and 4 or 5 for secrets that short.
    let lengths: [Int]

    public init(_ secrets: some Sequence<Secret>) {
        var keys: [UInt64] = []
        var lengths = Set<Int>()
        for secret in secrets where secret.bytes.count >= Self.shortest {
            for form in Self.forms(of: secret) where form.count >= Self.shortest {
                let k = min(Self.run, form.count)
                lengths.insert(k)
                for i in 0...(form.count - k) { keys.append(Self.key(form, i, k)) }
            }
        }
        guard !keys.isEmpty else {
            self.bits = []
            self.mask = 0
            self.lengths = []
            return
        }
        // 32 bits a run, 4 probes: about one false hit in 4,000 runs; at most 2^28 bits.
        var size = 1 << 16
        while size < keys.count * 32 && size < 1 << 28 { size <<= 1 }
        var bits = [UInt64](repeating: 0, count: size / 64)
        let mask = UInt64(size - 1)
        for key in keys {
            for h in Self.probes(key) { let b = h & mask; bits[Int(b >> 6)] |= 1 << (b & 63) }
        }
        self.bits = bits
        self.mask = mask
        self.lengths = lengths.sorted()
    }

    public var isEmpty: Bool { lengths.isEmpty }

    /// Whether the run of `k` bytes at `i` of `lower` (ASCII lower-cased) may be part of a secret.
    func contains(_ lower: [UInt8], _ i: Int, _ k: Int) -> Bool {
        Self.probes(Self.key(lower, i, k)).allSatisfy { h in let b = h & mask; return bits[Int(b >> 6)] & (1 << (b & 63)) != 0 }
    }

    /// Up to 6 bytes and their count in one word: exact, no hashing needed to tell runs apart.
    static func key(_ bytes: [UInt8], _ i: Int, _ k: Int) -> UInt64 {
        var v = UInt64(k)
        for j in 0..<k { v = v << 8 | UInt64(SecretScrubber.lowercased(bytes[i + j])) }
        return v
    }

    static func probes(_ key: UInt64) -> [UInt64] {
        // splitmix64 of the key, twice, gives four 32-bit probes.
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let a = mix(key), b = mix(a)
        return [a & 0xFFFF_FFFF, a >> 32, b & 0xFFFF_FFFF, b >> 32]
    }

    /// The forms a server may echo a secret in, as bytes.
    static func forms(of secret: Secret) -> [[UInt8]] {
        var forms: [[UInt8]] = [secret.bytes]
        // Its bytes read as Latin-1 and written as UTF-8: mojibake of a UTF-8 secret, or the
        // UTF-8 a server makes of a Latin-1 one.
        let asLatin1 = String(String.UnicodeScalarView(secret.bytes.map { Unicode.Scalar($0) }))
        forms.append(Array(asLatin1.utf8))
        if let text = secret.text {
            forms.append(Array(text.lowercased().utf8))
            forms.append(Array(text.precomposedStringWithCanonicalMapping.utf8))
            forms.append(Array(text.decomposedStringWithCanonicalMapping.utf8))
            // Latin-1 of a UTF-8 secret, when every character has one.
            if text.unicodeScalars.allSatisfy({ $0.value < 0x100 }) { forms.append(text.unicodeScalars.map { UInt8($0.value) }) }
            // Without the marks ServerText takes out of server text.
            let unmarked = String(String.UnicodeScalarView(text.unicodeScalars.filter { !ServerText.isMark($0) }))
            if unmarked != text { forms.append(Array(unmarked.utf8)) }
        } else {
            // As a reply decoded with U+FFFD for each byte that is not UTF-8.
            forms.append(Array(String(decoding: secret.bytes, as: UTF8.self).utf8))
        }
        // Its letters and digits alone, for text with something slipped between its characters
        // (`S-k-9`, `S%20k%20/%209`, `Sk/9+/aB`: found by an adversarial run).
        // (A Bloom filter: the order its keys go in does not matter, only that each goes in.)
        return forms + Set(forms.map(SecretScrubber.lettersAndDigits)).subtracting(forms)
    }
}

/// Takes every trace of a secret out of text that a server sent back (a redirect's `Location`, a
/// login refusal's message, a libcurl error quoting a reply: whatever a transport wrapped in
/// ServerText). A hostile or careless server may echo any secret it was sent, in any encoding,
/// whole or in part, so the check is not "is this attempt's secret there as we sent it" but "does
/// a run of `SecretGrams.run` bytes of any secret sent to this server appear, in the text as it
/// is, case-folded, without invisible characters, or after decoding one of its words (percent,
/// `%u`, backslash and octal escapes, HTML, quoted-printable, base64, hex, base32, UTF-16 in any
/// of those, and those twice over), or the whole text so decoded, without spaces or backwards, or
/// with only its letters and digits left".
/// What matches becomes `[redacted]`; a match found only in a decoded or folded view takes its
/// whole word (or the server's whole text) with it. Redacting too much costs a little clarity;
/// redacting too little leaks a secret into reports and the ledger.
/// Outside the marks (revenant's own words) only this attempt's whole secret counts: a password
/// that contains "password" must not blank out "takes no password logins".
public struct SecretScrubber: Sendable {
    let grams: SecretGrams
    /// This attempt's secrets, ASCII lower-cased, for revenant's own words.
    let own: [[UInt8]]

    /// `grams`: of every secret sent to the server; `own`: of this attempt.
    public init(grams: SecretGrams, own: [Secret]) {
        self.grams = grams
        self.own = own.filter { $0.bytes.count >= SecretGrams.shortest }.map { $0.bytes.map(Self.lowercased) }
    }

    /// Grams of exactly these secrets.
    public init(secrets: [Secret]) {
        self.init(grams: SecretGrams(secrets), own: secrets)
    }

    public var isEmpty: Bool { grams.isEmpty && own.isEmpty }

    /// `text` with every trace of the secrets replaced by `[redacted]`, and ServerText's marks taken out.
    public func scrub(_ text: String) -> String {
        guard !isEmpty || ServerText.isMarked(text) else { return text }
        var out = ""
        for (segment, fromServer) in ServerText.segments(text) {
            out += fromServer ? scrubServer(segment) : scrubOwn(segment)
        }
        return out
    }

    /// Revenant's own words: only a whole secret of this attempt, as it is (case aside).
    func scrubOwn(_ text: String) -> String {
        guard !own.isEmpty else { return text }
        let bytes = Array(text.utf8)
        let lower = bytes.map(Self.lowercased)
        var hit = [Bool](repeating: false, count: bytes.count)
        var any = false
        for secret in own where secret.count <= lower.count {
            for i in 0...(lower.count - secret.count) where lower[i] == secret[0] && lower[i..<(i + secret.count)].elementsEqual(secret) {
                for j in i..<(i + secret.count) { hit[j] = true }
                any = true
            }
        }
        return any ? Self.replace(bytes, hit) : text
    }

    /// A server's words: any run of any secret, in every view.
    func scrubServer(_ text: String) -> String {
        guard !grams.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var hit = [Bool](repeating: false, count: bytes.count)
        // 1. The text as it is: the runs go (across spaces too), each with the rest of its word up
        //    to a path or query separator (what is next to a run may be the same secret, encoded).
        for (start, end) in matches(bytes) { for i in start..<end { hit[i] = true } }
        for (start, end) in Self.words(bytes, alsoSplitting: "/?&=:@#") where hit[start..<end].contains(true) {
            for i in start..<end { hit[i] = true }
        }
        // What is left once those runs are out: the views below must find something new.
        let restBytes = bytes.indices.map { hit[$0] ? 0x20 : bytes[$0] }
        let rest = String(decoding: restBytes, as: UTF8.self)
        // 2. Views of the whole text that do not map back byte for byte: a hit there takes all of it.
        let folded = Array(rest.lowercased().utf8)
        let visible = Array(String(String.UnicodeScalarView(rest.unicodeScalars.filter { !Self.isInvisible($0) })).utf8)
        let separatedHex = restBytes.filter { $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "-") }
        let wholeViews = [folded, visible] + EchoDecoders.hexRuns(separatedHex)
        if wholeViews.contains(where: { !matches($0).isEmpty }) { return "[redacted]" }
        // 3. Each word decoded every way a server might have encoded it, then each of those decoded
        //    once more (a percent-encoded base64 word); what was already looked at is not again.
        for (start, end) in Self.words(restBytes) {
            let first = Self.decodings(of: Array(restBytes[start..<end]))
            let found = first.contains { !matches($0).isEmpty }
                || first.dropFirst().contains { view in Self.decodings(of: view).dropFirst().contains { !matches($0).isEmpty } }
            if found { for i in start..<end { hit[i] = true } }
        }
        // 3b. A quote cut at ServerText.maxCharacters (it ends in `…`) may end inside a secret,
        //     with fewer bytes of it than a run: those go when they begin one of this attempt's
        //     secrets (found by an adversarial run: an echo padded to end 5 bytes in).
        if let cut = Self.cutTail(bytes, own: own) { for i in cut { hit[i] = true } }
        // 4. What is still left, read across words: HTML references (the `;` that ends each one
        //    also ends a word above), every other decoding of the whole text, the text without its
        //    spaces (a secret spelled out) and backwards. A hit there takes all of it.
        //    Last, each of those views with only its letters and digits: a secret with something
        //    slipped between its characters (dashes, dots, `%20`, a `/` every few of them).
        let left = bytes.indices.map { hit[$0] ? 0x20 : bytes[$0] }
        let spelledOut = left.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        let acrossWords = Self.decodings(of: left).dropFirst() + [spelledOut, Array(left.reversed())]
        if acrossWords.contains(where: { !matches($0).isEmpty }) { return "[redacted]" }
        let twice = acrossWords.flatMap { Self.decodings(of: $0).dropFirst() }  // a separator encoded twice (`%2520`)
        if ([left] + acrossWords + twice).contains(where: { !matches(Self.lettersAndDigits($0)).isEmpty }) { return "[redacted]" }
        return hit.contains(true) ? Self.replace(bytes, hit) : text
    }

    /// The last bytes before a quote's closing `…` (at most a run's length less one) that begin one
    /// of `own`, ASCII case aside; nil when the text was not cut or they begin none.
    static func cutTail(_ bytes: [UInt8], own: [[UInt8]]) -> Range<Int>? {
        let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]
        guard bytes.count > ellipsis.count, bytes.suffix(3).elementsEqual(ellipsis) else { return nil }
        let end = bytes.count - ellipsis.count
        for k in stride(from: min(SecretGrams.run - 1, end), through: 1, by: -1) {
            let tail = bytes[(end - k)..<end].map(lowercased)
            if own.contains(where: { $0.count > k && $0.starts(with: tail) }) { return (end - k)..<end }
        }
        return nil
    }

    /// Ranges of `bytes` covered by runs of a secret.
    func matches(_ bytes: [UInt8]) -> [(Int, Int)] {
        var found: [(Int, Int)] = []
        for k in grams.lengths where bytes.count >= k {
            for i in 0...(bytes.count - k) where grams.contains(bytes, i, k) {
                if let last = found.last, last.1 >= i { found[found.count - 1].1 = max(last.1, i + k) } else { found.append((i, i + k)) }
            }
        }
        return found
    }

    /// The bytes with each run of hits as `[redacted]`, widened to whole characters.
    static func replace(_ bytes: [UInt8], _ marked: [Bool]) -> String {
        var hit = marked
        for i in bytes.indices where hit[i] && isContinuation(bytes[i]) {
            var j = i
            while j > 0 && isContinuation(bytes[j]) { j -= 1; hit[j] = true }
        }
        for i in bytes.indices.dropFirst() where !hit[i] && hit[i - 1] && isContinuation(bytes[i]) { hit[i] = true }
        var out = [UInt8]()
        var i = 0
        while i < bytes.count {
            guard hit[i] else { out.append(bytes[i]); i += 1; continue }
            while i < bytes.count, hit[i] { i += 1 }
            out += Array("[redacted]".utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func lowercased(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b | 0x20 : b }

    /// The letters and digits of `bytes` (read as UTF-8), in order, as UTF-8: every separator,
    /// space, symbol and byte that is not UTF-8 taken out, and compatibility forms folded (NFKC:
    /// fullwidth `Ｑ`, mathematical `𝐐` and circled `Ⓠ` are `Q`), so a secret echoed in lookalike
    /// letters is found too. Fillers that show as nothing but count as letters (Hangul U+3164 and
    /// its kin, `isInvisible`) go with the separators.
    static func lettersAndDigits(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            return bytes.filter { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        }
        let folded = String(decoding: bytes, as: UTF8.self).precomposedStringWithCompatibilityMapping
        let kept = folded.unicodeScalars.filter {
            ($0.properties.isAlphabetic || $0.properties.numericType != nil) && !isInvisible($0)
        }
        return Array(String(String.UnicodeScalarView(kept)).utf8)
    }
    static func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }

    /// Characters that show as nothing: a server may slip them between a secret's bytes. (The
    /// Hangul fillers are letters to Unicode: the letters-and-digits view takes them out by this.)
    static func isInvisible(_ s: Unicode.Scalar) -> Bool {
        [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x180E, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x3164, 0xFEFF, 0xFFA0].contains(s.value)
            || (0x200B...0x200F).contains(s.value) || (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value)
    }

    /// Maximal runs of bytes that are not space, quotes or brackets: a URL, a token, a word.
    static func words(_ bytes: [UInt8], alsoSplitting more: String = "") -> [(Int, Int)] {
        let separators: Set<UInt8> = Set(" \t\r\n\"'`<>()[]{},;".utf8).union(more.utf8)
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

    /// One word, then the word decoded each way.
    static func decodings(of word: [UInt8]) -> [[UInt8]] {
        var views: [[UInt8]] = [word]
        if word.contains(UInt8(ascii: "%")) {
            views.append(EchoDecoders.percentDecoded(word, plusIsSpace: false))
            views.append(EchoDecoders.percentUDecoded(word))
        }
        if word.contains(UInt8(ascii: "+")) { views.append(EchoDecoders.percentDecoded(word, plusIsSpace: true)) }
        if word.contains(UInt8(ascii: "\\")) {
            views.append(EchoDecoders.unescaped(word, latin1: false))
            views.append(EchoDecoders.unescaped(word, latin1: true))
            views.append(EchoDecoders.octalUnescaped(word))
        }
        if word.contains(UInt8(ascii: "&")) { views.append(EchoDecoders.htmlDecoded(word)) }
        if word.contains(UInt8(ascii: "=")) { views.append(EchoDecoders.percentDecoded(word, plusIsSpace: false, escape: UInt8(ascii: "="))) }
        // Bytes decoded from base64, hex or base32 may be UTF-16 (.NET, PowerShell): an ASCII
        // secret's every other byte is then 0, and goes.
        let binary = EchoDecoders.base64Runs(word) + EchoDecoders.hexRuns(word) + EchoDecoders.base32Runs(word)
        views += binary
        views += binary.filter { $0.contains(0) }.map { $0.filter { $0 != 0 } }
        return views
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

    /// A server's text is cut to this many characters: enough to read, too short to flood a report.
    public static let maxCharacters = 200

    /// `text` marked as the server's: at most `maxCharacters`, with control characters and bidi
    /// overrides shown as `?` (in a table on a terminal they could rewrite what the line says).
    public static func quote(_ text: some StringProtocol) -> String {
        var out = String.UnicodeScalarView()
        out.append(open)
        var count = 0
        for scalar in text.unicodeScalars where !isMark(scalar) {
            if count == maxCharacters { out.append("…"); break }
            out.append(isControl(scalar) ? "?" : scalar)
            count += 1
        }
        out.append(close)
        return String(out)
    }

    /// C0 and C1 controls, DEL, and the characters that reorder or hide text.
    public static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || (0x200E...0x200F).contains(s.value)
            || (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value)
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

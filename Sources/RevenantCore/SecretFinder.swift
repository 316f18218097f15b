/// Finds whole secrets (compared as bytes, ASCII letters in any case) in text, in one pass over
/// the text however many secrets there are: each secret is indexed by its first six bytes.
public struct SecretFinder {
    /// Shorter secrets are not looked for: six bytes are shared by chance with ordinary text.
    public static let minimum = 6
    private var byPrefix: [UInt64: [[UInt8]]] = [:]

    init(_ secrets: [Secret]) {
        for secret in secrets where secret.bytes.count >= Self.minimum {
            let folded = secret.bytes.map(Self.fold)
            byPrefix[Self.key(folded[0..<Self.minimum]), default: []].append(folded)
        }
    }

    var isEmpty: Bool { byPrefix.isEmpty }

    /// ASCII letters in lower case, every other byte as it is.
    public static func fold(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }

    /// Whether `text` holds the secret whose folded bytes are `folded` (one secret, no index built:
    /// for checking each credential's own fields).
    public static func occurs(_ folded: [UInt8], in text: String) -> Bool {
        folded.count >= minimum && text.utf8.count >= folded.count && text.utf8.map(fold).firstRange(of: folded) != nil
    }

    static func key(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }

    /// `text` with each secret found replaced by `[redacted]`.
    func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= Self.minimum else { return text }
        let folded = bytes.map(Self.fold)
        var covered = [Bool](repeating: false, count: bytes.count)
        var found = false
        for start in 0...(bytes.count - Self.minimum) {
            guard let candidates = byPrefix[Self.key(folded[start..<(start + Self.minimum)])] else { continue }
            for secret in candidates where start + secret.count <= bytes.count && folded[start..<(start + secret.count)].elementsEqual(secret) {
                for j in start..<(start + secret.count) { covered[j] = true }
                found = true
            }
        }
        guard found else { return text }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if covered[i] {
                out += Array("[redacted]".utf8)
                while i < bytes.count && covered[i] { i += 1 }
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

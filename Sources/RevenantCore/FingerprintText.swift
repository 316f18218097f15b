/// A fingerprint as a large run holds it: `sha256:` or `hmac-sha256:` and 16 lowercase hex digits
/// (what `Fingerprinter` writes) as its 8 bytes, so 1,000,000 credentials do not each hold a
/// 23-byte string on the heap; any other text (a report read back) as written. `text` gives back
/// exactly the text it was made from.
public enum FingerprintText: Sendable, Hashable {
    case sha256(UInt64)
    case hmacSHA256(UInt64)
    // Boxed: inline, its 16 bytes would widen every fingerprint (9 bytes with its tag, not 17; a
    // `CredentialResult` 48, not 56), and revenant's own fingerprints never take this case.
    indirect case other(String)

    public init(_ text: String) {
        if let v = Self.digits(text, after: "sha256:") {
            self = .sha256(v)
        } else if let v = Self.digits(text, after: "hmac-sha256:") {
            self = .hmacSHA256(v)
        } else {
            self = .other(text)
        }
    }

    public var text: String {
        switch self {
        case .sha256(let v): "sha256:" + Self.hex(v)
        case .hmacSHA256(let v): "hmac-sha256:" + Self.hex(v)
        case .other(let t): t
        }
    }

    /// Exactly 16 lowercase hex digits after `prefix`, as a number; nil for anything else.
    static func digits(_ text: String, after prefix: String) -> UInt64? {
        let bytes = text.utf8
        guard bytes.count == prefix.utf8.count + 16, bytes.starts(with: prefix.utf8) else { return nil }
        var value: UInt64 = 0
        for b in bytes.dropFirst(prefix.utf8.count) {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(b - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return value
    }

    static func hex(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: (0..<16).map { digits[Int(value >> UInt64(60 - 4 * $0) & 0xf)] }, as: UTF8.self)
    }
}

/// Each credential's fingerprint (nil: no secret read), held as `FingerprintText`s.
public struct FingerprintList: RandomAccessCollection, Sendable, Equatable {
    var stored: [FingerprintText?]

    public init(_ texts: [String?] = []) { stored = texts.map { $0.map(FingerprintText.init) } }

    public var startIndex: Int { stored.startIndex }
    public var endIndex: Int { stored.endIndex }
    public subscript(i: Int) -> String? { stored[i]?.text }

    public mutating func append(_ text: String?) { stored.append(text.map(FingerprintText.init)) }
    public mutating func reserveCapacity(_ n: Int) { stored.reserveCapacity(n) }
}

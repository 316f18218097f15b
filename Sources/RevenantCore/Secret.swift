/// A secret exactly as the user stored it: bytes, never re-encoded. A Latin-1 password stays
/// Latin-1 (re-encoded to UTF-8, or with U+FFFD in place of its bad bytes, a live password would be
/// refused and read as revoked). `text` is there only when the bytes are valid UTF-8, for the
/// places that must carry text (an HTTP header, a JWT, a host name inside a key).
public struct Secret: Sendable, Hashable {
    public let bytes: [UInt8]
    /// Whether the bytes are valid UTF-8: checked once, when the secret is made. The text itself is
    /// made only when asked for (a run may hold a million secrets, and asking decodes).
    public let isUTF8: Bool

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        self.isUTF8 = UTF8Validation.firstInvalid(bytes) == nil
    }

    public init(_ text: String) {
        self.bytes = Array(text.utf8)
        self.isUTF8 = true
    }

    /// The bytes as text when they are valid UTF-8 (decoded exactly), else nil.
    public var text: String? { isUTF8 ? String(decoding: bytes, as: UTF8.self) : nil }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Whether the secret is a private key's text (OpenSSH, PEM, PuTTY, SSH2): such a secret goes
    /// to key logins and is never sent as a password. (Bytes that are not text are taken as a
    /// password: a Latin-1 password is one.)
    public var looksLikePrivateKey: Bool {
        guard let text else { return false }
        return ["PRIVATE KEY-----", "PuTTY-User-Key-File", "BEGIN SSH2 ENCRYPTED PRIVATE KEY"].contains { text.contains($0) }
    }

    /// The bytes as a NUL-terminated C string for the length of `body`, wiped afterwards (C
    /// libraries take passwords as `char *`; a secret holding NUL is refused before it gets here).
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var copy = bytes.map { CChar(bitPattern: $0) } + [0]
        defer { for i in copy.indices { copy[i] = 0 } }
        return try copy.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// Whether the bytes hold a line break or NUL: sent as a password or header, they would be
    /// corrupted (and refused), which proves nothing.
    public var hasLineBreakOrNUL: Bool { bytes.contains { $0 == 0x0A || $0 == 0x0D || $0 == 0 } }

    /// Length of the well-formed UTF-8 sequence at `i` (RFC 3629 §4), or 0 if there is none.
    static func sequenceLength<C: RandomAccessCollection>(_ b: C, at i: Int) -> Int where C.Element == UInt8, C.Index == Int {
        let first = b[i]
        if first < 0x80 { return 1 }
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + k < b.count && range.contains(b[i + k])
        }
        switch first {
        case 0xC2...0xDF: return continuation(1) ? 2 : 0
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : 0
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }
}

extension Secret: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible {
    /// Never the secret: a secret interpolated by mistake shows this instead.
    public var description: String { "[secret, \(bytes.count) bytes]" }
    public var debugDescription: String { description }
}

extension DefaultStringInterpolation {
    /// A secret in a string is either a leak or a corrupted request: say which bytes you mean.
    @available(*, unavailable, message: "a Secret is never interpolated: use .bytes, or .text where the protocol carries text")
    public mutating func appendInterpolation(_ secret: Secret) {}
}

/// Where bytes stop being valid UTF-8 (RFC 3629), checked eight ASCII bytes at a time.
public enum UTF8Validation {
    /// The offset of the first byte that is not part of valid UTF-8, or nil when all are.
    public static func firstInvalid(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalid($0) }
    }

    public static func firstInvalid(_ buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = buffer.count
        while i < n {
            if i + 8 <= n {
                let word = UnsafeRawPointer(buffer.baseAddress! + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            }
            if buffer[i] < 0x80 { i += 1; continue }
            let length = Secret.sequenceLength(buffer, at: i)
            if length == 0 { return i }
            i += length
        }
        return nil
    }

    /// The 1-based line of `offset`.
    public static func line<Bytes: Collection<UInt8>>(of offset: Int, in bytes: Bytes) -> Int where Bytes.Index == Int {
        1 + bytes[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}

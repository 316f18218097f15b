/// Reads the SSH wire encoding (RFC 4251 §5: `byte`, `uint32`, `uint64`, `string`) from bytes an
/// attacker may have written: every length is checked against what is left before anything is
/// read, so a truncated input or a length of 4 GiB is an error, never a crash or an allocation.
struct SSHWireReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
        end = bytes.count
    }

    var isAtEnd: Bool { offset >= end }

    mutating func byte() throws(SSHFormatError) -> UInt8 {
        guard offset < end else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint32() throws(SSHFormatError) -> UInt32 {
        guard end - offset >= 4 else { throw .truncated }
        defer { offset += 4 }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64() throws(SSHFormatError) -> UInt64 {
        guard end - offset >= 8 else { throw .truncated }
        defer { offset += 8 }
        return bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A `string`: uint32 length, then that many bytes (which must all be there).
    mutating func string() throws(SSHFormatError) -> ArraySlice<UInt8> {
        let length = Int(try uint32())
        guard length <= end - offset else { throw .lengthPastEnd(length) }
        defer { offset += length }
        return bytes[offset..<offset + length]
    }

    /// A `string` that must be UTF-8 text (names, key ids, principals).
    mutating func text() throws(SSHFormatError) -> String {
        let raw = try string()
        guard let s = String(validating: raw, as: UTF8.self) else { throw .notText }
        return s
    }
}

/// Why SSH-encoded bytes (a certificate, a KRL) could not be read. The messages quote no input.
public enum SSHFormatError: Error, Equatable, Sendable {
    case truncated
    case lengthPastEnd(Int)
    case notText
    case tooLarge(Int)
    case tooMany(String)
    case unknownType(String)
    case invalid(String)

    public var message: String {
        switch self {
        case .truncated: "truncated (a field ends past the end of the data)"
        case .lengthPastEnd(let n): "a field claims \(n) bytes, more than are left"
        case .notText: "a text field is not UTF-8"
        case .tooLarge(let n): "\(n) bytes: larger than revenant reads"
        case .tooMany(let what): "more \(what) than revenant reads"
        case .unknownType(let name): "unknown type \(ServerText.quote(name))"
        case .invalid(let why): why
        }
    }
}

/// Why bytes are not the strict DER `DERReader` reads. Not always a broken file: BER that OpenSSL
/// accepts (an indefinite or padded length) is refused here too, and the caller then asks OpenSSL.
public enum DERError: Error, Sendable, Equatable {
    /// The input ends inside a tag, a length or a value.
    case truncated
    /// A tag number of 31 or more (several tag bytes): certificates use none.
    case highTagNumber
    /// BER's indefinite length (0x80), never DER (X.690 §10.1).
    case indefiniteLength
    /// A long form where a shorter one fits, or a length that needs more than 4 bytes (X.690 §10.1).
    case nonMinimalLength
    /// A tag other than the one the structure has at this place.
    case unexpectedTag(expected: UInt8, found: UInt8)
    /// Bytes left over inside a structure that ends at a known place.
    case trailingBytes
    /// A value DER forbids or revenant reads only in its plain form (a padded INTEGER, a BOOLEAN not 0xFF).
    case invalidValue
}

/// One TLV: its tag, where its header starts and where its contents are, as offsets into the
/// reader's bytes.
public struct DERElement: Sendable, Equatable {
    public var tag: UInt8
    /// Offset of the tag byte.
    public var start: Int
    /// The contents (after tag and length).
    public var contents: Range<Int>
    /// The whole encoding, tag to end of contents.
    public var encoding: Range<Int> { start..<contents.upperBound }
    public var isConstructed: Bool { tag & 0x20 != 0 }
}

/// Reads strict DER (X.690 §10) from bytes an attacker may have written: every length is checked
/// against what is left before anything is read, only definite minimal lengths of at most 4 bytes
/// and single-byte tags are accepted, and nothing is copied (elements are offsets). A reader sees
/// `bytes[position..<end]`; `children(of:)` gives a reader over one element's contents, so a
/// structure is read with as many readers as it is deep, each bounded by its parent.
public struct DERReader {
    public let bytes: [UInt8]
    public private(set) var position: Int
    public let end: Int

    public init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    public var isAtEnd: Bool { position >= end }

    /// The next TLV, or an error; `position` moves past it only on success.
    public mutating func read() throws(DERError) -> DERElement {
        var at = position
        guard at < end else { throw .truncated }
        let tag = bytes[at]
        guard tag & 0x1F != 0x1F else { throw .highTagNumber }
        at += 1
        guard at < end else { throw .truncated }
        let first = bytes[at]
        at += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count != 0 else { throw .indefiniteLength }
            guard count <= 4 else { throw .nonMinimalLength }
            guard end - at >= count else { throw .truncated }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[at])
                at += 1
            }
            // X.690 §10.1: the fewest octets, and the short form below 128.
            guard length >= 0x80, length >> (8 * (count - 1)) != 0 else { throw .nonMinimalLength }
        }
        guard length <= end - at else { throw .truncated }
        defer { position = at + length }
        return DERElement(tag: tag, start: position, contents: at..<at + length)
    }

    /// The next TLV, which must carry `tag`.
    public mutating func read(_ tag: UInt8) throws(DERError) -> DERElement {
        let saved = position
        let element = try read()
        guard element.tag == tag else {
            position = saved
            throw .unexpectedTag(expected: tag, found: element.tag)
        }
        return element
    }

    /// The next TLV if it carries `tag`; nil (nothing read) when the input ends or another tag follows.
    public mutating func readIfPresent(_ tag: UInt8) throws(DERError) -> DERElement? {
        guard position < end, bytes[position] == tag else { return nil }
        return try read()
    }

    /// A reader over the contents of `element` (which must come from these bytes).
    public func children(of element: DERElement) -> DERReader {
        DERReader(bytes, range: element.contents)
    }

    /// Throws unless everything has been read.
    public func finish() throws(DERError) {
        guard isAtEnd else { throw .trailingBytes }
    }

    /// The contents of `element`.
    public func contents(of element: DERElement) -> ArraySlice<UInt8> {
        bytes[element.contents]
    }
}

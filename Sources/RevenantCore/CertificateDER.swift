/// The fields of an X.509 certificate (RFC 5280 §4.1) as offsets into its DER, read by `DERReader`:
/// strict DER, version 3 only, no unique identifiers. It decides nothing: what a field means, and
/// whether a value is plain enough to be read without OpenSSL, is for the caller. Any input it
/// does not accept is thrown as `DERError`, and the caller then reads the certificate with OpenSSL.
public struct CertificateDER {
    /// An AlgorithmIdentifier (RFC 5280 §4.1.1.2).
    public struct Algorithm: Equatable {
        /// The contents of the OID (validated as OpenSSL validates an OBJECT IDENTIFIER).
        public var oid: Range<Int>
        /// The parameters' TLV, if any.
        public var parameters: DERElement?
        public var encoding: Range<Int>
    }

    /// One AttributeTypeAndValue of a Name (RFC 5280 §4.1.2.4).
    public struct Attribute {
        public var oid: Range<Int>
        public var value: DERElement
    }

    /// A Name: its whole encoding and its RDNs, each a SET of attributes.
    public struct Name {
        public var encoding: Range<Int>
        public var rdns: [[Attribute]]
    }

    /// One Extension (RFC 5280 §4.1.2.9).
    public struct Extension {
        public var oid: Range<Int>
        public var critical: Bool
        /// The contents of extnValue (the extension's own DER).
        public var value: Range<Int>
    }

    public let bytes: [UInt8]
    /// The certificate's TLV (anything after it in `bytes` is not part of it).
    public var encoding: Range<Int>
    public var serial: Range<Int>
    public var signature: Algorithm
    public var issuer: Name
    public var notBefore: DERElement
    public var notAfter: DERElement
    public var subject: Name
    public var keyAlgorithm: Algorithm
    /// subjectPublicKey's bits (a whole number of bytes: the unused-bits octet is 0).
    public var key: Range<Int>
    public var extensions: [Extension]

    /// The certificate at the start of `bytes`.
    public init(_ bytes: [UInt8]) throws(DERError) {
        self.bytes = bytes
        var outer = DERReader(bytes)
        let certificate = try outer.read(0x30)
        encoding = certificate.encoding
        var fields = outer.children(of: certificate)
        let tbsElement = try fields.read(0x30)
        let outerSignature = try Self.algorithm(&fields)
        let signatureValue = try fields.read(0x03)
        try fields.finish()
        guard Self.bitString(signatureValue, in: bytes) != nil else { throw .invalidValue }

        var tbs = fields.children(of: tbsElement)
        // version [0] EXPLICIT INTEGER: v3 (2) only; v1 and v2 certificates go to OpenSSL.
        let versionElement = try tbs.read(0xA0)
        guard bytes[versionElement.contents] == [0x02, 0x01, 0x02] else { throw .invalidValue }
        let serialElement = try tbs.read(0x02)
        guard Self.isPositiveInteger(serialElement, in: bytes) else { throw .invalidValue }
        serial = serialElement.contents
        let innerSignature = try Self.algorithm(&tbs)
        // RFC 5280 §4.1.1.2: both must be the same; a certificate where they differ is not plain.
        guard bytes[innerSignature.encoding] == bytes[outerSignature.encoding] else { throw .invalidValue }
        signature = outerSignature
        issuer = try Self.name(&tbs)
        let validity = try tbs.read(0x30)
        var times = tbs.children(of: validity)
        notBefore = try times.read()
        notAfter = try times.read()
        try times.finish()
        subject = try Self.name(&tbs)
        let spki = try tbs.read(0x30)
        var spkiFields = tbs.children(of: spki)
        keyAlgorithm = try Self.algorithm(&spkiFields)
        guard let keyBits = Self.bitString(try spkiFields.read(0x03), in: bytes) else { throw .invalidValue }
        key = keyBits
        try spkiFields.finish()
        extensions = []
        if let wrapper = try tbs.readIfPresent(0xA3) {
            var inner = tbs.children(of: wrapper)
            let list = try inner.read(0x30)
            try inner.finish()
            var items = inner.children(of: list)
            guard !items.isAtEnd else { throw .invalidValue }  // SIZE (1..MAX)
            while !items.isAtEnd {
                var fields = items.children(of: try items.read(0x30))
                let oid = try Self.objectIdentifier(&fields)
                var critical = false
                if let flag = try fields.readIfPresent(0x01) {
                    // DER: DEFAULT FALSE is never encoded, TRUE is 0xFF.
                    guard bytes[flag.contents] == [0xFF] else { throw .invalidValue }
                    critical = true
                }
                let value = try fields.read(0x04)
                try fields.finish()
                extensions.append(Extension(oid: oid, critical: critical, value: value.contents))
            }
        }
        try tbs.finish()
    }

    // MARK: pieces

    static func algorithm(_ reader: inout DERReader) throws(DERError) -> Algorithm {
        let element = try reader.read(0x30)
        var fields = reader.children(of: element)
        let oid = try objectIdentifier(&fields)
        let parameters = fields.isAtEnd ? nil : try fields.read()
        try fields.finish()
        return Algorithm(oid: oid, parameters: parameters, encoding: element.encoding)
    }

    static func name(_ reader: inout DERReader) throws(DERError) -> Name {
        let element = try reader.read(0x30)
        var sets = reader.children(of: element)
        var rdns: [[Attribute]] = []
        while !sets.isAtEnd {
            var members = sets.children(of: try sets.read(0x31))
            var rdn: [Attribute] = []
            while !members.isAtEnd {
                var pair = members.children(of: try members.read(0x30))
                let oid = try objectIdentifier(&pair)
                let value = try pair.read()
                try pair.finish()
                rdn.append(Attribute(oid: oid, value: value))
            }
            rdns.append(rdn)
        }
        return Name(encoding: element.encoding, rdns: rdns)
    }

    /// An OBJECT IDENTIFIER's contents, checked as OpenSSL checks them (X.690 §8.19: not empty, the
    /// last octet ends a subidentifier, no subidentifier starts with 0x80).
    static func objectIdentifier(_ reader: inout DERReader) throws(DERError) -> Range<Int> {
        let element = try reader.read(0x06)
        guard isObjectIdentifier(element.contents, in: reader.bytes) else { throw .invalidValue }
        return element.contents
    }

    public static func isObjectIdentifier(_ range: Range<Int>, in bytes: [UInt8]) -> Bool {
        guard !range.isEmpty, bytes[range.upperBound - 1] & 0x80 == 0 else { return false }
        var startsSubidentifier = true
        for i in range {
            if startsSubidentifier && bytes[i] == 0x80 { return false }
            startsSubidentifier = bytes[i] & 0x80 == 0
        }
        return true
    }

    /// A BIT STRING's bytes when it holds whole bytes (unused-bits octet 0), else nil.
    static func bitString(_ element: DERElement, in bytes: [UInt8]) -> Range<Int>? {
        guard element.tag == 0x03, !element.contents.isEmpty, bytes[element.contents.lowerBound] == 0 else { return nil }
        return element.contents.lowerBound + 1..<element.contents.upperBound
    }

    /// A minimally encoded INTEGER that is not negative (X.690 §8.3.2).
    public static func isPositiveInteger(_ element: DERElement, in bytes: [UInt8]) -> Bool {
        let c = element.contents
        guard element.tag == 0x02, !c.isEmpty, bytes[c.lowerBound] & 0x80 == 0 else { return false }
        return c.count == 1 || bytes[c.lowerBound] != 0 || bytes[c.lowerBound + 1] & 0x80 != 0
    }

    /// The bit length of a positive INTEGER's value (0 for zero).
    public static func bitLength(_ element: DERElement, in bytes: [UInt8]) -> Int {
        var c = element.contents
        while let first = c.first, bytes[first] == 0 { c = c.dropFirst() }
        guard let first = c.first else { return 0 }
        return (c.count - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }
}

extension CertificateDER {
    /// Seconds since 1970 of a validity time in its one DER form (RFC 5280 §4.1.2.5.1 and
    /// §4.1.2.5.2): UTCTime `YYMMDDHHMMSSZ` (years 50–99 are 19xx) or GeneralizedTime
    /// `YYYYMMDDHHMMSSZ`, every field in range (day within its month). nil for anything else,
    /// including forms OpenSSL also reads (no seconds, an offset, fractions).
    public static func time(_ element: DERElement, in bytes: [UInt8]) -> Int? {
        let c = element.contents
        let yearDigits: Int
        switch (element.tag, c.count) {
        case (0x17, 13): yearDigits = 2
        case (0x18, 15): yearDigits = 4
        default: return nil
        }
        guard bytes[c.upperBound - 1] == UInt8(ascii: "Z") else { return nil }
        var i = c.lowerBound
        /// The next `width` characters as a decimal number; nil unless they are all digits.
        func number(_ width: Int) -> Int? {
            var value = 0
            for _ in 0..<width {
                let digit = bytes[i] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
                i += 1
            }
            return value
        }
        guard var year = number(yearDigits), let month = number(2), let day = number(2), let hour = number(2),
              let minute = number(2), let second = number(2) else { return nil }
        if yearDigits == 2 { year += year < 50 ? 2000 : 1900 }
        guard year >= 1000 else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return nil }
        return CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

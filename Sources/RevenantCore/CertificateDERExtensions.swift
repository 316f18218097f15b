/// The extensions and key formats `revenant certs` reads, from a `CertificateDER`, in their plain
/// forms only: each reader returns nil when the value is anything else (a form it does not read, a
/// malformed value, bytes after the value), and the caller then reads the certificate with OpenSSL.
extension CertificateDER {
    /// A GeneralName of a kind read here (RFC 5280 §4.2.1.6); other kinds are `other`.
    public enum GeneralName: Equatable {
        case dns(ArraySlice<UInt8>)
        case email(ArraySlice<UInt8>)
        case uri(ArraySlice<UInt8>)
        case ip(ArraySlice<UInt8>)
        case other
    }

    /// OID contents of the extensions and access methods read (RFC 5280 §4.2).
    public enum OID {
        public static let basicConstraints: [UInt8] = [0x55, 0x1D, 0x13]
        public static let subjectAltName: [UInt8] = [0x55, 0x1D, 0x11]
        public static let crlDistributionPoints: [UInt8] = [0x55, 0x1D, 0x1F]
        public static let authorityKeyIdentifier: [UInt8] = [0x55, 0x1D, 0x23]
        public static let subjectKeyIdentifier: [UInt8] = [0x55, 0x1D, 0x0E]
        public static let authorityInfoAccess: [UInt8] = [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01]
        public static let ocsp: [UInt8] = [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01]
        public static let caIssuers: [UInt8] = [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02]
    }

    /// The extension with this OID; nil when absent. Callers check `hasDuplicateExtensions` first.
    public func extensionValue(_ oid: [UInt8]) -> Range<Int>? {
        extensions.first { bytes[$0.oid].elementsEqual(oid) }?.value
    }

    /// Two extensions with one OID (RFC 5280 §4.2 forbids it; OpenSSL then reads neither).
    public var hasDuplicateExtensions: Bool {
        for (i, a) in extensions.enumerated() {
            for b in extensions[(i + 1)...] where bytes[a.oid] == bytes[b.oid] { return true }
        }
        return false
    }

    /// basicConstraints cA (RFC 5280 §4.2.1.9): `SEQUENCE { BOOLEAN TRUE?, INTEGER pathLen? }`.
    public func basicConstraintsCA(_ value: Range<Int>) -> Bool? {
        parseWhole(value) { (r: inout DERReader) throws(DERError) -> Bool in
            var fields = r.children(of: try r.read(0x30))
            var ca = false
            if let flag = try fields.readIfPresent(0x01) {
                guard bytes[flag.contents] == [0xFF] else { throw .invalidValue }
                ca = true
            }
            if let length = try fields.readIfPresent(0x02) {
                guard Self.isPositiveInteger(length, in: bytes), length.contents.count <= 4 else { throw .invalidValue }
            }
            try fields.finish()
            return ca
        }
    }

    /// GeneralNames (SEQUENCE OF GeneralName), as in subjectAltName.
    public func generalNames(_ value: Range<Int>) -> [GeneralName]? {
        parseWhole(value) { (r: inout DERReader) throws(DERError) -> [GeneralName] in
            try generalNames(list: r.read(0x30), in: r)
        }
    }

    /// The URIs of the fullName distribution points (RFC 5280 §4.2.1.13). nil when a point has
    /// reasons, a cRLIssuer, a relative name or no name: OpenSSL's reading of those stays the reference.
    public func crlDistributionPointURIs(_ value: Range<Int>) -> [ArraySlice<UInt8>]? {
        parseWhole(value) { (r: inout DERReader) throws(DERError) -> [ArraySlice<UInt8>] in
            var points = r.children(of: try r.read(0x30))
            var uris: [ArraySlice<UInt8>] = []
            while !points.isAtEnd {
                var point = points.children(of: try points.read(0x30))
                var name = point.children(of: try point.read(0xA0))
                let full = try name.read(0xA0)
                try name.finish()
                try point.finish()
                for entry in try generalNames(list: full, in: name) {
                    switch entry {
                    case .uri(let uri): uris.append(uri)
                    case .dns, .email, .ip: break
                    case .other: throw .invalidValue
                    }
                }
            }
            return uris
        }
    }

    /// authorityInfoAccess OCSP and caIssuers URIs, in order (RFC 5280 §4.2.2.1).
    public func authorityInfoAccessURIs(_ value: Range<Int>) -> (ocsp: [ArraySlice<UInt8>], caIssuers: [ArraySlice<UInt8>])? {
        parseWhole(value) { (r: inout DERReader) throws(DERError) -> ([ArraySlice<UInt8>], [ArraySlice<UInt8>]) in
            var entries = r.children(of: try r.read(0x30))
            var ocsp: [ArraySlice<UInt8>] = []
            var caIssuers: [ArraySlice<UInt8>] = []
            while !entries.isAtEnd {
                var entry = entries.children(of: try entries.read(0x30))
                let method = try Self.objectIdentifier(&entry)
                let location = try generalName(entry.read())
                try entry.finish()
                switch location {
                case .uri(let uri):
                    if bytes[method].elementsEqual(OID.ocsp) { ocsp.append(uri) }
                    if bytes[method].elementsEqual(OID.caIssuers) { caIssuers.append(uri) }
                case .dns, .email, .ip: break
                case .other: throw .invalidValue
                }
            }
            return (ocsp, caIssuers)
        }
    }

    /// authorityKeyIdentifier's keyIdentifier (nil inside: none). The outer nil: not plain, including
    /// an authorityCertIssuer or serial, which only OpenSSL compares.
    public func authorityKeyIdentifier(_ value: Range<Int>) -> ArraySlice<UInt8>?? {
        parseWhole(value) { (r: inout DERReader) throws(DERError) -> ArraySlice<UInt8>? in
            var fields = r.children(of: try r.read(0x30))
            let id = try fields.readIfPresent(0x80).map { bytes[$0.contents] }
            try fields.finish()
            return id
        }
    }

    /// subjectKeyIdentifier (an OCTET STRING).
    public func subjectKeyIdentifier(_ value: Range<Int>) -> ArraySlice<UInt8>? {
        parseWhole(value) { (r: inout DERReader) throws(DERError) -> ArraySlice<UInt8> in bytes[try r.read(0x04).contents] }
    }

    /// The modulus size of an RSAPublicKey (RFC 8017 A.1.1) in `key`: both integers positive.
    public func rsaModulusBits() -> Int? {
        parseWhole(key) { (r: inout DERReader) throws(DERError) -> Int in
            var fields = r.children(of: try r.read(0x30))
            let modulus = try fields.read(0x02)
            let exponent = try fields.read(0x02)
            try fields.finish()
            guard Self.isPositiveInteger(modulus, in: bytes), Self.isPositiveInteger(exponent, in: bytes) else { throw .invalidValue }
            let bits = Self.bitLength(modulus, in: bytes)
            guard bits > 0, Self.bitLength(exponent, in: bytes) > 0 else { throw .invalidValue }
            return bits
        }
    }

    // MARK: helpers

    func generalNames(list: DERElement, in parent: DERReader) throws(DERError) -> [GeneralName] {
        guard list.isConstructed else { throw .invalidValue }
        var items = parent.children(of: list)
        var names: [GeneralName] = []
        while !items.isAtEnd { names.append(generalName(try items.read())) }
        return names
    }

    /// The primitive IA5String and OCTET STRING kinds; everything else (constructed, otherName,
    /// directoryName, registeredID, ...) is `other`.
    func generalName(_ element: DERElement) -> GeneralName {
        let contents = bytes[element.contents]
        switch element.tag {
        case 0x81: return .email(contents)
        case 0x82: return .dns(contents)
        case 0x86: return .uri(contents)
        case 0x87: return .ip(contents)
        default: return .other
        }
    }

    /// `read` over exactly the bytes of `range`: nil when it throws or leaves bytes unread.
    func parseWhole<T>(_ range: Range<Int>, _ read: (inout DERReader) throws(DERError) -> T) -> T? {
        var reader = DERReader(bytes, range: range)
        do throws(DERError) {
            let value = try read(&reader)
            try reader.finish()
            return value
        } catch {
            return nil
        }
    }
}

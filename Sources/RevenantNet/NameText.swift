import COpenSSL
import RevenantCore

/// A certificate's Name as `X509Certificate.name` prints it (X509_NAME_print_ex with RFC 2253 flags,
/// UTF-8 unescaped) and compared as X509_NAME_cmp compares two, from a `CertificateDER.Name`.
/// Written here only for plain names: one attribute per RDN, a type OpenSSL names, a PrintableString,
/// UTF8String or IA5String value of ASCII that needs no escaping. Any other name is decoded and
/// printed or compared by OpenSSL itself (`d2i_X509_NAME`), from the same bytes.
enum NameText {
    /// The printed name; nil when OpenSSL cannot decode it (the certificate then goes to OpenSSL whole).
    static func render(_ name: CertificateDER.Name, in bytes: [UInt8]) -> String? {
        if let plain = plainText(name, in: bytes) { return plain }
        return withOpenSSLName(name, in: bytes) { X509Certificate.name($0) }
    }

    /// Whether `a` and `b` are the same name (X509_NAME_cmp == 0); nil when OpenSSL cannot decode one.
    /// Callers render both names first: a name outside the plain forms has then been decoded by OpenSSL.
    static func equal(_ a: CertificateDER.Name, _ b: CertificateDER.Name, in bytes: [UInt8]) -> Bool? {
        if bytes[a.encoding] == bytes[b.encoding] { return true }
        if let same = canonicallyEqual(a, b, in: bytes) { return same }
        return withOpenSSLName(a, in: bytes) { x in withOpenSSLName(b, in: bytes) { y in X509_NAME_cmp(x, y) == 0 } } ?? nil
    }

    // MARK: plain names

    /// "CN=leaf,O=Example": the RDNs most specific first (XN_FLAG_DN_REV), "," between them.
    static func plainText(_ name: CertificateDER.Name, in bytes: [UInt8]) -> String? {
        var out: [UInt8] = []
        for rdn in name.rdns.reversed() {
            guard rdn.count == 1, let attribute = rdn.first, isPlainValue(attribute.value, in: bytes),
                  let label = Attributes.shared.shortName(bytes[attribute.oid]) else { return nil }
            if !out.isEmpty { out.append(UInt8(ascii: ",")) }
            out += label
            out.append(UInt8(ascii: "="))
            out += bytes[attribute.value.contents]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A PrintableString, UTF8String or IA5String of printable ASCII that RFC 2253 printing leaves
    /// as it is: none of `,+"\<>;#=`, no space first or last, not empty.
    static func isPlainValue(_ value: DERElement, in bytes: [UInt8]) -> Bool {
        guard isCanonicalType(value.tag), let first = value.contents.first, let last = value.contents.last,
              bytes[first] != 0x20, bytes[last] != 0x20 else { return false }
        for i in value.contents {
            switch bytes[i] {
            case 0x20..<0x7F where !isEscaped(bytes[i]): continue
            default: return false
            }
        }
        return true
    }

    /// The characters RFC 2253 printing escapes, and `#` and `=` (escaped in places, or not: left to OpenSSL).
    static func isEscaped(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "<"), UInt8(ascii: ">"),
             UInt8(ascii: ";"), UInt8(ascii: "#"), UInt8(ascii: "="): return true
        default: return false
        }
    }

    /// PrintableString, UTF8String, IA5String: the string types read here.
    static func isCanonicalType(_ tag: UInt8) -> Bool { tag == 0x13 || tag == 0x0C || tag == 0x16 }

    /// X509_NAME_cmp's answer from the canonical forms it compares (x509_name_canon: each value with
    /// leading and trailing white space removed, inner runs of it made one space, ASCII letters
    /// lower-cased; one SET per RDN), without building them. nil when a value is not an ASCII
    /// string of the types read here, or an RDN is empty or has several attributes.
    static func canonicallyEqual(_ a: CertificateDER.Name, _ b: CertificateDER.Name, in bytes: [UInt8]) -> Bool? {
        guard !a.rdns.contains(where: \.isEmpty), !b.rdns.contains(where: \.isEmpty) else { return nil }
        // One SET per RDN in the canonical encoding: a different count is a different name.
        guard a.rdns.count == b.rdns.count else { return false }
        for (x, y) in zip(a.rdns, b.rdns) {
            guard x.count == 1, y.count == 1, let p = x.first, let q = y.first,
                  isCanonicalType(p.value.tag), isCanonicalType(q.value.tag) else { return nil }
            guard let same = canonicalValuesEqual(p.value.contents, q.value.contents, in: bytes) else { return nil }
            if !same || !bytes[p.oid].elementsEqual(bytes[q.oid]) { return false }
        }
        return true
    }

    /// Two values compared in canonical form; nil when either holds a byte outside ASCII.
    static func canonicalValuesEqual(_ x: Range<Int>, _ y: Range<Int>, in bytes: [UInt8]) -> Bool? {
        var i = CanonicalBytes(range: x, bytes: bytes)
        var j = CanonicalBytes(range: y, bytes: bytes)
        while true {
            let (c, d) = (i.next(), j.next())
            if i.notASCII || j.notASCII { return nil }
            if c != d { return false }
            if c == nil { return true }
        }
    }

    /// A value's canonical bytes one at a time (see `canonicallyEqual`).
    struct CanonicalBytes {
        var position: Int
        let end: Int
        let bytes: [UInt8]
        var notASCII = false
        var pendingSpace = false
        var started = false

        init(range: Range<Int>, bytes: [UInt8]) {
            position = range.lowerBound
            end = range.upperBound
            self.bytes = bytes
        }

        mutating func next() -> UInt8? {
            while position < end {
                let b = bytes[position]
                position += 1
                if b >= 0x80 {
                    notASCII = true
                    return nil
                }
                if isSpace(b) {
                    // A run of white space is one space, only between other characters.
                    if started { pendingSpace = true }
                    continue
                }
                started = true
                if pendingSpace {
                    pendingSpace = false
                    position -= 1
                    return 0x20
                }
                return b >= 0x41 && b <= 0x5A ? b + 0x20 : b
            }
            pendingSpace = false
            return nil
        }
    }

    /// ossl_isspace: space, \t, \n, \v, \f, \r.
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    // MARK: OpenSSL

    /// `body` with the name decoded by OpenSSL; nil when it cannot be decoded.
    static func withOpenSSLName<T>(_ name: CertificateDER.Name, in bytes: [UInt8], _ body: (OpaquePointer) -> T) -> T? {
        bytes.withUnsafeBufferPointer { buffer -> T? in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base + name.encoding.lowerBound
            guard let decoded = d2i_X509_NAME(nil, &cursor, name.encoding.count) else {
                ERR_clear_error()
                return nil
            }
            defer { X509_NAME_free(decoded) }
            // A name OpenSSL reads shorter than its encoding is not the one the certificate holds.
            guard cursor == base + name.encoding.upperBound else { return nil }
            return body(decoded)
        }
    }

    /// Short names (OBJ_nid2sn) of the attribute types certificates use, by OID contents.
    final class Attributes: Sendable {
        static let shared = Attributes()
        let entries: [(oid: [UInt8], name: [UInt8])]

        init() {
            let nids = [NID_commonName, NID_organizationName, NID_countryName, NID_organizationalUnitName, NID_localityName,
                        NID_stateOrProvinceName, NID_pkcs9_emailAddress, NID_serialNumber, NID_domainComponent, NID_streetAddress,
                        NID_userId, NID_title, NID_givenName, NID_surname, NID_initials, NID_dnQualifier, NID_pseudonym,
                        NID_generationQualifier, NID_name, NID_businessCategory, NID_postalCode, NID_organizationIdentifier,
                        NID_jurisdictionCountryName, NID_jurisdictionStateOrProvinceName, NID_jurisdictionLocalityName, NID_description]
            entries = nids.compactMap { nid in
                guard let oid = X509FastReader.Tables.oid(nid), let name = OBJ_nid2sn(nid) else { return nil }
                return (oid, Array(String(cString: name).utf8))
            }
        }

        func shortName(_ oid: ArraySlice<UInt8>) -> [UInt8]? {
            entries.first { $0.oid.elementsEqual(oid) }?.name
        }
    }
}

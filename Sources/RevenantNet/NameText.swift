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
    static func equal(_ a: CertificateDER.Name, _ b: CertificateDER.Name, in bytes: [UInt8]) -> Bool? {
        if bytes[a.encoding] == bytes[b.encoding] { return true }
        if let canonicalA = canonical(a, in: bytes), let canonicalB = canonical(b, in: bytes) {
            return canonicalA.count == canonicalB.count && zip(canonicalA, canonicalB).allSatisfy { $0.oid.elementsEqual($1.oid) && $0.value == $1.value }
        }
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
        guard [0x13, 0x0C, 0x16].contains(value.tag), let first = value.contents.first, let last = value.contents.last,
              bytes[first] != 0x20, bytes[last] != 0x20 else { return false }
        for i in value.contents {
            let b = bytes[i]
            guard b >= 0x20, b < 0x7F, !escaped.contains(b) else { return false }
        }
        return true
    }

    static let escaped: Set<UInt8> = Set(",+\"\\<>;#=".utf8)

    /// The canonical form X509_NAME_cmp compares (x509_name_canon): each value with leading and
    /// trailing white space removed, inner runs of it made one space, ASCII letters lower-cased.
    /// nil unless every RDN has one attribute whose value is an ASCII string of those three types.
    static func canonical(_ name: CertificateDER.Name, in bytes: [UInt8]) -> [(oid: ArraySlice<UInt8>, value: [UInt8])]? {
        var out: [(oid: ArraySlice<UInt8>, value: [UInt8])] = []
        for rdn in name.rdns {
            guard rdn.count == 1, let attribute = rdn.first, [0x13, 0x0C, 0x16].contains(attribute.value.tag) else { return nil }
            var value: [UInt8] = []
            var pendingSpace = false
            for i in attribute.value.contents {
                let b = bytes[i]
                guard b < 0x80 else { return nil }
                if isSpace(b) {
                    pendingSpace = !value.isEmpty
                    continue
                }
                if pendingSpace { value.append(0x20) }
                pendingSpace = false
                value.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
            }
            out.append((bytes[attribute.oid], value))
        }
        return out
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

import Foundation

/// What revenant reads from one X.509 certificate.
public struct CertificateInfo: Sendable, Equatable {
    /// RFC 2253 form, most specific first: "CN=leaf.example.com,O=Example".
    public var subject: String
    public var issuer: String
    /// Hex, lower case (`openssl x509 -serial` prints the same digits upper case); "-" first if negative.
    public var serial: String
    /// "DNS:name", "IP:127.0.0.1", "email:a@b", "URI:spiffe://…", or OpenSSL's text for other kinds.
    public var subjectAltNames: [String]
    public var notBefore: Date
    public var notAfter: Date
    /// "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA", "DH", ... or "unknown (OID)".
    public var keyType: String
    public var keyBits: Int
    /// The EC curve, e.g. "prime256v1", "secp384r1".
    public var curve: String?
    /// e.g. "sha256WithRSAEncryption", "ecdsa-with-SHA384", "ED25519", or a dotted OID.
    public var signatureAlgorithm: String
    /// e.g. "SHA256", "SHA1", "MD5"; nil when the algorithm has none (Ed25519) or OpenSSL cannot tell.
    public var signatureDigest: String?
    /// Lower-case hex SHA-256 of the DER encoding.
    public var sha256: String
    public var crlDistributionPoints: [String]
    public var ocspURLs: [String]
    public var caIssuerURLs: [String]
    /// basicConstraints CA:TRUE.
    public var isCA: Bool
    /// Self-issued with no or a matching authority key id (OpenSSL's EXFLAG_SS; the signature is not checked).
    public var isSelfSigned: Bool

    public init(subject: String, issuer: String, serial: String, subjectAltNames: [String], notBefore: Date, notAfter: Date,
                keyType: String, keyBits: Int, curve: String?, signatureAlgorithm: String, signatureDigest: String?, sha256: String,
                crlDistributionPoints: [String], ocspURLs: [String], caIssuerURLs: [String], isCA: Bool, isSelfSigned: Bool) {
        self.subject = subject
        self.issuer = issuer
        self.serial = serial
        self.subjectAltNames = subjectAltNames
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.keyType = keyType
        self.keyBits = keyBits
        self.curve = curve
        self.signatureAlgorithm = signatureAlgorithm
        self.signatureDigest = signatureDigest
        self.sha256 = sha256
        self.crlDistributionPoints = crlDistributionPoints
        self.ocspURLs = ocspURLs
        self.caIssuerURLs = caIssuerURLs
        self.isCA = isCA
        self.isSelfSigned = isSelfSigned
    }

    /// The facts the lifecycle rules take.
    public var facts: CertificateFacts {
        CertificateFacts(subject: subject, notBefore: notBefore, notAfter: notAfter, keyType: keyType, keyBits: keyBits,
                         signatureAlgorithm: signatureAlgorithm, signatureDigest: signatureDigest,
                         isCA: isCA, isSelfSigned: isSelfSigned)
    }
}

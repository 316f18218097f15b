import COpenSSL
import Foundation
import RevenantCore

/// A certificate's issuer fetched from its authorityInfoAccess caIssuers URL (RFC 5280 §4.2.2.1):
/// a DER certificate, or a PKCS#7 certs-only bundle (".p7c"); PEM is read too. Only http(s), only
/// hosts the caller allows, the body capped; a fetched certificate is used only if its key verifies
/// the certificate's signature (`RevocationChecker.issuer(of:in:)`), so a wrong one is never believed.
public enum CAIssuersFetch {
    /// An issuer certificate or a small bundle: a megabyte is far more than either.
    public static let maxBytes = 1 << 20

    /// The certificates in a caIssuers body, or why there are none.
    public static func certificates(in bytes: [UInt8]) -> Result<[X509Certificate], CertificateLoadError> {
        if let bundle = pkcs7(bytes) { return .success(bundle) }
        let file = X509Loader.load(bytes: bytes, path: "")
        if file.certificates.isEmpty { return .failure(file.problem ?? CertificateLoadError(.notACertificate, "no certificate")) }
        return .success(file.certificates)
    }

    /// The certificates of a DER PKCS#7 SignedData, or nil when `bytes` is not one.
    static func pkcs7(_ bytes: [UInt8]) -> [X509Certificate]? {
        defer { ERR_clear_error() }
        let decoded: UnsafeMutablePointer<PKCS7>? = bytes.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PKCS7(nil, &cursor, buffer.count)
        }
        guard let p7 = decoded else { return nil }
        defer { PKCS7_free(p7) }
        guard let stack = revenant_PKCS7_certificates(p7) else { return nil }
        var out: [X509Certificate] = []
        for i in 0..<max(0, OPENSSL_sk_num(stack)) {
            guard let x = OPENSSL_sk_value(stack, i) else { continue }
            let x509 = OpaquePointer(x)
            X509_up_ref(x509)  // the bundle keeps its reference (freed with it); this one goes to the wrapper
            if let certificate = try? X509Certificate(taking: x509) { out.append(certificate) }
        }
        return out
    }
}

import COpenSSL
import Foundation
import RevenantCore

/// Asks an OCSP responder directly about a random serial of `issuer` (RFC 6960 §2.2: `unknown` is a
/// signed answer too), to see whether it is up, answering and signing with a certificate relying
/// parties accept. What it says about the serial matters little; who signed it is the point.
public enum OCSPResponderCheck {
    /// An answer with no status for the serial asked (one made for another certificate: replayed or
    /// cached), or a stale one, is no usable answer: relying parties refuse it, so the responder is `down`.
    public static func check(_ url: String, issuer: X509Certificate, client: OCSPClient, now: Date) -> OCSPResponderFacts {
        defer { ERR_clear_error() }
        var facts = OCSPResponderFacts(url: url)
        guard let request = randomSerialRequest(issuer) else {
            facts.down = "cannot build the OCSP request (OpenSSL: \(X509Loader.openSSLErrors()))"
            return facts
        }
        let bytes: [UInt8]
        switch client.send(request.der, to: url) {
        case .failure(let f):
            facts.down = f.message
            return facts
        case .success(let b): bytes = b
        }
        let answer: OCSPBasicResponse
        switch OCSPClient.basicResponse(bytes, request: request) {
        case .failure(let why):
            facts.down = why.message
            return facts
        case .success(let a): answer = a
        }
        let basic = answer.pointer
        facts.signer = OCSPClient.signer(of: basic, issuer: issuer)
        var status: Int32 = -1
        var reason: Int32 = -1
        var revokedAt, thisUpdate, nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        guard OCSP_resp_find_status(basic, request.id, &status, &reason, &revokedAt, &thisUpdate, &nextUpdate) == 1 else {
            facts.down = "the signed answer has no status for the serial asked (an answer made for another certificate: replayed or cached)"
            return facts
        }
        facts.status = switch status {
        case V_OCSP_CERTSTATUS_GOOD: "good"
        case V_OCSP_CERTSTATUS_REVOKED: "revoked"
        default: "unknown"
        }
        facts.down = client.freshnessProblem(thisUpdate: thisUpdate, nextUpdate: nextUpdate, now: now).map { "unusable answer: \($0)" }
        return facts
    }

    /// A request for a random 16-byte serial under `issuer`'s name and key (no certificate has it).
    static func randomSerialRequest(_ issuer: X509Certificate) -> OCSPRequest? {
        var random = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&random, Int32(random.count)) == 1 else { return nil }
        random[0] &= 0x7f  // a positive INTEGER
        guard let number = BN_bin2bn(random, Int32(random.count), nil) else { return nil }
        defer { BN_free(number) }
        guard let serial = BN_to_ASN1_INTEGER(number, nil) else { return nil }
        defer { ASN1_INTEGER_free(serial) }
        // OCSP_cert_id_new copies the name, key hash and serial it is given.
        guard let id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer.keyed), X509_get0_pubkey_bitstr(issuer.keyed), serial) else {
            return nil
        }
        return OCSPRequest(id: id)
    }
}

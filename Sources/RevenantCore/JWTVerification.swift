import Foundation

/// What checking a JWT's signature against a JWK Set showed. A value, never a thrown error.
public enum JWTVerification: Sendable, Equatable, CustomStringConvertible {
    /// The signature verifies with the key `kid` (nil when the key has no `kid`); `weakness` says
    /// why that key is too weak to trust, if it is (an RSA modulus under 2048 bits, a short HMAC key).
    case verified(kid: String?, weakness: String? = nil)
    /// Unsigned, a signature that does not verify, an `alg` that does not fit the key `kid` names,
    /// or a `crit` extension revenant does not understand.
    case failed(reason: String)
    /// No key of the set is the one `kid` names, or none fits `alg`: signed by a key not (or no longer) published.
    case noMatchingKey(reason: String)
    /// An `alg` revenant cannot verify (not RS/PS/ES/HS 256/384/512 or EdDSA).
    case unsupportedAlgorithm(String)

    public var isVerified: Bool { if case .verified = self { true } else { false } }

    public var description: String {
        switch self {
        case .verified(let kid, let weakness):
            "signature verified" + (kid.map { " with kid \(JWTLifecycle.quoted($0))" } ?? "") + (weakness.map { ", but \($0)" } ?? "")
        case .failed(let reason): "signature not verified: \(reason)"
        case .noMatchingKey(let reason): "no matching key: \(reason)"
        case .unsupportedAlgorithm(let alg): "alg \(JWTLifecycle.quoted(alg)) cannot be verified by revenant"
        }
    }
}

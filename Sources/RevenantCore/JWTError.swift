/// Why a JWT or a JWK Set could not be read. The message names the part and what was expected,
/// never the token or any piece of it: a JWT is a bearer secret.
public struct JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public enum Code: String, Sendable {
        /// Not three base64url parts, or a part that does not decode.
        case malformed
        /// A JWE (five parts, or an `enc` header): the claims are encrypted and cannot be read offline.
        case encrypted
        /// Longer than any real token or key set.
        case tooLarge
        /// The JOSE header is not a JSON object with a string `alg`, or a member has the wrong type.
        case invalidHeader
        /// The claims are not a JSON object, or a registered claim has the wrong type.
        case invalidClaims
        /// A JWK Set that is not JSON, has no `keys` list, or cannot be read.
        case invalidKeySet
    }
}

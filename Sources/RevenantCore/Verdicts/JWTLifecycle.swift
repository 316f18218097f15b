import Foundation

/// What a decoded JWT says about its credential's lifecycle: the dates to record on the
/// `Credential`, the findings the token itself gives, and remarks that are not findings.
public struct JWTLifecycleFacts: Sendable, Equatable {
    /// The earlier of the inventory's `expires_at` and the token's `exp` (either alone if only one is known).
    public var expiresAt: Date?
    /// The earlier of the inventory's `issued_at` and the token's `iat`.
    public var issuedAt: Date?
    /// The token's `nbf`, if any.
    public var notBefore: Date?
    /// DESIGN §6 codes only: `weak_crypto` for an active token that is unsigned (`alg: none`) or
    /// whose signature verified with a weak key.
    public var findings: [Finding]
    /// Remarks for the inventory's warnings: a date that disagrees with the inventory, `nbf` or `iat`
    /// in the future, an `alg` that no JOSE specification registers.
    public var notes: [String]

    public init(expiresAt: Date? = nil, issuedAt: Date? = nil, notBefore: Date? = nil, findings: [Finding] = [], notes: [String] = []) {
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.findings = findings
        self.notes = notes
    }

    /// `credential` with `expiresAt` and `issuedAt` replaced by the ones above, so the `Classifier`
    /// reports `expired`, `expiring_soon`, `expired_still_accepted` and `rotation_overdue` from the token.
    public func applied(to credential: Credential) -> Credential {
        var updated = credential
        updated.expiresAt = expiresAt
        updated.issuedAt = issuedAt
        return updated
    }
}

/// Turns a decoded JWT into lifecycle facts. Pure: `now` is an argument.
///
/// When the inventory and the token disagree on a date, the **earlier** one is kept. For expiry
/// that is the safe reading either way: a token past its own `exp` that an API still accepts is
/// `expired_still_accepted` whatever the inventory hoped, and an inventory `expires_at` before
/// `exp` records the organisation's own deadline (a shortened lifetime), which the API must honour
/// as well. For issue time, the earlier date makes `rotation_overdue` come no later than either
/// source says. Every disagreement is a note, so the inventory can be corrected.
public enum JWTLifecycle {
    /// JWS `alg` values of RFC 7518 §3.1 and RFC 8037 §3.1 (`none` is there too, and handled apart).
    public static let registeredAlgorithms: Set<String> = [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
        "PS256", "PS384", "PS512", "EdDSA",
    ]
    /// Dates closer than this count as the same (an inventory records whole seconds, `exp` may not).
    static let tolerance: TimeInterval = 1

    /// `verification`, when the signature was checked (`JWKSVerifier`), adds a weak signing key.
    public static func facts(for token: JSONWebToken, credential: Credential, now: Date,
                             verification: JWTVerification? = nil) -> JWTLifecycleFacts {
        var facts = JWTLifecycleFacts(notBefore: token.claims.notBefore)
        facts.expiresAt = earlier(inventory: credential.expiresAt, field: "expires_at",
                                  token: token.claims.expiresAt, claim: "exp", notes: &facts.notes)
        facts.issuedAt = earlier(inventory: credential.issuedAt, field: "issued_at",
                                 token: token.claims.issuedAt, claim: "iat", notes: &facts.notes)
        if let nbf = token.claims.notBefore, nbf > now {
            facts.notes.append("JWT not valid before \(Timestamp.format(nbf)) (nbf): a system that accepts it now ignores nbf")
        }
        if let iat = token.claims.issuedAt, iat > now.addingTimeInterval(tolerance) {
            facts.notes.append("JWT issued in the future (iat \(Timestamp.format(iat))): a clock is wrong or the token was not issued by its issuer")
        }
        let alg = token.header.algorithm
        var weakness: String?
        if isUnsecured(alg) {
            weakness = "the token is unsigned (RFC 7518 §3.6); an API that accepts it accepts tokens anyone can forge"
        } else if case .verified(_, let weakKey?) = verification {
            weakness = "signature verified, but \(weakKey)"
        } else if !registeredAlgorithms.contains(alg) {
            facts.notes.append("JWT alg \(quoted(alg)) is not a JWS algorithm of RFC 7518 or RFC 8037: its strength cannot be judged")
        }
        // Like weak certificates, only an active credential gets a weak_crypto finding: for a
        // should-be-dead token only whether it is dead matters.
        if let weakness, credential.state == .active {
            facts.findings.append(Finding(code: .weakCrypto, message: "JWT alg \(quoted(alg)): \(weakness)"))
        }
        return facts
    }

    /// `none` in any letter case: RFC 7518 names it in lower case, and libraries that compared
    /// case-sensitively were fooled by `None` and `NONE`.
    public static func isUnsecured(_ alg: String) -> Bool { alg.lowercased() == "none" }

    /// An attacker-chosen header value, shortened and quoted for a message.
    public static func quoted(_ text: String) -> String {
        JSONText.quote(text.count > 40 ? String(text.prefix(40)) + "…" : text)
    }

    static func earlier(inventory: Date?, field: String, token: Date?, claim: String, notes: inout [String]) -> Date? {
        guard let inventory, let token else { return inventory ?? token }
        if abs(inventory.timeIntervalSince(token)) >= tolerance {
            let kept = inventory < token ? field : claim
            notes.append("inventory \(field) \(Timestamp.format(inventory)) disagrees with the JWT's \(claim) \(Timestamp.format(token)): the earlier (\(kept)) is used")
        }
        return min(inventory, token)
    }
}

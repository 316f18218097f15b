import RevenantCore

/// AWS Signature Version 4 (docs/protocols/aws-sigv4.md): the key id logs in, the secret signs.
public struct AWSSigV4Protocol: HTTPShaped {
    public var authSchemes: [String] { ["aws_sigv4"] }
    public var usernameMeaning: String { "the access key id (`access_key_id`)" }

    /// AWS query APIs take form bodies (`Action=GetCallerIdentity&Version=…`).
    public func prepare(_ parts: inout RequestParts, probe: ProbeDefinition, authSecret: Secret?) {
        if parts.body != nil, !parts.hasContentType { parts.headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
    }

    /// The key id logs in, the secret signs (libcurl's SigV4).
    public func place(_ secret: Secret, in parts: inout RequestParts, auth: AuthScheme, context: PlacementContext) {
        guard case .awsSigV4(let provider) = auth else { return refuse(&parts) }
        parts.login = Login(user: context.username ?? "", secret: secret)
        parts.sigV4 = provider
    }

    public func negativeControlLogin(_ username: String?, using rng: inout SystemRandomNumberGenerator) -> String? {
        Self.randomAccessKeyID(using: &rng)
    }

    /// A random access key id of AWS's shape (`AKIA` + 16 of A–Z, 2–7): the negative control's
    /// login. A real id with a wrong secret gets SignatureDoesNotMatch, which is not the answer a
    /// dead key gets (InvalidClientTokenId).
    public static func randomAccessKeyID<R: RandomNumberGenerator>(using rng: inout R) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return "AKIA" + String((0..<16).map { _ in alphabet.randomElement(using: &rng)! })
    }

    /// The 12-digit account of an STS GetCallerIdentity answer (`<Account>…</Account>`), ASCII digits only.
    public static func account(_ body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let open = text.range(of: "<Account>"), let close = text.range(of: "</Account>", range: open.upperBound..<text.endIndex) else { return nil }
        let account = text[open.upperBound..<close.lowerBound]
        return account.utf8.count == 12 && account.utf8.allSatisfy({ (0x30...0x39).contains($0) }) ? String(account) : nil
    }
}

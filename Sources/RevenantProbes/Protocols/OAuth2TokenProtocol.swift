import Foundation
import RevenantCore
import RevenantCrypto

/// OAuth 2.0 token endpoints (docs/protocols/oauth2-token.md): a client secret asks for a token with
/// the client credentials grant (RFC 6749 §4.4), a service-account key with a JWT bearer assertion
/// (RFC 7523 §2.1). A token issued is acceptance (the token is never read further nor kept); only
/// `invalid_client` and `invalid_grant` are refusals.
public struct OAuth2TokenProtocol: HTTPShaped {
    public var authSchemes: [String] { TokenRequestMethod.allCases.map(\.rawValue) }
    /// A client secret needs its client id (checked per scheme: `needsClientID`); a key names its own account.
    public var needsUsername: Bool { false }
    public var usernameMeaning: String { "the client_id" }

    /// RFC 6749 §5.2: the client's or the grant's own credentials were refused.
    public static let refusalCodes = ["invalid_client", "invalid_grant"]
    /// RFC 7523 §2.1.
    static let jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    /// How long an assertion is valid: Google accepts at most an hour (`exp` − `iat`).
    static let assertionLifetime = 900

    /// Whether a credential sent with this probe must name its client (`username` = client_id).
    public static func needsClientID(_ auth: AuthScheme) -> Bool {
        if case .tokenRequest(let method, _) = auth { return method != .jwtBearer }
        return false
    }

    /// RFC 6749 §4.4.2: a form-encoded body; the answer is JSON (§5.1).
    public func prepare(_ parts: inout RequestParts, probe: ProbeDefinition, authSecret: Secret?) {
        if !parts.hasContentType { parts.headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
        if !probe.request.headers.keys.contains(where: { $0.lowercased() == "accept" }) { parts.headers.append(("Accept", "application/json")) }
    }

    public func place(_ secret: Secret, in parts: inout RequestParts, auth: AuthScheme, context: PlacementContext) {
        guard case .tokenRequest(let method, let scope) = auth else { return refuse(&parts) }
        func form(_ bytes: [UInt8]) -> String { ProbeRequestBuilder.formEncode(bytes) }
        let scopeField = scope.map { "&scope=" + form(Array($0.utf8)) } ?? ""
        let client = form(Array((context.username ?? "").utf8))
        switch method {
        case .clientSecretBasic:
            // RFC 6749 §2.3.1: id and secret form-encoded first, then joined for Basic.
            let pair = client + ":" + form(secret.bytes)
            parts.headers.append(("Authorization", "Basic \(Data(pair.utf8).base64EncodedString())"))
            parts.body = Array(("grant_type=client_credentials" + scopeField).utf8)
        case .clientSecretPost:
            parts.body = Array(("grant_type=client_credentials&client_id=\(client)&client_secret=\(form(secret.bytes))" + scopeField).utf8)
        case .jwtBearer:
            guard case .success(let key) = ServiceAccountKey.decode(secret.bytes),
                  let assertion = Self.assertion(key, audience: parts.url, scope: scope, now: context.now ?? Date()) else { return refuse(&parts) }
            parts.body = Array(("grant_type=" + form(Array(Self.jwtBearerGrant.utf8)) + "&assertion=" + assertion).utf8)
        }
    }

    /// RFC 6749 §2.3.1 has `client_secret_basic` form-encode the id and secret before joining them,
    /// and servers differ: some decode them, some compare the encoded text (spring-security-oauth
    /// #1826). For bytes the encoding leaves alone both read the same; for any other a live secret can
    /// be refused by one kind of server and not the other, so its refusal proves nothing.
    public func refusalUnproven(of secret: Secret, username: String?, probe: ProbeDefinition) -> String? {
        guard case .tokenRequest(.clientSecretBasic, _) = probe.auth else { return nil }
        let changed = { (bytes: [UInt8]) in !ProbeRequestBuilder.formEncode(bytes).utf8.elementsEqual(bytes) }
        guard changed(secret.bytes) || changed(Array((username ?? "").utf8)) else { return nil }
        return "client_secret_basic form-encodes the client id and secret (RFC 6749 §2.3.1), which changes these bytes, and "
            + "not every server decodes them, so a live secret can be refused alike; client_secret_post carries them in a form body every server decodes"
    }

    /// RFC 7523 §3 and Google's "Preparing to make an authorized API call": `iss` and `sub` are the
    /// account, `aud` the token endpoint, `iat`/`exp` a short window, `scope` Google's claim; the
    /// header names the key (`kid`). RS256-signed with the key's private key.
    public static func assertion(_ key: ServiceAccountKey, audience: String, scope: String?, now: Date) -> String? {
        let iat = Int(now.timeIntervalSince1970)
        let header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\(JSONText.quote(key.keyID))}"
        var claims = "{\"iss\":\(JSONText.quote(key.clientEmail)),\"sub\":\(JSONText.quote(key.clientEmail)),"
            + "\"aud\":\(JSONText.quote(audience)),\"iat\":\(iat),\"exp\":\(iat + assertionLifetime)"
        if let scope { claims += ",\"scope\":\(JSONText.quote(scope))" }
        claims += "}"
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        guard let signature = RSASigner.signRS256(Array(input.utf8), privateKeyPEM: key.privateKeyPEM) else { return nil }
        return input + "." + Base64URL.encode(signature)
    }

    /// A token issued is acceptance only when the answer holds one (RFC 6749 §5.1 `access_token`);
    /// a refusal only when it is `invalid_client` or `invalid_grant` with 400 or 401 (§5.2). The body
    /// is never quoted: it holds a live token or the server's words.
    public func read(_ result: ProbeResult, probe: ProbeDefinition, lookup: String) -> ProbeOutcome {
        let outcome = ResponseClassifier.readHTTP(result, probe: probe)
        guard outcome.isAuthenticated || outcome.isRejected, case .success(.http(let response)) = result else { return outcome }
        let status = response.status
        let json = try? JSONTreeParser.parse(response.body, file: "response").plain
        if outcome.isAuthenticated {
            guard case .string(let token)? = json?.value(at: "access_token"), !token.isEmpty else {
                return .inconclusive(reason: "status \(status): no access_token in the answer (RFC 6749 §5.1)")
            }
            return .authenticated(reason: "status \(status): the token endpoint issued an access token (not used, not kept)")
        }
        guard [400, 401].contains(status), case .string(let code)? = json?.value(at: "error"), Self.refusalCodes.contains(code) else {
            return .inconclusive(reason: "status \(status): not an invalid_client or invalid_grant answer (RFC 6749 §5.2)")
        }
        // A client-credentials request carries no grant credential: its invalid_grant is about the
        // client's setup (Salesforce: no run-as user), not the secret. Only an assertion is a grant.
        if code == "invalid_grant", case .tokenRequest(let method, _) = probe.auth, method != .jwtBearer {
            return .inconclusive(reason: "status \(status): invalid_grant to a client-credentials request is not about the client secret (RFC 6749 §4.4, §5.2)")
        }
        return .rejected(reason: "status \(status): \(code) (RFC 6749 §5.2)")
    }

    /// A service-account key's negative control: the same account and key id, signed with a fresh
    /// RSA key nobody registered. A server that issues a token for it does not check signatures.
    public func negativeControlSecret(like first: Secret, probe: ProbeDefinition) -> Secret? {
        guard case .tokenRequest(.jwtBearer, _) = probe.auth, case .success(let key) = ServiceAccountKey.decode(first.bytes),
              let fresh = RSASigner.generatePrivateKeyPEM() else { return nil }
        let pem = String(decoding: fresh, as: UTF8.self)
        let json = "{\"type\":\"service_account\",\"private_key_id\":\(JSONText.quote(key.keyID)),"
            + "\"private_key\":\(JSONText.quote(pem)),\"client_email\":\(JSONText.quote(key.clientEmail))}"
        return Secret(json)
    }

    /// Where a service-account key asks for tokens, as this probe's target: the key's `token_uri`
    /// when its host is one the probe allows and it ends in the probe's path.
    public static func keyTarget(_ secret: Secret, probe: ProbeDefinition) -> KeyTarget {
        guard case .tokenRequest(.jwtBearer, _) = probe.auth, case .success(let key) = ServiceAccountKey.decode(secret.bytes),
              let uri = key.tokenURI else { return .unnamed }
        // The text is not shown unless it parses: a URL with user info may carry a password.
        guard let url = URLComponents(string: uri), let host = url.host?.lowercased(), url.user == nil, url.password == nil,
              url.query == nil, url.fragment == nil else {
            return .refused("the key file's token_uri is not a plain http(s) URL: nothing is sent")
        }
        guard probe.allows(host: host) else {
            return .refused("the key file's token_uri names host \(host), not in allowed_hosts of probe `\(probe.id)` "
                + "(\(probe.allowedHosts.joined(separator: ", "))): a key of another issuer is refused as a dead one, so nothing is sent")
        }
        guard uri.hasSuffix(probe.request.path) else {
            return .refused("the key file's token_uri \(uri) does not end in probe `\(probe.id)`'s path \(probe.request.path): nothing is sent")
        }
        return .base(String(uri.dropLast(probe.request.path.count)))
    }

    /// What a key file says about where it goes.
    public enum KeyTarget: Sendable, Equatable {
        /// No `token_uri` (or not a key): the credential's target, else the probe's default.
        case unnamed
        /// The target's base URL, from `token_uri`.
        case base(String)
        /// Not sent, and why.
        case refused(String)
    }
}

import Foundation
import Testing
import RevenantCore
import RevenantCrypto
import RevenantProbes

/// The `oauth2-token` protocol without a server: request shapes (client_secret_basic, _post, the
/// RFC 7523 assertion), how answers read, what lint refuses, the key's token_uri and the negative control.
@Suite struct OAuth2TokenRequestTests {
    static let target = TargetURL("https://idp.example.com/oauth2/default/v1")!

    static func probe(_ method: TokenRequestMethod, scope: String? = nil, hosts: [String] = ["idp.example.com"]) -> ProbeDefinition {
        ProbeDefinition(id: "tok", title: "tok", kinds: [method.credentialKind], protocol: "oauth2-token", allowedHosts: hosts,
                        request: RequestTemplate(method: "POST", path: "/token", readOnly: true),
                        auth: .tokenRequest(method, scope: scope), authenticated: [Matcher(status: [200])],
                        rejected: OAuth2TokenProtocol.refusalCodes.map { Matcher(status: [400, 401], json: JSONCondition(path: "error", equals: .string($0))) },
                        docs: "https://docs.example.com")
    }

    static func header(_ request: ProbeRequest, _ name: String) -> [String] {
        request.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    static func form(_ request: ProbeRequest) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: request.body ?? [], as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            out[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        return out
    }

    static let keyPEM = RSASigner.generatePrivateKeyPEM()!

    static func keyFile(tokenURI: String? = "https://idp.example.com/oauth2/default/v1/token", extra: String = "") -> Secret {
        var json = #"{"type":"service_account","project_id":"p","private_key_id":"0123456789abcdef0123456789abcdef01234567","#
            + #""private_key":\#(JSONText.quote(String(decoding: keyPEM, as: UTF8.self))),"client_email":"sa-1@p.iam.gserviceaccount.com""#
        if let tokenURI { json += #","token_uri":\#(JSONText.quote(tokenURI))"# }
        return Secret(json + extra + "}")
    }

    // MARK: requests

    @Test func clientSecretBasicSendsTheFormEncodedPairAsBasicAndTheGrantInTheBody() {
        let request = PreparedProbeRequest(Self.probe(.clientSecretBasic, scope: "read write"), target: Self.target)
            .request(secret: Secret("s3cr:t/+"), username: "client id", timeout: 5)
        #expect(request.method == "POST" && request.url == "https://idp.example.com/oauth2/default/v1/token")
        // RFC 6749 §2.3.1: each part form-encoded before the Basic join.
        #expect(Self.header(request, "Authorization") == ["Basic " + Data("client%20id:s3cr%3At%2F%2B".utf8).base64EncodedString()])
        #expect(Self.form(request) == ["grant_type": "client_credentials", "scope": "read write"])
        #expect(Self.header(request, "Content-Type") == ["application/x-www-form-urlencoded"])
        #expect(Self.header(request, "Accept") == ["application/json"])
    }

    @Test func clientSecretPostPutsTheClientInTheBodyAndNoAuthorizationHeader() {
        let request = PreparedProbeRequest(Self.probe(.clientSecretPost), target: Self.target)
            .request(secret: Secret("a&b=c"), username: "6f1c2e0a", timeout: 5)
        #expect(Self.header(request, "Authorization").isEmpty)
        #expect(Self.form(request) == ["grant_type": "client_credentials", "client_id": "6f1c2e0a", "client_secret": "a&b=c"])
    }

    @Test func jwtBearerSignsAnAssertionForTheKeysAccountAndTheEndpoint() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let request = PreparedProbeRequest(Self.probe(.jwtBearer, scope: "https://www.googleapis.com/auth/cloud-platform"), target: Self.target)
            .request(secret: Self.keyFile(), username: nil, timeout: 5, now: now)
        let form = Self.form(request)
        #expect(form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        let token = try JSONWebToken.decode(try #require(form["assertion"]))
        #expect(token.header.algorithm == "RS256" && token.header.keyID == "0123456789abcdef0123456789abcdef01234567")
        #expect(token.claims.issuer == "sa-1@p.iam.gserviceaccount.com" && token.claims.subject == "sa-1@p.iam.gserviceaccount.com")
        #expect(token.claims.audience == ["https://idp.example.com/oauth2/default/v1/token"])
        #expect(token.claims.issuedAt == now)
        let lifetime = try #require(token.claims.expiresAt).timeIntervalSince(now)
        #expect(lifetime > 0 && lifetime <= 3600)
        #expect(String(decoding: request.body ?? [], as: UTF8.self).contains("PRIVATE") == false)
        #expect(token.signature.count == 256)
    }

    @Test func aKeyThatCannotSignSendsNothing() {
        // A key made for this run, its body replaced: PEM-shaped, but nothing OpenSSL can sign with.
        let lines = String(decoding: RSASigner.generatePrivateKeyPEM() ?? [], as: UTF8.self).split(separator: "\n")
        let unusable = [lines.first ?? "", "AAAA", lines.last ?? ""].joined(separator: "\n") + "\n"
        let broken = Secret(#"{"type":"service_account","private_key_id":"k1","private_key":"# + JSONText.quote(unusable) + #","client_email":"a@b.c"}"#)
        let request = PreparedProbeRequest(Self.probe(.jwtBearer), target: Self.target).request(secret: broken, username: nil, timeout: 5)
        #expect(request.url.isEmpty)
    }

    // MARK: answers

    static func answer(_ status: Int, _ body: String) -> ProbeResult {
        .success(.http(HTTPResponse(status: status, body: Array(body.utf8))))
    }

    @Test(arguments: [
        (200, #"{"access_token":"tok-LIVE-123","token_type":"Bearer","expires_in":3600}"#, "authenticated"),
        (200, #"{"token_type":"Bearer"}"#, "inconclusive"),
        (200, #"{"access_token":""}"#, "inconclusive"),
        (200, "<html>tok-LIVE-123</html>", "inconclusive"),
        (401, #"{"error":"invalid_client","error_description":"tok-LIVE-123"}"#, "rejected"),
        (400, #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#, "inconclusive"),
        (400, #"{"error":"unauthorized_client"}"#, "inconclusive"),
        (400, #"{"error":"invalid_scope"}"#, "inconclusive"),
        (400, #"{"error":"unsupported_grant_type"}"#, "inconclusive"),
        (403, #"{"error":"invalid_client"}"#, "inconclusive"),
        (429, #"{"error":"invalid_client"}"#, "inconclusive"),
        (500, #"{"error":"invalid_client"}"#, "inconclusive"),
        (503, "down", "inconclusive"),
    ])
    func onlyATokenOrInvalidClientOrGrantDecides(status: Int, body: String, expected: String) {
        let outcome = ResponseClassifier.classify(Self.answer(status, body), probe: Self.probe(.clientSecretBasic))
        #expect(outcome.name == expected, "\(outcome.reason)")
        // Nothing of the body (a live token, the server's words) is in the reason.
        #expect(!outcome.reason.contains("tok-LIVE") && !outcome.reason.contains("Signature"), "\(outcome.reason)")
    }

    /// invalid_grant refuses an assertion (RFC 7523 §3.1); to a client secret's client-credentials
    /// request it is about the client's setup (Salesforce: "no client credentials user enabled").
    @Test(arguments: [TokenRequestMethod.clientSecretBasic, .clientSecretPost, .jwtBearer])
    func invalidGrantIsARefusalOfAnAssertionOnly(method: TokenRequestMethod) {
        let body = #"{"error":"invalid_grant","error_description":"no client credentials user enabled"}"#
        let outcome = ResponseClassifier.classify(Self.answer(400, body), probe: Self.probe(method))
        #expect(outcome.isRejected == (method == .jwtBearer), "\(outcome.reason)")
    }

    /// client_secret_basic form-encodes id and secret (RFC 6749 §2.3.1) and servers differ on
    /// decoding them: a secret (or client id) the encoding changes cannot be proved dead by a refusal.
    @Test(arguments: [
        (TokenRequestMethod.clientSecretBasic, "abcDEF123-._~", "client-1", false),
        (.clientSecretBasic, "abc+def/ghi=", "client-1", true),
        (.clientSecretBasic, "p\u{e4}ss", "client-1", true),
        (.clientSecretBasic, "abcdef", "client id", true),
        (.clientSecretPost, "abc+def/ghi=", "client-1", false),
    ])
    func basicRefusalOfASecretTheEncodingChangesProvesNothing(method: TokenRequestMethod, secret: String, client: String, unproven: Bool) {
        let why = ProbeProtocol.oauth2Token.unit.refusalUnproven(of: Secret(bytes: Array(secret.utf8)), username: client, probe: Self.probe(method))
        #expect((why != nil) == unproven, "\(why ?? "nil")")
    }

    @Test func aSloppyMatcherStillCannotTurnAnotherErrorIntoARefusal() {
        var probe = Self.probe(.clientSecretBasic)
        probe.rejected = [Matcher(status: [400])]
        let outcome = ResponseClassifier.classify(Self.answer(400, #"{"error":"invalid_scope"}"#), probe: probe)
        #expect(outcome.name == "inconclusive", "\(outcome.reason)")
    }

    // MARK: lint

    static func lint(_ fields: [String: String]) -> [LintProblem] {
        var all: [String: String] = [
            "id": #""tok""#, "title": #""t""#, "kinds": #"["client_secret"]"#, "protocol": #""oauth2-token""#,
            "allowed_hosts": #"["idp.example.com"]"#, "request": #"{"method": "POST", "path": "/token", "read_only": true}"#,
            "auth": #"{"scheme": "client_secret_basic"}"#, "authenticated": #"[{"status": [200]}]"#,
            "rejected": #"[{"status": [401], "json": {"path": "error", "equals": "invalid_client"}}]"#, "docs": #""https://d.example.com""#,
        ]
        all.merge(fields) { _, new in new }
        let text = "{" + all.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ",") + "}"
        return ProbeLoader.load(bytes: Array(text.utf8), file: "/probes/tok.json").1
    }

    @Test func aValidTokenProbeLints() {
        #expect(Self.lint([:]).isEmpty, "\(Self.lint([:]))")
        #expect(Self.lint(["auth": #"{"scheme": "jwt_bearer", "scope": "s"}"#, "kinds": #"["service_account_key"]"#,
                           "rejected": #"[{"status": [400], "json": {"path": "error", "equals": "invalid_grant"}}]"#]).isEmpty)
    }

    @Test(arguments: [
        (["kinds": #"["password"]"#], "kinds must be exactly"),
        (["auth": #"{"scheme": "jwt_bearer"}"#], "kinds must be exactly"),
        (["rejected": #"[{"status": [400], "json": {"path": "error", "equals": "invalid_scope"}}]"#], "invalid_client` or `invalid_grant"),
        (["rejected": #"[{"status": [401]}]"#], "invalid_client` or `invalid_grant"),
        (["rejected": #"[{"status": [403], "json": {"path": "error", "equals": "invalid_client"}}]"#], "400 or 401"),
        (["authenticated": #"[{"status": [201]}]"#], "status 200"),
        (["request": #"{"method": "GET", "path": "/token"}"#], "POST"),
        (["request": #"{"method": "POST", "path": "/token", "read_only": true, "body": "grant_type=x"}"#], "built by revenant"),
        (["auth": #"{"scheme": "client_secret_post", "scope": "a\nb"}"#], "printable ASCII"),
        (["auth": #"{"scheme": "bearer"}"#], "does not apply to protocol"),
    ])
    func lintRefusesWhatWouldReadAnAnswerWrongly(fields: [String: String], message: String) {
        let problems = Self.lint(fields)
        #expect(problems.contains { $0.level == .error && $0.error.message.contains(message) }, "\(problems)")
    }

    // MARK: the key file

    @Test func aKeysTokenURIIsUsedOnlyOnAnAllowedHostAndWithTheProbesPath() {
        let probe = Self.probe(.jwtBearer)
        #expect(OAuth2TokenProtocol.keyTarget(Self.keyFile(), probe: probe) == .base("https://idp.example.com/oauth2/default/v1"))
        #expect(OAuth2TokenProtocol.keyTarget(Self.keyFile(tokenURI: nil), probe: probe) == .unnamed)
        guard case .refused(let why) = OAuth2TokenProtocol.keyTarget(Self.keyFile(tokenURI: "https://evil.example.net/token"), probe: probe) else {
            Issue.record("a token_uri on another host was not refused")
            return
        }
        #expect(why.contains("evil.example.net") && why.contains("allowed_hosts"))
        if case .refused = OAuth2TokenProtocol.keyTarget(Self.keyFile(tokenURI: "https://idp.example.com/o/oauth2/tok"), probe: probe) {} else {
            Issue.record("a token_uri with another path was not refused")
        }
        if case .refused(let why) = OAuth2TokenProtocol.keyTarget(Self.keyFile(tokenURI: "https://u:pw@idp.example.com/token"), probe: probe) {
            #expect(!why.contains("pw"))
        } else {
            Issue.record("a token_uri with user info was not refused")
        }
        // A client-secret probe never reads a key file.
        #expect(OAuth2TokenProtocol.keyTarget(Self.keyFile(), probe: Self.probe(.clientSecretBasic)) == .unnamed)
    }

    @Test func theNegativeControlOfAKeyHasItsAccountAndKidAndAFreshKey() throws {
        let probe = Self.probe(.jwtBearer)
        let negative = try #require(ProbeProtocol.oauth2Token.unit.negativeControlSecret(like: Self.keyFile(), probe: probe))
        guard case .success(let fake) = ServiceAccountKey.decode(negative.bytes),
              case .success(let real) = ServiceAccountKey.decode(Self.keyFile().bytes) else {
            Issue.record("the negative control is not a key file")
            return
        }
        #expect(fake.clientEmail == real.clientEmail && fake.keyID == real.keyID)
        #expect(fake.privateKeyPEM != real.privateKeyPEM && RSASigner.canSign(privateKeyPEM: fake.privateKeyPEM))
        #expect(fake.tokenURI == nil)
        // A client secret's negative control is the probe's random text.
        #expect(ProbeProtocol.oauth2Token.unit.negativeControlSecret(like: "secret", probe: Self.probe(.clientSecretPost)) == nil)
    }
}

import Foundation
import RevenantCore
import RevenantCrypto
@testable import RevenantEngine
import RevenantProbes
import Testing

/// How the planner treats `oauth2-token` probes: the client id, the key file and its token_uri,
/// the key's negative control and the positive control its rejections need.
@Suite struct OAuth2TokenPlanTests {
    static func probe(_ method: TokenRequestMethod, id: String = "tok", defaultTarget: String? = nil) -> ProbeDefinition {
        var p = ProbeDefinition(id: id, title: id, kinds: [method.credentialKind], protocol: "oauth2-token", defaultTarget: defaultTarget,
                                allowedHosts: ["idp.test"], request: RequestTemplate(method: "POST", path: "/token", readOnly: true),
                                auth: .tokenRequest(method, scope: nil), authenticated: [Matcher(status: [200])],
                                rejected: [Matcher(status: [401], json: JSONCondition(path: "error", equals: .string("invalid_client")))])
        p.docs = "https://example.test/docs"
        return p
    }

    static let pem = String(decoding: RSASigner.generatePrivateKeyPEM()!, as: UTF8.self)

    /// A pretty-printed key file (line breaks, as Google writes them).
    static func keyFile(tokenURI: String?, kid: String = "kid0123456789") -> String {
        var lines = ["{", #"  "type": "service_account","#, #"  "private_key_id": "\#(kid)","#,
                     #"  "private_key": \#(JSONText.quote(pem)),"#, #"  "client_email": "sa-9@proj.iam.gserviceaccount.com""#]
        if let tokenURI { lines[lines.count - 1] += ",\n  \"token_uri\": \(JSONText.quote(tokenURI))" }
        return (lines + ["}"]).joined(separator: "\n")
    }

    static func key(_ id: String, _ file: String, target: String? = nil, probe: String = "tok") -> Credential {
        var c = Fixture.credential(id, kind: .serviceAccountKey, secret: file, probe: probe)
        c.targets = [ProbeTarget(probe: probe, target: target)]
        return c
    }

    /// RFC 6749 §5.2: `invalid_client` is also the answer to a client that may not use this
    /// authentication method. Only a positive control of the same client vouches for a refusal
    /// (found by an adversarial run: another client's control let a live post-only secret read as dead).
    @Test(arguments: [TokenRequestMethod.clientSecretBasic, .clientSecretPost])
    func onlyTheSameClientsControlVouchesForInvalidClient(method: TokenRequestMethod) async {
        // Basic carries the secret in a header, post in the form body.
        let mock = MockTransport { request, secret in
            let posted = String(decoding: request.body ?? [], as: UTF8.self).contains("client_secret=canary-new-secret-1")
            return secret == "canary-new-secret-1" || posted ? Answer.status(200, body: #"{"access_token":"t","token_type":"Bearer"}"#)
                : Answer.status(401, body: #"{"error":"invalid_client"}"#)
        }
        let credentials = [
            Fixture.credential("rotated", kind: .clientSecret, secret: "canary-old-secret-1", probe: "tok", target: "https://idp.test", username: "canary"),
            Fixture.credential("other-client", kind: .clientSecret, secret: "post-only-secret-1", probe: "tok", target: "https://idp.test", username: "post-only"),
        ]
        let controls = [PositiveControl(probe: "tok", target: "https://idp.test", secret: .value("canary-new-secret-1"), username: "canary")]
        let report = await Fixture.run(Fixture.plan(credentials, probes: [Self.probe(method)], controls: controls), transport: mock)
        #expect(report.result("rotated")?.codes == [.revocationVerified], "\(report.result("rotated")!.checks)")
        let other = report.result("other-client")!
        #expect(other.checks[0].outcome.name == "inconclusive" && other.checks[0].outcome.reason.contains("another client"), "\(other.checks)")
        #expect(other.codes == [.revocationUnverified])
    }

    @Test func aClientSecretWithoutItsClientIdIsNotSent() {
        let plan = Fixture.plan([Fixture.credential("s", kind: .clientSecret, secret: "dead-secret-1", probe: "tok", target: "https://idp.test")],
                                probes: [Self.probe(.clientSecretBasic)])
        #expect(plan.checks[0][0].skipReason?.contains("client_id") == true, "\(plan.checks[0][0])")
        #expect(plan.pairs.isEmpty)
    }

    @Test func aKeysTokenURIIsItsTargetOnlyOnAnAllowedHost() {
        let plan = Fixture.plan([
            Self.key("own", Self.keyFile(tokenURI: "https://idp.test/oauth/token")),
            Self.key("foreign", Self.keyFile(tokenURI: "https://idp.evil.test/token")),
            Self.key("foreign-with-target", Self.keyFile(tokenURI: "https://idp.evil.test/token"), target: "https://idp.test/oauth"),
            Self.key("none", Self.keyFile(tokenURI: nil)),
        ], probes: [Self.probe(.jwtBearer, defaultTarget: "https://idp.test")])
        #expect(plan.checks[0][0].skipReason == nil && plan.checks[0][0].displayURL == "https://idp.test/oauth/token")
        for i in [1, 2] {
            #expect(plan.checks[i][0].skipReason?.contains("idp.evil.test") == true, "\(plan.checks[i][0])")
            #expect(plan.checks[i][0].pair == nil)
        }
        #expect(plan.checks[3][0].skipReason == nil && plan.checks[3][0].displayURL == "https://idp.test/token")
    }

    @Test func anUnusableKeyFileIsSkippedWithoutQuotingIt() {
        let noKey = #"{"type":"service_account","private_key_id":"k1","client_email":"sa-secret-name@p.test","private_key":"AAAAsecretbytes"}"#
        let brokenKey = Self.keyFile(tokenURI: nil).replacingOccurrences(of: "kid0123456789", with: "k2")
            .replacingOccurrences(of: Self.pem.split(separator: "\n")[1], with: "MHcCAQEEIAAAA")
        let plan = Fixture.plan([Self.key("a", noKey), Self.key("b", brokenKey)], probes: [Self.probe(.jwtBearer, defaultTarget: "https://idp.test")])
        let reasons = plan.checks.map { $0[0].skipReason ?? "" }
        #expect(reasons[0].contains("`private_key`"), "\(reasons[0])")
        #expect(reasons[1].contains("`private_key`"), "\(reasons[1])")
        #expect(!reasons.joined().contains("secret") && !reasons.joined().contains("AAAA"))
    }

    @Test func aKeysNegativeControlIsItsAccountAndKidWithAFreshKey() throws {
        let plan = Fixture.plan([Self.key("k", Self.keyFile(tokenURI: nil))], probes: [Self.probe(.jwtBearer, defaultTarget: "https://idp.test")])
        let negative = try #require(plan.pairs.first?.negativeSecret)
        let fake = try ServiceAccountKey.decode(negative.bytes).get()
        #expect(fake.keyID == "kid0123456789" && fake.clientEmail == "sa-9@proj.iam.gserviceaccount.com")
        #expect(String(decoding: fake.privateKeyPEM, as: UTF8.self) != Self.pem)
        // A client secret's negative control stays the probe's random text.
        let secrets = Fixture.plan([Fixture.credential("s", kind: .clientSecret, secret: "dead-secret-2", probe: "tok", target: "https://idp.test", username: "app-1")],
                                   probes: [Self.probe(.clientSecretPost)])
        #expect(secrets.pairs.first?.negativeSecret == nil && secrets.pairs.first?.username == "app-1")
    }

    @Test func aTokenPairsRejectionsNeedAKnownGoodCredential() {
        let creds = [Fixture.credential("s", kind: .clientSecret, secret: "dead-secret-3", probe: "tok", target: "https://idp.test", username: "app-1"),
                     Self.key("k", Self.keyFile(tokenURI: nil), target: "https://idp.test", probe: "key")]
        let probes = [Self.probe(.clientSecretBasic), Self.probe(.jwtBearer, id: "key")]
        let bare = Fixture.plan(creds, probes: probes)
        #expect(bare.pairs.allSatisfy { $0.positiveProblem?.contains("known-good") == true }, "\(bare.pairs.map(\.positiveProblem))")
        let controlled = Fixture.plan(creds, probes: probes, controls: [
            PositiveControl(probe: "tok", target: "https://idp.test", secret: .value("good-secret"), username: "app-2"),
            PositiveControl(probe: "key", target: "https://idp.test", secret: .value(#"{"type":"service_account"}"#), origin: "c[1]"),
        ])
        #expect(controlled.pairs[0].positiveSecret == "good-secret" && controlled.pairs[0].positiveUsername == "app-2")
        // A control that is no usable key cannot vouch: it is not sent, and rejections there do not count.
        #expect(controlled.pairs[1].positiveSecret == nil && controlled.pairs[1].positiveProblem != nil)
        #expect(controlled.warnings.contains { $0.contains("c[1]") && $0.contains("client_email") })
    }
}

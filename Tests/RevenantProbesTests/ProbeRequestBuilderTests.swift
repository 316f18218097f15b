import Foundation
import Testing
import RevenantCore
import RevenantProbes

/// `ProbeRequestBuilder`: where the secret goes for each auth scheme, and nowhere else.
@Suite struct ProbeRequestBuilderTests {
    static let target = TargetURL("https://api.example.com/base")!

    static func build(_ probe: ProbeDefinition, secret: Secret = "s3cr3t-token", username: String? = nil) -> ProbeRequest {
        ProbeRequestBuilder.build(probe, target: target, secret: secret, username: username, timeout: 7)
    }

    static func headers(_ request: ProbeRequest, _ name: String) -> [String] {
        request.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func bearerPutsTheSecretInTheAuthorizationHeader() {
        let request = Self.build(SampleProbe.make(auth: .bearer, headers: ["Accept": "application/json"]))
        #expect(request.method == "GET")
        #expect(request.url == "https://api.example.com/base/v1/me")
        #expect(request.host == "api.example.com")
        #expect(request.timeout.seconds == 7)
        #expect(request.body == nil)
        #expect(Self.headers(request, "Authorization") == ["Bearer s3cr3t-token"])
        #expect(Self.headers(request, "Accept") == ["application/json"])
        #expect(Self.headers(request, "User-Agent") == [ProbeRequestBuilder.userAgent])
        #expect(request.headers.first?.name == "User-Agent")
    }

    @Test func basicUsesTheCredentialsUsername() {
        let probe = SampleProbe.make(auth: .basic(defaultUsername: "api", secretInUsername: false))
        let request = Self.build(probe, secret: "pw", username: "alice")
        #expect(Self.headers(request, "Authorization") == [Self.basic("alice", "pw")])
        #expect(Self.headers(request, "Authorization") == ["Basic YWxpY2U6cHc="])
    }

    @Test func basicFallsBackToTheProbesDefaultUsername() {
        let probe = SampleProbe.make(auth: .basic(defaultUsername: "api", secretInUsername: false))
        #expect(Self.headers(Self.build(probe, secret: "key-123"), "Authorization") == [Self.basic("api", "key-123")])
    }

    @Test func basicWithoutAnyUsernameSendsAnEmptyOne() {
        let probe = SampleProbe.make(auth: .basic(defaultUsername: nil, secretInUsername: false))
        #expect(Self.headers(Self.build(probe, secret: "pw"), "Authorization") == [Self.basic("", "pw")])
    }

    @Test func basicWithSecretInUsernameSendsAnEmptyPassword() {
        let probe = SampleProbe.make(auth: .basic(defaultUsername: "ignored", secretInUsername: true))
        let request = Self.build(probe, secret: "sk_live_abc", username: "ignored-too")
        #expect(Self.headers(request, "Authorization") == [Self.basic("sk_live_abc", "")])
    }

    @Test func headerSchemeUsesTheNameAndPrefix() {
        let request = Self.build(SampleProbe.make(auth: .header(name: "Authorization", prefix: "Token token=")), secret: "abc")
        #expect(Self.headers(request, "Authorization") == ["Token token=abc"])
        let plain = Self.build(SampleProbe.make(auth: .header(name: "X-Api-Key", prefix: "")), secret: "abc")
        #expect(Self.headers(plain, "X-Api-Key") == ["abc"])
        #expect(Self.headers(plain, "Authorization").isEmpty)
    }

    @Test func querySchemeAppendsThePercentEncodedSecret() {
        let request = Self.build(SampleProbe.make(auth: .query(name: "api_key")), secret: "a b&c=d/e+f?g#h%")
        #expect(request.url == "https://api.example.com/base/v1/me?api_key=a%20b%26c%3Dd%2Fe%2Bf%3Fg%23h%25")
        #expect(Self.headers(request, "Authorization").isEmpty)
    }

    @Test func querySchemeKeepsAnExistingQueryString() {
        let request = Self.build(SampleProbe.make(auth: .query(name: "key"), path: "/v1/me?fields=id"), secret: "k-1._~")
        #expect(request.url == "https://api.example.com/base/v1/me?fields=id&key=k-1._~")
    }

    @Test func querySchemeEncodesNonASCIIAsUTF8Bytes() {
        let request = Self.build(SampleProbe.make(auth: .query(name: "k")), secret: "é✓")
        #expect(request.url.hasSuffix("?k=%C3%A9%E2%9C%93"))
        #expect(request.url.utf8.allSatisfy { $0 < 0x80 })
    }

    @Test func displayURLNeverCarriesTheSecret() {
        let probe = SampleProbe.make(auth: .query(name: "api_key"))
        let shown = ProbeRequestBuilder.displayURL(probe, target: Self.target)
        #expect(shown == "https://api.example.com/base/v1/me")
        #expect(!shown.contains("s3cr3t"))
    }

    @Test func postBodyIsSentWithAJSONContentTypeUnlessTheProbeSetsOne() {
        let post = Self.build(SampleProbe.make(method: "POST", path: "/api/auth.test", body: #"{"a":1}"#))
        #expect(post.method == "POST")
        #expect(post.body == Array(#"{"a":1}"#.utf8))
        #expect(Self.headers(post, "Content-Type") == ["application/json"])

        let form = Self.build(SampleProbe.make(method: "POST", headers: ["content-type": "application/x-www-form-urlencoded"], body: "a=1"))
        #expect(Self.headers(form, "Content-Type") == ["application/x-www-form-urlencoded"])
    }

    @Test func probeHeadersComeInAStableOrder() {
        let request = Self.build(SampleProbe.make(headers: ["X-B": "2", "Accept": "a", "X-A": "1"]))
        #expect(request.headers.map(\.name) == ["User-Agent", "Accept", "X-A", "X-B", "Authorization"])
    }

    @Test(arguments: [
        AuthScheme.bearer, .basic(defaultUsername: "u", secretInUsername: false), .basic(defaultUsername: nil, secretInUsername: true),
        .header(name: "X-Key", prefix: "P "),
    ])
    func secretChangesOnlyTheAuthHeader(auth: AuthScheme) {
        let probe = SampleProbe.make(auth: auth, headers: ["Accept": "x"])
        let a = Self.build(probe, secret: "secret-one")
        let b = Self.build(probe, secret: "secret-two")
        #expect(a.url == b.url)
        #expect(a.host == b.host)
        #expect(a.headers.map(\.name) == b.headers.map(\.name))
        let differing = zip(a.headers, b.headers).filter { $0.0.value != $0.1.value }.map(\.0.name)
        #expect(differing == [auth == .header(name: "X-Key", prefix: "P ") ? "X-Key" : "Authorization"])
    }
}

/// A header that could write headers of its own is never sent, whatever lint let through.
@Suite struct HeaderInjectionTests {
    @Test func aProbeWhoseHeadersHoldALineBreakBuildsNoRequest() {
        let target = TargetURL("https://api.example.com")!
        let injected = SampleProbe.make(headers: ["Accept": "a\r\nX-Evil: 1"])
        #expect(ProbeRequestBuilder.build(injected, target: target, secret: "token-1234", username: nil, timeout: 1).url.isEmpty)
        let byName = SampleProbe.make(auth: .header(name: "X-Key\r\nX-Evil", prefix: ""))
        #expect(ProbeRequestBuilder.build(byName, target: target, secret: "token-1234", username: nil, timeout: 1).url.isEmpty)
        let fine = SampleProbe.make(auth: .header(name: "X-Key", prefix: "Token "))
        #expect(!ProbeRequestBuilder.build(fine, target: target, secret: "token-1234", username: nil, timeout: 1).url.isEmpty)
        #expect(HTTPHeaderText.isValue("Token\tx") && !HTTPHeaderText.isValue("a\u{7F}") && !HTTPHeaderText.isName("X Key"))
    }
}

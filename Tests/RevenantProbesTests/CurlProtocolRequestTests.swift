import Foundation
import Testing
import RevenantCore
import RevenantProbes

/// Requests and answers of the libcurl protocols beyond plain HTTP: SigV4, RFC 7662
/// introspection, SCIM lookups, and the login protocols (LDAP, IMAP).
@Suite struct CurlProtocolRequestTests {
    static let target = TargetURL("https://idp.example.com/scim/v2")!

    static func probe(_ proto: ProbeProtocol, auth: AuthScheme, method: String = "GET", path: String = "/Users", body: String? = nil,
                      authenticated: [Matcher] = [Matcher(status: [200])], rejected: [Matcher] = [Matcher(status: [401])]) -> ProbeDefinition {
        ProbeDefinition(id: "p", title: "p", kinds: [.scimAccount, .oauthToken, .awsAccessKey, .password], protocol: proto.rawValue,
                        allowedHosts: ["idp.example.com"],
                        request: RequestTemplate(method: method, path: path, body: body, readOnly: method == "POST"),
                        auth: auth, authenticated: authenticated, rejected: rejected, docs: "https://docs.example.com")
    }

    static func header(_ request: ProbeRequest, _ name: String) -> [String] {
        request.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    static func filter(of url: String) -> String? {
        URLComponents(string: url)?.queryItems?.first { $0.name == "filter" }?.value
    }

    // MARK: SCIM

    static let scim = probe(.scim, auth: .scim(token: .environment("T"), attribute: "userName"))

    @Test(arguments: [
        ("svc-active-1", #"userName eq "svc-active-1""#),
        (#"a"b"#, #"userName eq "a\"b""#),
        (#"back\slash"#, #"userName eq "back\\slash""#),
        (#"x" or userName pr or "y"#, #"userName eq "x\" or userName pr or \"y""#),
        ("ümlaut & co=1", #"userName eq "ümlaut & co=1""#),
    ])
    func scimFilterValueIsAQuotedEscapedString(username: String, expected: String) {
        let request = PreparedProbeRequest(Self.scim, target: Self.target, authSecret: "operator-token")
            .request(secret: Secret(username), username: username, timeout: 5)
        #expect(Self.filter(of: request.url) == expected)
        // Nothing but the one `filter` parameter: `&`, `=` and `"` of the value stay encoded.
        #expect(URLComponents(string: request.url)?.queryItems?.count == 1)
        #expect(request.url.hasPrefix("https://idp.example.com/scim/v2/Users?filter="))
    }

    @Test func scimLooksUpByExternalIdWithTheOperatorTokenAndAsksForSCIMJSON() {
        let probe = Self.probe(.scim, auth: .scim(token: .environment("T"), attribute: "externalId"))
        let request = PreparedProbeRequest(probe, target: Self.target, authSecret: "operator-token")
            .request(secret: "ext-42", username: "ext-42", timeout: 5)
        #expect(Self.filter(of: request.url) == #"externalId eq "ext-42""#)
        #expect(Self.header(request, "Authorization") == ["Bearer operator-token"])
        #expect(Self.header(request, "Accept") == ["application/scim+json"])
        #expect(request.method == "GET" && request.body == nil)
        // The report's URL never carries the looked-up name.
        #expect(ProbeRequestBuilder.displayURL(probe, target: Self.target) == "https://idp.example.com/scim/v2/Users")
    }

    static let scimMatchers = probe(
        .scim, auth: .scim(token: .environment("T"), attribute: "userName"),
        authenticated: [Matcher(status: [200], json: JSONCondition(path: "Resources.0.active", equals: .bool(true)))],
        rejected: [Matcher(status: [200], json: JSONCondition(path: "totalResults", equals: .number(0))),
                   Matcher(status: [200], json: JSONCondition(path: "Resources.0.active", equals: .bool(false)))])

    @Test(arguments: [
        (#"{"totalResults":1,"Resources":[{"userName":"a","active":true}]}"#, "authenticated"),
        (#"{"totalResults":1,"Resources":[{"userName":"a","active":false}]}"#, "rejected"),
        (#"{"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#, "rejected"),
        // No `active` attribute (optional in RFC 7643 §4.1.1): the account exists, its state is unknown.
        (#"{"totalResults":1,"Resources":[{"userName":"a"}]}"#, "inconclusive"),
        (#"{"totalResults":1,"Resources":[{"userName":"a","active":"true"}]}"#, "inconclusive"),
        (#"not json"#, "inconclusive"),
    ])
    func scimListResponseIsReadThroughArrayIndexPaths(body: String, expected: String) {
        let outcome = ResponseClassifier.classify(HTTPResponse(status: 200, headers: [], body: Array(body.utf8)), probe: Self.scimMatchers)
        #expect(outcome.name == expected, "\(outcome.reason)")
    }

    /// The SCIM unit's own reading (the account asked about, the count): a count no Int holds is a
    /// malformed answer, not a crash (`Int(1e300)` trapped, found by an adversarial run).
    @Test(arguments: [
        (#"{"totalResults":1,"Resources":[{"userName":"a","active":false}]}"#, "rejected"),
        (#"{"totalResults":0.0,"Resources":[]}"#, "rejected"),
        (#"{"totalResults":1,"Resources":[{"userName":"b","active":false}]}"#, "inconclusive"),
        (#"{"totalResults":1e300,"Resources":[{"userName":"a","active":false}]}"#, "inconclusive"),
        (#"{"totalResults":-1e300,"Resources":[{"userName":"a","active":true}]}"#, "inconclusive"),
        (#"{"totalResults":1e19,"Resources":[]}"#, "inconclusive"),
        (#"{"totalResults":-1,"Resources":[{"userName":"a","active":false}]}"#, "inconclusive"),
        (#"{"totalResults":0.5,"Resources":[]}"#, "inconclusive"),
    ])
    func scimCountsAreWholeNumbers(body: String, expected: String) {
        let response = HTTPResponse(status: 200, headers: [], body: Array(body.utf8))
        let outcome = ResponseClassifier.classify(.success(.http(response)), probe: Self.scimMatchers, lookup: "a")
        #expect(outcome.name == expected, "\(outcome.reason)")
    }

    @Test func scimWrongOperatorTokenIsInconclusive() {
        let body = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401"}"#
        let outcome = ResponseClassifier.classify(HTTPResponse(status: 401, headers: [], body: Array(body.utf8)), probe: Self.scimMatchers)
        #expect(outcome.name == "inconclusive")
    }

    // MARK: introspection

    @Test func introspectionSendsTheTokenInAFormBodyAndAuthenticatesAsTheClient() throws {
        let probe = Self.probe(.oauth2Introspection, auth: .introspection(clientID: "rs:1", clientSecret: .environment("S"), tokenTypeHint: "access_token"),
                               method: "POST", path: "/introspect")
        let request = PreparedProbeRequest(probe, target: TargetURL("https://idp.example.com")!, authSecret: "client secret")
            .request(secret: "tok+en/=", username: nil, timeout: 5)
        let body = String(decoding: try #require(request.body), as: UTF8.self)
        #expect(body == "token=tok%2Ben%2F%3D&token_type_hint=access_token")
        #expect(Self.header(request, "Content-Type") == ["application/x-www-form-urlencoded"])
        // RFC 6749 §2.3.1: client id and secret are form-encoded before the Basic pair is built.
        #expect(Self.header(request, "Authorization") == ["Basic " + Data("rs%3A1:client%20secret".utf8).base64EncodedString()])
        #expect(request.url == "https://idp.example.com/introspect")
    }

    // MARK: SigV4

    @Test func sigV4SignsWithTheAccessKeyIdAndAFormBody() {
        let probe = Self.probe(.awsSigV4, auth: .awsSigV4(provider: "aws:amz:us-east-1:sts"), method: "POST", path: "/",
                               body: "Action=GetCallerIdentity&Version=2011-06-15")
        let request = PreparedProbeRequest(probe, target: TargetURL("https://sts.amazonaws.com")!)
            .request(secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", username: "AKIAIOSFODNN7EXAMPLE", timeout: 5)
        #expect(request.awsSigV4 == "aws:amz:us-east-1:sts")
        #expect(request.login == Login(user: "AKIAIOSFODNN7EXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", method: .password))
        #expect(Self.header(request, "Content-Type") == ["application/x-www-form-urlencoded"])
        #expect(Self.header(request, "Authorization").isEmpty, "libcurl signs: no Authorization header of ours")
        #expect(request.body.map { String(decoding: $0, as: UTF8.self) } == "Action=GetCallerIdentity&Version=2011-06-15")
    }

    // MARK: login protocols

    @Test(arguments: [ProbeProtocol.ldap, .imap])
    func loginProtocolsHandTheBindNameAndPasswordToLibcurlOnly(proto: ProbeProtocol) {
        let probe = ProbeDefinition(id: "l", title: "l", kinds: [.password], protocol: proto.rawValue, allowedHosts: ["dir.example.com"],
                                    request: RequestTemplate(path: ""), auth: .login, authenticated: [], rejected: [], docs: "https://x")
        let target = TargetURL("\(proto == .ldap ? "ldaps" : "imaps")://dir.example.com", schemes: proto.schemes)!
        let request = PreparedProbeRequest(probe, target: target).request(secret: "pw", username: "cn=svc,dc=example,dc=test", timeout: 5)
        #expect(request.login == Login(user: "cn=svc,dc=example,dc=test", secret: "pw", method: .password))
        #expect(!request.url.contains("pw") && !request.url.contains("svc"))
        #expect(request.headers.isEmpty)
    }

    @Test(arguments: [
        (ProbeResult.success(.loginAccepted("bind accepted")), "authenticated"),
        // A login protocol never answers in HTTP: an HTTP answer says nothing about the password.
        (.success(.http(HTTPResponse(status: 200))), "inconclusive"),
        (.failure(TransportFailure(kind: .loginDenied, message: "curl 67: Login denied")), "rejected"),
        (.failure(TransportFailure(kind: .timeout, message: "curl 28: Operation timed out")), "inconclusive"),
        (.failure(TransportFailure(kind: .connect, message: "curl 7: Couldn't connect")), "inconclusive"),
        (.failure(TransportFailure(kind: .tls, message: "curl 60: SSL certificate problem")), "inconclusive"),
        // An LDAP bind the server would not perform (curl 38) is not a rejection of the password.
        (.failure(TransportFailure(kind: .other, message: "curl 38: LDAP: cannot bind")), "inconclusive"),
    ])
    func ldapAnswersAreReadByTheProtocol(result: ProbeResult, expected: String) {
        let probe = ProbeDefinition(id: "l", title: "l", kinds: [.password], protocol: "ldap", allowedHosts: ["h"],
                                    request: RequestTemplate(path: ""), auth: .login, authenticated: [], rejected: [], docs: "https://x")
        #expect(ResponseClassifier.classify(result, probe: probe).name == expected)
    }
}

import Foundation
import Testing
import RevenantCore
import RevenantProbes

/// `ResponseClassifier`: anything not explicitly matched is inconclusive (DESIGN.md §1).
@Suite struct ResponseClassifierTests {
    static func response(_ status: Int, _ body: String = "", headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers.map { HTTPHeader(name: $0.0, value: $0.1) }, body: Array(body.utf8))
    }

    static func classify(_ response: HTTPResponse, _ probe: ProbeDefinition) -> ProbeOutcome {
        ResponseClassifier.classify(response, probe: probe)
    }

    /// A probe whose matchers name every status, so only the pre-check can make these inconclusive.
    static let greedy = SampleProbe.make(
        authenticated: [Matcher(status: [100, 101, 200, 301, 302, 304, 307, 308, 429, 500, 502, 503, 504, 599])],
        rejected: [Matcher(status: [100, 101, 301, 302, 304, 307, 308, 401, 429, 500, 502, 503, 504, 599])])

    @Test(arguments: [100, 101, 199, 300, 301, 302, 303, 304, 307, 308, 399, 429, 500, 502, 503, 504, 599])
    func redirectsRateLimitsServerErrorsAndInformationalAreInconclusiveEvenIfMatched(status: Int) {
        let outcome = Self.classify(Self.response(status, headers: [("Location", "https://evil.example.net/")]), Self.greedy)
        guard case .inconclusive(let reason) = outcome else {
            Issue.record("status \(status) gave \(outcome)")
            return
        }
        #expect(reason.hasPrefix("status \(status)"))
        #expect(ResponseClassifier.alwaysInconclusive(status))
    }

    @Test func redirectReasonNamesTheLocationItDidNotFollow() {
        let outcome = Self.classify(Self.response(302, headers: [("location", "https://login.example.com/")]), Self.greedy)
        // The Location is the server's text: marked, so the engine scrubs it of any run of a secret.
        #expect(outcome == .inconclusive(reason: "status 302: redirect to \(ServerText.quote("https://login.example.com/")) not followed (a secret is never sent on)"))
        #expect(SecretScrubber(secrets: []).scrub(outcome.reason) == "status 302: redirect to https://login.example.com/ not followed (a secret is never sent on)")
    }

    @Test func rateLimitAndServerErrorReasons() {
        #expect(Self.classify(Self.response(429), Self.greedy) == .inconclusive(reason: "status 429: rate limited"))
        #expect(Self.classify(Self.response(503), Self.greedy) == .inconclusive(reason: "status 503: server error"))
    }

    @Test(arguments: [200, 201, 204, 299, 400, 401, 403, 404, 410, 422, 428, 430, 499])
    func otherStatusesReachTheMatchers(status: Int) {
        #expect(!ResponseClassifier.alwaysInconclusive(status))
    }

    @Test(arguments: [
        TransportFailure(kind: .timeout, message: "no answer within 10 s"),
        TransportFailure(kind: .dns, message: "could not resolve host"),
        TransportFailure(kind: .connect, message: "connection refused"),
        TransportFailure(kind: .tls, message: "certificate verify failed"),
        TransportFailure(kind: .refusedHost, message: "host not allowed"),
        TransportFailure(kind: .other, message: "boom"),
    ])
    func transportFailuresAreInconclusive(failure: TransportFailure) {
        let outcome = ResponseClassifier.classify(ProbeResult.failure(failure), probe: Self.greedy)
        #expect(outcome == .inconclusive(reason: "\(failure.kind.rawValue): \(failure.message)"))
    }

    @Test func successfulResultIsClassifiedLikeItsResponse() {
        #expect(ResponseClassifier.classify(ProbeResult.success(.http(Self.response(401))), probe: SampleProbe.make()) == .rejected(reason: "status 401 matched rejected[0]"))
    }

    @Test func authenticatedIsTriedBeforeRejected() {
        let probe = SampleProbe.make(authenticated: [Matcher(status: [200])], rejected: [Matcher(status: [200])])
        #expect(Self.classify(Self.response(200), probe) == .authenticated(reason: "status 200 matched authenticated[0]"))
    }

    @Test func reasonNamesTheMatcherIndex() {
        let probe = SampleProbe.make(
            authenticated: [Matcher(status: [201]), Matcher(status: [200])],
            rejected: [Matcher(status: [401]), Matcher(status: [403])])
        #expect(Self.classify(Self.response(200), probe) == .authenticated(reason: "status 200 matched authenticated[1]"))
        #expect(Self.classify(Self.response(403), probe) == .rejected(reason: "status 403 matched rejected[1]"))
    }

    @Test(arguments: [204, 400, 403, 404])
    func unmatchedStatusIsInconclusiveNeverRejected(status: Int) {
        #expect(Self.classify(Self.response(status), SampleProbe.make())
                == .inconclusive(reason: "status \(status) matched no authenticated or rejected matcher"))
    }

    /// A response body is attacker-controlled: a deeply nested one (within the transport's 64 KiB
    /// body limit) must give an outcome, not overflow the stack of the whole run.
    @Test func deeplyNestedResponseBodyDoesNotCrashTheRun() async {
        await #expect(processExitsWith: .success) {
            let probe = SampleProbe.make(authenticated: [Matcher(json: JSONCondition(path: "ok", equals: .bool(true)))])
            // What a hostile server's body looks like after the transport keeps its first 64 KiB.
            let body = Array(repeating: UInt8(ascii: "["), count: 64 * 1024)
            let outcome = ResponseClassifier.classify(HTTPResponse(status: 200, body: body), probe: probe)
            precondition(!outcome.isAuthenticated)
        }
    }

    /// A JSON body with a broken surrogate pair must not crash the run either.
    @Test func responseBodyWithBrokenSurrogatePairDoesNotCrashTheRun() async {
        await #expect(processExitsWith: .success) {
            let probe = SampleProbe.make(authenticated: [Matcher(json: JSONCondition(path: "ok", equals: .bool(true)))])
            let body = Array(#"{"ok": true, "name": "\ud800\u0041"}"#.utf8)
            _ = ResponseClassifier.classify(HTTPResponse(status: 200, body: body), probe: probe)
        }
    }

    // MARK: matchers

    static let slackLike = SampleProbe.make(
        authenticated: [Matcher(status: [200], json: JSONCondition(path: "ok", equals: .bool(true)))],
        rejected: [Matcher(status: [200], json: JSONCondition(path: "error", equals: .string("invalid_auth")))])

    /// (body, outcome name)
    static let jsonBodies: [(String, String)] = [
        (#"{"ok": true, "user": "u"}"#, "authenticated"),
        (#"{"ok": false, "error": "invalid_auth"}"#, "rejected"),
        (#"{"ok": false, "error": "ratelimited"}"#, "inconclusive"),
        (#"{"ok": "true"}"#, "inconclusive"),
        (#"{"ok": 1}"#, "inconclusive"),
        ("<html>ok true</html>", "inconclusive"),
        ("", "inconclusive"),
        (#"{"ok": true"#, "inconclusive"),
        (#"[{"ok": true}]"#, "inconclusive"),
    ]

    @Test(arguments: jsonBodies)
    func jsonMatcherComparesTheValueAtAPath(body: String, expected: String) {
        #expect(Self.classify(Self.response(200, body), Self.slackLike).name == expected)
    }

    @Test func jsonPathIndexesArraysAndNestedObjects() {
        let probe = SampleProbe.make(
            authenticated: [Matcher(json: JSONCondition(path: "data.1.attributes.active", equals: .bool(true)))],
            rejected: [Matcher(json: JSONCondition(path: "errors.0.code", equals: .number(401)))])
        let live = #"{"data": [{"attributes": {"active": false}}, {"attributes": {"active": true}}]}"#
        #expect(Self.classify(Self.response(200, live), probe).isAuthenticated)
        let first = #"{"data": [{"attributes": {"active": true}}]}"#
        #expect(Self.classify(Self.response(200, first), probe).name == "inconclusive")
        let dead = #"{"errors": [{"code": 401.0, "detail": "expired"}]}"#
        #expect(Self.classify(Self.response(400, dead), probe).isRejected)
    }

    @Test func jsonMatcherComparesObjectsAndNull() {
        let probe = SampleProbe.make(
            authenticated: [Matcher(json: JSONCondition(path: "user", equals: .object(["id": .number(1), "tags": .array([.string("a")])])))],
            rejected: [Matcher(json: JSONCondition(path: "user", equals: .null))])
        #expect(Self.classify(Self.response(200, #"{"user": {"tags": ["a"], "id": 1}}"#), probe).isAuthenticated)
        #expect(Self.classify(Self.response(200, #"{"user": null}"#), probe).isRejected)
        #expect(Self.classify(Self.response(200, #"{}"#), probe).name == "inconclusive")
    }

    @Test func headerMatcherNameIsCaseInsensitive() {
        let probe = SampleProbe.make(
            authenticated: [Matcher(status: [200], header: HeaderCondition(name: "X-OAuth-Scopes", contains: "repo"))],
            rejected: [Matcher(header: HeaderCondition(name: "WWW-Authenticate", contains: "invalid_token"))])
        #expect(Self.classify(Self.response(200, headers: [("x-oauth-scopes", "read:org, repo")]), probe).isAuthenticated)
        #expect(Self.classify(Self.response(200, headers: [("X-OAUTH-SCOPES", "repo")]), probe).isAuthenticated)
        #expect(Self.classify(Self.response(200, headers: [("X-OAuth-Scopes", "read:org")]), probe).name == "inconclusive")
        #expect(Self.classify(Self.response(200), probe).name == "inconclusive")
        #expect(Self.classify(Self.response(401, headers: [("www-authenticate", #"Bearer error="invalid_token""#)]), probe).isRejected)
    }

    @Test func bodyContainsMatchesBytesOfTheBody() {
        let probe = SampleProbe.make(
            authenticated: [Matcher(status: [200], bodyContains: "\"login\"")],
            rejected: [Matcher(bodyContains: "Bad credentials")])
        #expect(Self.classify(Self.response(200, #"{"login":"octocat"}"#), probe).isAuthenticated)
        #expect(Self.classify(Self.response(200, "{}"), probe).name == "inconclusive")
        #expect(Self.classify(Self.response(401, #"{"message":"Bad credentials"}"#), probe).isRejected)
        #expect(Self.classify(Self.response(401, "bad credentials"), probe).name == "inconclusive")
        #expect(Self.classify(Self.response(401, "Bad credential"), probe).name == "inconclusive")
    }

    @Test func everyFieldOfAMatcherMustHold() {
        let probe = SampleProbe.make(
            authenticated: [Matcher(status: [200], bodyContains: "ok", header: HeaderCondition(name: "X-A", contains: "1"))],
            rejected: [Matcher(status: [401])])
        #expect(Self.classify(Self.response(200, "ok", headers: [("X-A", "1")]), probe).isAuthenticated)
        #expect(Self.classify(Self.response(200, "ok"), probe).name == "inconclusive")
        #expect(Self.classify(Self.response(200, "no", headers: [("X-A", "1")]), probe).name == "inconclusive")
        #expect(Self.classify(Self.response(201, "ok", headers: [("X-A", "1")]), probe).name == "inconclusive")
    }

    @Test func anyMatcherOfAListIsEnough() {
        let probe = SampleProbe.make(rejected: [Matcher(status: [401]), Matcher(status: [403], bodyContains: "revoked")])
        #expect(Self.classify(Self.response(401), probe).isRejected)
        #expect(Self.classify(Self.response(403, "token revoked"), probe).isRejected)
        #expect(Self.classify(Self.response(403, "missing scope"), probe).name == "inconclusive")
    }
}

/// A SCIM answer gives a verdict only about the account looked up.
@Suite struct SCIMLookupTests {
    static let probe: ProbeDefinition = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ProbeLoader.load(file: root.appendingPathComponent("Probes/scim.json").path).0!
    }()

    static func answer(_ json: String) -> ProbeResult { .success(.http(HTTPResponse(status: 200, body: Array(json.utf8)))) }

    @Test func theAccountItselfDecides() {
        let active = Self.answer(#"{"totalResults":1,"Resources":[{"userName":"Dana.Okafor","active":true}]}"#)
        #expect(ResponseClassifier.classify(active, probe: Self.probe, lookup: "dana.okafor").isAuthenticated)
        let inactive = Self.answer(#"{"totalResults":1,"Resources":[{"userName":"dana.okafor","active":false}]}"#)
        #expect(ResponseClassifier.classify(inactive, probe: Self.probe, lookup: "dana.okafor").isRejected)
        let absent = Self.answer(#"{"totalResults":0,"Resources":[]}"#)
        #expect(ResponseClassifier.classify(absent, probe: Self.probe, lookup: "dana.okafor").isRejected)
    }

    @Test func aServerThatIgnoresTheFilterProvesNothing() {
        // Every account listed, the first one deactivated: not a verdict about Dana's.
        let all = Self.answer(#"{"totalResults":2,"Resources":[{"userName":"bob","active":false},{"userName":"dana.okafor","active":true}]}"#)
        let outcome = ResponseClassifier.classify(all, probe: Self.probe, lookup: "dana.okafor")
        #expect(!outcome.isRejected && !outcome.isAuthenticated, "\(outcome)")
        let other = Self.answer(#"{"totalResults":1,"Resources":[{"userName":"bob","active":false}]}"#)
        #expect(ResponseClassifier.classify(other, probe: Self.probe, lookup: "dana.okafor").reason.contains("another account"))
        let nameless = Self.answer(#"{"totalResults":1,"Resources":[{"active":false}]}"#)
        #expect(!ResponseClassifier.classify(nameless, probe: Self.probe, lookup: "dana.okafor").isRejected)
    }
}

/// Which mTLS refusals say why a certificate was refused (OutcomeRules.explainedRefusal takes the answer).
@Suite struct CertificateAlertTests {
    @Test(arguments: [("certificate revoked", true), ("unsupported certificate", true), ("bad certificate", false),
                      ("certificate unknown", false), ("certificate expired", false)])
    func tlsAlerts(alert: String, saysWhy: Bool) {
        var probe = SampleProbe.make(auth: .clientCertificate)
        probe.kind = .tlsClientCertificate
        let outcome = ResponseClassifier.classify(.failure(TransportFailure(kind: .tls, message: "curl 56: OpenSSL SSL_read: tlsv13 alert \(alert)")),
                                                  probe: probe)
        #expect(outcome.isRejected)
        #expect(TLSClientCertificateProtocol.refusalSaysWhy(outcome.reason) == saysWhy)
    }

    /// Only an alert OpenSSL reports (curl 35 or 56) is the server's refusal: curl 60, our own check
    /// of the server failing, quotes the server certificate's name, which its owner chose.
    @Test(arguments: [
        "curl 60: SSL: certificate subject name 'x alert certificate revoked' does not match target host name '127.0.0.1'",
        "curl 60: SSL certificate problem: unable to get local issuer certificate (sslv3 alert certificate revoked)",
        "curl 7: Failed to connect: alert certificate revoked",
        "curl 35: OpenSSL/3.0.19: error:0A000418:SSL routines::tlsv1 alert unknown ca",
        "curl 56: OpenSSL SSL_read: the peer said: alert certificate revoked",
    ])
    func textThatIsNotAnAlertFromOpenSSLIsNoRefusal(message: String) {
        var probe = SampleProbe.make(auth: .clientCertificate)
        probe.kind = .tlsClientCertificate
        let outcome = ResponseClassifier.classify(.failure(TransportFailure(kind: .tls, message: message)), probe: probe)
        #expect(!outcome.isRejected, "\(outcome.reason)")
    }

    @Test func openSSLsOwnWordingIsAnAlert() {
        var probe = SampleProbe.make(auth: .clientCertificate)
        probe.kind = .tlsClientCertificate
        let message = "curl 35: OpenSSL/3.0.19: error:0A000414:SSL routines::sslv3 alert certificate revoked"
        #expect(ResponseClassifier.classify(.failure(TransportFailure(kind: .tls, message: message)), probe: probe).isRejected)
    }
}

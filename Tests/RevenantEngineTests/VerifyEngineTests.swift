import Foundation
import RevenantCore
import RevenantFiles
import RevenantCrypto
@testable import RevenantEngine
import RevenantProbes
import Testing

/// The engine against a mock transport: controls, retries, redirects, redaction, allowed hosts,
/// concurrency and interruption, without sockets.
@Suite struct VerifyEngineTests {
    static let live = "live-7f3a9c1d2e4b5a6f"
    static let dead = "dead-0b1c2d3e4f5a6b7c"

    // MARK: controls

    @Test func negativeControlIsSentFirstForEveryProbeAndTarget() async {
        let probes = [Fixture.probe("alpha", path: "/alpha"), Fixture.probe("beta", path: "/beta", hosts: ["api.test", "other.test"])]
        let creds = [
            Fixture.credential("a1", secret: Self.dead, probe: "alpha"),
            Fixture.credential("a2", secret: Self.live, probe: "alpha"),
            Fixture.credential("b1", secret: Self.dead, probe: "beta"),
            Fixture.credential("b2", secret: Self.dead, probe: "beta", target: "https://other.test"),
        ]
        let mock = MockTransport(respond: Answer.accepting([Self.live]))
        let report = await Fixture.run(Fixture.plan(creds, probes: probes), transport: mock)

        let seen = mock.requests
        let real: Set<String> = [Self.live, Self.dead]
        // Three (probe, target) pairs: alpha@api.test, beta@api.test, beta@other.test.
        let urls = ["https://api.test/alpha", "https://api.test/beta", "https://other.test/beta"]
        for url in urls {
            let toURL = seen.filter { $0.request.url == url }
            #expect(!toURL.isEmpty)
            #expect(toURL.first.flatMap(\.credential).map { !real.contains($0) } == true, "first request to \(url) must be the random control")
            #expect(toURL.filter { !real.contains($0.credential ?? "") }.count == 1, "one negative control per pair at \(url)")
        }
        let firstReal = seen.firstIndex { real.contains($0.credential ?? "") }!
        let lastControl = seen.lastIndex { !real.contains($0.credential ?? "") }!
        #expect(lastControl < firstReal, "every control runs before any real secret is sent")
        #expect(seen.count == 3 + 4)
        #expect(report.result("a1")?.checks.first?.controls.negative?.isRejected == true)
        #expect(report.result("a2")?.codes.contains(.residualAccess) == true)
    }

    @Test func refusalByAProbeWhoseRefusalsProveNothingIsInconclusiveButAcceptanceStillCounts() async {
        var probe = Fixture.probe("scoped")
        probe.rejectionUnproven = "a live scoped token is refused here too"
        let creds = [
            Fixture.credential("dead", state: .revoked, secret: Self.dead, probe: "scoped"),
            Fixture.credential("live", state: .offboarded, secret: Self.live, probe: "scoped"),
        ]
        let mock = MockTransport(respond: Answer.accepting([Self.live]))
        let report = await Fixture.run(Fixture.plan(creds, probes: [probe]), transport: mock)
        let dead = report.result("dead")!
        #expect(dead.checks.first?.outcome.name == "inconclusive")
        #expect(dead.checks.first?.outcome.reason.contains("a live scoped token is refused here too") == true)
        #expect(dead.codes == [.revocationUnverified], "never proved dead")
        // The negative control's refusal still counts, so the live one is residual access.
        #expect(dead.checks.first?.controls.negative?.isRejected == true)
        #expect(report.result("live")?.codes.contains(.residualAccess) == true)
    }

    @Test func negativeControlHasTheProbesShape() async {
        let probe = Fixture.probe("shaped", negativeControl: NegativeControlShape(prefix: "ghp_", length: 40, alphabet: .hex))
        let mock = MockTransport(respond: Answer.accepting([]))
        _ = await Fixture.run(Fixture.plan([Fixture.credential("c", secret: Self.dead, probe: "shaped")], probes: [probe]), transport: mock)
        let control = mock.requests.first?.credential ?? ""
        #expect(control.hasPrefix("ghp_"))
        #expect(control.count == 40)
        #expect(control.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func basicAuthNegativeControlUsesTheCredentialsUsername() async {
        let probe = Fixture.probe("basic", auth: .basic(defaultUsername: nil, secretInUsername: false))
        let mock = MockTransport(respond: Answer.accepting([]))
        let cred = Fixture.credential("b", kind: .basicAuth, secret: Self.dead, probe: "basic", username: "svc-reporting")
        _ = await Fixture.run(Fixture.plan([cred], probes: [probe]), transport: mock)
        let headers = mock.requests.map { $0.request.headers.first { $0.name == "Authorization" }?.value ?? "" }
        let pairs = headers.compactMap { Data(base64Encoded: String($0.dropFirst("Basic ".count))) }.map { String(decoding: $0, as: UTF8.self) }
        #expect(pairs.count == 2)
        #expect(pairs.allSatisfy { $0.hasPrefix("svc-reporting:") })
        #expect(pairs.last == "svc-reporting:\(Self.dead)")
    }

    @Test func targetThatAcceptsAnythingNeverSeesRealSecrets() async {
        let probes = [Fixture.probe("open", path: "/open")]
        let creds = [
            Fixture.credential("revoked-live", state: .offboarded, secret: Self.live, probe: "open"),
            Fixture.credential("revoked-dead", secret: Self.dead, probe: "open"),
        ]
        let mock = MockTransport { _, _ in Answer.status(200) }
        let report = await Fixture.run(Fixture.plan(creds, probes: probes), transport: mock)

        #expect(mock.requests.count == 1, "only the negative control goes to a target that accepts anything")
        #expect(!mock.sawText(Self.live))
        #expect(!mock.sawText(Self.dead))
        for id in ["revoked-live", "revoked-dead"] {
            let result = report.result(id)!
            #expect(result.checks.count == 1)
            #expect(result.checks[0].outcome.name == "skipped")
            #expect(result.checks[0].attempts == 0)
            #expect(result.checks[0].controls.negative?.isAuthenticated == true)
            #expect(result.codes == [.revocationUnverified])
            #expect(!result.codes.contains(.residualAccess))
            #expect(!result.codes.contains(.revocationVerified))
        }
    }

    @Test(arguments: [true, false])
    func rejectionCountsOnlyWhenThePositiveControlAuthenticates(positiveWorks: Bool) async {
        let known = "canary-1234567890abcdef"
        let probes = [Fixture.probe("api")]
        let creds = [Fixture.credential("old", secret: Self.dead, probe: "api")]
        let controls = [PositiveControl(probe: "api", target: "https://api.test", secret: .value(known))]
        // When the positive control fails, the target is rejecting everything (e.g. it is broken).
        let mock = MockTransport(respond: Answer.accepting(positiveWorks ? [known] : []))
        let report = await Fixture.run(Fixture.plan(creds, probes: probes, controls: controls), transport: mock)

        #expect(mock.sawText(known), "the positive control was sent")
        let result = report.result("old")!
        #expect(result.checks[0].outcome.isRejected)
        #expect(result.checks[0].controls.positive?.isAuthenticated == positiveWorks)
        if positiveWorks {
            #expect(result.codes == [.revocationVerified])
        } else {
            #expect(result.codes == [.revocationUnverified])
            #expect(result.findings[0].message.contains("known-good"))
        }
    }

    @Test func revokedTokenStillAcceptedIsResidualAccess() async {
        let mock = MockTransport(respond: Answer.accepting([Self.live]))
        let creds = [
            Fixture.credential("still-alive", state: .offboarded, secret: Self.live, probe: "api"),
            Fixture.credential("really-dead", state: .rotated, secret: Self.dead, probe: "api"),
        ]
        let report = await Fixture.run(Fixture.plan(creds, probes: [Fixture.probe("api")]), transport: mock)
        #expect(report.complete)
        #expect(report.result("still-alive")?.codes == [.residualAccess])
        #expect(report.result("still-alive")?.findings.first?.severity == .critical)
        #expect(report.result("really-dead")?.codes == [.revocationVerified])
        #expect(report.result("really-dead")?.checks.first?.httpStatus == 401)
    }

    // MARK: retries

    @Test func rateLimitWithRetryAfterIsRetriedAfterTheDelay() async {
        let attempts = Counter()
        let mock = MockTransport { _, credential in
            guard credential == Self.dead else { return Answer.status(401) }
            return attempts.next() == 1 ? Answer.status(429, headers: ["Retry-After": "1"]) : Answer.status(401)
        }
        let creds = [Fixture.credential("limited", secret: Self.dead, probe: "api")]
        let report = await Fixture.run(Fixture.plan(creds, probes: [Fixture.probe("api")]), transport: mock)

        let check = report.result("limited")!.checks[0]
        #expect(check.attempts == 2)
        #expect(check.outcome.isRejected)
        #expect(report.result("limited")?.codes == [.revocationVerified])
        let times = mock.requests.filter { $0.credential == Self.dead }.map(\.at)
        #expect(times.count == 2)
        if times.count == 2 {
            #expect(times[1] - times[0] >= .milliseconds(950), "Retry-After: 1 is honoured (waited \(times[1] - times[0]))")
        }
    }

    @Test func retryAfterBeyondTheCapIsNotWaitedFor() async {
        let mock = MockTransport { _, credential in
            credential == Self.dead ? Answer.status(429, headers: ["Retry-After": "1000"]) : Answer.status(401)
        }
        let config = Fixture.configuration(maxRetryAfter: 5)
        let creds = [Fixture.credential("limited", secret: Self.dead, probe: "api")]
        let start = ContinuousClock.now
        let report = await Fixture.run(Fixture.plan(creds, probes: [Fixture.probe("api")], configuration: config),
                                       transport: mock, configuration: config)
        // Waiting would take the full 1,000 s; the rest of the suite once made this run take 72 s.
        #expect(ContinuousClock.now - start < .seconds(300))
        let check = report.result("limited")!.checks[0]
        #expect(check.attempts == 1)
        #expect(check.httpStatus == 429)
        #expect(check.outcome.name == "inconclusive")
        #expect(mock.requests.filter { $0.credential == Self.dead }.count == 1)
        #expect(report.result("limited")?.codes == [.revocationUnverified])
    }

    @Test func serviceUnavailableIsRetriedThenInconclusive() async {
        let mock = MockTransport { _, _ in Answer.status(503) }
        let config = Fixture.configuration(attempts: 3)
        let creds = [Fixture.credential("down", secret: Self.dead, probe: "api")]
        let report = await Fixture.run(Fixture.plan(creds, probes: [Fixture.probe("api")], configuration: config),
                                       transport: mock, configuration: config)
        let check = report.result("down")!.checks[0]
        #expect(check.attempts == 3)
        #expect(check.httpStatus == 503)
        #expect(check.outcome.name == "inconclusive")
        #expect(mock.requests.filter { $0.credential == Self.dead }.count == 3)
        #expect(report.result("down")?.codes == [.revocationUnverified])
    }

    @Test func connectionFailureIsRetriedButTimeoutIsNot() async {
        let mock = MockTransport { request, credential in
            guard credential == Self.dead || credential == Self.live else { return Answer.status(401) }
            return request.url.hasSuffix("/refused")
                ? .failure(TransportFailure(kind: .connect, message: "connection refused"))
                : .failure(TransportFailure(kind: .timeout, message: "timed out"))
        }
        let probes = [Fixture.probe("refused", path: "/refused"), Fixture.probe("slow", path: "/slow")]
        let creds = [Fixture.credential("r", secret: Self.dead, probe: "refused"), Fixture.credential("s", secret: Self.live, probe: "slow")]
        let report = await Fixture.run(Fixture.plan(creds, probes: probes), transport: mock)
        #expect(report.result("r")?.checks.first?.attempts == 3)
        #expect(report.result("s")?.checks.first?.attempts == 1)
        for id in ["r", "s"] {
            #expect(report.result(id)?.checks.first?.outcome.name == "inconclusive")
            #expect(report.result(id)?.codes == [.revocationUnverified])
        }
    }

    @Test func retryAfterAcceptsSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(VerifyEngine.retryAfterSeconds("7", now: now) == 7)
        #expect(VerifyEngine.retryAfterSeconds(" 0 ", now: now) == 0)
        let date = now.addingTimeInterval(30)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        #expect(VerifyEngine.retryAfterSeconds(f.string(from: date), now: now) == 30)
        #expect(VerifyEngine.retryAfterSeconds("soon", now: now) == nil)
        #expect(VerifyEngine.retryAfterSeconds("-5", now: now) == nil)
    }

    // MARK: redirects and redaction

    @Test func redirectIsInconclusiveAndNotFollowed() async {
        let mock = MockTransport { _, credential in
            credential == Self.live
                ? Answer.status(302, headers: ["Location": "https://landing.test/welcome"])
                : Answer.status(401)
        }
        let creds = [Fixture.credential("moved", state: .offboarded, secret: Self.live, probe: "api")]
        let report = await Fixture.run(Fixture.plan(creds, probes: [Fixture.probe("api")]), transport: mock)
        let check = report.result("moved")!.checks[0]
        #expect(check.outcome.name == "inconclusive")
        #expect(check.httpStatus == 302)
        #expect(check.attempts == 1)
        #expect(!mock.sawHost("landing.test"))
        #expect(report.result("moved")?.codes == [.revocationUnverified])
    }

    @Test func secretEchoedByServerNeverReachesAnyOutput() async throws {
        // The server puts the secret in a redirect Location, and the transport echoes it in an error.
        let mock = MockTransport { request, credential in
            guard let credential, credential == Self.live || credential == Self.dead else { return Answer.status(401) }
            if request.url.hasSuffix("/echo-redirect") {
                return Answer.status(302, headers: ["Location": "https://landing.test/cb?token=\(credential)"])
            }
            return .failure(TransportFailure(kind: .tls, message: "handshake failed while sending Bearer \(credential)"))
        }
        let probes = [Fixture.probe("redir", path: "/echo-redirect"), Fixture.probe("tls", path: "/echo-error")]
        let creds = [
            Fixture.credential("leaky-redirect", secret: Self.live, probe: "redir"),
            Fixture.credential("leaky-error", secret: Self.dead, probe: "tls"),
        ]
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ledgerPath = dir.appendingPathComponent("ledger.jsonl").path
        let ledger = try EvidenceLedger(path: ledgerPath)
        let report = await Fixture.run(Fixture.plan(creds, probes: probes), transport: mock, ledger: ledger)
        ledger.flush()

        var texts: [String] = []
        for r in report.results {
            texts += r.checks.map(\.outcome.reason) + r.findings.map(\.message)
            texts += r.checks.compactMap { if case .unproven(let why) = $0.verdict { why } else { nil } }
        }
        texts.append(String(decoding: FileManager.default.contents(atPath: ledgerPath) ?? Data(), as: UTF8.self))
        #expect(texts.count > 4)
        for text in texts {
            #expect(!text.contains(Self.live))
            #expect(!text.contains(Self.dead))
        }
        // The redirect's query (where the secret was) is not reported at all; where it pointed is.
        let redirectReason = report.result("leaky-redirect")?.checks.first?.outcome.reason ?? ""
        #expect(redirectReason.contains("https://landing.test/cb"))
        #expect(!redirectReason.contains("token="))
        #expect(report.result("leaky-error")?.checks.first?.outcome.reason.contains("[redacted]") == true)
    }

    @Test func redirectEchoingAQueryStringSecretDoesNotLeakItPercentEncoded() async {
        // Common in the wild: http→https or trailing-slash redirects keep the query string, so a
        // `query`-scheme key comes back in Location, percent-encoded when it holds + / = (base64 keys).
        let secret = "AbC+dEf/ghIJ=="
        let probe = Fixture.probe("q", path: "/v1/me", auth: .query(name: "api_key"))
        let mock = MockTransport { request, credential in
            guard credential == secret, let query = URLComponents(string: request.url)?.percentEncodedQuery else {
                return Answer.status(401)
            }
            return Answer.status(301, headers: ["Location": "https://api.test/v1/me/?\(query)"])
        }
        let report = await Fixture.run(Fixture.plan([Fixture.credential("b64-key", kind: .apiKey, secret: secret, probe: "q")], probes: [probe]),
                                       transport: mock)
        #expect(mock.sawText("AbC%2BdEf%2FghIJ%3D%3D"), "the key travels percent-encoded in the query")
        let reason = report.result("b64-key")?.checks.first?.outcome.reason ?? ""
        #expect(report.result("b64-key")?.checks.first?.httpStatus == 301)
        #expect(!reason.contains(secret))
        #expect(!reason.contains("AbC%2BdEf%2FghIJ%3D%3D"), "percent-encoded secret in the report: \(reason)")
        #expect(!(reason.removingPercentEncoding ?? "").contains(secret), "\(reason)")
    }

    // MARK: allowed hosts

    @Test func credentialIsNeverSentOutsideItsProbesAllowedHosts() async {
        let probes = [Fixture.probe("api", hosts: ["api.test", "*.eu.api.test"])]
        let creds = [
            Fixture.credential("typo", secret: Self.live, probe: "api", target: "https://api.test.evil.example"),
            Fixture.credential("bare-suffix", secret: Self.live, probe: "api", target: "https://eu.api.test"),
            Fixture.credential("regional", secret: Self.dead, probe: "api", target: "https://fr.eu.api.test"),
        ]
        let mock = MockTransport(respond: Answer.accepting([]))
        let report = await Fixture.run(Fixture.plan(creds, probes: probes), transport: mock)

        #expect(!mock.sawHost("api.test.evil.example"))
        #expect(!mock.sawHost("eu.api.test"))
        #expect(!mock.sawText(Self.live))
        #expect(mock.sawText(Self.dead))
        for id in ["typo", "bare-suffix"] {
            let check = report.result(id)!.checks[0]
            #expect(check.outcome.name == "skipped")
            #expect(check.outcome.reason.contains("allowed_hosts"))
            #expect(check.attempts == 0)
            #expect(report.result(id)?.codes == [.revocationUnverified])
        }
        #expect(report.result("regional")?.codes == [.revocationVerified])
    }

    // MARK: concurrency

    @Test func globalConcurrencyCapIsRespected() async {
        let probes = [Fixture.probe("api", hosts: ["a.test", "b.test", "c.test"])]
        var creds: [Credential] = []
        for i in 0..<30 {
            let host = ["a.test", "b.test", "c.test"][i % 3]
            creds.append(Fixture.credential("c\(i)", secret: "dead-secret-\(i)", probe: "api", target: "https://\(host)"))
        }
        let config = Fixture.configuration(concurrency: 4, perHost: HostLimits(maxInFlight: 100, requestsPerSecond: nil))
        let mock = MockTransport(delay: .milliseconds(15), respond: Answer.accepting([]))
        let report = await Fixture.run(Fixture.plan(creds, probes: probes, configuration: config), transport: mock, configuration: config)
        #expect(mock.requests.count == 3 + 30)
        #expect(mock.peakInFlight <= 4)
        #expect(mock.peakInFlight == 4, "the cap is also used: 30 jobs, 4 slots")
        #expect(report.results.allSatisfy { $0.codes == [.revocationVerified] })
    }

    @Test func perHostMaxInFlightIsRespectedWhileOtherHostsProceed() async {
        let probes = [
            Fixture.probe("api", hosts: ["a.test", "b.test"]),
            Fixture.probe("strict", path: "/strict", hosts: ["c.test"], rateLimit: HostLimits(maxInFlight: 1, requestsPerSecond: nil)),
        ]
        var creds: [Credential] = []
        for i in 0..<12 {
            creds.append(Fixture.credential("a\(i)", secret: "dead-a-\(i)", probe: "api", target: "https://a.test"))
            creds.append(Fixture.credential("b\(i)", secret: "dead-b-\(i)", probe: "api", target: "https://b.test"))
            creds.append(Fixture.credential("c\(i)", secret: "dead-c-\(i)", probe: "strict", target: "https://c.test"))
        }
        let config = Fixture.configuration(concurrency: 64, perHost: HostLimits(maxInFlight: 2, requestsPerSecond: nil))
        let plan = Fixture.plan(creds, probes: probes, configuration: config)
        #expect(plan.hostLimits["c.test:443"]?.maxInFlight == 1, "the probe's rate_limit tightens the configured per-host limit")
        #expect(plan.hostLimits["a.test:443"]?.maxInFlight == 2)
        let mock = MockTransport(delay: .milliseconds(15), respond: Answer.accepting([]))
        _ = await Fixture.run(plan, transport: mock, configuration: config)
        #expect(mock.peakInFlight(host: "a.test") == 2)
        #expect(mock.peakInFlight(host: "b.test") == 2)
        #expect(mock.peakInFlight(host: "c.test") == 1)
        #expect(mock.peakInFlight >= 4, "hosts run side by side")
    }

    @Test func requestsPerSecondSpacesRealRequests() async {
        let probe = Fixture.probe("paced", rateLimit: HostLimits(maxInFlight: 8, requestsPerSecond: 20))
        let creds = (0..<4).map { Fixture.credential("p\($0)", secret: "dead-paced-\($0)", probe: "paced") }
        let mock = MockTransport(respond: Answer.accepting([]))
        _ = await Fixture.run(Fixture.plan(creds, probes: [probe]), transport: mock)
        let times = mock.requests.map(\.at)
        #expect(times.count == 5)
        // Four intervals of 50 ms; the slack absorbs task start-up jitter on a loaded machine
        // (without pacing all five would go out within a few milliseconds).
        let span = times.last! - times.first!
        #expect(span >= .milliseconds(150), "20 requests per second: five requests took only \(span)")
    }

    // MARK: interruption

    @Test func stopFlagEndsTheRunWithAnIncompleteReport() async {
        let stop = StopFlag()
        let creds = (0..<20).map { Fixture.credential("s\($0)", secret: "dead-stop-\($0)", probe: "api") }
        let config = Fixture.configuration(concurrency: 2)
        let mock = MockTransport(delay: .milliseconds(30), onRequest: { request in
            // Stop as soon as the first real credential goes out.
            if MockTransport.credential(in: request)?.hasPrefix("dead-stop-") == true { stop.stop("interrupted (test)") }
        }, respond: Answer.accepting([]))
        let report = await Fixture.run(Fixture.plan(creds, probes: [Fixture.probe("api")], configuration: config),
                                       transport: mock, configuration: config, stop: stop)

        #expect(!report.complete)
        #expect(report.incompleteReason == "interrupted (test)")
        #expect(report.results.count == 20, "every credential is still in the report")
        let sent = mock.requests.count - 1
        #expect(sent < 20, "the run stopped early (sent \(sent))")
        let notProbed = report.results.filter { $0.checks[0].outcome.name == "skipped" }
        #expect(notProbed.count >= 20 - sent)
        for r in notProbed {
            #expect(r.checks[0].outcome.reason.contains("interrupted"))
            #expect(r.checks[0].attempts == 0)
            #expect(r.codes == [.revocationUnverified])
        }
        #expect(mock.cancelAllCalls >= 1, "in-flight transfers are cancelled")
    }

    @Test func stopBeforeTheRunSendsNothing() async {
        let stop = StopFlag()
        stop.stop("terminated (test)")
        let mock = MockTransport(respond: Answer.accepting([]))
        let report = await Fixture.run(Fixture.plan([Fixture.credential("x", secret: Self.dead, probe: "api")], probes: [Fixture.probe("api")]),
                                       transport: mock, stop: stop)
        #expect(mock.requests.isEmpty)
        #expect(!report.complete)
        #expect(report.result("x")?.checks.first?.outcome.name == "skipped")
    }

    // MARK: evidence

    @Test func everyAttemptIsRecordedAndChecksPointAtTheirEvidence() async throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("evidence.jsonl").path
        let ledger = try EvidenceLedger(path: path)
        let attempts = Counter()
        let mock = MockTransport { _, credential in
            if credential == Self.dead, attempts.next() == 1 { return Answer.status(503) }
            return credential == Self.live ? Answer.status(200) : Answer.status(401)
        }
        let creds = [
            Fixture.credential("alive", state: .offboarded, secret: Self.live, probe: "api"),
            Fixture.credential("dead", secret: Self.dead, probe: "api"),
        ]
        let report = await Fixture.run(Fixture.plan(creds, probes: [Fixture.probe("api")]), transport: mock, ledger: ledger)
        ledger.flush()

        guard case .intact(let records, let head) = EvidenceLedger.verify(path: path) else {
            Issue.record("ledger is not intact: \(EvidenceLedger.verify(path: path))")
            return
        }
        #expect(records == mock.requests.count, "one record per attempt, controls and retries included")
        #expect(records == 4)
        #expect(head == report.ledgerHead)
        let text = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self)
        for r in report.results {
            let evidence = try #require(r.checks.first?.evidence)
            #expect(text.contains("\"hash\":\"\(evidence)\""))
        }
        #expect(!text.contains(Self.live) && !text.contains(Self.dead))
        #expect(text.contains("\"control\":\"negative\""))
        #expect(text.contains("\"credential\":\"alive\""))
        #expect(text.contains(Fingerprinter().fingerprint(Self.live)))
    }
}

/// A thread-safe counter for responders that answer differently on later attempts.
final class Counter: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = 0

    func next() -> Int { lock.withLock { value += 1; return value } }
}

/// A JWT's own claims feed its credential's lifecycle: wiring, with a mock API.
@Suite struct JWTCredentialTests {
    static func unsignedToken(exp: Int) -> String {
        func b64(_ s: String) -> String {
            Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return b64(#"{"alg":"none","typ":"JWT"}"#) + "." + b64("{\"sub\":\"svc\",\"iat\":1700000000,\"exp\":\(exp)}") + "."
    }

    @Test func expiredUnsignedJWTStillAcceptedIsExpiredStillAcceptedAndWeakCrypto() async {
        let token = Self.unsignedToken(exp: 1_700_003_600)  // 2023-11-14
        let mock = MockTransport { _, credential in credential == token ? Answer.status(200) : Answer.status(401) }
        var credential = Fixture.credential("old-jwt", state: .active, kind: .jwt, secret: token, probe: "api")
        credential.expiresAt = nil
        var probe = Fixture.probe("api")
        probe.kinds.append(.jwt)
        let report = await Fixture.run(Fixture.plan([credential], probes: [probe]), transport: mock)
        let codes = report.result("old-jwt")?.codes ?? []
        #expect(codes.contains(.expiredStillAccepted), "\(codes)")
        #expect(codes.contains(.expired), "\(codes)")
        #expect(codes.contains(.weakCrypto), "\(codes)")
        #expect(!codes.contains(.ok))
        #expect(report.results.first?.credential.expiresAt == Date(timeIntervalSince1970: 1_700_003_600))
    }

    static func token(_ payload: String) -> String {
        func b64(_ s: String) -> String {
            Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return b64(#"{"alg":"HS256","typ":"JWT"}"#) + "." + b64(payload) + ".c2ln"
    }

    /// A server refuses a JWT before its nbf (or iat), live or not: such a refusal proves nothing
    /// (found by an adversarial run: revocation_verified, and the token let in two minutes later).
    @Test(arguments: ["nbf", "iat"])
    func aRefusalBeforeTheTokensStartProvesNothing(claim: String) async {
        let ahead = Int(Date().timeIntervalSince1970) + 3600
        let token = Self.token("{\"sub\":\"svc\",\"\(claim)\":\(ahead),\"exp\":\(ahead + 3600)}")
        let mock = MockTransport { _, _ in Answer.status(401) }
        var probe = Fixture.probe("api")
        probe.kinds.append(.jwt)
        let report = await Fixture.run(Fixture.plan([Fixture.credential("early", kind: .jwt, secret: token, probe: "api")], probes: [probe]),
                                       transport: mock)
        let check = report.result("early")!.checks[0]
        #expect(check.outcome.name == "inconclusive" && check.outcome.reason.contains("not valid before"), "\(check.outcome)")
        #expect(report.result("early")?.codes.contains(.revocationVerified) == false)
        // One that started already is read as before.
        let started = Self.token("{\"sub\":\"svc\",\"nbf\":1700000000,\"exp\":\(ahead)}")
        let plain = await Fixture.run(Fixture.plan([Fixture.credential("started", kind: .jwt, secret: started, probe: "api")], probes: [probe]),
                                      transport: mock)
        #expect(plain.result("started")?.codes == [.revocationVerified])
    }

    /// An access token that is a JWT has its own dates whatever kind it is listed as (as
    /// `oauth_token`, an introspection's `active: false` read as dead a day before its exp).
    @Test func anAccessTokenThatIsAJWTKeepsItsDatesWhateverItsKind() {
        var probe = Fixture.probe("api")
        probe.kinds += [.jwt, .oauthToken]
        let token = Self.token("{\"sub\":\"svc\",\"exp\":1700003600}")
        let plan = Fixture.plan([Fixture.credential("oauth", kind: .oauthToken, secret: token, probe: "api"),
                                 Fixture.credential("bearer", kind: .bearerToken, secret: token, probe: "api"),
                                 Fixture.credential("opaque", kind: .oauthToken, secret: "eyJ-but-not-a-jwt", probe: "api")], probes: [probe])
        #expect(plan.jwtValidUntil == [0: Date(timeIntervalSince1970: 1_700_003_600), 1: Date(timeIntervalSince1970: 1_700_003_600)])
    }

    @Test func theTokensOwnExpIsKeptForTheRun() {
        var probe = Fixture.probe("api")
        probe.kinds.append(.jwt)
        let token = Self.unsignedToken(exp: 1_700_003_600)
        let plan = Fixture.plan([Fixture.credential("jwt", kind: .jwt, secret: token, probe: "api"),
                                 Fixture.credential("opaque", kind: .jwt, secret: "not-a-jwt-at-all", probe: "api")], probes: [probe])
        #expect(plan.jwtValidUntil == [0: Date(timeIntervalSince1970: 1_700_003_600)])
    }

    @Test func tokenThatCannotBeDecodedIsStillProbedWithAWarning() async {
        let mock = MockTransport { _, _ in Answer.status(401) }
        var probe = Fixture.probe("api")
        probe.kinds.append(.jwt)
        let plan = Fixture.plan([Fixture.credential("opaque", kind: .jwt, secret: "not-a-jwt-at-all", probe: "api")], probes: [probe])
        #expect(plan.warnings.contains { $0.contains("opaque") && !$0.contains("not-a-jwt-at-all") }, "\(plan.warnings)")
        let report = await Fixture.run(plan, transport: mock)
        #expect(report.result("opaque")?.codes == [.revocationVerified])
    }
}

/// Login protocols get the name they log in with: a wrong one is refused by the server, which
/// would read as "rejected" — the false "revoked" this project must never report.
@Suite struct LoginNameTests {
    @Test func sigV4SignsWithTheAccessKeyIDAndTheNegativeControlWithARandomOne() async {
        let mock = MockTransport { _, _ in Answer.status(403) }
        var probe = Fixture.probe("sts", path: "/", auth: .awsSigV4(provider: "aws:amz:us-east-1:sts"))
        probe.kinds = [.awsAccessKey]
        probe.kind = .awsSigV4
        var credential = Fixture.credential("key", kind: .awsAccessKey, secret: "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", probe: "sts")
        credential.accessKeyID = "AKIAIOSFODNN7EXAMPLE"
        _ = await Fixture.run(Fixture.plan([credential], probes: [probe]), transport: mock)
        let logins = mock.requests.compactMap { $0.request.login }
        #expect(logins.count == 2)
        #expect(logins.contains { $0.user == "AKIAIOSFODNN7EXAMPLE" && $0.secret == "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY" })
        let control = logins.first { $0.user != "AKIAIOSFODNN7EXAMPLE" }
        #expect(control?.user.hasPrefix("AKIA") == true && control?.user.count == 20, "\(String(describing: control?.user))")
        #expect(mock.requests.allSatisfy { $0.request.awsSigV4 == "aws:amz:us-east-1:sts" })
    }

    @Test func awsKeyWithoutAccessKeyIDIsNotSent() {
        var probe = Fixture.probe("sts", path: "/", auth: .awsSigV4(provider: "aws:amz:us-east-1:sts"))
        probe.kinds = [.awsAccessKey]
        probe.kind = .awsSigV4
        let plan = Fixture.plan([Fixture.credential("key", kind: .awsAccessKey, secret: "secret-without-id", probe: "sts")], probes: [probe])
        #expect(plan.sendCount == 0)
        #expect(plan.checks[0][0].skipReason?.contains("access_key_id") == true)
    }
}

/// Server text quoting a secret in any form it was sent in is redacted.
@Suite struct RedactionFormsTests {
    @Test func saslFormsOfTheSecretAreRedacted() {
        let secret = "correct-horse-battery"
        let plain = Data("\0dana\0\(secret)".utf8).base64EncodedString()
        let login = Data(secret.utf8).base64EncodedString()
        let outcome = ProbeOutcome.inconclusive(reason: "server said: " + ServerText.quote("bad AUTH PLAIN \(plain) / AUTH LOGIN \(login)"))
        let redacted = VerifyEngine.redact(outcome, secrets: [Secret(secret)], everyOutcome: true)
        #expect(!redacted.reason.contains(plain) && !redacted.reason.contains(login), "\(redacted.reason)")
        #expect(redacted.reason.contains("[redacted]"))
    }
}

/// A server may echo any secret it was sent, not only the one of the attempt it answers.
@Suite struct CrossEchoTests {
    @Test func aSecretSentEarlierNeverShowsInALaterAnswer() async throws {
        let keys = ["AKEY-alpha-7c1f9e3b5d", "BKEY-bravo-1a2b3c4d5e", "CKEY-charlie-9f8e7d6c5b"]
        let live = "LIVE-control-5e2b8a4c1f"
        let previous = Previous()
        // Each answer redirects to where the previous request's key goes.
        let transport = MockTransport(respond: { request, credential in
            let echo = previous.swap(credential ?? "")
            return .success(.http(HTTPResponse(status: 302, headers: [HTTPHeader(name: "Location", value: "/err/\(echo)")])))
        })
        let creds = keys.enumerated().map { Fixture.credential("k\($0.offset)", secret: $0.element, probe: "api") }
        let controls = [PositiveControl(probe: "api", target: "https://api.test", secret: .value(live))]
        let configuration = Fixture.configuration(concurrency: 1, attempts: 1)
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api")], controls: controls, configuration: configuration)
        let dir = try Fixture.temporaryDirectory()
        let ledgerPath = dir.appendingPathComponent("ledger.jsonl").path
        let ledger = try EvidenceLedger(path: ledgerPath)
        let report = await Fixture.run(plan, transport: transport, configuration: configuration, ledger: ledger)
        var texts = report.results.flatMap { $0.checks.map(\.outcome.reason) + $0.findings.map(\.message) }
        texts += report.results.flatMap { $0.checks.compactMap { $0.controls.positive?.reason } }
        texts.append(String(decoding: FileManager.default.contents(atPath: ledgerPath) ?? Data(), as: UTF8.self))
        #expect(texts.contains { $0.contains("/err/[redacted]") }, "\(texts)")
        for text in texts { for secret in keys + [live] { #expect(!text.contains(secret), "\(secret) in \(text)") } }
    }

    final class Previous: @unchecked Sendable {
        // @unchecked: `last` is read and written only under `lock`.
        private let lock = NSLock()
        private var last = ""
        func swap(_ next: String) -> String { lock.withLock { let old = last; last = next; return old } }
    }
}

/// The engine reads certificates and asks CAs only through what it is given: no file, no socket.
@Suite struct EngineSeamTests {
    struct FakeCertificates: CertificateSource {
        let info: CertificateInfo
        func certificates(inFile path: String) -> (certificates: [LoadedCertificate], problem: String?) {
            path == "/nowhere/leaf.pem" ? ([LoadedCertificate(info: info, pem: Array("PEM".utf8))], nil) : ([], "not in the fake")
        }
    }

    final class FakeCA: RevocationService, @unchecked Sendable {
        // @unchecked: `asked` is read and written only under `lock`.
        private let lock = NSLock()
        private var asked: [String] = []
        var questions: [String] { lock.withLock { asked } }
        func lookups(_ files: CertificateFiles, state: LifecycleState, credential: String, fingerprint: String?,
                     runID: String, ledger: (any EvidenceSink)?) -> [RevocationLookup]? {
            lock.withLock { asked.append(credential) }
            return [RevocationLookup(source: .ocsp, url: "http://ocsp.test", status: .good)]
        }
    }

    @Test func aRevokedCertificateTheCACallsGoodIsNotRevokedAtTheCA() async {
        let now = Date()
        let info = CertificateInfo(subject: "CN=svc", issuer: "CN=ca", serial: "01", subjectAltNames: [], notBefore: now.addingTimeInterval(-86_400),
                                   notAfter: now.addingTimeInterval(86_400 * 300), keyType: "EC", keyBits: 256, curve: "prime256v1",
                                   signatureAlgorithm: "ecdsa-with-SHA256", signatureDigest: "SHA256", sha256: String(repeating: "ab", count: 32),
                                   crlDistributionPoints: [], ocspURLs: ["http://ocsp.test"], caIssuerURLs: [], isCA: false, isSelfSigned: false)
        var credential = Credential(id: "svc-cert", kind: .x509Certificate, state: .revoked, owner: "web")
        credential.certificate = CertificateFiles(certificate: "/nowhere/leaf.pem")
        let plan = VerifyPlanner.plan(inventory: Inventory(credentials: [credential], controls: [], files: ["t"]), probes: [:],
                                      configuration: Fixture.configuration(), resolver: SecretResolver(environment: [:]),
                                      fingerprinter: Fingerprinter(), certificates: FakeCertificates(info: info))
        #expect(plan.certificateInfos[0] == info)
        let ca = FakeCA()
        let report = await VerifyEngine(transport: MockTransport(respond: { _, _ in .failure(TransportFailure(kind: .other, message: "unused")) }),
                                        configuration: Fixture.configuration(), revocation: ca)
            .run(plan, runID: "seam", ledger: nil, fingerprinter: Fingerprinter())
        #expect(ca.questions == ["svc-cert"])
        #expect(report.result("svc-cert")?.codes.contains(.notRevokedAtCA) == true, "\(report.results.first?.findings ?? [])")
        #expect(report.result("svc-cert")?.checks.contains { $0.revocation?.status == .good } == true)
    }
}

/// The engine in virtual time: rate limits hold without the test waiting for them.
@Suite struct VirtualClockTests {
    /// Jumps to any moment slept until: no real waiting.
    final class VirtualClock: RunClock, @unchecked Sendable {
        // @unchecked: `time` is read and written only under `lock`.
        private let lock = NSLock()
        private var time = 0.0
        func now() -> Double { lock.withLock { time } }
        func sleep(until moment: Double) async {
            lock.withLock { time = max(time, moment) }
            await Task.yield()
        }
    }

    @Test func aRateLimitOfOnePerSecondTakesVirtualTimeNotRealTime() async {
        let clock = VirtualClock()
        let starts = Starts()
        let transport = MockTransport(onRequest: { _ in starts.add(clock.now()) }, respond: { _, _ in
            .success(.http(HTTPResponse(status: 401)))
        })
        let probe = Fixture.probe("api", rateLimit: HostLimits(maxInFlight: 8, requestsPerSecond: 1))
        let credentials = (0..<4).map { Fixture.credential("c\($0)", secret: "dead-token-\($0)", probe: "api") }
        let plan = Fixture.plan(credentials, probes: [probe])
        let report = await VerifyEngine(transport: transport, configuration: Fixture.configuration(), revocation: nil, clock: clock)
            .run(plan, runID: "virtual", ledger: nil, fingerprinter: Fingerprinter())
        #expect(report.results.allSatisfy { $0.findings.map(\.code) == [.revocationVerified] }, "\(report.results.map(\.findings))")
        #expect(starts.all.count == 5, "a negative control and four credentials")
        // Five starts at one a second: the run waited at least four seconds, all of them on the
        // clock it was given (the real one would have left this one at 0; the spacing itself is
        // RunLoopTests'). Alone, the test takes milliseconds.
        #expect(clock.now() >= 4.0, "\(clock.now())")
    }

    final class Starts: @unchecked Sendable {
        // @unchecked: `times` is read and written only under `lock`.
        private let lock = NSLock()
        private var times: [Double] = []
        func add(_ t: Double) { lock.withLock { times.append(t) } }
        var all: [Double] { lock.withLock { times } }
    }
}

import Foundation
import RevenantCore
import RevenantFiles
import RevenantCrypto
import RevenantEngine
import RevenantProbes

/// An `ProbeTransport` that answers from a closure and records every request it got, with the
/// peak number of requests in flight (overall and per host). No sockets.
final class MockTransport: ProbeTransport, @unchecked Sendable {
    // @unchecked: every mutable field is read and written only under `lock`.
    typealias Responder = @Sendable (_ request: ProbeRequest, _ credential: String?) -> ProbeResult

    struct Seen: Sendable {
        var request: ProbeRequest
        var credential: String?
        var at: ContinuousClock.Instant
    }

    private let lock = NSLock()
    private var seen: [Seen] = []
    private var inFlight = 0
    private var inFlightByHost: [String: Int] = [:]
    private var peak = 0
    private var peakByHost: [String: Int] = [:]
    private var cancelled = 0
    private let delay: Duration
    private let respond: Responder
    private let onRequest: (@Sendable (ProbeRequest) -> Void)?

    init(delay: Duration = .zero, onRequest: (@Sendable (ProbeRequest) -> Void)? = nil, respond: @escaping Responder) {
        self.delay = delay
        self.respond = respond
        self.onRequest = onRequest
    }

    func send(_ request: ProbeRequest) async -> ProbeResult {
        let credential = MockTransport.credential(in: request)
        let host = URLComponents(string: request.url)?.host ?? request.host
        lock.withLock {
            seen.append(Seen(request: request, credential: credential, at: .now))
            inFlight += 1
            inFlightByHost[host, default: 0] += 1
            peak = max(peak, inFlight)
            peakByHost[host] = max(peakByHost[host] ?? 0, inFlightByHost[host]!)
        }
        onRequest?(request)
        defer {
            lock.withLock {
                inFlight -= 1
                inFlightByHost[host]! -= 1
            }
        }
        if delay > .zero {
            do { try await Task.sleep(for: delay) } catch {
                return .failure(TransportFailure(kind: .other, message: "cancelled"))
            }
        }
        return respond(request, credential)
    }

    func cancelAll() { lock.withLock { cancelled += 1 } }

    var requests: [Seen] { lock.withLock { seen } }
    var peakInFlight: Int { lock.withLock { peak } }
    func peakInFlight(host: String) -> Int { lock.withLock { peakByHost[host] ?? 0 } }
    var cancelAllCalls: Int { lock.withLock { cancelled } }

    /// Whether any request carried this text anywhere: URL, header values or body.
    func sawText(_ text: String) -> Bool {
        requests.contains { seen in
            let r = seen.request
            return r.url.contains(text) || r.headers.contains { $0.value.contains(text) }
                || (r.body.map { String(decoding: $0, as: UTF8.self).contains(text) } ?? false)
                || seen.credential == text
        }
    }

    /// Whether any request went to this host (by URL or by the request's declared host).
    func sawHost(_ host: String) -> Bool {
        requests.contains { URLComponents(string: $0.request.url)?.host == host || $0.request.host == host }
    }

    func requests(path: String) -> [Seen] {
        requests.filter { URLComponents(string: $0.request.url)?.path == path }
    }

    /// The credential a request carries, whatever the auth scheme (bearer, basic password,
    /// X-API-Key header, api_key query parameter).
    static func credential(in request: ProbeRequest) -> String? {
        for (name, value) in request.headers {
            switch name.lowercased() {
            case "authorization" where value.hasPrefix("Bearer "):
                return String(value.dropFirst("Bearer ".count))
            case "authorization" where value.hasPrefix("Basic "):
                guard let data = Data(base64Encoded: String(value.dropFirst("Basic ".count))) else { return nil }
                let pair = String(decoding: data, as: UTF8.self)
                return pair.firstIndex(of: ":").map { String(pair[pair.index(after: $0)...]) }
            case "x-api-key":
                return value
            default:
                continue
            }
        }
        return URLComponents(string: request.url)?.queryItems?.first { $0.name == "api_key" }?.value
    }
}

/// Canned answers.
enum Answer {
    static func status(_ code: Int, headers: [String: String] = [:], body: String = "") -> ProbeResult {
        .success(.http(HTTPResponse(status: code, headers: headers.map { HTTPHeader(name: $0.key, value: $0.value) }, body: Array(body.utf8))))
    }

    /// 200 for the credentials in `live`, 401 for everything else.
    static func accepting(_ live: Set<String>) -> MockTransport.Responder {
        { _, credential in credential.map(live.contains) == true ? status(200) : status(401) }
    }
}

/// Builders for probes, credentials, plans and runs, so each test states only what matters.
enum Fixture {
    static func probe(
        _ id: String, path: String = "/me", auth: AuthScheme = .bearer, hosts: [String] = ["api.test"],
        authenticated: [Matcher] = [Matcher(status: [200])], rejected: [Matcher] = [Matcher(status: [401])],
        negativeControl: NegativeControlShape = NegativeControlShape(), rateLimit: HostLimits? = nil
    ) -> ProbeDefinition {
        ProbeDefinition(
            id: id, title: id, kinds: [.bearerToken, .apiKey, .basicAuth], allowedHosts: hosts,
            request: RequestTemplate(path: path), auth: auth, authenticated: authenticated, rejected: rejected,
            negativeControl: negativeControl, rateLimit: rateLimit, docs: "https://example.test/docs")
    }

    static func credential(
        _ id: String, state: LifecycleState = .revoked, kind: CredentialKind = .bearerToken, secret: String,
        probe: String, target: String = "https://api.test", username: String? = nil
    ) -> Credential {
        Credential(id: id, kind: kind, state: state, owner: "team-platform", secret: .value(secret), username: username,
                   targets: [ProbeTarget(probe: probe, target: target)], origin: "test:\(id)")
    }

    /// A configuration with fast retries so tests do not wait on backoff.
    static func configuration(concurrency: Int = 16, perHost: HostLimits = HostLimits(maxInFlight: 8, requestsPerSecond: nil),
                              attempts: Int = 3, backoffMs: Int = 1, maxRetryAfter: Double = 10) -> Configuration {
        var c = Configuration()
        c.concurrency = concurrency
        c.perHost = perHost
        c.retries.attempts = attempts
        c.retries.backoffMs = backoffMs
        c.retries.maxRetryAfterSeconds = maxRetryAfter
        return c
    }

    static func plan(_ credentials: [Credential], probes: [ProbeDefinition], controls: [PositiveControl] = [],
                     configuration: Configuration = configuration()) -> VerifyPlan {
        VerifyPlanner.plan(
            inventory: Inventory(credentials: credentials, controls: controls, files: ["test-inventory.json"]),
            probes: Dictionary(uniqueKeysWithValues: probes.map { ($0.id, $0) }),
            configuration: configuration, resolver: SecretResolver(environment: [:]), fingerprinter: Fingerprinter(), certificates: nil)
    }

    static func run(_ plan: VerifyPlan, transport: MockTransport, configuration: Configuration = configuration(),
                    ledger: EvidenceLedger? = nil, stop: StopFlag = StopFlag()) async -> RunReport {
        await VerifyEngine(transport: transport, configuration: configuration, revocation: nil)
            .run(plan, runID: "test-run", ledger: ledger, fingerprinter: Fingerprinter(), stop: stop)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-engine-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension RunReport {
    func result(_ id: String) -> CredentialResult? { results.first { $0.credential.id == id } }
}

extension CredentialResult {
    var codes: [FindingCode] { findings.map(\.code) }
}

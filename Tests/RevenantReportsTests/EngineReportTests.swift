import Foundation
import RevenantCore
import RevenantFiles
import RevenantCrypto
import RevenantEngine
import RevenantProbes
import RevenantReports
import Testing

/// Reports rendered from a real engine run (mock transport) carry fingerprints, never secrets.
@Suite struct EngineReportTests {
    /// Accepts `live`, rejects the rest, and echoes every credential back in an error or redirect.
    struct EchoingTransport: ProbeTransport {
        let live: String

        func send(_ request: ProbeRequest) async -> ProbeResult {
            let auth = request.headers.first { $0.name == "Authorization" }?.value ?? ""
            let token = auth.hasPrefix("Bearer ") ? String(auth.dropFirst(7)) : ""
            if request.url.hasSuffix("/moved") {
                return .success(.http(HTTPResponse(status: 307, headers: [HTTPHeader(name: "Location", value: "https://elsewhere.test/?t=\(token)")])))
            }
            if request.url.hasSuffix("/broken") {
                return .failure(TransportFailure(kind: .other, message: "proxy refused header Authorization: \(auth)"))
            }
            return .success(.http(HTTPResponse(status: token == live ? 200 : 401, body: Array("{\"echo\":\"\(token)\"}".utf8))))
        }
    }

    @Test func everyFormatCarriesFingerprintsNotSecrets() async throws {
        let live = "live-9d8c7b6a5f4e3d2c1b0a"
        let dead = "dead-1a2b3c4d5e6f7a8b9c0d"
        func probe(_ id: String, _ path: String) -> ProbeDefinition {
            ProbeDefinition(id: id, title: id, kinds: [.bearerToken], allowedHosts: ["api.test"], request: RequestTemplate(path: path),
                            auth: .bearer, authenticated: [Matcher(status: [200])], rejected: [Matcher(status: [401])], docs: "https://x.test")
        }
        func credential(_ id: String, _ secret: String, _ probe: String, state: LifecycleState = .revoked) -> Credential {
            Credential(id: id, kind: .bearerToken, state: state, owner: "o", secret: .value(secret),
                       targets: [ProbeTarget(probe: probe, target: "https://api.test")])
        }
        let probes = ["p-ok": probe("p-ok", "/me"), "p-moved": probe("p-moved", "/moved"), "p-broken": probe("p-broken", "/broken")]
        let inventory = Inventory(credentials: [
            credential("residual", live, "p-ok", state: .offboarded), credential("verified", dead, "p-ok"),
            credential("moved", live, "p-moved"), credential("broken", dead, "p-broken"),
        ], files: ["inv.json"])
        var config = Configuration()
        config.retries.backoffMs = 1
        let plan = VerifyPlanner.plan(inventory: inventory, probes: probes, configuration: config,
                                      resolver: SecretResolver(environment: [:]), fingerprinter: Fingerprinter(), certificates: nil)
        let report = await VerifyEngine(transport: EchoingTransport(live: live), configuration: config, revocation: nil)
            .run(plan, runID: "r1", ledger: nil, fingerprinter: Fingerprinter())

        #expect(report.results.map { $0.findings.first?.code } == [.residualAccess, .revocationVerified, .revocationUnverified, .revocationUnverified])
        for format in ReportFormat.allCases {
            for color in [false, true] {
                let text = format.render(report, color: color)
                #expect(!text.contains(live), "\(format) leaks the live secret")
                #expect(!text.contains(dead), "\(format) leaks the dead secret")
                // The table and the metrics name credentials, not fingerprints.
                #expect(text.contains(Fingerprinter().fingerprint(live)) || format == .table || format == .prometheus)
            }
        }
    }
}

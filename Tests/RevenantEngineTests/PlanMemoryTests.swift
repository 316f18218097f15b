import Foundation
import RevenantCore
import RevenantFiles
import RevenantCrypto
import RevenantEngine
import RevenantProbes
import Testing

/// What a plan lets go of once read, and that a run still sends the same secrets without it.
@Suite struct PlanMemoryTests {
    static let live = "live-5d1c9e0a7b3f2468"
    static let dead = "dead-9a8b7c6d5e4f3021"

    @Test func droppingInlineSecretTextsKeepsTheBytesARunSends() async {
        let probes = [Fixture.probe("alpha")]
        var fromEnvironment = Fixture.credential("e1", secret: "", probe: "alpha")
        fromEnvironment.secret = .environment("PLAN_MEMORY_TOKEN")
        let creds = [Fixture.credential("v1", secret: Self.live, probe: "alpha"),
                     Fixture.credential("v2", secret: Self.dead, probe: "alpha"), fromEnvironment]
        var plan = VerifyPlanner.plan(
            inventory: Inventory(credentials: creds, files: ["test-inventory.json"]), probes: ["alpha": probes[0]],
            configuration: Fixture.configuration(), resolver: SecretResolver(environment: ["PLAN_MEMORY_TOKEN": Self.live]),
            fingerprinter: Fingerprinter(), certificates: nil)
        let fingerprints = plan.fingerprints
        plan.dropInlineSecretTexts()

        #expect(plan.inventory.credentials.map(\.secret) == [nil, nil, .environment("PLAN_MEMORY_TOKEN")])
        #expect(plan.secrets.map { $0?.bytes } == [Array(Self.live.utf8), Array(Self.dead.utf8), Array(Self.live.utf8)])
        #expect(plan.fingerprints == fingerprints)

        let mock = MockTransport(respond: Answer.accepting([Self.live]))
        let report = await Fixture.run(plan, transport: mock)
        #expect(report.result("v1")?.checks.first?.outcome.isAuthenticated == true)
        #expect(report.result("e1")?.checks.first?.outcome.isAuthenticated == true)
        #expect(report.result("v2")?.checks.first?.verdict == .rejected)
        #expect(mock.requests.contains { $0.credential == Self.dead })
    }
}

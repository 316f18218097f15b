import Foundation
import RevenantCore
import RevenantFiles
import RevenantEngine
import RevenantProbes
import Testing

/// Cases found in a safety review: each once let a live credential pass as dead, or let a
/// control silently stop counting.
@Suite struct SafetyReviewTests {
    /// `:secret` is rejected whoever holds the password, so without a username nothing is sent.
    @Test func basicAuthWithoutAnyUsernameIsSkippedNotRejected() async {
        let probe = Fixture.probe("basic", auth: .basic(defaultUsername: nil, secretInUsername: false))
        let creds = [Fixture.credential("no-user", kind: .basicAuth, secret: "live-password", probe: "basic")]
        let plan = Fixture.plan(creds, probes: [probe])
        #expect(plan.checks[0][0].skipReason?.contains("no `username`") == true)
        let mock = MockTransport(respond: Answer.accepting(["live-password"]))
        let report = await Fixture.run(plan, transport: mock)
        #expect(report.result("no-user")?.codes == [.revocationUnverified])
        #expect(mock.requests.isEmpty)
    }

    @Test func probeDefaultUsernameIsEnoughForBasicAuth() {
        let probe = Fixture.probe("basic", auth: .basic(defaultUsername: "api", secretInUsername: false))
        let plan = Fixture.plan([Fixture.credential("k", kind: .basicAuth, secret: "s3cr3t-key", probe: "basic")], probes: [probe])
        #expect(plan.checks[0][0].skipReason == nil)
    }

    /// A control meant to vouch for rejections that cannot be used makes those rejections unproven.
    @Test func unusablePositiveControlMakesRejectionsThereUnproven() async {
        let creds = [Fixture.credential("dead", secret: "dead-token", probe: "api")]
        let controls = [PositiveControl(probe: "api", target: "https://api.test", secret: .environment("REVENANT_UNSET_CANARY"))]
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api")], controls: controls)
        #expect(plan.pairs[0].positiveProblem != nil)
        let report = await Fixture.run(plan, transport: MockTransport(respond: Answer.accepting([])))
        #expect(report.result("dead")?.codes == [.revocationUnverified])
    }

    @Test func controlWithExplicitDefaultPortSharesThePairOfItsCredential() {
        let creds = [Fixture.credential("c", secret: "dead-token", probe: "api", target: "https://api.test")]
        let controls = [PositiveControl(probe: "api", target: "https://api.test:443/", secret: .value("canary"))]
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api")], controls: controls)
        #expect(plan.pairs.count == 1)
        #expect(plan.pairs[0].positiveSecret == "canary")
        #expect(TargetURL("https://api.test:443")?.base == TargetURL("https://api.test")?.base)
        #expect(TargetURL("http://api.test:8080")?.base == "http://api.test:8080")
    }

    /// A ledger file in `dir` with one record, written and closed (its lock released): its path and text.
    static func ledgerWithOneRecord(in dir: URL) throws -> (path: String, text: String) {
        let path = dir.appendingPathComponent("l.jsonl").path
        do {
            let ledger = try EvidenceLedger(path: path)
            ledger.append([("outcome", .string("rejected"))])
            ledger.flush()
        }
        return (path, String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self))
    }

    @Test func ledgerRefusesToAppendAfterAnIncompleteLastLine() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let written = try Self.ledgerWithOneRecord(in: dir)
        let path = written.path
        var text = written.text
        text.removeLast()
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        let error = #expect(throws: LedgerError.self) { try EvidenceLedger(path: path) }
        #expect(error?.message.contains("incomplete") == true)
    }

    @Test func ledgerRecordWithADuplicateKeyIsBroken() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let written = try Self.ledgerWithOneRecord(in: dir)
        let path = written.path
        var text = written.text
        text.removeLast(2)  // "}\n"
        text += ",\"hash\":\"sha256:forged\"}\n"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        guard case .broken(let line, _, let reason) = EvidenceLedger.verify(path: path) else {
            Issue.record("a forged second hash must break the chain")
            return
        }
        #expect(line == 1)
        #expect(reason.contains("twice"))
    }

    @Test func secondWriterOnTheSameLedgerIsRefused() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("l.jsonl").path
        let first = try EvidenceLedger(path: path)
        #expect(throws: LedgerError.self) { try EvidenceLedger(path: path) }
        first.append([("outcome", .string("rejected"))])
        first.flush()
    }
}

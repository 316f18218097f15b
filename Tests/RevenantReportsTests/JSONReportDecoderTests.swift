import Foundation
import RevenantCore
import RevenantReports
import Testing

/// `revenant merge` reads shard reports back: what `JSONReport` writes, `JSONReportDecoder` must
/// read into a report every format renders exactly as it renders the original.
@Suite struct JSONReportDecoderTests {
    /// The fixture, plus what only some runs carry: a CA lookup, a failed positive control, a
    /// history change, a shard, input digests, inventory places, dates and lines.
    static func fullReport() -> RunReport {
        var report = ReportFixture.report(complete: false)
        let lookup = RevocationLookup(source: .ocsp, url: "http://ocsp.ca.test", status: .unavailable("no answer in 5 s"), durationMs: 7)
        var cert = ReportFixture.result("old-cert", state: .revoked, checks: [
            ReportFixture.check(.rejected(reason: "status 401 matched rejected[0]"), status: 401,
                                positive: .inconclusive(reason: "status 503: server error")),
            ProbeCheck(probe: "ocsp", target: "http://ocsp.ca.test", outcome: lookup.outcome, controls: ControlStatus(negative: nil),
                       durationMs: 7, revocation: lookup),
        ])
        cert.inventoryIndex = 9
        report.results.append(cert)
        for i in report.results.indices where i < 5 { report.results[i].inventoryIndex = i * 2 }
        report.results[0].findings.append(Finding(code: .ownerless, message: "tab\there, <b>&amp;</b> \"quoted\" \u{1}"))
        report.changes = [StateChange(kind: .verdict, credential: "leaked-key", fingerprint: "sha256:0123456789abcdef", probe: "acme",
                                      target: "https://api.acme.test/user", from: "rejected", to: "authenticated",
                                      since: RunMoment(run: "run-41", at: ReportFixture.started.addingTimeInterval(-86_400)))]
        report.shard = Shard(index: 1, count: 3)
        report.inputs = RunInputDigests(inventory: "sha256:" + String(repeating: "c", count: 64), configuration: nil)
        report.ownerSelection = ["team-a"]
        report.onlySelection = ["leaked-key", "old-cert"]
        return report
    }

    static func decode(_ text: String, file: String = "shard.json") throws(InputErrors) -> RunReport {
        try JSONReportDecoder.decode(Array(text.utf8), file: file)
    }

    @Test(arguments: ReportFormat.allCases)
    func aDecodedReportRendersAsTheOriginal(format: ReportFormat) throws {
        let original = Self.fullReport()
        let decoded = try Self.decode(JSONReport.render(original))
        #expect(format.render(decoded) == format.render(original))
        #expect(decoded.shard == original.shard && decoded.inputs == original.inputs)
        #expect(decoded.results.map(\.inventoryIndex) == original.results.map(\.inventoryIndex))
        #expect(OwnerSummary(decoded).owners.map(\.owner) == OwnerSummary(original).owners.map(\.owner))
    }

    @Test func checksKeepTheirVerdicts() throws {
        let original = Self.fullReport()
        let decoded = try Self.decode(JSONReport.render(original))
        #expect(decoded.results.flatMap(\.checks).map(\.verdict) == original.results.flatMap(\.checks).map(\.verdict))
        #expect(decoded.results.flatMap(\.checks).map(\.revocation) == original.results.flatMap(\.checks).map(\.revocation))
    }

    /// Each broken report, and a piece of the error that must name its file and field.
    static let broken: [(from: String, to: String, says: String)] = [
        ("\"schema\": \"revenant.report/v1\"", "\"schema\": \"revenant.report/v9\"", "shard.json: line 2, schema: a 18-character value is not a run report; expected revenant.report/v1"),
        ("\"complete\": false", "\"complete\": \"no\"", "run.complete: expected true or false, found a string"),
        ("\"index\": 1", "\"index\": 3", "run.shard.index: must be below the count 3"),
        ("\"attempts\": 3", "\"attempts\": \"3\"", "results[2].checks[0].attempts: expected a whole number, found a string"),
        ("\"verdict\": \"authenticated\"", "\"verdict\": \"rejected\"", "results[0].checks[0].verdict: says `rejected` but its outcome and controls give authenticated"),
        ("\"severity\": \"critical\"", "\"severity\": \"urgent\"", "results[0].findings[0].severity: `urgent` is not a valid severity"),
        ("\"fingerprint\": \"sha256:0123456789abcdef\",", "\"fingerprint\": \"sha256:0123456789abcdef\", \"colour\": \"red\",",
         "results[0].credential.colour: unknown field `colour`"),
        ("\"credentials\": 6", "\"credentials\": 7", "summary.credentials: says 7 credentials but results holds 6"),
        ("\"inventory_index\": 9", "\"inventory_index\": 4294967296",
         "results[5].credential.inventory_index: must be from 0 to 2147483647, found 4294967296"),
    ]

    @Test func everyBrokenFieldIsNamed() throws {
        let text = JSONReport.render(Self.fullReport())
        for (from, to, says) in Self.broken {
            #expect(text.contains(from), "the fixture has \(from)")
            let edited = text.replacingOccurrences(of: from, with: to)
            do {
                _ = try Self.decode(edited)
                Issue.record("accepted \(to)")
            } catch {
                #expect(error.description.contains(says), "\(error.description)")
                #expect(error.description.hasPrefix("shard.json: line "), "\(error.description)")
            }
        }
    }

    @Test func aWatchReportOrNonJSONIsRefused() {
        #expect(throws: InputErrors.self) { try Self.decode("[1, 2]") }
        #expect(throws: InputErrors.self) { try Self.decode("{\"schema\": \"revenant.report/v1\",") }
        var text = JSONReport.render(Self.fullReport())
        text = text.replacingOccurrences(of: "\"results\": [", with: "\"watch\": {}, \"results\": [")
        #expect(throws: InputErrors.self) { try Self.decode(text) }
    }
}

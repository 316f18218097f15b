import Foundation
import RevenantCore
import RevenantReports
import Testing

/// The per-owner view in the reports: the table's opening summary and its sections per owner,
/// `summary.owners` in JSON, and results in owner order with `--group-by owner`.
@Suite struct OwnerReportTests {
    static let accepted = ProbeOutcome.authenticated(reason: "status 200 matched authenticated[0]")
    static let refused = ProbeOutcome.rejected(reason: "status 401 matched rejected[0]")
    static let unavailable = ProbeOutcome.inconclusive(reason: "status 503: server error")

    /// Dana: one still live, one proven dead, one unverified, one active; Sam: one proven dead; one credential with no owner.
    static func report(selection: [String] = []) -> RunReport {
        var report = ReportFixture.report()
        report.results = [
            ReportFixture.result("sam-old", state: .rotated, owner: "sam", checks: [ReportFixture.check(refused, status: 401)]),
            ReportFixture.result("dana-live", state: .offboarded, owner: "Dana", checks: [ReportFixture.check(accepted, status: 200)]),
            ReportFixture.result("orphan", state: .active, owner: nil, checks: [ReportFixture.check(accepted, status: 200)]),
            ReportFixture.result("dana-dead", state: .revoked, owner: "dana", checks: [ReportFixture.check(refused, status: 401)]),
            ReportFixture.result("dana-flaky", state: .revoked, owner: "Dana", checks: [ReportFixture.check(unavailable, status: 503)]),
            ReportFixture.result("dana-current", state: .active, owner: "Dana", checks: [ReportFixture.check(accepted, status: 200)]),
        ]
        report.ownerSelection = selection
        return report
    }

    static func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func ids(_ results: [[String: Any]]) -> [String] {
        results.compactMap { ($0["credential"] as? [String: Any])?["id"] as? String }
    }

    // MARK: table

    @Test func tableOpensWithOneLinePerOwnerWorstFirst() throws {
        let rows = Self.lines(TableReport.render(Self.report(), color: false))
        let start = try #require(rows.firstIndex(of: "By owner:"))
        #expect(start == 2, "right after the heading line")
        #expect(rows[start + 1] == "  Dana: 4 credentials, 1 proven dead, 1 still live (acme), 1 unverified (acme: status 503: server error), 1 active")
        #expect(rows[start + 2] == "  sam: 1 credential, 1 proven dead")
        #expect(rows[start + 3] == "", "owners with no should-be-dead credential are left out unless asked for")
        let header = try #require(rows.firstIndex { $0.hasPrefix("SEVERITY") })
        #expect(header > start + 2)
    }

    @Test func everyOwnerIsListedWhenOwnersWereSelected() {
        let table = TableReport.render(Self.report(selection: ["dana", "sam", "x"]), color: false)
        #expect(table.contains("run complete; owner dana, sam, x"))
        #expect(table.contains("\n  (no owner): 1 credential, 1 active\n"))
    }

    @Test func withoutShouldBeDeadCredentialsThereIsNoOwnerSummary() {
        var report = Self.report()
        report.results = report.results.filter { $0.credential.state == .active }
        #expect(!TableReport.render(report, color: false).contains("By owner:"))
    }

    @Test func theOpeningSummaryIsCappedUnlessAskedForEveryOwner() {
        var report = Self.report()
        report.results = (0..<25).map { n in
            ReportFixture.result("key-\(n)", state: .revoked, owner: String(format: "owner-%02d", n),
                                 checks: [ReportFixture.check(n == 24 ? Self.accepted : Self.refused, status: n == 24 ? 200 : 401)])
        }
        let capped = Self.lines(TableReport.render(report, color: false))
        let listed = capped.filter { $0.hasPrefix("  owner-") }
        #expect(listed.count == 20)
        #expect(listed.first?.hasPrefix("  owner-24: 1 credential, 0 proven dead, 1 still live") == true, "the live one first")
        #expect(capped.contains("  … and 5 more owners: use --owner or --group-by owner"))
        let grouped = Self.lines(TableReport.render(report, color: false, groupBy: .owner))
        #expect(grouped.filter { $0.hasPrefix("  owner-") }.count == 25)
        #expect(!grouped.contains { $0.contains("more owners") })
    }

    @Test func groupByOwnerGivesASectionPerOwnerWithItsOwnRows() throws {
        let rows = Self.lines(ReportFormat.table.render(Self.report(), groupBy: .owner))
        let titles = ["Dana", "sam", "(no owner)"]
        let at = try titles.map { title in try #require(rows.firstIndex(of: title), "section \(title)") }
        #expect(at == at.sorted(), "sections in owner order, no owner last")
        let dana = rows[at[0]..<at[1]].joined(separator: "\n")
        for id in ["dana-live", "dana-dead", "dana-flaky", "dana-current"] { #expect(dana.contains(id)) }
        #expect(!dana.contains("sam-old"))
        #expect(rows[at[0] + 1].hasPrefix("SEVERITY"))
        let sam = rows[at[1]..<at[2]].joined(separator: "\n")
        #expect(sam.contains("sam-old") && !sam.contains("dana-") && !sam.contains("orphan"))
        let none = rows[at[2]...].joined(separator: "\n")
        #expect(none.contains("orphan") && none.contains("ownerless"))
        // The findings are still summed once for the whole run.
        #expect(rows.filter { $0.hasPrefix("Summary: ") }.count == 1)
    }

    @Test func anOwnerNameCannotRewriteTheTerminal() {
        var report = Self.report()
        report.results = [ReportFixture.result("k", state: .revoked, owner: "eve\u{1B}[2Jmallory", checks: [])]
        let table = TableReport.render(report, color: false, groupBy: .owner)
        #expect(!table.contains("\u{1B}"))
        #expect(table.contains("eve?[2Jmallory: 1 credential, 0 proven dead, 1 unverified"))
    }

    // MARK: JSON and JSON Lines

    @Test func jsonSummaryHasOneEntryPerOwner() throws {
        let doc = try Self.object(JSONReport.render(Self.report()))
        let owners = try #require((doc["summary"] as? [String: Any])?["owners"] as? [[String: Any]])
        #expect(owners.map { $0["owner"] as? String } == ["Dana", "sam", nil])
        #expect(owners[2]["owner"] is NSNull)
        let dana = owners[0]
        #expect(dana["credentials"] as? Int == 4)
        #expect(dana["active"] as? Int == 1)
        #expect(dana["should_be_dead"] as? Int == 3)
        #expect(dana["proven_dead"] as? Int == 1)
        #expect(dana["still_live"] as? Int == 1)
        #expect(dana["unverified"] as? Int == 1)
        #expect(dana["all_proven_dead"] as? Bool == false)
        let live = try #require(dana["live"] as? [[String: Any]])
        #expect(live.count == 1)
        #expect(live[0]["credential"] as? String == "dana-live")
        #expect(live[0]["finding"] as? String == "residual_access")
        #expect(live[0]["probe"] as? String == "acme")
        #expect(live[0]["target"] as? String == "https://api.acme.test/user")
        let why = try #require(dana["unverified_reasons"] as? [[String: Any]])
        #expect(why.count == 1)
        #expect(why[0]["credential"] as? String == "dana-flaky")
        #expect(why[0]["reason"] as? String == "inconclusive: status 503: server error")
        #expect(owners[1]["all_proven_dead"] as? Bool == true)
        // Without --group-by, results keep the run's order.
        #expect(Self.ids(doc["results"] as? [[String: Any]] ?? []) == ["sam-old", "dana-live", "orphan", "dana-dead", "dana-flaky", "dana-current"])
        #expect((doc["run"] as? [String: Any])?["owners"] == nil)
    }

    @Test func jsonRecordsTheOwnerSelection() throws {
        let doc = try Self.object(JSONReport.render(Self.report(selection: ["Dana"])))
        #expect((doc["run"] as? [String: Any])?["owners"] as? [String] == ["Dana"])
    }

    @Test func groupByOwnerOrdersJSONAndJSONLinesResults() throws {
        let expected = ["dana-live", "dana-dead", "dana-flaky", "dana-current", "sam-old", "orphan"]
        let doc = try Self.object(ReportFormat.json.render(Self.report(), groupBy: .owner))
        #expect(Self.ids(doc["results"] as? [[String: Any]] ?? []) == expected)
        let lines = try ReportFormat.jsonl.render(Self.report(), groupBy: .owner).split(separator: "\n").map { try Self.object(String($0)) }
        #expect(Self.ids(lines) == expected)
    }

    /// A large run's JSON report still goes out in chunks, its owner summary too.
    @Test func jsonWithManyOwnersIsWrittenInChunks() throws {
        var report = Self.report()
        report.results = (0..<3_000).map { n in
            ReportFixture.result("key-\(n)", state: .revoked, owner: "owner-\(n)", checks: [ReportFixture.check(Self.unavailable, status: 503)])
        }
        var chunks: [Int] = []
        var bytes: [UInt8] = []
        ReportFormat.json.write(report, groupBy: .owner) { chunk in
            chunks.append(chunk.count)
            bytes += chunk
        }
        #expect(chunks.count > 4, "\(chunks)")
        #expect(chunks.allSatisfy { $0 < 80_000 }, "\(chunks)")
        let doc = try Self.object(String(decoding: bytes, as: UTF8.self))
        #expect(((doc["summary"] as? [String: Any])?["owners"] as? [Any])?.count == 3_000)
        #expect((doc["results"] as? [Any])?.count == 3_000)
    }
}

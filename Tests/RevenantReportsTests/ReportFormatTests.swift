import Foundation
import RevenantCore
import RevenantReports
import Testing

/// The JSON, JSON Lines and table reports (DESIGN.md §7).
@Suite struct ReportFormatTests {
    static func object(_ text: String) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(value as? [String: Any])
    }

    @Test func jsonReportFollowsTheSchema() throws {
        let doc = try Self.object(ReportFormat.json.render(ReportFixture.report()))
        #expect(doc["schema"] as? String == "revenant.report/v1")
        let tool = try #require(doc["tool"] as? [String: Any])
        #expect(tool["name"] as? String == "revenant")
        #expect(tool["version"] as? String == "0.1.0")

        let run = try #require(doc["run"] as? [String: Any])
        #expect(run["id"] as? String == "run-42")
        #expect(run["started_at"] as? String == Timestamp.format(ReportFixture.started))
        #expect(run["finished_at"] as? String == Timestamp.format(ReportFixture.started.addingTimeInterval(3)))
        #expect(run["complete"] as? Bool == true)
        #expect(run["inventories"] as? [String] == ["inventory.json"])
        #expect((run["ledger_head"] as? String)?.hasPrefix("sha256:") == true)
        #expect(run["incomplete_reason"] == nil)

        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["credentials"] as? Int == 5)
        let bySeverity = try #require(summary["by_severity"] as? [String: Int])
        #expect(bySeverity["critical"] == 1)
        #expect(bySeverity["high"] == 1)
        #expect(bySeverity["low"] == 2)
        #expect(bySeverity["info"] == 2)
        let byCode = try #require(summary["by_code"] as? [String: Int])
        #expect(byCode == ["residual_access": 1, "revocation_unverified": 1, "revocation_verified": 1,
                           "inventory_drift": 1, "ownerless": 1, "ok": 1])

        let results = try #require(doc["results"] as? [[String: Any]])
        #expect(results.count == 5)
        let first = results[0]
        let credential = try #require(first["credential"] as? [String: Any])
        #expect(credential["id"] as? String == "leaked-key")
        #expect(credential["kind"] as? String == "api_key")
        #expect(credential["state"] as? String == "revoked")
        #expect(credential["owner"] as? String == "team-a")
        #expect(credential["fingerprint"] as? String == "sha256:0123456789abcdef")
        #expect(credential["tags"] as? [String: String] == ["ticket": "SEC-1", "team": "payments"])

        let checks = try #require(first["checks"] as? [[String: Any]])
        #expect(checks.count == 1)
        let check = checks[0]
        #expect(check["type"] as? String == "probe")
        #expect(check["probe"] as? String == "acme")
        #expect(check["target"] as? String == "https://api.acme.test/user")
        #expect(check["outcome"] as? String == "authenticated")
        #expect(check["http_status"] as? Int == 200)
        #expect(check["reason"] as? String == "status 200 matched authenticated[0]")
        #expect(check["attempts"] as? Int == 1)
        #expect(check["duration_ms"] as? Int == 12)
        #expect((check["evidence"] as? String)?.hasPrefix("sha256:") == true)
        #expect((check["controls"] as? [String: String])?["negative"] == "rejected")

        let findings = try #require(first["findings"] as? [[String: Any]])
        #expect(findings.first?["code"] as? String == "residual_access")
        #expect(findings.first?["severity"] as? String == "critical")
        #expect((findings.first?["message"] as? String)?.contains("https://api.acme.test/user") == true)
        #expect((findings.first?["references"] as? [String])?.isEmpty == false)
    }

    /// Results are rendered on several threads a block at a time: a report of thousands keeps its
    /// order and reads as JSON Lines reads each result.
    @Test func manyResultsKeepTheirOrderAndText() throws {
        var report = ReportFixture.report()
        let base = report.results
        report.results = (0..<2_600).map { n in
            let result = base[n % base.count]
            var credential = result.credential
            credential.id = "credential-\(n)"
            return CredentialResult(credential: credential, fingerprint: result.fingerprint, checks: result.checks, findings: result.findings)
        }
        let doc = try Self.object(ReportFormat.json.render(report))
        let results = try #require(doc["results"] as? [[String: Any]])
        let lines = ReportFormat.jsonl.render(report).split(separator: "\n").map(String.init)
        #expect(results.count == 2_600 && lines.count == 2_600)
        for (n, (result, line)) in zip(results, lines).enumerated() {
            var fromLine = try Self.object(line)
            fromLine["schema"] = nil
            fromLine["run"] = nil
            #expect(NSDictionary(dictionary: result).isEqual(to: fromLine), "result \(n)")
            #expect((result["credential"] as? [String: Any])?["id"] as? String == "credential-\(n)")
        }
    }

    @Test func ownerlessCredentialHasNullOwner() throws {
        let doc = try Self.object(JSONReport.render(ReportFixture.report()))
        let results = try #require(doc["results"] as? [[String: Any]])
        let orphan = try #require(results.first { ($0["credential"] as? [String: Any])?["id"] as? String == "orphan-key" })
        #expect((orphan["credential"] as? [String: Any])?["owner"] is NSNull)
    }

    @Test func unprovenAcceptanceSaysWhyItIsNoProof() throws {
        let check = ReportFixture.check(.authenticated(reason: "status 200 matched authenticated[0]"), status: 200,
                                        negative: .authenticated(reason: "status 200 matched authenticated[0]"))
        let result = ReportFixture.result("open", state: .revoked, checks: [check])
        let report = RunReport(runID: "r", startedAt: ReportFixture.started, finishedAt: ReportFixture.started, complete: true,
                               inventories: [], ledgerHead: nil, results: [result])
        let doc = try Self.object(JSONReport.render(report))
        let checks = try #require((doc["results"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]])
        #expect((checks[0]["proof"] as? String)?.contains("negative control failed") == true)
        #expect((doc["run"] as? [String: Any])?["ledger_head"] is NSNull)
        #expect((doc["summary"] as? [String: Any])?["by_code"] as? [String: Int] == ["revocation_unverified": 1])
    }

    @Test func incompleteRunIsMarkedInEveryFormat() throws {
        let report = ReportFixture.report(complete: false)
        let run = try #require(try Self.object(JSONReport.render(report))["run"] as? [String: Any])
        #expect(run["complete"] as? Bool == false)
        #expect(run["incomplete_reason"] as? String == "interrupted (SIGINT)")
        for line in JSONLinesReport.render(report).split(separator: "\n") {
            #expect(try Self.object(String(line))["run_complete"] as? Bool == false)
        }
        #expect(TableReport.render(report, color: false).contains("RUN INCOMPLETE (interrupted (SIGINT))"))
    }

    @Test func jsonLinesHasOneResultPerLine() throws {
        let text = ReportFormat.jsonl.render(ReportFixture.report())
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 5)
        let ids = try lines.map { line -> String? in
            let doc = try Self.object(String(line))
            #expect(doc["schema"] as? String == "revenant.result/v1")
            #expect(doc["run"] as? String == "run-42")
            #expect(doc["run_complete"] == nil)
            #expect(doc["checks"] is [Any])
            #expect(doc["findings"] is [Any])
            return (doc["credential"] as? [String: Any])?["id"] as? String
        }
        #expect(ids == ["leaked-key", "dead-key", "flaky-key", "drifted-key", "orphan-key"])
    }

    @Test func tableListsFindingsWorstFirst() {
        let table = ReportFormat.table.render(ReportFixture.report(), color: false)
        let rows = table.split(separator: "\n").map(String.init)
        #expect(rows.contains { $0.hasPrefix("SEVERITY") && $0.contains("FINDING") && $0.contains("CREDENTIAL") })
        #expect(rows.contains { $0.hasPrefix("CRITICAL") && $0.contains("residual_access") && $0.contains("leaked-key") && $0.contains("revoked") })
        #expect(rows.contains { $0.hasPrefix("HIGH") && $0.contains("revocation_unverified") && $0.contains("flaky-key") })
        #expect(rows.contains { $0.hasPrefix("LOW") && $0.contains("inventory_drift") && $0.contains("drifted-key") })
        #expect(rows.contains { $0.hasPrefix("LOW") && $0.contains("ownerless") && $0.contains("orphan-key") })
        #expect(rows.contains { $0.hasPrefix("INFO") && $0.contains("revocation_verified") && $0.contains("dead-key") })
        let severities = rows.compactMap { row in ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"].firstIndex { row.hasPrefix($0 + " ") } }
        #expect(severities == severities.sorted(), "worst first")
        #expect(table.contains("5 credentials"))
        #expect(table.contains("Summary: 1 critical, 1 high, 2 low, 2 info"))
        #expect(table.contains("residual_access: Revoke or disable"))
        #expect(table.contains("Evidence ledger head: sha256:"))
        #expect(table.contains("run complete"))
    }

    @Test func tableWithoutColourHasNoEscapeCodes() {
        let plain = TableReport.render(ReportFixture.report(), color: false)
        #expect(!plain.contains("\u{1B}"))
        let coloured = TableReport.render(ReportFixture.report(), color: true)
        #expect(coloured.contains("\u{1B}[1;31m"), "critical rows are bold red when colour is on")
        #expect(ReportFormat.table.render(ReportFixture.report()).contains("\u{1B}") == false, "colour is off unless asked for")
    }

    @Test func emptyRunSaysNothingFound() throws {
        let report = RunReport(runID: "r", startedAt: ReportFixture.started, finishedAt: ReportFixture.started, complete: true,
                               inventories: [], ledgerHead: nil, results: [])
        let table = TableReport.render(report, color: false)
        #expect(table.contains("(no findings)"))
        #expect(table.contains("nothing found"))
        #expect(JSONLinesReport.render(report).isEmpty)
        let summary = try #require(try Self.object(JSONReport.render(report))["summary"] as? [String: Any])
        #expect(summary["credentials"] as? Int == 0)
        #expect((summary["by_severity"] as? [String: Any])?.isEmpty == true)
    }
}

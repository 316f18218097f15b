import Foundation
import RevenantCore
import RevenantCrypto
@testable import RevenantReports
import Testing

/// The `html` and `prometheus` formats rendered from reports built in memory: escaping of hostile
/// text, no secret, the CSP hashes, the watch and expiry sections, and the exposition's series.
@Suite struct HTMLPrometheusReportTests {
    static let secret = "s3cr3t-VALUE-never-shown"
    static let hostileID = "<script>alert('id')</script>"
    static let hostileOwner = "\"><img src=x onerror=alert(1)>\\ back\nslash"
    static let hostileReason = "status 401: </td><script>alert(\"reason\")</script>\u{1B}[31m\u{202E}gnp.exe\u{0}"

    /// One credential whose id, owner, tag and server reason are hostile, with a secret in the inventory.
    static func hostileReport(watch: Bool = false) -> RunReport {
        let started = ReportFixture.started
        let check = ProbeCheck(probe: "acme", target: "https://api.acme.test/user?x=\"'<b>", outcome: .inconclusive(reason: hostileReason),
                               controls: ControlStatus(negative: .rejected(reason: "status 401 matched rejected[0]")), httpStatus: 401)
        let credential = Credential(id: hostileID, kind: .apiKey, state: .revoked, owner: hostileOwner,
                                    revokedAt: started.addingTimeInterval(-3_600), expiresAt: started.addingTimeInterval(86_400 * 10),
                                    secret: .value(secret), targets: [ProbeTarget(probe: "acme", target: "https://api.acme.test")],
                                    tags: ["ticket": "<i>SEC-1</i>"], origin: "inv.json")
        let findings = Classifier.findings(for: credential, checks: [check], policy: Policy(), now: started)
        var results = ReportFixture.report().results
        results.append(CredentialResult(credential: credential, fingerprint: "sha256:0123456789abcdef", checks: [check], findings: findings))
        var report = RunReport(runID: "run-<1>", startedAt: started, finishedAt: started.addingTimeInterval(3), complete: false,
                               incompleteReason: "interrupted <SIGINT>", inventories: ["inv\"<x>.json"], ledgerHead: nil, results: results)
        report.ownerSelection = []
        if watch {
            var state = WatchState(startedAt: started, deadline: started.addingTimeInterval(600), interval: 5,
                                   credentials: results.map(\.credential),
                                   plannedChecks: results.map { $0.checks.map { (probe: $0.probe, target: $0.target) } })
            var round = report
            // Round one: the dead key's rejection is read 42 s into the watch.
            round.results = round.results.map { r in
                var r = r
                r.checks = r.checks.map { k in var k = k; k.at = started.addingTimeInterval(42); return k }
                return r
            }
            state.absorb(round)
            report.watch = state
            report.command = "watch"
        }
        return report
    }

    @Test func htmlEscapesEveryHostileString() {
        let html = ReportFormat.html.render(Self.hostileReport())
        // Exactly one script element: ours, at the end.
        #expect(html.components(separatedBy: "<script").count == 2)
        #expect(!html.contains("<img"))
        #expect(!html.contains("<i>SEC"))
        #expect(!html.contains("alert(\"reason\")"))
        #expect(html.contains("&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;"))
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&lt;/td&gt;&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt;"))
        #expect(html.contains("run-&lt;1&gt;"))
        #expect(html.contains("interrupted &lt;SIGINT&gt;"))
        // Control characters and bidi overrides never reach the page.
        #expect(!html.unicodeScalars.contains { $0 != "\n" && ServerText.isControl($0) })
        #expect(html.contains("?[31m?gnp.exe?"))
        #expect(!html.contains(Self.secret))
    }

    @Test(arguments: [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&quot;"), ("'", "&#39;"), ("\u{7}", "?"), ("\u{2066}", "?")])
    func escapeReplacesEveryMarkupAndControlCharacter(_ c: String, _ expected: String) {
        #expect(HTMLReport.escape("a\(c)b") == "a\(expected)b")
    }

    @Test func contentSecurityPolicyHashesMatchTheInlineStyleAndScript() throws {
        let html = ReportFormat.html.render(ReportFixture.report())
        func hash(_ text: String) -> String { "sha256-" + Data(Digest.sha256(text)).base64EncodedString() }
        let style = try #require(Self.between(html, "<style>", "</style>"))
        let script = try #require(Self.between(html, "<script>", "</script>"))
        let policy = try #require(Self.between(html, "http-equiv=\"Content-Security-Policy\" content=\"", "\""))
        #expect(policy.hasPrefix("default-src 'none'"))
        #expect(policy.contains("style-src '\(hash(style))'"), "the style changed: its hash is now \(hash(style))")
        #expect(policy.contains("script-src '\(hash(script))'"), "the script changed: its hash is now \(hash(script))")
        #expect(!policy.contains("unsafe"))
        // Self-contained: nothing the page could fetch, every link inside the page.
        let page = ReportFormat.html.render(Self.hostileReport(watch: true))
        // (Escaped text has no `<`, so a tag found here is one the renderer wrote.)
        for fetch in ["<img", "<link", "<iframe", "<object", "<embed", "<audio", "<video", "<source", "@import", "url("] {
            #expect(!page.contains(fetch), "\(fetch)")
        }
        #expect(page.components(separatedBy: "href=\"").dropFirst().allSatisfy { $0.hasPrefix("#") })
    }

    @Test func htmlHasOwnerSectionsFiltersAndEveryFinding() {
        let report = ReportFixture.report()
        let html = ReportFormat.html.render(report)
        let findings = report.results.reduce(0) { $0 + $1.findings.count }
        #expect(html.components(separatedBy: "<tr data-severity=").count - 1 == findings)
        #expect(html.contains("<form id=\"filters\" hidden>"), "filters appear only with the script: without it every row shows")
        #expect(html.contains("<section id=\"owners\">"))
        for tally in OwnerSummary(report).owners {
            #expect(html.contains(HTMLReport.escape(TableReport.ownerLine(tally))), "\(tally)")
        }
        #expect(html.contains("<span class=\"verdict\">1 still live</span>"))
        #expect(!html.contains("<section id=\"watch\">"))
        #expect(!html.contains("<section id=\"certificates\">"), "no credential has an expiry date")
    }

    @Test func htmlTimelineDrawsEveryDatedCredential() {
        let report = Self.hostileReport()
        let html = ReportFormat.html.render(report)
        #expect(html.contains("<section id=\"certificates\">"))
        #expect(html.components(separatedBy: "<circle ").count - 1 == 1)
        let expiry = Timestamp.format(ReportFixture.started.addingTimeInterval(864_000))
        #expect(html.contains(">\(expiry.prefix(10))</text>"), "the expiry date beside its mark")
        #expect(html.contains("expires \(expiry)</title>"))
    }

    @Test func htmlWatchSectionGivesLatenciesFromRevocationAndWatchStart() {
        let html = ReportFormat.html.render(Self.hostileReport(watch: true))
        #expect(html.contains("<section id=\"watch\">"))
        // dead-key: revoked a day before the watch, dead 42 s in.
        #expect(html.contains("<td class=\"num\">1d00h</td>"), "from revocation: 86,400 s + 42 s")
        #expect(html.contains("42s</td>"), "from the watch's start")
        #expect(!html.contains(Self.secret))
    }

    // MARK: prometheus

    static func series(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            out[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return out
    }

    @Test func prometheusEscapesLabelValuesAndHoldsNoSecret() {
        let text = ReportFormat.prometheus.render(Self.hostileReport())
        #expect(!text.contains(Self.secret))
        #expect(PrometheusReport.escape("a\"b\\c\nd\u{1B}") == "a\\\"b\\\\c\\nd?")
        #expect(text.contains("owner=\"\\\"><img src=x onerror=alert(1)>\\\\ back\\nslash\""))
        // Every line is a comment or one sample: name{labels} value.
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            #expect(line.hasPrefix("# HELP revenant_") || line.hasPrefix("# TYPE revenant_") || line.hasPrefix("revenant_"), "\(line)")
        }
        #expect(text.hasSuffix("\n"))
        #expect(!text.unicodeScalars.contains { $0 != "\n" && ServerText.isControl($0) })
    }

    @Test func prometheusSeriesSayWhatTheRunFound() {
        let series = Self.series(ReportFormat.prometheus.render(ReportFixture.report(complete: false)))
        #expect(series["revenant_run_complete{command=\"verify\"}"] == 0)
        #expect(series["revenant_run_duration_seconds{command=\"verify\"}"] == 3)
        #expect(series["revenant_run_start_timestamp_seconds{command=\"verify\"}"] == ReportFixture.started.timeIntervalSince1970)
        #expect(series["revenant_findings{command=\"verify\",code=\"residual_access\",severity=\"critical\"}"] == 1)
        #expect(series["revenant_findings{command=\"verify\",code=\"came_back_to_life\",severity=\"critical\"}"] == 0)
        #expect(series["revenant_checks{command=\"verify\",outcome=\"rejected\",probe=\"acme\"}"] == 2)
        #expect(series["revenant_checks{command=\"verify\",outcome=\"inconclusive\",probe=\"acme\"}"] == 1)
        #expect(series["revenant_residual_access{command=\"verify\",credential=\"leaked-key\",finding=\"residual_access\",owner=\"team-a\",probe=\"acme\",target=\"https://api.acme.test/user\"}"] == 1)
        // The active credential that authenticates is not residual access.
        #expect(!series.keys.contains { $0.hasPrefix("revenant_residual_access{") && $0.contains("orphan-key") })
        #expect(series["revenant_credentials{command=\"verify\",state=\"active\"}"] == 2)
    }

    /// An active credential past its expiry that still authenticates is `expired_still_accepted`
    /// (critical, the run exits 1): it must have its residual-access series, the one the
    /// `RevenantResidualAccess` alert reads, like a revoked credential that still works.
    /// The fixture and `trial-key` of `team-b`: active, past its expiry, still authenticating.
    static func expiredActiveReport() -> RunReport {
        let started = ReportFixture.started
        let check = ReportFixture.check(.authenticated(reason: "status 200 matched authenticated[0]"), status: 200)
        let credential = Credential(id: "trial-key", kind: .apiKey, state: .active, owner: "team-b", expiresAt: started.addingTimeInterval(-86_400),
                                    targets: [ProbeTarget(probe: "acme", target: "https://api.acme.test")], origin: "inv.json")
        let findings = Classifier.findings(for: credential, checks: [check], policy: Policy(), now: started)
        var report = ReportFixture.report()
        report.results.append(CredentialResult(credential: credential, fingerprint: "sha256:0123456789abcdef", checks: [check], findings: findings))
        return report
    }

    @Test func prometheusResidualAccessHoldsAnExpiredActiveCredentialThatStillWorks() {
        let report = Self.expiredActiveReport()
        #expect(report.results.last?.findings.contains { $0.code == .expiredStillAccepted && $0.severity == .critical } == true)
        let series = Self.series(ReportFormat.prometheus.render(report))
        #expect(series["revenant_residual_access{command=\"verify\",credential=\"trial-key\",finding=\"expired_still_accepted\",owner=\"team-b\","
            + "probe=\"acme\",target=\"https://api.acme.test/user\"}"] == 1, "\(series.keys.filter { $0.hasPrefix("revenant_residual_access") })")
        // The revoked key that still works keeps its series; the active one within its validity still has none.
        #expect(series.keys.contains { $0.hasPrefix("revenant_residual_access{") && $0.contains("leaked-key") })
        #expect(!series.keys.contains { $0.hasPrefix("revenant_residual_access{") && $0.contains("orphan-key") })
    }

    /// The owner of an active credential that still works past its expiry is not "nothing should
    /// be dead": its section is open, marked live, and lists where the credential still works.
    @Test func htmlOwnerOfAnExpiredActiveCredentialThatStillWorksIsLive() throws {
        let html = ReportFormat.html.render(Self.expiredActiveReport())
        let section = try #require(Self.between(html, "<details class=\"owner owner-live\" open>\n<summary><span class=\"who\">team-b</span>", "</details>"))
        #expect(section.contains("<span class=\"verdict\">1 still works past expiry</span>"), "\(section)")
        #expect(section.contains("<td>trial-key</td><td><code>expired_still_accepted</code></td>"), "\(section)")
        #expect(!section.contains("nothing should be dead"))
    }

    /// Markdown lists that owner too (only owners with should-be-dead credentials are listed
    /// otherwise), with where the credential still works past its expiry.
    @Test func markdownListsTheOwnerOfAnExpiredActiveCredentialThatStillWorks() throws {
        let md = ReportFormat.markdown.render(Self.expiredActiveReport())
        let section = try #require(Self.between(md, "### ` team-b `\n", "\n\n"), "\(md)")
        #expect(section.contains("- still works past expiry: ` trial-key ` (expired_still_accepted) via ` acme ` at ` https://api.acme.test/user `"),
                "\(section)")
    }

    /// With many owners only the worst `openOwners` sections open: a live owner's, then unverified ones.
    @Test func htmlOpensOnlyTheFirstOwnerSectionsWithSomethingToDo() {
        var report = ReportFixture.report()
        let inconclusive = ReportFixture.check(.inconclusive(reason: "status 503: server error"), status: 503)
        for n in 0..<30 {
            report.results.append(ReportFixture.result("flaky-\(n)", state: .rotated, owner: String(format: "owner-%02d", n), checks: [inconclusive]))
        }
        let html = ReportFormat.html.render(report)
        let sections = html.components(separatedBy: "<details class=\"owner ").dropFirst()
        #expect(sections.count == 32, "team-a, the 30 owners and the ownerless key")
        let opened = sections.filter { $0.hasPrefix("owner-live\" open>") || $0.hasPrefix("owner-unverified\" open>") }
        #expect(opened.count == HTMLReport.openOwners)
        #expect(sections.first?.hasPrefix("owner-live\" open>") == true, "the owner with a live key is first and open")
        #expect(sections.filter { $0.hasPrefix("owner-unverified\">") }.count == 31 - HTMLReport.openOwners)
    }

    @Test func prometheusWatchAndExpirySeries() {
        let series = Self.series(ReportFormat.prometheus.render(Self.hostileReport(watch: true)))
        #expect(series["revenant_watch_rounds{command=\"watch\"}"] == 1)
        #expect(series["revenant_watch_targets{command=\"watch\",status=\"dead\"}"] == 2, "dead-key and drifted-key were rejected")
        let dead = "credential=\"dead-key\",owner=\"team-a\",probe=\"acme\",since=\"%@\",target=\"https://api.acme.test/user\"}"
        #expect(series["revenant_watch_dead_latency_seconds{command=\"watch\"," + dead.replacingOccurrences(of: "%@", with: "watch_start")] == 42)
        #expect(series["revenant_watch_dead_latency_seconds{command=\"watch\"," + dead.replacingOccurrences(of: "%@", with: "revoked")] == 86_442)
        let expiry = series.first { $0.key.hasPrefix("revenant_certificate_expiry_timestamp_seconds{") }
        #expect(expiry?.value == ReportFixture.started.addingTimeInterval(864_000).timeIntervalSince1970)
    }

    static func between(_ text: String, _ start: String, _ end: String) -> String? {
        guard let a = text.range(of: start), let b = text.range(of: end, range: a.upperBound..<text.endIndex) else { return nil }
        return String(text[a.upperBound..<b.lowerBound])
    }
}

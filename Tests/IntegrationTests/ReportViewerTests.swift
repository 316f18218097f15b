import Foundation
import RevenantCore
import TestSupport
import Testing

/// The `html` and `prometheus` reports of the real binary, opened by the tools their users feed
/// them: headless Chromium (scripts/html-check.py: console errors, requests, a screenshot) and
/// `promtool check metrics`; the shipped alert rules through `promtool check rules` and `test rules`.
/// (The `verify` page, made against the shared nginx targets, is tested in VerifyLoopbackTests below.)
@Suite(.serialized) struct ReportViewerTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let chromium = "/usr/bin/chromium"
    static let promtool = "/usr/bin/promtool"
    static let checker = Package.root.appendingPathComponent("scripts/html-check.py").path

    /// Whether `path` is installed; when not, the test skips, or fails under CI=true.
    static func installed(_ path: String) -> Bool {
        if FileManager.default.isExecutableFile(atPath: path) { return true }
        let why = "\(path) is missing (scripts/install-deps.sh installs it)"
        if isCI { Issue.record("CI=true: \(why)") } else { print("skipped: \(why)") }
        return false
    }

    /// What Chromium saw opening `page`: errors, requests, the value of each expression; the
    /// screenshot goes to `screenshot`.
    struct PageVisit {
        var result: CommandResult
        var errors: [String]
        var requests: [String]
        var evals: [Any]
    }

    static func open(_ page: String, screenshot: String, evaluating expressions: [String] = []) async throws -> PageVisit {
        let result = try await run("/usr/bin/python3", [checker, page, "--screenshot", screenshot] + expressions.flatMap { ["--eval", $0] },
                                   timeout: 90)
        guard let line = result.stdout.split(separator: "\n").last, let doc = try? jsonObject(String(line)), doc["driver_error"] == nil else {
            throw CommandError(description: "html-check.py could not drive Chromium: \(result)")
        }
        return PageVisit(result: result, errors: doc["errors"] as? [String] ?? ["no errors list"],
                         requests: doc["requests"] as? [String] ?? ["no requests list"], evals: doc["evals"] as? [Any] ?? [])
    }

    /// A PNG of some size (the screenshot Chromium took); copied to `$REVENANT_SCREENSHOTS` when set,
    /// for a person to look at (the test's directory is removed).
    static func expectScreenshot(_ path: String) {
        let bytes = FileManager.default.contents(atPath: path) ?? Data()
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 10_000, "\(path): \(bytes.count) bytes")
        if let keep = ProcessInfo.processInfo.environment["REVENANT_SCREENSHOTS"] {
            FileManager.default.createFile(atPath: URL(fileURLWithPath: keep).appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent).path,
                                           contents: bytes)
        }
    }

    /// `promtool check metrics` on a file (it reads standard input).
    static func promtoolCheck(_ file: String) async throws -> CommandResult {
        try await run("/bin/sh", ["-c", "\"$0\" check metrics < \"$1\"", promtool, file])
    }

    static func findings(_ report: [String: Any]) -> [[String: Any]] {
        (report["results"] as? [[String: Any]] ?? []).flatMap { $0["findings"] as? [[String: Any]] ?? [] }
    }

    /// Shows only the findings of `severity` and above through the page's own filter form.
    static func filterBySeverity(_ severity: String) -> String {
        """
        (function () { var f = document.getElementById("filters"); f.elements.severity.value = "\(severity)";
          f.dispatchEvent(new Event("change"));
          return document.querySelectorAll("#finding-table tbody tr[data-severity]:not([hidden])").length; })()
        """
    }

    @Test func theCheckerFailsOnAConsoleErrorAndOnAFetch() async throws {
        guard Self.installed(Self.chromium) else { return }
        let work = try WorkDirectory("html-check")
        defer { work.remove() }
        let broken = try work.write("broken.html", "<!DOCTYPE html><title>t</title><p>x</p><script>undefinedFunction();</script>")
        let visit = try await Self.open(broken, screenshot: work.file("broken.png").path)
        #expect(visit.result.status == 1)
        #expect(visit.errors.contains { $0.contains("undefinedFunction") }, "\(visit.errors)")
        let fetching = try work.write("fetch.html", "<!DOCTYPE html><title>t</title><link rel=\"stylesheet\" href=\"http://127.0.0.1:9/x.css\">")
        let fetch = try await Self.open(fetching, screenshot: work.file("fetch.png").path)
        #expect(fetch.result.status == 1)
        #expect(fetch.requests == ["http://127.0.0.1:9/x.css"], "\(fetch.requests)")
    }

    @Test func watchReportShowsLatenciesInChromiumAndPromtool() async throws {
        guard Self.installed(Self.chromium), Self.installed(Self.promtool) else { return }
        let work = try WorkDirectory("viewer-watch")
        defer { work.remove() }
        let target = try await SwitchableTarget.start(work, names: ["early", "late"])
        try await target.set(["early": "dead"])
        let revokedAt = Timestamp.format(Date().addingTimeInterval(-600))
        let (inventory, probes) = try target.writeInventory("inventory.json", [
            (id: "early-key", token: "early", state: "revoked", owner: "ir"),
            (id: "late-key", token: "late", state: "offboarded", owner: "Dana <dana@example.com>"),
        ], extra: ["early-key": ["revoked_at": revokedAt], "late-key": ["revoked_at": revokedAt]])
        let out = work.file("reports").path
        let watch = try RunningCommand(executable: Package.binary, [
            "watch", "--inventory", inventory, "--probes", probes, "--interval", "1s", "--deadline", "20s",
            "--config", try work.writeJSON("config.json", Scenario.fastConfig),
            "--format", "json", "--format", "html", "--format", "prometheus", "--output", out,
        ], cwd: work.url, timeout: 60)
        try await Task.sleep(nanoseconds: 2_000_000_000)
        try await target.set(["late": "dead"])
        let result = await watch.wait()
        await target.stop()
        #expect(result.exited && result.status == 0, "both proven dead: \(result)")
        let html = work.read("reports/report.html")
        #expect(html.contains("<section id=\"watch\">"))
        #expect(html.contains("Dana &lt;dana@example.com&gt;"))
        let shot = work.file("watch-report.png").path
        let visit = try await Self.open(out + "/report.html", screenshot: shot, evaluating: [
            "document.querySelectorAll('#watch tbody tr.watch-dead').length",
        ])
        #expect(visit.errors.isEmpty && visit.requests.isEmpty && visit.result.status == 0, "\(visit.result)")
        #expect(visit.evals.first as? Int == 2, "\(visit.evals)")
        Self.expectScreenshot(shot)

        let metrics = work.read("reports/report.prom")
        let check = try await Self.promtoolCheck(out + "/report.prom")
        #expect(check.ok, "\(check)")
        #expect(metrics.contains("revenant_watch_targets{command=\"watch\",status=\"dead\"} 2"), "\(metrics)")
        let late = metrics.split(separator: "\n").first { $0.hasPrefix("revenant_watch_dead_latency_seconds{") && $0.contains("late-key")
            && $0.contains("since=\"watch_start\"") }
        let seconds = late.flatMap { Double($0.split(separator: " ").last ?? "") }
        // When it died is WatchTests' to bound (by when the reload was applied; a loaded machine may start
        // the watch's first round after it): here, that the page and the metrics carry a latency at all.
        #expect(seconds.map { $0 >= 0 && $0 < 25 } == true, "a latency within the deadline: \(late ?? "none")")
    }

    @Test func certsReportDrawsTheExpiryTimeline() async throws {
        guard Self.installed(Self.chromium), Self.installed(Self.promtool) else { return }
        let work = try WorkDirectory("viewer-certs")
        defer { work.remove() }
        try await CertsCommandTests.makePKI(in: work)
        let out = work.file("reports").path
        let result = try await revenant(["certs", work.file("scan").path, "--format", "json", "--format", "html", "--format", "prometheus",
                                         "--output", out], cwd: work.url)
        #expect(result.exited && result.status == 1, "an expired certificate: \(result)")
        let json = try jsonObject(work.read("reports/report.json"))
        let certificates = (json["results"] as? [Any])?.count ?? 0
        let shot = work.file("certs-report.png").path
        let visit = try await Self.open(out + "/report.html", screenshot: shot, evaluating: [
            "document.querySelectorAll('svg.timeline g.row').length",
            "document.querySelectorAll('svg.timeline g.row.expired').length",
        ])
        #expect(visit.errors.isEmpty && visit.requests.isEmpty && visit.result.status == 0, "\(visit.result)")
        #expect(certificates > 3 && visit.evals.first as? Int == certificates, "one row per certificate: \(visit.evals)")
        #expect(visit.evals.last as? Int == 1, "the one expired certificate: \(visit.evals)")
        Self.expectScreenshot(shot)

        let check = try await Self.promtoolCheck(out + "/report.prom")
        #expect(check.ok, "\(check)")
        let expiries = work.read("reports/report.prom").split(separator: "\n")
            .filter { $0.hasPrefix("revenant_certificate_expiry_timestamp_seconds{command=\"certs\"") }
        #expect(expiries.count == certificates)
    }

    /// `history` writes timelines and `--dry-run` a plan: a report format there is a usage error.
    @Test func theFormatsOfARunAreRefusedWhereThereIsNoRun() async throws {
        for format in ["html", "prometheus"] {
            let history = try await revenant(["history", "--history", "/nonexistent/history.db", "--format", format])
            #expect(history.exited && history.status == 2, "\(history)")
            #expect(history.stderr.contains("--format \(format) is a report of a run"), "\(history)")
            let plan = try await revenant(["verify", "--inventory", "/nonexistent/inventory.yaml", "--dry-run", "--format", format])
            #expect(plan.exited && plan.status == 2, "\(plan)")
            #expect(plan.stderr.contains("--format \(format) is a report of a run"), "\(plan)")
        }
    }

    @Test func shippedAlertRulesPassPromtool() async throws {
        guard Self.installed(Self.promtool) else { return }
        let rules = Package.root.appendingPathComponent("deploy/prometheus/revenant-alerts.yml").path
        let check = try await run(Self.promtool, ["check", "rules", rules])
        #expect(check.ok && check.stdout.contains("SUCCESS"), "\(check)")
        // Each alert fires on the series revenant writes, and stays quiet when all is well.
        let tests = Package.root.appendingPathComponent("deploy/prometheus/revenant-alerts.test.yml").path
        let unit = try await run(Self.promtool, ["test", "rules", tests], cwd: Package.root.appendingPathComponent("deploy/prometheus"))
        #expect(unit.ok, "\(unit)")
    }
}

/// The main scenario's report as a page and as metrics. In VerifyLoopbackTests (serialized) because
/// it talks to the shared nginx targets, whose access-log counts other tests there rely on.
extension VerifyLoopbackTests {
    @Test func verifyReportOpensInChromiumFiltersAndPassesPromtool() async throws {
        guard ReportViewerTests.installed(ReportViewerTests.chromium), ReportViewerTests.installed(ReportViewerTests.promtool) else { return }
        let targets = try await SharedTargets.get()
        let (work, probes, inventory, config) = try Scenario.mainRunFiles(targets, label: "viewer")
        let out = work.file("reports").path
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--config", config,
                                         "--format", "json", "--format", "html", "--format", "prometheus", "--output", out], cwd: work.url)
        #expect(result.exited && result.status == 1, "findings: \(result)")
        let json = try jsonObject(work.read("reports/report.json"))
        let html = work.read("reports/report.html")
        let metrics = work.read("reports/report.prom")
        for (name, secret) in targets.forbiddenStrings {
            #expect(!html.contains(secret) && !metrics.contains(secret), "\(name) leaked into a report")
        }

        let findings = ReportViewerTests.findings(json)
        let critical = findings.filter { $0["severity"] as? String == "critical" }.count
        let shot = work.file("verify-report.png").path
        let visit = try await ReportViewerTests.open(out + "/report.html", screenshot: shot, evaluating: [
            "document.querySelectorAll('#finding-table tbody tr[data-severity]').length",
            "document.getElementById('filters').hidden",
            ReportViewerTests.filterBySeverity("critical"),
            "document.querySelectorAll('#owners details').length",
        ])
        #expect(visit.errors.isEmpty, "\(visit.errors)")
        #expect(visit.requests.isEmpty, "a self-contained page fetches nothing: \(visit.requests)")
        #expect(visit.result.status == 0, "\(visit.result)")
        #expect(visit.evals.count == 4)
        if visit.evals.count == 4 {
            #expect(visit.evals[0] as? Int == findings.count, "every finding is a row")
            #expect(visit.evals[1] as? Bool == false, "the script shows the filters")
            #expect(critical > 0 && visit.evals[2] as? Int == critical, "the severity filter leaves the \(critical) critical findings")
            #expect(visit.evals[3] as? Int == (json["summary"] as? [String: Any])?["owners"].map { ($0 as? [Any])?.count ?? -1 })
        }
        ReportViewerTests.expectScreenshot(shot)

        let check = try await ReportViewerTests.promtoolCheck(out + "/report.prom")
        #expect(check.ok, "\(check)")
        #expect(metrics.contains("revenant_residual_access{command=\"verify\",credential=\"deploy-token-offboarded\""), "\(metrics)")
        #expect(metrics.contains("revenant_findings{command=\"verify\",code=\"residual_access\",severity=\"critical\"} "))
        #expect(metrics.contains("revenant_run_complete{command=\"verify\"} 1"))
    }
}

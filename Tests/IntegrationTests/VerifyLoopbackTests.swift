import Foundation
import Testing
import TestSupport

/// The result of one `revenant verify` over the main scenario inventory (shared by many tests).
struct MainRun: Sendable {
    let targets: Targets
    let work: String
    let result: CommandResult
    let ledger: String
    /// Lines nginx's main access log gained during the run.
    let accessLines: [String]
    let seconds: Double

    var report: ParsedReport { get throws { try ParsedReport(result.stdout) } }

    static func make() async throws -> MainRun {
        let targets = try await SharedTargets.get()
        let (work, probes, inventory, config) = try Scenario.mainRunFiles(targets, label: "main")
        let ledger = work.file("evidence.jsonl").path
        let before = targets.accessLogLines().count
        let start = ContinuousClock.now
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--config", config,
                                         "--ledger", ledger, "--format", "json"], cwd: work.url)
        let took = ContinuousClock.now - start
        return MainRun(targets: targets, work: work.path, result: result, ledger: ledger,
                       accessLines: Array(targets.accessLogLines().dropFirst(before)),
                       seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
    }
}

/// Everything that talks to the shared nginx targets. Serialized, so access-log counts are exact.
@Suite(.serialized) struct VerifyLoopbackTests {
    static let once = Once<MainRun>()
    static func main() async throws -> MainRun { try await once.get { try await MainRun.make() } }

    /// Fails the test with everything the CLI printed when the report is not what is expected.
    static func report(_ run: MainRun) throws -> ParsedReport {
        do { return try run.report } catch { throw CommandError(description: "no JSON report on stdout: \(run.result)") }
    }

    // MARK: outcomes per scheme

    @Test func offboardedBearerTokenStillAcceptedIsResidualAccess() async throws {
        let run = try await Self.main()
        let r = try Self.report(run)
        #expect(r.codes("deploy-token-offboarded") == ["residual_access"], "\(run.result)")
        let check = r.check("deploy-token-offboarded")
        #expect(check["outcome"] as? String == "authenticated")
        #expect(check["http_status"] as? Int == 200)
        #expect(check["target"] as? String == run.targets.baseURL + "/bearer/user")
        #expect((check["controls"] as? [String: String])?["negative"] == "rejected")
        let finding = (r.result("deploy-token-offboarded")?["findings"] as? [[String: Any]])?.first
        #expect(finding?["severity"] as? String == "critical")
        #expect((finding?["message"] as? String)?.contains("2026-10-31T17:00:00Z") == true)
    }

    @Test func removedBearerTokenIsRevocationVerified() async throws {
        let r = try Self.report(try await Self.main())
        #expect(r.codes("reporting-token-revoked") == ["revocation_verified"])
        #expect(r.check("reporting-token-revoked")["outcome"] as? String == "rejected")
        #expect(r.check("reporting-token-revoked")["http_status"] as? Int == 401)
    }

    @Test func basicAuthLivePasswordIsResidualAndOldPasswordIsDead() async throws {
        let r = try Self.report(try await Self.main())
        #expect(r.codes("ledger-password-leaked") == ["residual_access"])
        #expect(r.check("ledger-password-leaked")["http_status"] as? Int == 200)
        #expect(r.codes("ledger-password-previous") == ["revocation_verified"])
        #expect(r.check("ledger-password-previous")["http_status"] as? Int == 401)
    }

    @Test func jsonAPIAnswering200WithOkFalseIsRejectedByTheJSONMatcher() async throws {
        let r = try Self.report(try await Self.main())
        let dead = r.check("chatops-token-old")
        #expect(dead["http_status"] as? Int == 200)
        #expect(dead["outcome"] as? String == "rejected")
        #expect(dead["reason"] as? String == "status 200 matched rejected[0]")
        #expect(r.codes("chatops-token-old") == ["revocation_verified"])
        // The live one also answers 200, with ok:true: accepted, and past its expiry.
        #expect(r.check("chatops-token-trial")["outcome"] as? String == "authenticated")
        #expect(Set(r.codes("chatops-token-trial")) == ["residual_access", "expired_still_accepted"])
    }

    @Test func headerAndQuerySchemes() async throws {
        let run = try await Self.main()
        let r = try Self.report(run)
        #expect(r.codes("partner-key-leaked") == ["residual_access"])
        #expect(r.codes("partner-key-old") == ["revocation_verified"])
        #expect(r.check("partner-key-old")["http_status"] as? Int == 403)
        #expect(r.codes("metrics-key-leaked") == ["residual_access"])
        #expect(r.codes("metrics-key-old") == ["revocation_verified"])
        // The query secret is not part of the target reports show.
        #expect(r.check("metrics-key-old")["target"] as? String == run.targets.baseURL + "/query/me")
    }

    @Test func acceptAnythingEndpointIsCaughtByTheNegativeControl() async throws {
        let run = try await Self.main()
        let r = try Self.report(run)
        let codes = r.codes("webhook-token")
        #expect(codes == ["revocation_unverified"])
        #expect(!codes.contains("residual_access"))
        #expect(!codes.contains("revocation_verified"))
        let check = r.check("webhook-token")
        #expect(check["outcome"] as? String == "skipped")
        #expect((check["controls"] as? [String: String])?["negative"] == "authenticated")
        // Only the random control reached /open/me: the real (live) secret was never sent there.
        #expect(run.accessLines.filter { $0.contains("GET /open/me ") }.count == 1, "\(run.accessLines)")
    }

    @Test func serviceUnavailableIsRetriedThenUnverified() async throws {
        let r = try Self.report(try await Self.main())
        let check = r.check("billing-token")
        #expect(check["outcome"] as? String == "inconclusive")
        #expect(check["http_status"] as? Int == 503)
        #expect(check["attempts"] as? Int == 2)
        #expect(r.codes("billing-token") == ["revocation_unverified"])
    }

    @Test func rateLimitWithRetryAfterIsRetriedThenUnverified() async throws {
        let run = try await Self.main()
        let r = try Self.report(run)
        let check = r.check("search-token")
        #expect(check["outcome"] as? String == "inconclusive")
        #expect(check["http_status"] as? Int == 429)
        #expect((check["attempts"] as? Int ?? 0) > 1)
        #expect(r.codes("search-token") == ["revocation_unverified"])
        let hits = run.accessLines.filter { $0.contains("GET /ratelimited/me ") }
        #expect(hits.count == 4, "control and credential, two attempts each: \(hits)")
    }

    @Test func redirectIsInconclusiveAndTheLandingHostNeverSeesASecret() async throws {
        let run = try await Self.main()
        let r = try Self.report(run)
        let check = r.check("sso-token")
        #expect(check["outcome"] as? String == "inconclusive")
        #expect(check["http_status"] as? Int == 302)
        #expect((check["reason"] as? String)?.contains("not followed") == true)
        #expect(r.codes("sso-token") == ["revocation_unverified"])
        let landing = String(decoding: FileManager.default.contents(atPath: run.targets.redirectLog) ?? Data(), as: UTF8.self)
        for (name, value) in run.targets.forbiddenStrings {
            #expect(!landing.contains(value), "\(name) reached the redirect host")
        }
        #expect(landing.isEmpty, "nothing may follow the redirect: \(landing)")
    }

    @Test func blackholeTimesOutAsInconclusive() async throws {
        let r = try Self.report(try await Self.main())
        let check = r.check("legacy-token")
        #expect(check["outcome"] as? String == "inconclusive")
        #expect((check["reason"] as? String)?.hasPrefix("timeout") == true, "\(check)")
        #expect(check["attempts"] as? Int == 1)
        #expect(r.codes("legacy-token") == ["revocation_unverified"])
    }

    @Test func activeCredentialThatIsRejectedIsInventoryDrift() async throws {
        let r = try Self.report(try await Self.main())
        #expect(r.codes("canary-drift") == ["inventory_drift"])
    }

    @Test func positiveControlFromTheInventoryIsSentAndVouchesForRejections() async throws {
        let r = try Self.report(try await Self.main())
        for id in ["deploy-token-offboarded", "reporting-token-revoked", "canary-drift"] {
            #expect((r.check(id)["controls"] as? [String: String]) == ["negative": "rejected", "positive": "authenticated",
                                                                       "negative_reason": "status 401 matched rejected[0]",
                                                                       "positive_reason": "status 200 matched authenticated[0]"], "\(id)")
        }
        // A pair with no positive control says so by omission.
        #expect((r.check("partner-key-old")["controls"] as? [String: String]) == ["negative": "rejected", "negative_reason": "status 403 matched rejected[0]"])
    }

    @Test func failingPositiveControlMakesARejectionUnproven() async throws {
        let r = try Self.report(try await Self.main())
        let check = r.check("guarded-token")
        #expect(check["outcome"] as? String == "rejected")
        #expect((check["controls"] as? [String: String])?["positive"] == "rejected")
        #expect((check["proof"] as? String)?.contains("known-good") == true)
        #expect(r.codes("guarded-token") == ["revocation_unverified"])
    }

    @Test func credentialOutsideItsProbesAllowedHostsIsSkipped() async throws {
        let run = try await Self.main()
        let r = try Self.report(run)
        let check = r.check("misdirected-token")
        #expect(check["outcome"] as? String == "skipped")
        #expect(check["attempts"] as? Int == 0)
        #expect((check["reason"] as? String)?.contains("allowed_hosts") == true)
        #expect(r.codes("misdirected-token") == ["revocation_unverified"])
    }

    @Test func oneCredentialCheckedAgainstSeveralSystems() async throws {
        let r = try Self.report(try await Self.main())
        let checks = r.checks("everywhere-token")
        #expect(checks.map { $0["probe"] as? String } == ["t-bearer", "t-json"])
        #expect(checks.allSatisfy { $0["outcome"] as? String == "rejected" })
        #expect(r.codes("everywhere-token") == ["revocation_verified"])
    }

    // MARK: the run as a whole

    @Test func runWithCriticalFindingsExitsOneWithACompleteReport() async throws {
        let run = try await Self.main()
        #expect(run.result.exited && run.result.status == 1, "\(run.result)")
        let r = try Self.report(run)
        #expect(r.doc["schema"] as? String == "revenant.report/v1")
        #expect(r.run["complete"] as? Bool == true)
        #expect((r.summary["credentials"] as? Int) == 19)
        #expect(r.results.count == 19)
        let byCode = r.summary["by_code"] as? [String: Int] ?? [:]
        #expect(byCode["residual_access"] == 5)
        #expect(byCode["revocation_verified"] == 6)
        #expect(byCode["inventory_drift"] == 1)
        let lastRecord = try jsonObject(String(try String(contentsOfFile: run.ledger, encoding: .utf8).split(separator: "\n").last ?? ""))
        #expect(r.run["ledger_head"] as? String == lastRecord["hash"] as? String)
        #expect(run.seconds < 15, "the whole scenario runs concurrently (took \(run.seconds) s)")
        #expect(!run.result.stderr.contains("probing"), "progress goes to stderr only on a terminal: \(run.result.stderr)")
    }

    @Test func noSecretInAnyOutput() async throws {
        let run = try await Self.main()
        let ledger = try String(contentsOfFile: run.ledger, encoding: .utf8)
        #expect(!ledger.isEmpty)
        let outputs = [("stdout report", run.result.stdout), ("stderr", run.result.stderr), ("evidence ledger", ledger)]
        for (label, text) in outputs {
            for (name, value) in run.targets.forbiddenStrings {
                #expect(!text.contains(value), "\(name) appears in \(label)")
            }
        }
        // nginx's own main log does not record credentials either (query strings are left out).
        let access = run.accessLines.joined(separator: "\n")
        for (name, value) in run.targets.forbiddenStrings { #expect(!access.contains(value), "\(name) in access log") }
    }

    @Test func evidenceLedgerVerifiesAndAnEditedByteIsFound() async throws {
        let run = try await Self.main()
        let intact = try await revenant(["evidence", "verify", run.ledger])
        #expect(intact.exited && intact.status == 0, "\(intact)")
        #expect(intact.stdout.contains("intact"))

        var lines = try String(contentsOfFile: run.ledger, encoding: .utf8).split(separator: "\n").map(String.init)
        try #require(lines.count > 10, "the run's ledger has one record per attempt: \(run.result)")
        let marker = "\"attempt\":"
        let range = try #require(lines[2].range(of: marker))
        var bytes = Array(lines[2].utf8)
        let offset = lines[2].utf8.distance(from: lines[2].utf8.startIndex, to: range.upperBound)
        bytes[offset] = bytes[offset] == UInt8(ascii: "7") ? UInt8(ascii: "8") : UInt8(ascii: "7")
        lines[2] = String(decoding: bytes, as: UTF8.self)
        let work = WorkDirectory(existing: URL(fileURLWithPath: run.work))
        let tampered = try work.write("tampered.jsonl", lines.joined(separator: "\n") + "\n")
        let broken = try await revenant(["evidence", "verify", tampered])
        #expect(broken.exited && broken.status == 1, "\(broken)")
        #expect(broken.stdout.contains("line 3"), "\(broken)")
    }

    // MARK: exit codes

    static func quickRun(_ targets: Targets, label: String, credentials: [[String: Any]], flags: [String]) async throws -> CommandResult {
        let work = try targets.workDirectory(label)
        let probes = try Scenario.writeProbes(into: work)
        let inventory = try work.writeJSON("inventory.json", ["credentials": credentials])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 2, "retries": ["attempts": 1]])
        return try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--config", config] + flags, cwd: work.url)
    }

    @Test func failOnDecidesTheExitCode() async throws {
        let t = try await SharedTargets.get()
        // Only a high finding: a revoked token whose system answers 503.
        let high = [Scenario.credential("billing", state: "revoked", secret: t.secretSource("bearer_dead"), probe: "t-unavailable", target: t.baseURL)]
        let highDefault = try await Self.quickRun(t, label: "high", credentials: high, flags: ["--format", "json"])
        #expect(highDefault.status == 1, "default --fail-on high: \(highDefault)")
        #expect(try ParsedReport(highDefault.stdout).codes("billing") == ["revocation_unverified"])
        let highCritical = try await Self.quickRun(t, label: "high-critical", credentials: high, flags: ["--fail-on", "critical"])
        #expect(highCritical.exited && highCritical.status == 0, "\(highCritical)")

        let critical = [Scenario.credential("leak", state: "revoked", secret: t.secretSource("bearer_live"), probe: "t-bearer", target: t.baseURL)]
        let criticalNever = try await Self.quickRun(t, label: "never", credentials: critical, flags: ["--fail-on", "never"])
        #expect(criticalNever.exited && criticalNever.status == 0, "\(criticalNever)")
        #expect(try ParsedReport(criticalNever.stdout).codes("leak") == ["residual_access"])
        let criticalCritical = try await Self.quickRun(t, label: "crit", credentials: critical, flags: ["--fail-on", "critical"])
        #expect(criticalCritical.status == 1, "\(criticalCritical)")

        let verified = [Scenario.credential("gone", state: "revoked", secret: t.secretSource("bearer_dead"), probe: "t-bearer", target: t.baseURL)]
        let clean = try await Self.quickRun(t, label: "clean", credentials: verified, flags: ["--fail-on", "low"])
        #expect(clean.exited && clean.status == 0, "only an info finding: \(clean)")
    }

    @Test func dryRunSendsNothingAndPrintsThePlanWithoutSecrets() async throws {
        let t = try await SharedTargets.get()
        let work = try t.workDirectory("dry")
        let probes = try Scenario.writeProbes(into: work)
        let inventory = try work.writeJSON("inventory.json", Scenario.mainInventory(t))
        let before = t.accessLogLines().count
        let landingBefore = (try? String(contentsOfFile: t.redirectLog, encoding: .utf8)) ?? ""

        let table = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--dry-run"], cwd: work.url)
        #expect(table.exited && table.status == 0, "\(table)")
        #expect(table.stdout.contains("nothing is sent"))
        #expect(table.stdout.contains("deploy-token-offboarded"))
        #expect(table.stdout.contains("SEND"))
        #expect(table.stdout.contains("SKIP  misdirected-token"))
        #expect(table.stdout.contains("CONTROL  negative + positive  t-bearer \(t.baseURL)"))

        let json = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--dry-run", "--format", "json"], cwd: work.url)
        #expect(json.exited && json.status == 0, "\(json)")
        let plan = try jsonObject(json.stdout)
        #expect(plan["schema"] as? String == "revenant.plan/v1")
        let checks = plan["checks"] as? [[String: Any]] ?? []
        #expect(checks.count == 20)
        #expect(checks.filter { $0["action"] as? String == "send" }.count == 19)

        // Give nginx a moment to write any line a request would have produced.
        try await Task.sleep(for: .milliseconds(200))
        #expect(t.accessLogLines().count == before, "a dry run must not send anything")
        #expect(((try? String(contentsOfFile: t.redirectLog, encoding: .utf8)) ?? "") == landingBefore)
        for output in [table.stdout, table.stderr, json.stdout, json.stderr] {
            for (name, value) in t.forbiddenStrings { #expect(!output.contains(value), "\(name) in the dry-run plan") }
        }
    }

    @Test func severalFormatsGoToOneDirectory() async throws {
        let t = try await SharedTargets.get()
        let work = try t.workDirectory("formats")
        let probes = try Scenario.writeProbes(into: work)
        // YAML this time, with secret paths relative to the inventory file.
        try FileManager.default.createSymbolicLink(at: work.file("secrets"), withDestinationURL: t.dir.appendingPathComponent("secrets"))
        let inventory = try work.write("inventory.yaml", """
            credentials:
              - id: yaml-leaked
                kind: bearer_token
                state: offboarded
                owner: platform-team
                secret: {"file": "secrets/bearer_live"}
                probe: t-bearer
                target: "\(t.baseURL)"
              - id: yaml-dead
                kind: api_key
                state: revoked
                owner: platform-team
                secret: {"file": "secrets/header_dead"}
                probe: t-header
                target: "\(t.baseURL)"
            controls:
              - probe: t-bearer
                target: "\(t.baseURL)"
                secret: {"file": "secrets/bearer_canary"}
            """)
        let out = work.file("reports")
        let ledger = work.file("evidence.jsonl").path
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--format", "json", "--format", "jsonl",
                                         "--format", "table", "--output", out.path, "--ledger", ledger], cwd: work.url)
        #expect(result.exited && result.status == 1, "\(result)")
        #expect(result.stdout.isEmpty, "reports go to the directory, not stdout")

        let json = try String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8)
        let jsonl = try String(contentsOf: out.appendingPathComponent("report.jsonl"), encoding: .utf8)
        let table = try String(contentsOf: out.appendingPathComponent("report.txt"), encoding: .utf8)
        let r = try ParsedReport(json)
        #expect(r.codes("yaml-leaked") == ["residual_access"])
        #expect(r.codes("yaml-dead") == ["revocation_verified"])
        let lines = jsonl.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try lines.map { try jsonObject(String($0))["schema"] as? String } == ["revenant.result/v1", "revenant.result/v1"])
        #expect(table.contains("CRITICAL"))
        #expect(table.contains("residual_access"))
        #expect(table.contains("yaml-leaked"))
        #expect(!table.contains("\u{1B}"), "no colour in a file")
        let ledgerText = try String(contentsOfFile: ledger, encoding: .utf8)
        for (label, text) in [("report.json", json), ("report.jsonl", jsonl), ("report.txt", table), ("ledger", ledgerText),
                              ("stderr", result.stderr)] {
            for (name, value) in t.forbiddenStrings { #expect(!text.contains(value), "\(name) in \(label)") }
        }
    }

    /// SIGHUP (a closed terminal) and a signal that lands while the inventory is still being read
    /// end a run as SIGINT does: exit 3 and a partial report, in an output file written whole.
    @Test(arguments: [(SIGHUP, "SIGHUP", 300), (SIGTERM, "SIGTERM", 0)])
    func aHangupOrAnEarlySignalStillGivesThePartialReport(signal sig: Int32, name: String, afterMs: Int) async throws {
        let t = try await SharedTargets.get()
        let work = try t.workDirectory("signal-\(name)")
        let probes = try Scenario.writeProbes(into: work)
        // Many credentials, so that reading and planning them takes a while: an early signal lands there.
        let many = (0..<5_000).map { Scenario.credential("bulk-\($0)", state: "revoked", secret: t.secretSource("bearer_dead"), probe: "t-bearer", target: t.baseURL) }
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("stuck-token", state: "revoked", secret: t.secretSource("bearer_live"), probe: "t-blackhole", target: t.blackholeURL),
        ] + many])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 20, "retries": ["attempts": 1]])
        let out = work.file("report.json").path
        let command = try RunningCommand(executable: Package.binary, [
            "verify", "--inventory", inventory, "--probes", probes, "--config", config, "--format", "json", "--output", out, "--no-progress",
        ], cwd: work.url, timeout: 60)
        // Once the process watches the signal (before its own start, no program can catch one):
        // /proc says so, as revenant ignores it for its dispatch source to receive it.
        let watching = ContinuousClock.now + .seconds(10)
        while !Self.ignores(pid: command.pid, sig), ContinuousClock.now < watching { try await Task.sleep(for: .milliseconds(2)) }
        #expect(Self.ignores(pid: command.pid, sig), "revenant never started watching \(name)")
        try await Task.sleep(for: .milliseconds(afterMs))
        command.signal(sig)
        let result = await command.wait()
        #expect(result.exited && result.status == 3, "\(result)")
        let r = try ParsedReport(work.read("report.json"))
        #expect(r.run["complete"] as? Bool == false)
        #expect((r.run["incomplete_reason"] as? String)?.contains(name) == true, "\(r.run)")
        #expect(!r.codes("stuck-token").contains("revocation_verified"))
    }

    /// Whether process `pid` catches signal `sig` (its SigCgt mask in /proc): libdispatch's handler
    /// for revenant's watch is in place.
    static func ignores(pid: Int32, _ sig: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
        return ["SigCgt:"].contains { field in
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
                  let mask = UInt64(line.dropFirst(field.count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
            return mask & (1 << UInt64(sig - 1)) != 0
        }
    }

    /// A configured proxy (and `http_proxy`) is never used for loopback: plain http goes only there,
    /// and a proxy would read the secret and answer for the target (found by an adversarial run:
    /// the proxy's refusal read as the target's, revocation_verified for a live token).
    @Test func loopbackIsNeverReachedThroughAProxy() async throws {
        let t = try await SharedTargets.get()
        let work = try t.workDirectory("proxy")
        let probes = try Scenario.writeProbes(into: work)
        let (proxy, proxyPort) = try Loopback.listeningSocket(backlog: 16)
        defer { close(proxy) }
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("live-token", state: "revoked", secret: t.secretSource("bearer_live"), probe: "t-bearer", target: t.baseURL),
        ]])
        let proxyURL = "http://127.0.0.1:\(proxyPort)"
        let config = try work.writeJSON("config.json", ["timeout_seconds": 5, "retries": ["attempts": 1], "proxy": proxyURL])
        for (flags, environment) in [(["--config", config], [String: String]()), ([], ["http_proxy": proxyURL])] {
            let result = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--format", "json"] + flags,
                                            cwd: work.url, environment: environment)
            #expect(try ParsedReport(result.stdout).codes("live-token") == ["residual_access"], "\(flags) \(environment): \(result)")
        }
        // Nothing ever connected to the proxy.
        _ = fcntl(proxy, F_SETFL, fcntl(proxy, F_GETFL) | O_NONBLOCK)
        let connected = accept(proxy, nil, nil)
        if connected >= 0 { close(connected) }
        #expect(connected < 0, "a request reached the proxy")
    }

    @Test func interruptedRunExitsThreeAndStillWritesAPartialReport() async throws {
        let t = try await SharedTargets.get()
        let work = try t.workDirectory("sigint")
        let probes = try Scenario.writeProbes(into: work)
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("stuck-token", state: "revoked", secret: t.secretSource("bearer_live"), probe: "t-blackhole", target: t.blackholeURL),
            Scenario.credential("other-token", state: "revoked", secret: t.secretSource("bearer_dead"), probe: "t-bearer", target: t.baseURL),
        ]])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 60, "retries": ["attempts": 1]])
        let ledger = work.file("evidence.jsonl").path
        let command = try RunningCommand(executable: Package.binary, [
            "verify", "--inventory", inventory, "--probes", probes, "--config", config, "--format", "json", "--ledger", ledger,
        ], cwd: work.url, timeout: 90)
        // Wait until the run is stuck on the blackhole (connection established, no answer).
        let deadline = ContinuousClock.now + .seconds(20)
        while !hasConnection(toPort: t.blackholePort) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(25))
        }
        try await Task.sleep(for: .milliseconds(100))
        let sent = ContinuousClock.now
        command.signal(SIGINT)
        let result = await command.wait()
        let took = ContinuousClock.now - sent

        #expect(result.exited && result.status == 3, "\(result)")
        // Far from the 60 s timeout: the suite's load can slow the exit itself by seconds.
        #expect(took < .seconds(30), "SIGINT ends the run without waiting for the 60 s timeout (took \(took))")
        let r = try ParsedReport(result.stdout)
        #expect(r.run["complete"] as? Bool == false)
        #expect((r.run["incomplete_reason"] as? String)?.contains("SIGINT") == true)
        #expect(r.results.count == 2, "every credential is in the partial report")
        for id in ["stuck-token", "other-token"] {
            let check = r.check(id)
            #expect(["skipped", "inconclusive"].contains(check["outcome"] as? String ?? ""), "\(id): \(check)")
            #expect(!r.codes(id).contains("revocation_verified"))
        }
        let verify = try await revenant(["evidence", "verify", ledger])
        #expect(verify.status == 0, "the ledger of an interrupted run is intact: \(verify)")
        for (name, value) in t.forbiddenStrings {
            #expect(!result.stdout.contains(value) && !result.stderr.contains(value), "\(name) in interrupted run output")
        }
    }
}

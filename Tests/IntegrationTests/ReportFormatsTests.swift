import Foundation
import Testing

/// `--format sarif|junit|markdown|csv` from the real binary, each read by the tool its users feed
/// it: the SARIF 2.1.0 JSON schema (Fixtures/schemas) through Python `jsonschema`, JUnit XML through
/// `junitparser`, CSV through Python's `csv` (docs/reports.md). Under CI=true a missing validator
/// fails the test; elsewhere the test says what is missing and stops.
/// The loopback runs use targets of their own: VerifyLoopbackTests counts the shared targets' access log.
@Suite struct ReportFormatsTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let schema = Package.root.appendingPathComponent("Fixtures/schemas/sarif-schema-2.1.0.json").path
    static let hostileOwner = "=cmd|' /C calc'!A0 <b>bold</b> [x](http://evil.example/) `tick`\nnext line"

    /// Reads the four reports in a directory with the validators and prints what they found as JSON.
    static let validator = #"""
    import csv, json, sys
    directory, schema_path = sys.argv[1], sys.argv[2]
    try:
        import jsonschema, junitparser
    except ImportError as e:
        print(json.dumps({"missing": str(e)}))
        sys.exit(0)
    with open(schema_path) as f:
        schema = json.load(f)
    with open(directory + "/report.sarif") as f:
        sarif = json.load(f)
    # The schema file itself fails jsonschema's meta-schema check (see Fixtures/schemas/README.md): validate without it.
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(sarif)]
    # A document the schema must refuse: a validator that accepts anything fails the test.
    broken = json.loads(json.dumps(sarif))
    broken["runs"][0]["results"].append({"ruleId": "x", "level": "fatal", "message": {"text": "x"}})
    refused = len(list(validator.iter_errors(broken)))
    xml = junitparser.JUnitXml.fromfile(directory + "/report.junit.xml")
    cases = [case for suite in xml for case in suite]
    results = [r for case in cases for r in case.result]
    with open(directory + "/report.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    print(json.dumps({
        "sarif_errors": errors, "broken_refused": refused,
        "sarif_results": len(sarif["runs"][0]["results"]),
        "junit_suites": len(list(xml)), "junit_cases": len(cases),
        "junit_check_cases": len([c for c in cases if c.name != "lifecycle"]),
        "junit_failures": len([r for r in results if isinstance(r, junitparser.Failure)]),
        "junit_failure_types": sorted(r.type for r in results if isinstance(r, junitparser.Failure)),
        "csv_header": rows[0] if rows else [], "csv_rows": rows[1:],
    }))
    """#

    /// What the validators found in `directory`, or nil (with the reason recorded or printed) when
    /// they are not installed.
    static func validate(_ directory: String, work: WorkDirectory) async throws -> [String: Any]? {
        let script = try work.write("validate.py", validator)
        let r = try await run("/usr/bin/env", ["python3", script, directory, schema])
        guard r.ok, let found = try? jsonObject(r.stdout) else {
            Issue.record("the validators did not run: \(r)")
            return nil
        }
        if let missing = found["missing"] as? String {
            let why = "Python \(missing): scripts/install-deps.sh installs jsonschema and junitparser"
            if isCI { Issue.record("CI=true: \(why)") } else { print("skipped: \(why)") }
            return nil
        }
        return found
    }

    /// Runs `body` against targets of its own, stopped afterwards whatever happens.
    static func withOwnTargets(_ body: (Targets) async throws -> Void) async throws {
        let targets = try await SharedTargets.launch()
        do { try await body(targets) } catch {
            await SharedTargets.stop(targets)
            throw error
        }
        await SharedTargets.stop(targets)
    }

    @Test func verifyWritesFourFormatsThatTheirValidatorsAccept() async throws {
        try await Self.withOwnTargets(verifyRun)
    }

    func verifyRun(_ targets: Targets) async throws {
        let work = try targets.workDirectory("formats")
        let probes = try Scenario.writeProbes(into: work)
        var inventory = Scenario.mainInventory(targets)
        var credentials = try #require(inventory["credentials"] as? [[String: Any]])
        let hostile = try #require(credentials.firstIndex { $0["id"] as? String == "ledger-password-leaked" })
        credentials[hostile]["owner"] = Self.hostileOwner
        inventory["credentials"] = credentials
        let inventoryPath = try work.writeJSON("inventory.json", inventory)
        let config = try work.writeJSON("config.json", Scenario.fastConfig)
        let out = work.file("reports").path
        let result = try await revenant(["verify", "--inventory", inventoryPath, "--probes", probes, "--config", config,
                                         "--format", "sarif", "--format", "junit", "--format", "markdown", "--format", "csv",
                                         "--format", "json", "--output", out], cwd: work.url)
        // Residual access is critical: the default --fail-on high exits 1.
        #expect(result.exited && result.status == 1, "\(result)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names == ["report.csv", "report.json", "report.junit.xml", "report.md", "report.sarif"])
        // No secret in any of them, in any of the forms a server could echo: fingerprints only.
        for name in names {
            let text = String(decoding: FileManager.default.contents(atPath: out + "/" + name) ?? Data(), as: UTF8.self)
            #expect(!text.isEmpty)
            for (secret, value) in targets.forbiddenStrings where text.contains(value) { Issue.record("\(name) holds the secret \(secret)") }
        }

        // What the JSON report of the same run says: the counts the other formats must agree with.
        let report = try ParsedReport(String(decoding: FileManager.default.contents(atPath: out + "/report.json") ?? Data(), as: UTF8.self))
        let findings = report.results.flatMap { ($0["findings"] as? [[String: Any]]) ?? [] }
        let failing = findings.filter { ["critical", "high"].contains($0["severity"] as? String) }
        let checks = report.results.reduce(0) { $0 + (($1["checks"] as? [[String: Any]])?.count ?? 0) }
        #expect(failing.count >= 5 && failing.count < findings.count, "the run has findings on both sides of --fail-on")

        guard let found = try await Self.validate(out, work: work) else { return }
        #expect((found["sarif_errors"] as? [String]) == [], "SARIF fails the 2.1.0 schema: \(found["sarif_errors"] ?? "")")
        #expect((found["broken_refused"] as? Int ?? 0) > 0, "the schema validator refuses a document with level `fatal`")
        #expect(found["sarif_results"] as? Int == findings.count)
        #expect(found["junit_suites"] as? Int == report.results.count)
        #expect(found["junit_check_cases"] as? Int == checks, "one test case per credential × check")
        #expect(found["junit_failures"] as? Int == failing.count, "a failure per finding at or above --fail-on (high)")
        #expect(found["junit_failure_types"] as? [String] == failing.compactMap { $0["code"] as? String }.sorted())
        let header = try #require(found["csv_header"] as? [String])
        #expect(header.prefix(5) == ["run_id", "run_finished_at", "severity", "code", "credential"])
        let rows = try #require(found["csv_rows"] as? [[String]])
        #expect(rows.count == findings.count)
        #expect(rows.allSatisfy { $0.count == header.count })
        let owner = try #require(header.firstIndex(of: "owner"))
        let hostileRows = rows.filter { $0[owner].contains("calc") }
        #expect(!hostileRows.isEmpty && hostileRows.allSatisfy { $0[owner] == "'" + Self.hostileOwner }, "formula neutralised, text kept: \(hostileRows)")

        try checkSARIFLocations(out: out, inventory: inventoryPath, report: report)
        let markdown = String(decoding: FileManager.default.contents(atPath: out + "/report.md") ?? Data(), as: UTF8.self)
        #expect(markdown.contains("## By owner") && markdown.contains("## Findings"))
        for line in markdown.split(separator: "\n") where line.contains("<b>") || line.contains("calc") {
            #expect(line.contains("`` =cmd|' /C calc'!A0 <b>bold</b> [x](http://evil.example/) `tick` next line ``")
                        || line.contains("`` =cmd\\|' /C calc'!A0 <b>bold</b>"), "hostile owner outside a code span: \(line)")
        }
    }

    /// Each SARIF result points at its credential: the inventory file and the line its object starts
    /// on (the lines from there to the object's end hold its id), and its fingerprint.
    func checkSARIFLocations(out: String, inventory: String, report: ParsedReport) throws {
        let sarif = try jsonObject(String(decoding: FileManager.default.contents(atPath: out + "/report.sarif") ?? Data(), as: UTF8.self))
        let results = try #require((sarif["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        let lines = String(decoding: FileManager.default.contents(atPath: inventory) ?? Data(), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for r in results {
            let location = try #require((r["locations"] as? [[String: Any]])?.first)
            let id = try #require((location["logicalLocations"] as? [[String: String]])?.first?["name"])
            let physical = try #require(location["physicalLocation"] as? [String: Any])
            #expect((physical["artifactLocation"] as? [String: String])?["uri"] == "file://" + inventory)
            let line = try #require((physical["region"] as? [String: Int])?["startLine"])
            try #require(line >= 1 && line <= lines.count)
            let object = lines[(line - 1)...].prefix { !$0.hasPrefix("    }") }.joined(separator: "\n")
            #expect(object.contains("\"id\" : \"\(id)\""), "line \(line) of the inventory does not start \(id)'s entry")
            let fingerprint = (report.result(id)?["credential"] as? [String: Any])?["fingerprint"] as? String
            #expect((r["partialFingerprints"] as? [String: String])?["credentialFingerprint/v1"] == fingerprint)
        }
    }

    @Test func certsWritesTheFormatsToo() async throws {
        let work = try WorkDirectory("certs-formats")
        defer { work.remove() }
        let cert = try await makeSelfSignedCertificate(in: work, subject: "formats.test")
        let out = work.file("reports").path
        let result = try await revenant(["certs", cert, "--format", "sarif", "--format", "junit", "--format", "markdown", "--format", "csv",
                                         "--output", out])
        #expect(result.exited && (result.status == 0 || result.status == 1), "\(result)")
        guard let found = try await Self.validate(out, work: work) else { return }
        #expect((found["sarif_errors"] as? [String]) == [])
        #expect((found["sarif_results"] as? Int ?? 0) >= 1)
        #expect(found["sarif_results"] as? Int == (found["csv_rows"] as? [[String]])?.count)
        #expect(found["junit_cases"] as? Int == 1, "a certificate file has no check: one `lifecycle` test case")
    }

    @Test func watchWritesTheFormatsToo() async throws {
        try await Self.withOwnTargets(watchRun)
    }

    func watchRun(_ targets: Targets) async throws {
        let work = try targets.workDirectory("watch-formats")
        let probes = try Scenario.writeProbes(into: work)
        let all = try #require(Scenario.mainInventory(targets)["credentials"] as? [[String: Any]])
        let inventory = try work.writeJSON("inventory.json", ["credentials": all.filter {
            ["deploy-token-offboarded", "reporting-token-revoked"].contains($0["id"] as? String)
        }])
        let config = try work.writeJSON("config.json", Scenario.fastConfig)
        let out = work.file("reports").path
        let result = try await revenant(["watch", "--inventory", inventory, "--probes", probes, "--config", config, "--interval", "1s",
                                         "--deadline", "2s", "--format", "sarif", "--format", "junit", "--format", "markdown", "--format", "csv",
                                         "--output", out], cwd: work.url)
        // The offboarded token is still live at the deadline: residual access, exit 1.
        #expect(result.exited && result.status == 1, "\(result)")
        guard let found = try await Self.validate(out, work: work) else { return }
        #expect((found["sarif_errors"] as? [String]) == [])
        #expect(found["sarif_results"] as? Int == 2)
        #expect(found["junit_failure_types"] as? [String] == ["residual_access"])
        #expect((found["csv_rows"] as? [[String]])?.count == 2)
    }

    @Test func historyAndDryRunRefuseTheRunReportFormats() async throws {
        let history = try await revenant(["history", "--history", "/nonexistent/history.db", "--format", "sarif"])
        #expect(history.exited && history.status == 2, "\(history)")
        #expect(history.stderr.contains("--format sarif is a report of a run"), "\(history)")
        let dryRun = try await revenant(["verify", "--inventory", "/nonexistent/inventory.json", "--dry-run", "--format", "csv"])
        #expect(dryRun.exited && dryRun.status == 2, "\(dryRun)")
        #expect(dryRun.stderr.contains("--dry-run prints the plan as table, json, jsonl; --format csv is a report of a run"), "\(dryRun)")
    }
}

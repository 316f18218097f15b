import Foundation
import Testing

/// Bad input gets exit 2 and a message naming the file, the line or field, and what was expected
/// (DESIGN.md §1.6, §3). Nothing here needs a running target: nothing may be probed.
@Suite struct CLIInputErrorTests {
    static var probe: [String: Any] { Scenario.probe("t-bearer", path: "/bearer/user") }

    static func validInventory(target: String = "http://127.0.0.1:9") -> [String: Any] {
        ["credentials": [Scenario.credential("ok-token", state: "revoked", secret: ["value": "dead-0000000000000000"],
                                             probe: "t-bearer", target: target)]]
    }

    @Test func missingInventoryFile() async throws {
        let work = try WorkDirectory("missing")
        defer { work.remove() }
        let missing = work.file("nope.yaml").path
        let r = try await revenant(["verify", "--inventory", missing])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains(missing))
        #expect(r.stdout.isEmpty)
    }

    @Test func inventoryWithAnUnknownFieldNamesFileLineAndField() async throws {
        let work = try WorkDirectory("unknown-field")
        defer { work.remove() }
        let inventory = try work.write("inventory.json", """
            {
              "credentials": [
                {"id": "typo-token", "kind": "bearer_token", "state": "revoked",
                 "sercet": {"env": "TOKEN"},
                 "probe": "t-bearer", "target": "http://127.0.0.1:9"}
              ]
            }
            """)
        let r = try await revenant(["verify", "--inventory", inventory])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains(inventory), "names the file: \(r.stderr)")
        #expect(r.stderr.contains("line 4"), "names the line: \(r.stderr)")
        #expect(r.stderr.contains("sercet"), "names the field: \(r.stderr)")
        #expect(r.stderr.contains("did you mean `secret`"))
    }

    @Test func yamlInventoryWithAnUnknownFieldNamesTheLine() async throws {
        let work = try WorkDirectory("unknown-yaml")
        defer { work.remove() }
        let inventory = try work.write("inventory.yaml", """
            credentials:
              - id: a
                kind: api_key
                state: revoked
                owner: team
                expires: 2026-01-01
            """)
        let r = try await revenant(["inventory", "lint", inventory])
        #expect(r.exited && r.status == 2, "\(r)")
        let all = r.stdout + r.stderr
        #expect(all.contains(inventory) && all.contains("line 6") && all.contains("expires"), "\(r)")
    }

    /// `inventory lint` plans targets as `verify` does: a dead Datadog key needs no site (every
    /// site is tried), an active one does; a Mailgun username other than `api` is an error, once.
    @Test func inventoryLintAgreesWithVerifyOnRegionsAndUsernames() async throws {
        let work = try WorkDirectory("lint-regions")
        defer { work.remove() }
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            ["id": "dd-dead", "kind": "api_key", "state": "revoked", "owner": "ops", "secret": ["env": "A"], "probe": "datadog"],
            ["id": "dd-active", "kind": "api_key", "state": "active", "owner": "ops", "secret": ["env": "B"], "probe": "datadog"],
            ["id": "mg-bob", "kind": "api_key", "state": "revoked", "owner": "ops", "secret": ["env": "C"], "probe": "mailgun", "username": "bob"],
        ] as [[String: Any]]])
        let r = try await revenant(["inventory", "lint", inventory])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(!r.stdout.contains("`dd-dead`"), "a dead Datadog key is tried at every site: \(r.stdout)")
        #expect(r.stdout.contains("`dd-active`: no target given"), "\(r.stdout)")
        #expect(r.stdout.components(separatedBy: "`mg-bob`").count == 2, "one error, not one per region: \(r.stdout)")
    }

    @Test func duplicateCredentialIDs() async throws {
        let work = try WorkDirectory("duplicates")
        defer { work.remove() }
        let one = try work.writeJSON("one.json", ["credentials": [
            Scenario.credential("same-id", state: "revoked", secret: ["env": "A"], probe: "t-bearer", target: "http://127.0.0.1:9"),
            Scenario.credential("same-id", state: "revoked", secret: ["env": "B"], probe: "t-bearer", target: "http://127.0.0.1:9"),
        ]])
        let r = try await revenant(["verify", "--inventory", one])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("duplicate credential id `same-id`"), "\(r.stderr)")

        // Across two files as well.
        let a = try work.writeJSON("a.json", Self.validInventory())
        let b = try work.writeJSON("b.json", Self.validInventory())
        let across = try await revenant(["verify", "--inventory", a, "--inventory", b])
        #expect(across.exited && across.status == 2, "\(across)")
        #expect(across.stderr.contains("duplicate credential id `ok-token`") && across.stderr.contains(b), "\(across.stderr)")
    }

    @Test func badProbeFileInProbesDirNamesFileAndField() async throws {
        let work = try WorkDirectory("bad-probe")
        defer { work.remove() }
        var bad = Scenario.probe("t-bearer", path: "/bearer/user")
        bad["request"] = ["method": "DELETE", "path": "/bearer/user"]
        bad["allowed_host"] = ["127.0.0.1"]
        let probeFile = try work.writeJSON("probes/t-bearer.json", bad)
        let inventory = try work.writeJSON("inventory.json", Self.validInventory())
        let r = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains(probeFile), "names the file: \(r.stderr)")
        #expect(r.stderr.contains("allowed_host"), "names the unknown field: \(r.stderr)")
        #expect(r.stderr.contains("request.method"), "names the refused method's field: \(r.stderr)")

        let lint = try await revenant(["probes", "lint", work.file("probes").path])
        #expect(lint.exited && lint.status == 2, "\(lint)")
        #expect(lint.stdout.contains(probeFile) && lint.stdout.contains("DELETE"), "\(lint)")
    }

    @Test func configurationWithAnUnknownKey() async throws {
        let work = try WorkDirectory("config")
        defer { work.remove() }
        let config = try work.write("config.json", "{\n  \"concurrency\": 4,\n  \"timeout_secs\": 3\n}\n")
        let inventory = try work.writeJSON("inventory.json", Self.validInventory())
        let r = try await revenant(["verify", "--inventory", inventory, "--config", config])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains(config) && r.stderr.contains("timeout_secs") && r.stderr.contains("line 3"), "\(r.stderr)")
    }

    @Test func unreadableJSONInventoryNamesTheLine() async throws {
        let work = try WorkDirectory("broken-json")
        defer { work.remove() }
        let inventory = try work.write("inventory.json", "{\n  \"credentials\": [\n    {\"id\": \"x\",,}\n  ]\n}\n")
        let r = try await revenant(["verify", "--inventory", inventory])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains(inventory) && r.stderr.contains("line 3"), "\(r.stderr)")
    }

    @Test(arguments: [
        ["--format", "xml"],
        ["--fail-on", "sometimes"],
        ["--format", "json", "--format", "table"],
        ["--concurrency", "0"],
    ])
    func usageErrorsExitTwo(flags: [String]) async throws {
        let work = try WorkDirectory("usage")
        defer { work.remove() }
        let inventory = try work.writeJSON("inventory.json", Self.validInventory())
        let r = try await revenant(["verify", "--inventory", inventory] + flags)
        #expect(r.exited && r.status == 2, "usage error \(flags) must exit 2 (DESIGN.md §3): \(r)")
        #expect(!r.stderr.isEmpty)
        #expect(r.stdout.isEmpty)
    }

    @Test func aReportThatCannotBeWrittenEndsWithExitThreeNotACrash() async throws {
        let work = try WorkDirectory("closed-stdout")
        defer { work.remove() }
        // Enough credentials (lifecycle only: no probe, nothing sent) that the report outgrows a pipe's buffer.
        let credentials = (0..<4000).map { ["id": "c\($0)", "kind": "api_key", "state": "revoked", "owner": "o", "secret": ["env": "UNSET_\($0)"]] }
        let inventory = try work.writeJSON("inventory.json", ["credentials": credentials])
        let script = "set -o pipefail; \"$0\" verify --inventory \"$1\" --format jsonl | head -c 100 > /dev/null; echo \"exit ${PIPESTATUS[0]}\""
        let closed = try await run("/bin/bash", ["-c", script, Package.binary.path, inventory])
        #expect(closed.stdout.contains("exit 3"), "a closed stdout: \(closed)")
        #expect(closed.stderr.contains("cannot write the report to standard output"), "\(closed.stderr)")
        // A full disk (/dev/full answers every write with ENOSPC).
        let full = try await revenant(["verify", "--inventory", inventory, "--format", "json", "--output", "/dev/full"])
        #expect(full.exited && full.status == 3, "\(full)")
        #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        // A report file is whole or absent: nothing half-written is left beside it.
        let out = work.file("report.json").path
        let ok = try await revenant(["verify", "--inventory", inventory, "--format", "json", "--output", out])
        #expect(ok.exited && ok.status == 1, "\(ok)")
        #expect(try ParsedReport(work.read("report.json")).results.count == 4000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains(".partial-") }.isEmpty)
    }

    @Test func warningsAreShownBeforeThePlansInputErrors() async throws {
        let work = try WorkDirectory("warnings-first")
        defer { work.remove() }
        var inventory = Self.validInventory()
        inventory["controls"] = [["probe": "no-such-probe", "secret": ["env": "C"]]]
        let path = try work.writeJSON("inventory.json", inventory)
        let probes = try work.writeJSON("probes/t-bearer.json", Self.probe)
        let r = try await revenant(["verify", "--inventory", path, "--probes", URL(fileURLWithPath: probes).deletingLastPathComponent().path])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("warning:") && r.stderr.contains("given inline"), "the inline-value warning is not lost: \(r.stderr)")
        #expect(r.stderr.contains("unknown probe `no-such-probe`"))
    }

    /// 300,000 rows naming an unknown probe printed 300,000 error lines (an adversarial run): the
    /// first 1,001 are shown, then how many more; the count stays whole.
    @Test func manyErrorsAreShownUpToALimitAndCounted() async throws {
        let work = try WorkDirectory("many-errors")
        defer { work.remove() }
        let rows = (0..<1_500).map { "c\($0),api_key,revoked,o,env:X,no-such-probe" }
        let path = try work.write("inventory.csv", "id,kind,state,owner,secret,probe\n" + rows.joined(separator: "\n") + "\n")
        let lint = try await revenant(["inventory", "lint", path])
        #expect(lint.exited && lint.status == 2, "\(lint)")
        let lines = lint.stdout.split(separator: "\n")
        // (1,001 shown: one more than an inventory keeps, so the loader's own last line is never the one hidden)
        #expect(lines.filter { $0.hasPrefix("error: ") && $0.contains("no-such-probe") }.count == 1_001, "\(lines.count) lines")
        #expect(lint.stdout.contains("error: 499 more not shown") && lint.stdout.contains("1500 errors"), "\(lint.stdout.suffix(300))")
    }

    /// An inventory read no further says so in its last line, and the CLI shows that line too
    /// (a review found it hidden behind "1 more errors not shown").
    @Test func anInventoryReadNoFurtherSaysSoThroughTheCLI() async throws {
        let work = try WorkDirectory("too-many-errors")
        defer { work.remove() }
        let path = try work.write("inventory.csv", "id,kind,state\n" + String(repeating: "x,not-a-kind,active\n", count: 1_500))
        let lint = try await revenant(["inventory", "lint", path])
        #expect(lint.exited && lint.status == 2 && lint.stdout.contains("the rest of the file was not read")
                && lint.stdout.contains("more than 1000 errors") && !lint.stdout.contains("not shown"), "\(lint.stdout.suffix(400))")
        let verify = try await revenant(["verify", "--inventory", path])
        #expect(verify.exited && verify.status == 2 && verify.stderr.contains("the rest of the file was not read")
                && !verify.stderr.contains("not shown"), "\(verify.stderr.suffix(400))")
    }

    @Test func lintAndVerifyBothRefuseAnUnreadableKnownHostsFile() async throws {
        let work = try WorkDirectory("known-hosts")
        defer { work.remove() }
        let inventory = try work.writeJSON("inventory.json", Self.validInventory())
        let config = try work.writeJSON("config.json", ["ssh": ["known_hosts": work.file("missing_known_hosts").path]])
        let lint = try await revenant(["inventory", "lint", inventory, "--config", config])
        #expect(lint.exited && lint.status == 2 && lint.stdout.contains("ssh.known_hosts: cannot read"), "\(lint)")
        let verify = try await revenant(["verify", "--inventory", inventory, "--config", config])
        #expect(verify.exited && verify.status == 2 && verify.stderr.contains("ssh.known_hosts: cannot read"), "\(verify)")
    }

    @Test func aConcurrencyBeyondAnyMachineIsAUsageError() async throws {
        let work = try WorkDirectory("concurrency")
        defer { work.remove() }
        let inventory = try work.writeJSON("inventory.json", Self.validInventory())
        let r = try await revenant(["verify", "--inventory", inventory, "--concurrency", "9223372036854775807"])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("--concurrency must be from 1 to 4096"), "\(r.stderr)")
    }

    @Test func probesListWithAnUnknownFormatIsAUsageError() async throws {
        let r = try await revenant(["probes", "list", "--format", "nonsense"])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("'table' and 'json'"), "\(r.stderr)")
        #expect(r.stdout.isEmpty, "no table is printed for a format nobody asked for")
    }

    @Test func verifyWithoutAnInventoryIsAUsageError() async throws {
        let r = try await revenant(["verify"])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("--inventory"))
    }

    @Test func onlyWithAnUnknownIDIsAnInputError() async throws {
        let work = try WorkDirectory("only")
        defer { work.remove() }
        let inventory = try work.writeJSON("inventory.json", Self.validInventory())
        let r = try await revenant(["verify", "--inventory", inventory, "--only", "no-such-id"])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("no-such-id"))
    }

    @Test func evidenceVerifyOfAMissingLedgerIsAnInputError() async throws {
        let r = try await revenant(["evidence", "verify", "/nonexistent/revenant-ledger.jsonl"])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("/nonexistent/revenant-ledger.jsonl"))
    }

    @Test func inlineSecretIsAcceptedWithAWarningThatDoesNotEchoIt() async throws {
        let work = try WorkDirectory("inline")
        defer { work.remove() }
        // Every check is skipped (host not allowed), so nothing is sent anywhere.
        let inventory = try work.writeJSON("inventory.json", Self.validInventory(target: "http://192.0.2.1"))
        try work.writeJSON("probes/t-bearer.json", Self.probe)
        let r = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--format", "json"])
        #expect(r.exited && r.status == 1, "revocation_unverified is high: \(r)")
        #expect(r.stderr.contains("inline"), "\(r.stderr)")
        #expect(!r.stderr.contains("dead-0000000000000000") && !r.stdout.contains("dead-0000000000000000"))
    }
}

import Foundation
import Testing
import TestSupport

/// `verify --shard I/N` and `merge`, end to end: the built binary against a real nginx on loopback
/// (its own). The shard and merge steps run the very shell scripts of deploy/kubernetes/'s
/// CronJobs, with the environment Kubernetes gives an Indexed Job's pods (JOB_COMPLETION_INDEX),
/// and the merged report must be the single run's, finding for finding.
@Suite struct ShardMergeTests {
    /// Where the test's nginx listens, and the inventory and configuration a run needs.
    struct Setup: Sendable {
        let work: String
        let inventory: String
        let config: String
        let ids: [String]

        var url: URL { URL(fileURLWithPath: work) }

        func verify(_ flags: [String], inventory: String? = nil, config: String? = nil) async throws -> CommandResult {
            try await revenant(["verify", "--inventory", inventory ?? self.inventory, "--config", config ?? self.config, "--no-progress"] + flags,
                               cwd: url)
        }
    }

    static let shards = 3

    /// 25 credentials in six behaviours (residual access, proven dead, live and ok, drifted,
    /// unverified behind a 503, behind a target that accepts anything) and three owners, plus one
    /// credential tried at two probes; a positive control on one pair.
    static func withTargets(_ label: String, _ body: (Setup) async throws -> Void) async throws {
        let work = try WorkDirectory("shards-\(label)")
        defer { work.remove() }
        var tokens: [String: String] = [:]
        for name in ["live", "dead", "canary"] {
            tokens[name] = "\(name)-\(UUID().uuidString.lowercased())"
            try work.write("secrets/\(name)", tokens[name]!)
        }
        let (live, canary) = (tokens["live"]!, tokens["canary"]!)
        for (id, path) in [("s-bearer", "/bearer/user"), ("s-chat", "/chat/me"), ("s-unavailable", "/unavailable/me"), ("s-open", "/open/me")] {
            try work.writeJSON("probes/\(id).json", Scenario.probe(id, path: path))
        }
        let port = try Loopback.freePorts(1)[0]
        let base = "http://127.0.0.1:\(port)"
        let kinds: [(state: String, secret: String, probe: String)] = [
            ("offboarded", "live", "s-bearer"), ("revoked", "dead", "s-bearer"), ("active", "canary", "s-chat"),
            ("active", "dead", "s-chat"), ("revoked", "dead", "s-unavailable"), ("revoked", "live", "s-open"),
        ]
        let owners = ["dana@example.com", "sam@example.com", "ops-team"]
        var credentials: [[String: Any]] = (0..<24).map { i in
            let k = kinds[i % kinds.count]
            return Scenario.credential("cred-\(i)", state: k.state, secret: ["file": "secrets/\(k.secret)"], probe: k.probe, target: base,
                                       extra: ["owner": owners[i % owners.count]])
        }
        credentials.insert([
            "id": "two-places", "kind": "bearer_token", "state": "offboarded", "owner": "dana@example.com", "secret": ["file": "secrets/live"],
            "probes": [["probe": "s-bearer", "target": base], ["probe": "s-chat", "target": base]],
        ], at: 7)
        let inventory = try work.writeJSON("inventory.json", [
            "credentials": credentials,
            "controls": [["probe": "s-bearer", "target": base, "secret": ["file": "secrets/canary"]]],
        ])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 5, "retries": ["attempts": 1], "probes_dirs": [work.file("probes").path],
                                                        "per_host": ["max_in_flight": 6, "requests_per_second": 300]])
        let setup = Setup(work: work.path, inventory: inventory, config: config, ids: credentials.map { $0["id"] as! String })
        try await Nginx.with(work, servers: """
                # Exact matches (long keys: a larger bucket): the live and canary tokens are accepted, nothing else.
                map_hash_bucket_size 128;
                map $http_authorization $token_ok { default 0; "Bearer \(live)" 1; "Bearer \(canary)" 1; }
                server {
                    listen 127.0.0.1:\(port);
                    default_type application/json;
                    location ~ ^/(bearer/user|chat/me)$ {
                        if ($token_ok = 0) { return 401 '{"error":"no such token"}'; }
                        return 200 '{"user":"someone"}';
                    }
                    location = /unavailable/me { return 503 '{"error":"down for maintenance"}'; }
                    location = /open/me { return 200 '{"user":"anyone"}'; }
                }
            """, ports: [port]) {
            try await body(setup)
        }
    }

    // MARK: the manifests' scripts

    /// A CronJob's container: its `sh -c` script and its environment, read from the manifest.
    struct Container {
        let script: String
        let environment: [String: String]
    }

    static func container(_ manifest: String) async throws -> Container {
        let path = Package.root.appendingPathComponent("deploy/kubernetes/\(manifest)").path
        // The test reads the manifest with PyYAML (kubernetes-validate's own YAML reader).
        let read = try await run("/usr/bin/env", ["python3", "-c", """
            import json, sys, yaml
            c = yaml.safe_load(open(sys.argv[1]))["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
            print(json.dumps({"command": c["command"], "args": c["args"], "env": {e["name"]: e["value"] for e in c.get("env", [])}}))
            """, path])
        guard read.ok else { throw CommandError(description: "cannot read \(manifest) (python3 with PyYAML, from scripts/install-deps.sh): \(read)") }
        let doc = try jsonObject(read.stdout)
        let command = try #require(doc["command"] as? [String])
        let args = try #require(doc["args"] as? [String])
        #expect(command == ["/bin/sh", "-c"] && args.count == 1, "\(manifest): the container runs one sh -c script")
        return Container(script: args[0], environment: doc["env"] as? [String: String] ?? [:])
    }

    /// Runs a manifest's script as its pod would, with the binary on PATH and the pod's paths
    /// pointed at the test's files.
    static func runPod(_ container: Container, _ overrides: [String: String], cwd: URL) async throws -> CommandResult {
        var env = container.environment.merging(overrides) { _, new in new }
        env["PATH"] = Package.binary.deletingLastPathComponent().path + ":/usr/bin:/bin"
        return try await run("/bin/sh", ["-c", container.script], cwd: cwd, environment: env, timeout: 120)
    }

    /// What a finding is, for comparing reports.
    static func findings(_ report: ParsedReport) -> [[String]] {
        report.results.flatMap { r -> [[String]] in
            let id = (r["credential"] as? [String: Any])?["id"] as? String ?? "?"
            return (r["findings"] as? [[String: Any]] ?? []).map { [id, $0["code"] as? String ?? "", $0["severity"] as? String ?? "", $0["message"] as? String ?? ""] }
        }
    }

    static func checks(_ report: ParsedReport) -> [[String]] {
        report.results.flatMap { r -> [[String]] in
            let id = (r["credential"] as? [String: Any])?["id"] as? String ?? "?"
            return (r["checks"] as? [[String: Any]] ?? []).map { c in
                [id] + ["probe", "target", "outcome", "verdict", "reason"].map { c[$0] as? String ?? "" }
            }
        }
    }

    static func ids(_ report: ParsedReport) -> [String] {
        report.results.compactMap { ($0["credential"] as? [String: Any])?["id"] as? String }
    }

    static func plain(_ value: Any?) -> String {
        guard let value, JSONSerialization.isValidJSONObject([value]) else { return "null" }
        let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    /// Runs the shards CronJob's pods (all at once, as parallelism = completions) and returns each
    /// pod's result and the reports' directory (the night's).
    static func runShards(_ s: Setup, reports: String) async throws -> (results: [CommandResult], night: String) {
        let shard = try await container("shards-cronjob.yaml")
        #expect(shard.environment["REVENANT_SHARDS"] == "\(Self.shards)", "the test runs as many pods as the manifest's REVENANT_SHARDS")
        let pods = try await withThrowingTaskGroup(of: (Int, CommandResult).self) { group in
            for index in 0..<Self.shards {
                group.addTask {
                    (index, try await runPod(shard, ["JOB_COMPLETION_INDEX": String(index), "REVENANT_INVENTORY": s.inventory,
                                                     "REVENANT_CONFIG": s.config, "REVENANT_REPORTS": reports], cwd: s.url))
                }
            }
            var out: [Int: CommandResult] = [:]
            for try await (i, r) in group { out[i] = r }
            return (0..<Self.shards).map { out[$0]! }
        }
        let nights = try FileManager.default.contentsOfDirectory(atPath: reports)
        #expect(nights.count == 1, "one directory per night: \(nights)")
        return (pods, reports + "/" + (nights.first ?? ""))
    }

    // MARK: tests

    @Test func indexedJobShardsMergeIntoTheSingleRun() async throws {
        try await Self.withTargets("merge") { s in
            let single = try await s.verify(["--format", "json", "--fail-on", "high"])
            #expect(single.exited && single.status == 1, "residual access is critical: \(single)")
            let whole = try ParsedReport(single.stdout)
            #expect(Self.ids(whole) == s.ids, "a single run lists the inventory in order")

            let reports = s.work + "/reports"
            try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
            let (pods, night) = try await Self.runShards(s, reports: reports)
            for (i, pod) in pods.enumerated() { #expect(pod.ok, "shard \(i) exits 0 with findings (--fail-on never): \(pod)") }
            var seen: [String] = []
            for i in 0..<Self.shards {
                let text = String(decoding: FileManager.default.contents(atPath: "\(night)/shard-\(i).json") ?? Data(), as: UTF8.self)
                let part = try ParsedReport(text)
                let shard = part.run["shard"] as? [String: Any]
                #expect(shard?["index"] as? Int == i && shard?["count"] as? Int == Self.shards)
                #expect((part.run["inputs"] as? [String: Any])?["inventory_sha256"] as? String != nil)
                #expect(!Self.ids(part).isEmpty, "every shard holds some of the 25 credentials")
                seen += Self.ids(part)
            }
            #expect(seen.sorted() == s.ids.sorted(), "each credential in exactly one shard")

            let merge = try await Self.container("merge-cronjob.yaml")
            let merged = try await Self.runPod(merge, ["REVENANT_REPORTS": reports], cwd: s.url)
            #expect(merged.exited && merged.status == single.status, "the merge exits as the single run did: \(merged)")
            let text = String(decoding: FileManager.default.contents(atPath: "\(night)/merged/report.json") ?? Data(), as: UTF8.self)
            let joined = try ParsedReport(text)
            #expect(Self.ids(joined) == s.ids, "inventory order")
            #expect(Self.findings(joined) == Self.findings(whole))
            #expect(Self.checks(joined) == Self.checks(whole))
            #expect(Self.plain(joined.summary) == Self.plain(whole.summary), "the same summary, owners included")
            #expect(joined.run["complete"] as? Bool == true)
            #expect((joined.run["id"] as? String)?.hasPrefix("merged-") == true)
            #expect(joined.run["shard"] == nil)
            #expect(FileManager.default.fileExists(atPath: "\(night)/merged/report.html"))
            #expect(FileManager.default.fileExists(atPath: "\(night)/merged/report.sarif"))
            let first = try #require(Self.findings(whole).first { $0[1] == "residual_access" })
            #expect(first[2] == "critical")

            // Merged again to a table: the same exit code; --fail-on applies to the merged run.
            let files = (0..<Self.shards).map { "\(night)/shard-\($0).json" }
            let table = try await revenant(["merge"] + files.reversed() + ["--format", "table", "--fail-on", "never"], cwd: s.url)
            #expect(table.ok && table.stdout.contains("residual_access"), "\(table)")
        }
    }

    @Test func mergeRefusesReportsThatAreNotOneSplitRun() async throws {
        try await Self.withTargets("refusals") { s in
            let dir = s.work + "/r"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            func shard(_ spec: String, _ name: String, inventory: String? = nil, config: String? = nil, only: [String] = []) async throws -> String {
                let path = "\(dir)/\(name).json"
                let r = try await s.verify(["--shard", spec, "--fail-on", "never", "--format", "json", "--output", path] + only.flatMap { ["--only", $0] },
                                           inventory: inventory, config: config)
                #expect(r.ok, "\(r)")
                return path
            }
            let a = [try await shard("0/3", "a0"), try await shard("1/3", "a1"), try await shard("2/3", "a2")]
            let whole = s.work + "/whole.json"
            #expect(try await s.verify(["--format", "json", "--fail-on", "never", "--output", whole]).ok)
            // The same inventory and configuration with other bytes.
            let otherInventory = s.work + "/inventory-2.json"
            try (String(decoding: FileManager.default.contents(atPath: s.inventory)!, as: UTF8.self) + "\n").write(toFile: otherInventory, atomically: true, encoding: .utf8)
            let otherConfig = s.work + "/config-2.json"
            try (String(decoding: FileManager.default.contents(atPath: s.config)!, as: UTF8.self) + " ").write(toFile: otherConfig, atomically: true, encoding: .utf8)
            let b1 = try await shard("1/3", "b1", inventory: otherInventory)
            let c1 = try await shard("1/3", "c1", config: otherConfig)
            let split2 = try await shard("1/2", "s2")
            // Each shard run with its own --only (found by an adversarial run: the merged report read
            // "all proven dead" while the live credentials had never been checked).
            let ids = Self.ids(try ParsedReport(String(contentsOfFile: whole, encoding: .utf8)))
            let only0 = try await shard("0/3", "o0", only: [ids[0]])
            let only1 = try await shard("1/3", "o1", only: [ids[1]])
            let broken = "\(dir)/broken.json"
            let text = String(decoding: FileManager.default.contents(atPath: a[1])!, as: UTF8.self)
            try text.replacingOccurrences(of: "\"complete\": true", with: "\"complete\": \"yes\"").write(toFile: broken, atomically: true, encoding: .utf8)

            let cases: [(files: [String], says: String)] = [
                ([a[0], a[2]], "shard 1/3 missing"),
                ([a[0], a[1], a[1], a[2]], "shard 1/3 is given twice"),
                ([a[0], b1, a[2]], "read other inventory files"),
                ([a[0], c1, a[2]], "read another configuration"),
                ([a[0], split2, a[2]], "split 2 ways"),
                ([only0, only1, a[2]], "limited to other credentials (--only)"),
                ([a[0], only1, a[2]], "limited to other credentials (--only)"),
                ([a[0], a[1], a[2], whole], "run.shard is missing"),
                ([a[0], broken, a[2]], "\(broken): line "),
                ([a[0], broken, a[2]], "run.complete: expected true or false"),
                ([a[0], dir + "/none.json", a[2]], "none.json: cannot be read"),
            ]
            for (files, says) in cases {
                let r = try await revenant(["merge"] + files + ["--format", "json"], cwd: s.url)
                #expect(r.exited && r.status == 2, "\(files.map { URL(fileURLWithPath: $0).lastPathComponent }): \(r)")
                #expect(r.stderr.contains(says), "\(says): \(r.stderr)")
                #expect(r.stdout.isEmpty, "no report when refused")
            }
            let fine = try await revenant(["merge"] + a + ["--format", "json", "--fail-on", "never"], cwd: s.url)
            #expect(fine.ok, "\(fine)")
            // The same --only on every shard is one run of those credentials, and says so.
            let same = [only0, try await shard("1/3", "p1", only: [ids[0]]), try await shard("2/3", "p2", only: [ids[0]])]
            let part = try await revenant(["merge"] + same + ["--format", "json", "--fail-on", "never"], cwd: s.url)
            #expect(part.ok, "\(part)")
            #expect(try ParsedReport(part.stdout).run["only"] as? [String] == [ids[0]], "\(part.stdout.prefix(600))")
        }
    }

    @Test func theMergedRunSpansItsShardsAndIsIncompleteIfOneWas() async throws {
        try await Self.withTargets("incomplete") { s in
            var files: [String] = []
            for i in 0..<Self.shards {
                let path = "\(s.work)/shard-\(i).json"
                let r = try await s.verify(["--shard", "\(i)/\(Self.shards)", "--fail-on", "never", "--format", "json", "--output", path])
                #expect(r.ok, "\(r)")
                files.append(path)
            }
            let parts = try files.map { try ParsedReport(String(decoding: FileManager.default.contents(atPath: $0)!, as: UTF8.self)) }
            let merged = try await revenant(["merge"] + files + ["--format", "json", "--fail-on", "never"], cwd: s.url)
            #expect(merged.ok, "\(merged)")
            let joined = try ParsedReport(merged.stdout)
            #expect(joined.run["started_at"] as? String == parts.compactMap { $0.run["started_at"] as? String }.min())
            #expect(joined.run["finished_at"] as? String == parts.compactMap { $0.run["finished_at"] as? String }.max())
            let again = try await revenant(["merge"] + files.reversed() + ["--format", "json", "--fail-on", "never"], cwd: s.url)
            #expect(try ParsedReport(again.stdout).run["id"] as? String == joined.run["id"] as? String, "the id is derived from the shards'")

            // Shard 1 as an interrupted run leaves it.
            let text = String(decoding: FileManager.default.contents(atPath: files[1])!, as: UTF8.self)
            try text.replacingOccurrences(of: "\"complete\": true,", with: "\"complete\": false, \"incomplete_reason\": \"interrupted (SIGTERM)\",")
                .write(toFile: files[1], atomically: true, encoding: .utf8)
            let partial = try await revenant(["merge"] + files + ["--format", "json", "--fail-on", "never"], cwd: s.url)
            #expect(partial.exited && partial.status == 3, "incomplete: exit 3 even with --fail-on never: \(partial)")
            let report = try ParsedReport(partial.stdout)
            #expect(report.run["complete"] as? Bool == false)
            #expect(report.run["incomplete_reason"] as? String == "shard 1/3: interrupted (SIGTERM)")
            #expect(report.results.count == 25, "a partial run still reports what it has")
        }
    }

    @Test(arguments: ["3/3", "0/0", "0/1001", "-1/3", "a/3", "1/2/3", "1"])
    func shardOutsideItsRangeIsAUsageError(spec: String) async throws {
        let r = try await revenant(["verify", "--inventory", "/nonexistent.json", "--shard=\(spec)"])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("--shard takes I/N"), "\(r.stderr)")
    }

    @Test func aShardWithNoCredentialIsAnEmptyRunAndHostLimitsAreDividedByN() async throws {
        let work = try WorkDirectory("shards-empty")
        defer { work.remove() }
        try work.write("secret", "not-a-real-token")
        try work.writeJSON("probes/e-bearer.json", Scenario.probe("e-bearer", path: "/user"))
        // Nothing listens here: the plan and the empty shard send nothing.
        let inventory = try work.writeJSON("inventory.json", [
            "credentials": [
                Scenario.credential("only-one", state: "revoked", secret: ["file": work.file("secret").path], probe: "e-bearer", target: "http://127.0.0.1:9"),
            ],
            "controls": [["probe": "e-bearer", "target": "http://127.0.0.1:9", "secret": ["file": work.file("secret").path]]],
        ])
        let config = try work.writeJSON("config.json", ["per_host": ["max_in_flight": 8, "requests_per_second": 6], "probes_dirs": [work.file("probes").path]])
        var held: [Int] = []
        for i in 0..<2 {
            let plan = try await revenant(["verify", "--inventory", inventory, "--config", config, "--shard", "\(i)/2", "--dry-run", "--format", "json"])
            #expect(plan.ok, "\(plan)")
            let checks = try jsonObject(plan.stdout)["checks"] as? [Any] ?? []
            let controls = try jsonObject(plan.stdout)["controls"] as? [[String: Any]] ?? []
            // Only the shard whose credential is tried there runs the pair's controls (the positive one included).
            #expect(controls.count == checks.count && controls.allSatisfy { $0["positive"] as? Bool == true }, "\(plan.stdout)")
            #expect(!plan.stderr.contains("warning"), "a positive control the shard does not need is left out, not warned about: \(plan.stderr)")
            if !checks.isEmpty {
                held.append(i)
                let hosts = try jsonObject(plan.stdout)["hosts"] as? [String: [String: Any]]
                #expect(hosts?["127.0.0.1:9"]?["max_in_flight"] as? Int == 4)
                #expect(hosts?["127.0.0.1:9"]?["requests_per_second"] as? Double == 3)
            }
        }
        #expect(held.count == 1, "one credential, one shard")
        let empty = 1 - (held.first ?? 0)
        let r = try await revenant(["verify", "--inventory", inventory, "--config", config, "--shard", "\(empty)/2", "--format", "json"])
        #expect(r.ok, "an empty shard is a valid run: \(r)")
        let report = try ParsedReport(r.stdout)
        #expect(report.results.isEmpty && report.summary["credentials"] as? Int == 0)
        #expect((report.run["shard"] as? [String: Any])?["index"] as? Int == empty)
        let whole = try await revenant(["verify", "--inventory", inventory, "--config", config, "--dry-run", "--format", "json"])
        let hosts = try jsonObject(whole.stdout)["hosts"] as? [String: [String: Any]]
        #expect(hosts?["127.0.0.1:9"]?["max_in_flight"] as? Int == 8, "unsharded: the configured limit")
    }
}

import Foundation
import Testing

/// Every manifest of deploy/kubernetes/ passes `kubernetes-validate --strict` (PyPI; offline,
/// against its bundled schemas; `--strict` rejects unknown fields). Without the tool the test
/// skips, or fails under CI=true.
@Suite struct KubernetesManifestTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let directory = Package.root.appendingPathComponent("deploy/kubernetes")

    static func validator() -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/local/bin", "/root/.local/bin"]
        return path.map { $0 + "/kubernetes-validate" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func manifests() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func everyManifestValidatesStrictly() async throws {
        guard let tool = Self.validator() else {
            let why = "kubernetes-validate is not installed (scripts/install-deps.sh installs it)"
            if Self.isCI { Issue.record("CI=true: \(why)") } else { print("skipped: \(why)") }
            return
        }
        let files = try Self.manifests()
        #expect(Set(files).isSuperset(of: ["shards-cronjob.yaml", "merge-cronjob.yaml", "inventory-configmap.yaml", "reports-pvc.yaml"]))
        for file in files {
            let r = try await run(tool, ["--strict", Self.directory.appendingPathComponent(file).path], timeout: 120)
            #expect(r.ok, "\(file): \(r)")
            #expect(r.stdout.contains("passed"), "\(file): \(r.stdout)")
        }
    }

    /// The validator is not a rubber stamp: a misspelt field fails under --strict.
    @Test func aMisspeltFieldFails() async throws {
        guard let tool = Self.validator() else {
            if Self.isCI { Issue.record("CI=true: kubernetes-validate is not installed") }
            return
        }
        let work = try WorkDirectory("k8s")
        defer { work.remove() }
        let text = String(decoding: FileManager.default.contents(atPath: Self.directory.appendingPathComponent("shards-cronjob.yaml").path) ?? Data(),
                          as: UTF8.self)
        #expect(text.contains("completionMode: Indexed"))
        let bad = try work.write("bad.yaml", text.replacingOccurrences(of: "completionMode: Indexed", with: "completionMod: Indexed"))
        let r = try await run(tool, ["--strict", bad], timeout: 120)
        #expect(r.exited && r.status != 0, "\(r)")
    }

    /// The ConfigMap's inventory passes `inventory lint` and its configuration plans a run.
    @Test func theConfigMapHoldsAValidInventoryAndConfiguration() async throws {
        let work = try WorkDirectory("k8s-configmap")
        defer { work.remove() }
        let read = try await run("/usr/bin/env", ["python3", "-c", """
            import sys, yaml
            data = yaml.safe_load(open(sys.argv[1]))["data"]
            for name in ("inventory.yaml", "config.json"):
                open(sys.argv[2] + "/" + name, "w").write(data[name])
            """, Self.directory.appendingPathComponent("inventory-configmap.yaml").path, work.path])
        #expect(read.ok, "python3 with PyYAML (scripts/install-deps.sh): \(read)")
        let lint = try await revenant(["inventory", "lint", work.file("inventory.yaml").path])
        #expect(lint.ok, "\(lint)")
        // The secrets are the Secret volume's files, absent here: the plan says so for each credential, and nothing else fails.
        let plan = try await revenant(["verify", "--inventory", work.file("inventory.yaml").path, "--config", work.file("config.json").path,
                                       "--dry-run", "--format", "json"])
        #expect(plan.ok, "\(plan)")
        let checks = try jsonObject(plan.stdout)["checks"] as? [[String: Any]] ?? []
        #expect(checks.count == 2 && checks.allSatisfy { ($0["reason"] as? String)?.contains("/var/run/secrets/revenant/") == true }, "\(plan.stdout)")
    }

    /// What makes the Job an Indexed Job of N shards, as the README says.
    @Test func theShardJobIsIndexedWithNPodsAtOnce() throws {
        let text = String(decoding: FileManager.default.contents(atPath: Self.directory.appendingPathComponent("shards-cronjob.yaml").path) ?? Data(),
                          as: UTF8.self)
        for needed in ["completionMode: Indexed", "completions: 3", "parallelism: 3", "value: \"3\"", "--shard \"$JOB_COMPLETION_INDEX/$REVENANT_SHARDS\"",
                       "defaultMode: 0400", "secretName: revenant-secrets", "name: revenant-inventory", "claimName: revenant-reports"] {
            #expect(text.contains(needed), "shards-cronjob.yaml has \(needed)")
        }
    }
}

import Foundation
import Testing
import RevenantCore
import RevenantProbes
import TestSupport

/// `revenant import`, end to end with the built binary: each importer over its sample in
/// Fixtures/import (see its README for the documentation each follows), the written inventory
/// linted and planned by the same binary, the secret files' modes, and no secret in any text.
@Suite struct ImportCommandTests {
    static func fixture(_ name: String) -> String { Package.root.appendingPathComponent("Fixtures/import/\(name)").path }

    /// The mode bits of a file (nil when it is missing).
    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
    }

    /// Imports into `work`, then checks what every import must hold: exit 0, `inventory lint`
    /// clean, secrets 0600 in a 0700 directory, certificates 0644, and no secret's bytes in the
    /// inventory; returns the `verify --dry-run` output.
    static func importAndPlan(_ work: WorkDirectory, _ arguments: [String], output: String = "inv.yaml") async throws -> (importRun: CommandResult, plan: String) {
        let inventory = work.file(output).path
        let run = try await revenant(["import"] + arguments + ["--output", inventory])
        #expect(run.exited && run.status == 0, "\(run)")
        let lint = try await revenant(["inventory", "lint", inventory])
        #expect(lint.status == 0 && lint.stdout.contains("0 errors, 0 warnings"), "\(lint)")
        let text = try Data(contentsOf: URL(fileURLWithPath: inventory))
        let secrets = work.file(URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent + ".secrets").path
        if FileManager.default.fileExists(atPath: secrets) {
            #expect(mode(secrets) == 0o700)
            for name in try FileManager.default.contentsOfDirectory(atPath: secrets) {
                let path = secrets + "/" + name
                if name.hasSuffix(".crt") {
                    #expect(mode(path) == 0o644, "\(name)")
                    continue
                }
                #expect(mode(path) == 0o600, "\(name) holds a secret")
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(!bytes.isEmpty && text.range(of: bytes) == nil, "the secret of \(name) is in the inventory")
                #expect(!run.stdout.utf8.elementsEqual(bytes) && run.stderr.data(using: .utf8)?.range(of: bytes) == nil)
            }
        }
        let plan = try await revenant(["verify", "--inventory", inventory, "--dry-run", "--no-progress"])
        #expect(plan.exited && plan.status == 0, "\(plan)")
        return (run, plan.stdout)
    }

    @Test func trufflehogFindingsArePlannedWithTheirProbes() async throws {
        let work = try WorkDirectory("import-trufflehog")
        defer { work.remove() }
        let (run, plan) = try await Self.importAndPlan(work, ["trufflehog", Self.fixture("trufflehog.jsonl")])
        #expect(plan.contains("GET https://api.github.com/user") && plan.contains("POST https://sts.amazonaws.com/"), "\(plan)")
        #expect(plan.contains("NO PROBE  trufflehog-acmecorp-"), "\(plan)")
        #expect(run.stderr.contains("1 credential written without a probe") && run.stderr.contains("  Acmecorp  1"), "\(run)")
        let inventory = work.read("inv.yaml")
        #expect(inventory.contains(#"owner: "dana.okafor@example.com""#) && inventory.contains(#""occurrences": "2""#), "\(inventory)")
    }

    @Test func gitleaksFindingsArePlannedAndTheKeyIDAloneIsNoted() async throws {
        let work = try WorkDirectory("import-gitleaks")
        defer { work.remove() }
        let (run, plan) = try await Self.importAndPlan(work, ["gitleaks", Self.fixture("gitleaks-report.json"), "--owner", "security-team"])
        #expect(plan.contains("SEND  gitleaks-github-pat-") && plan.contains("GET https://api.github.com/user"), "\(plan)")
        #expect(plan.contains("NO PROBE  gitleaks-aws-access-token-") && plan.contains("NO PROBE  gitleaks-generic-api-key-"), "\(plan)")
        #expect(run.stderr.contains("1 aws-access-token finding without a usable secret"), "\(run)")
        #expect(!work.read("inv.yaml").contains("example.com"), "--owner replaces every author")
    }

    @Test func kubernetesSecretsGiveCertificatesAndTokens() async throws {
        let work = try WorkDirectory("import-kubernetes")
        defer { work.remove() }
        let (_, plan) = try await Self.importAndPlan(work, ["kubernetes", Self.fixture("kubernetes-secrets.json")], output: "cluster.json")
        #expect(plan.contains("SEND  k8s-shop-shop-env-github-token") && plan.contains("NO PROBE  k8s-shop-shop-tls-tls"), "\(plan)")
        #expect(plan.contains("k8s-shop-shop-env-db-password") && plan.contains("not UTF-8: sent as stored"), "the Latin-1 password is kept as bytes: \(plan)")
        let key = work.file("cluster.secrets/k8s-shop-shop-tls-tls.key").path
        #expect(FileManager.default.contents(atPath: key).map { String(decoding: $0, as: UTF8.self).contains("PRIVATE KEY") } == true)
        let certs = try await revenant(["certs", "--inventory", work.file("cluster.json").path, work.file("cluster.secrets").path, "--format", "json"])
        #expect(certs.exited && certs.stdout.contains("shop.example.test"), "revenant certs reads the written certificate: \(certs)")

        let (_, manifests) = try await Self.importAndPlan(work, ["kubernetes", Self.fixture("kubernetes-manifests.yaml")], output: "manifests.yaml")
        #expect(manifests.contains("SEND  k8s-billing-billing-api-stripe-secret-key"), "\(manifests)")
    }

    @Test func theCredentialReportNeedsNoSecretAndJoinsKeysToProbeThem() async throws {
        let work = try WorkDirectory("import-aws")
        defer { work.remove() }
        let printed = try await revenant(["import", "aws-credential-report", Self.fixture("credential-report.csv")])
        #expect(printed.exited && printed.status == 0 && printed.stdout.contains("aws-123456789012-dana-okafor-key2"), "no secret: printed: \(printed)")
        try work.write("printed.yaml", printed.stdout)
        let lint = try await revenant(["inventory", "lint", work.file("printed.yaml").path])
        #expect(lint.status == 0, "\(lint)")
        let (_, plan) = try await Self.importAndPlan(work, ["aws-credential-report", Self.fixture("credential-report.csv"), "--keys", Self.fixture("aws-keys.csv")])
        #expect(plan.contains("SEND  aws-123456789012-dana-okafor-key2") && plan.contains("POST https://sts.amazonaws.com/"), "\(plan)")
        #expect(plan.contains("NO PROBE  aws-123456789012-dana-okafor-key1"), "\(plan)")
        let text = work.read("inv.yaml")
        #expect(text.contains(#"state: "revoked""#) && text.contains(#"issued_at: "2024-01-10T12:00:00Z""#), "\(text)")
    }

    @Test func secretsAreNeverPrintedAndNothingIsOverwrittenWithoutForce() async throws {
        let work = try WorkDirectory("import-refusals")
        defer { work.remove() }
        let source = Self.fixture("trufflehog.jsonl")
        let printed = try await revenant(["import", "trufflehog", source])
        #expect(printed.status == 2 && printed.stdout.isEmpty && printed.stderr.contains("give --output"), "\(printed)")
        #expect(!printed.stderr.contains("ghp_"))

        let output = work.file("inv.yaml").path
        try work.write("inv.yaml", "keep me\n")
        let refused = try await revenant(["import", "trufflehog", source, "--output", output])
        #expect(refused.status == 2 && refused.stderr.contains("--force"), "\(refused)")
        #expect(work.read("inv.yaml") == "keep me\n")
        #expect(!FileManager.default.fileExists(atPath: work.file("inv.secrets").path))

        let forced = try await revenant(["import", "trufflehog", source, "--output", output, "--force"])
        #expect(forced.status == 0, "\(forced)")
        let again = try await revenant(["import", "trufflehog", source, "--output", output, "--force"])
        #expect(again.status == 0, "--force replaces the secrets directory too: \(again)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.file("inv.secrets").path).count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains("partial") }.isEmpty)

        let help = try await revenant(["import", "--help"])
        #expect(help.stdout.contains("--force") && help.stdout.contains("revenant import trufflehog"), "\(help)")
    }

    @Test func badInputExitsTwoNamingTheLine() async throws {
        let work = try WorkDirectory("import-bad")
        defer { work.remove() }
        let file = try work.write("th.jsonl", #"{"DetectorName": "Github", "Raw": "ghp_x"}"# + "\n" + #"{"DetectorName": "Github", "Raw": ["ghp_secretvalue"]}"# + "\n")
        let r = try await revenant(["import", "trufflehog", file, "--output", work.file("inv.yaml").path])
        #expect(r.status == 2 && r.stderr.contains("th.jsonl: line 2, [1].Raw: expected a string"), "\(r)")
        #expect(!r.stderr.contains("ghp_secretvalue") && !FileManager.default.fileExists(atPath: work.file("inv.yaml").path))
    }

    /// 16,000 AWS key ids without their secret (no files to write, so the test stays fast):
    /// more YAML than revenant reads whole, so refused as YAML (to a file or stdout) and written as JSON.
    @Test func aLargeImportIsWrittenAsJSONNotAsYAMLRevenantCouldNotRead() async throws {
        let work = try WorkDirectory("import-large")
        defer { work.remove() }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let lines = (0..<16_000).map { i in
            let id = "AKIA" + String((0..<16).map { alphabet[(i >> (5 * ($0 % 4))) & 31] })
            return #"{"SourceMetadata":{"Data":{"Filesystem":{"file":"/srv/applications/service-\#(i)/config/production/settings.env","line":\#(i % 50)}}},"DetectorName":"AWS","Raw":"\#(id)","RawV2":"","Verified":false}"#
        }
        let source = try work.write("large.jsonl", lines.joined(separator: "\n") + "\n")
        let yaml = try await revenant(["import", "trufflehog", source, "--output", work.file("inv.yaml").path], timeout: 300)
        #expect(yaml.status == 2 && yaml.stderr.contains("--output FILE.json"), "\(yaml)")
        #expect(!FileManager.default.fileExists(atPath: work.file("inv.yaml").path))
        let printed = try await revenant(["import", "trufflehog", source], timeout: 300)
        #expect(printed.status == 2 && printed.stdout.isEmpty, "\(printed)")
        let json = try await revenant(["import", "trufflehog", source, "--output", work.file("inv.json").path], timeout: 300)
        #expect(json.status == 0 && json.stderr.contains("16000 AWS findings without a usable secret"), "\(json)")
        let lint = try await revenant(["inventory", "lint", work.file("inv.json").path], timeout: 300)
        #expect(lint.status == 0 && lint.stdout.contains("16000 credentials"), "\(lint)")
    }

    /// Every shipped mapping names a shipped probe that takes the mapped kind and needs no
    /// target of the user's (so an imported inventory lints clean).
    @Test(arguments: ["trufflehog", "gitleaks", "kubernetes"])
    func shippedMappingsNameShippedProbes(_ source: String) throws {
        let file = Package.root.appendingPathComponent("Probes/import/\(source).json").path
        let mapping = try ProbeMapping.decode(Array(try Data(contentsOf: URL(fileURLWithPath: file))), file: file)
        #expect(mapping.count >= 10)
        let (probes, problems) = ProbeLoader.load(paths: [Package.root.appendingPathComponent("Probes").path])
        #expect(problems.filter { $0.level == .error }.isEmpty)
        for (name, entry) in mapping.all {
            guard let id = entry.probe else { continue }
            let probe = try #require(probes[id], "\(source): \(name) maps to unknown probe \(id)")
            #expect(probe.kinds.contains(entry.kind), "\(source): \(name): probe \(id) does not take \(entry.kind.rawValue)")
            #expect(probe.defaultTarget != nil || probe.hostFromSecret != nil, "\(source): \(name): probe \(id) needs a target")
        }
    }

    /// A gitleaks report whose token a real nginx on loopback still accepts, imported as revoked:
    /// verify proves it is not (residual_access), and the dead one is proven dead.
    @Test func aLeakedTokenImportedAsRevokedThatStillWorksIsResidualAccess() async throws {
        let work = try WorkDirectory("import-e2e")
        defer { work.remove() }
        let live = "acme_live_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let dead = "acme_dead_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let port = try Loopback.freePorts(1)[0]
        let base = "http://127.0.0.1:\(port)"
        func finding(_ secret: String, file: String) -> [String: Any] {
            ["RuleID": "acme-api-token", "Description": "Acme API token", "StartLine": 2, "EndLine": 2, "StartColumn": 11, "EndColumn": 60,
             "Match": "ACME_TOKEN=\(secret)", "Secret": secret, "File": file, "SymlinkFile": "", "Commit": "1234567890abcdef1234567890abcdef12345678",
             "Entropy": 4.5, "Author": "Dana Okafor", "Email": "dana@example.com", "Date": "2026-11-01T09:30:00Z", "Message": "oops", "Tags": [String](),
             "Fingerprint": "1234567890abcdef1234567890abcdef12345678:\(file):acme-api-token:2"]
        }
        let report = try work.writeJSON("gitleaks.json", [finding(live, file: "live.env"), finding(dead, file: "dead.env")])
        let mapping = try work.writeJSON("mapping.json", ["map": ["acme-api-token": ["probe": "i-acme", "kind": "api_key", "target": base]]])
        try work.writeJSON("probes/i-acme.json", Scenario.probe("i-acme", path: "/acme/me"))
        let config = try work.writeJSON("config.json", ["timeout_seconds": 5, "retries": ["attempts": 1]])
        let inventory = work.file("leaked.yaml").path
        let imported = try await revenant(["import", "gitleaks", report, "--mapping", mapping, "--state", "revoked", "--output", inventory])
        #expect(imported.status == 0, "\(imported)")
        #expect(!work.read("leaked.yaml").contains(live) && !work.read("leaked.yaml").contains(dead))
        try await Nginx.with(work, servers: """
                server {
                    listen 127.0.0.1:\(port);
                    default_type application/json;
                    location = /acme/me {
                        if ($http_authorization != "Bearer \(live)") { return 401 '{"error":"bad token"}'; }
                        return 200 '{"user":"dana"}';
                    }
                }
            """, ports: [port]) {
            let r = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config,
                                        "--format", "json", "--no-progress"])
            #expect(r.exited && r.status == 1, "residual access is critical: \(r)")
            #expect(!r.stdout.contains(live) && !r.stderr.contains(live))
            let parsed = try ParsedReport(r.stdout)
            func id(_ file: String) -> String? {
                parsed.results.first { (($0["credential"] as? [String: Any])?["tags"] as? [String: String])?["file"] == file }
                    .flatMap { ($0["credential"] as? [String: Any])?["id"] as? String }
            }
            let liveID = try #require(id("live.env"), "\(r.stdout)")
            let deadID = try #require(id("dead.env"), "\(r.stdout)")
            #expect(parsed.codes(liveID) == ["residual_access"], "\(r.stdout)")
            #expect(parsed.codes(deadID).contains("revocation_verified"), "\(r.stdout)")
        }
    }
}

import Foundation
import Testing
import RevenantCore

/// The shipped scanner mappings (`Probes/import/trufflehog.json`, `gitleaks.json`), end to end
/// with generated findings: every mapped detector or rule becomes a credential of its kind with
/// its probe, `verify --dry-run` plans it, and the detectors whose probe would be wrong for some
/// of what they match stay unmapped. The secrets are random and fake; nothing is sent.
@Suite struct ImportMappingTests {
    struct Mapped {
        var name: String
        var probe: String?
        var kind: String
    }

    /// A shipped mapping's names as written in the file, with their probe and kind.
    static func shipped(_ source: String) throws -> [Mapped] {
        let data = try Data(contentsOf: Package.root.appendingPathComponent("Probes/import/\(source).json"))
        let top = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let map = try #require(top["map"] as? [String: [String: String]])
        return map.keys.sorted().map { Mapped(name: $0, probe: map[$0]?["probe"], kind: map[$0]?["kind"] ?? "") }
    }

    /// A random fake secret; a Mailchimp key carries the data centre its probe's host comes from.
    static func fakeSecret(for probe: String?) -> String {
        let random = (0..<2).map { _ in UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }.joined()
        return probe == "mailchimp" ? String(random.prefix(32)) + "-us6" : "fake" + random
    }

    static func trufflehogFinding(_ detector: String, raw: String, rawV2: String = "", file: String) -> String {
        let object: [String: Any] = [
            "SourceMetadata": ["Data": ["Git": ["commit": "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6", "file": file, "line": 4,
                                                "email": "dana.okafor@example.com", "repository": "https://github.com/example/shop.git"]]],
            "DetectorName": detector, "DecoderName": "PLAIN", "Verified": false, "Raw": raw, "RawV2": rawV2,
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func gitleaksFinding(_ rule: String, secret: String, file: String) -> [String: Any] {
        ["RuleID": rule, "Description": "generated", "StartLine": 7, "EndLine": 7, "Match": "KEY=\(secret)", "Secret": secret,
         "File": file, "Commit": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", "Email": "dana.okafor@example.com",
         "Date": "2026-11-01T09:30:00Z", "Fingerprint": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567:\(file):\(rule):7"]
    }

    /// The written JSON inventory's credentials, by the detector or rule tag they carry.
    static func credentials(_ work: WorkDirectory, tag: String) throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: work.file("inv.json"))
        let top = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let list = try #require(top["credentials"] as? [[String: Any]])
        var out: [String: [String: Any]] = [:]
        for credential in list {
            if let name = (credential["tags"] as? [String: String])?[tag] { out[name] = credential }
        }
        return out
    }

    /// Imports `arguments` into `work` and checks each of `mapped` was written with its probe and
    /// kind (found by its `tag`), nothing went without a probe or secret, and each is planned.
    static func expectEveryOneImported(_ mapped: [Mapped], _ work: WorkDirectory, _ arguments: [String], tag: String) async throws {
        let (run, plan) = try await ImportCommandTests.importAndPlan(work, arguments, output: "inv.json")
        #expect(!run.stderr.contains("without a probe") && !run.stderr.contains("without a usable secret"), "\(run)")
        #expect(!plan.contains("NO PROBE"), "\(plan)")
        let written = try credentials(work, tag: tag)
        for entry in mapped {
            let credential = try #require(written[entry.name], "\(entry.name) was not written")
            #expect(credential["probe"] as? String == entry.probe, "\(entry.name)")
            #expect(credential["kind"] as? String == entry.kind, "\(entry.name)")
            #expect(plan.contains("SEND  \(credential["id"] as? String ?? "?")  "), "\(entry.name) is not planned: \(plan)")
        }
    }

    /// Two spellings of one name would collapse into one entry (names match in any case, with
    /// `-`, `_` and `.` alike), silently dropping one of them.
    @Test(arguments: ["trufflehog", "gitleaks"])
    func noTwoNamesOfAMappingCollide(_ source: String) throws {
        let names = try Self.shipped(source).map(\.name)
        let file = Package.root.appendingPathComponent("Probes/import/\(source).json").path
        let mapping = try ProbeMapping.decode(Array(try Data(contentsOf: URL(fileURLWithPath: file))), file: file)
        #expect(mapping.count == names.count, "\(source): \(names.count) names, \(mapping.count) after matching")
    }

    @Test func everyTrufflehogDetectorMappedImportsWithItsProbeAndKind() async throws {
        let work = try WorkDirectory("import-mapping-trufflehog")
        defer { work.remove() }
        let mapped = try Self.shipped("trufflehog").filter { $0.probe != nil }
        #expect(mapped.count >= 70)
        let lines = mapped.enumerated().map { index, entry in
            let secret = Self.fakeSecret(for: entry.probe)
            if entry.kind == "aws_access_key" {
                let id = "AKIA" + String((0..<16).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".randomElement()! })
                return Self.trufflehogFinding(entry.name, raw: id, rawV2: id + ":" + secret, file: "f\(index).env")
            }
            return Self.trufflehogFinding(entry.name, raw: secret, file: "f\(index).env")
        }
        let source = try work.write("findings.jsonl", lines.joined(separator: "\n") + "\n")
        try await Self.expectEveryOneImported(mapped, work, ["trufflehog", source], tag: "detector")
    }

    @Test func everyGitleaksRuleMappedImportsWithItsProbeAndKind() async throws {
        let work = try WorkDirectory("import-mapping-gitleaks")
        defer { work.remove() }
        let mapped = try Self.shipped("gitleaks").filter { $0.probe != nil }
        #expect(mapped.count >= 45)
        let findings = mapped.enumerated().map { index, entry in
            Self.gitleaksFinding(entry.name, secret: Self.fakeSecret(for: entry.probe), file: "f\(index).env")
        }
        let report = try work.writeJSON("report.json", findings)
        try await Self.expectEveryOneImported(mapped, work, ["gitleaks", report], tag: "rule")
    }

    /// A few newly mapped names, each planned at its provider's own endpoint.
    @Test(arguments: [
        ("trufflehog", "Groq", "GET https://api.groq.com/openai/v1/models"),
        ("trufflehog", "SendinBlueV2", "GET https://api.brevo.com/v3/account"),
        ("trufflehog", "GoogleGeminiAPIKey", "GET https://generativelanguage.googleapis.com/v1/models?pageSize=1"),
        ("gitleaks", "gcp-api-key", "GET https://generativelanguage.googleapis.com/v1/models?pageSize=1"),
        ("gitleaks", "xai-api-key", "GET https://api.x.ai/v1/api-key"),
        ("gitleaks", "sendinblue-api-token", "GET https://api.brevo.com/v3/account"),
    ])
    func aNewlyMappedFindingIsPlannedAtItsProvider(_ source: String, _ name: String, _ request: String) async throws {
        let work = try WorkDirectory("import-mapping-one")
        defer { work.remove() }
        let secret = Self.fakeSecret(for: nil)
        let file = source == "trufflehog"
            ? try work.write("findings.jsonl", Self.trufflehogFinding(name, raw: secret, file: "app/.env") + "\n")
            : try work.writeJSON("report.json", [Self.gitleaksFinding(name, secret: secret, file: "app/.env")])
        let (run, plan) = try await ImportCommandTests.importAndPlan(work, [source, file, "--state", "revoked"])
        #expect(!run.stderr.contains("without a probe"), "\(run)")
        #expect(plan.contains(request), "\(plan)")
        #expect(!plan.contains(secret) && !run.stdout.contains(secret) && !run.stderr.contains(secret))
    }

    /// Detectors that also match keys their provider's probe cannot judge (an Anthropic admin
    /// key, a Datadog application key, a PostHog project key, a Docker Hub token without its
    /// user) are left unmapped: written with their secret, no probe, and listed on stderr.
    @Test func detectorsTheProbeIsWrongForStayUnmapped() async throws {
        let work = try WorkDirectory("import-mapping-unmapped")
        defer { work.remove() }
        let names = ["Anthropic", "DatadogToken", "PosthogApp", "Dockerhub"]
        let lines = names.enumerated().map { index, name in Self.trufflehogFinding(name, raw: Self.fakeSecret(for: nil), file: "u\(index).env") }
        let source = try work.write("findings.jsonl", lines.joined(separator: "\n") + "\n")
        let (run, plan) = try await ImportCommandTests.importAndPlan(work, ["trufflehog", source], output: "inv.json")
        #expect(run.stderr.contains("4 credentials written without a probe"), "\(run)")
        for name in names {
            #expect(run.stderr.contains("  \(name)  1"), "\(name): \(run)")
        }
        #expect(plan.components(separatedBy: "NO PROBE").count - 1 == names.count, "\(plan)")
    }
}

import Foundation
import TestSupport
import Testing

/// Every report format of one real run against a hostile nginx: it echoes the token it was sent
/// (whole, and a 10-character part) and markup, formula and XML text in its `Location`, for the
/// credentials and for the positive control; the inventory's owners are formulas behind spaces.
/// No format may hold a secret or any 10 characters of one; promtool must accept the exposition;
/// the CSV must neutralise every formula; an active credential past its expiry that still works
/// must have its residual-access series.
@Suite struct HostileReportTests {
    static let formats = ["table", "json", "jsonl", "sarif", "junit", "markdown", "csv", "html", "prometheus"]

    /// A secret of letters and digits only, so escaping never changes how it reads.
    static func secret(_ prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24)
    }

    @Test func noFormatHoldsAnEchoedSecretAndEachSaysWhatStillWorks() async throws {
        let work = try WorkDirectory("hostile-formats")
        defer { work.remove() }
        let secrets = ["live": Self.secret("Live"), "dead": Self.secret("Dead"), "canary": Self.secret("Canary")]
        for (name, value) in secrets { try work.write("secrets/\(name)", value) }
        let port = try Loopback.freePorts(1)[0]
        let base = "http://127.0.0.1:\(port)"
        for (id, path) in [("h-ok", "/ok/me"), ("h-echo", "/echo/me"), ("h-part", "/part/me")] {
            try work.writeJSON("probes/\(id).json", Scenario.probe(id, path: path, rejected: [["status": [401, 403]]]))
        }
        let owners = [" =1+1", "\"=HYPERLINK(\"\"http://evil.example\"\")", "\u{A0}@SUM(A1)", "<script>alert(1)</script>", "a|b\\\"c\nd"]
        var credentials: [[String: Any]] = []
        for (n, probe) in ["h-ok", "h-echo", "h-part"].enumerated() {
            for secret in ["live", "dead", "canary"] {
                credentials.append(Scenario.credential("\(probe)-\(secret)", state: "revoked", secret: ["file": "secrets/\(secret)"], probe: probe,
                                                       target: base, extra: ["owner": owners[(n * 3 + credentials.count) % owners.count]]))
            }
        }
        // Active, but past its expiry and still accepted: expired_still_accepted (critical).
        credentials.append(Scenario.credential("trial-token", state: "active", secret: ["file": "secrets/live"], probe: "h-ok", target: base,
                                               extra: ["owner": "team-trial", "expires_at": "2026-01-01T00:00:00Z"]))
        let inventory = try work.writeJSON("inventory.json", [
            "credentials": credentials,
            "controls": ["h-ok", "h-echo", "h-part"].map { ["probe": $0, "target": base, "secret": ["file": "secrets/canary"]] },
        ])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 5, "retries": ["attempts": 1]])
        let out = work.file("reports").path
        let result = try await Nginx.with(work, servers: """
                map $http_authorization $token { default ""; "~^Bearer (?<t>.*)$" $t; }
                map $http_authorization $part { default ""; "~^Bearer .(?<p>.{10})" $p; }
                map $token $token_ok { default 0; "\(secrets["live"]!)" 1; "\(secrets["canary"]!)" 1; }
                server {
                    listen 127.0.0.1:\(port);
                    location = /ok/me { if ($token_ok = 0) { return 401 "no $token"; } return 200 "welcome $token"; }
                    location = /echo/me { return 302 "http://127.0.0.1:\(port)/landing/$token/=cmd|calc!A0/<script>alert(1)</script>/]]>/?t=$token"; }
                    location = /part/me { return 302 "/rel/$part/\\"quoted\\"/<b>x</b>"; }
                }
            """, ports: [port]) {
            try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config, "--no-progress",
                                "--output", out] + Self.formats.flatMap { ["--format", $0] }, cwd: work.url)
        }
        #expect(result.exited && result.status == 1, "residual access is critical: \(result)")

        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names.count == Self.formats.count, "\(names)")
        for name in names {
            let text = String(decoding: FileManager.default.contents(atPath: out + "/" + name) ?? Data(), as: UTF8.self)
            #expect(!text.isEmpty)
            for (which, value) in secrets {
                let chars = Array(value)
                let parts = (0...(chars.count - 10)).map { String(chars[$0..<($0 + 10)]) }
                if let part = parts.first(where: text.contains) { Issue.record("\(name) holds 10 characters of the \(which) secret: \(part)") }
            }
        }
        // The server's text did reach the reports (scrubbed): the test sent what it meant to.
        let json = try ParsedReport(String(decoding: FileManager.default.contents(atPath: out + "/report.json") ?? Data(), as: UTF8.self))
        let reasons = json.results.flatMap { ($0["checks"] as? [[String: Any]]) ?? [] }.compactMap { $0["reason"] as? String }
        #expect(reasons.contains { $0.contains("/landing/") && $0.contains("[redacted]") }, "\(reasons)")

        let prom = out + "/report.prom"
        if ReportViewerTests.installed(ReportViewerTests.promtool) {
            let check = try await ReportViewerTests.promtoolCheck(prom)
            #expect(check.ok, "\(check)")
        }
        let metrics = String(decoding: FileManager.default.contents(atPath: prom) ?? Data(), as: UTF8.self)
        #expect(metrics.contains("revenant_residual_access{command=\"verify\",credential=\"trial-token\",finding=\"expired_still_accepted\""),
                "an expired active credential that still works is residual access: \(metrics)")
        #expect(metrics.contains("revenant_residual_access{command=\"verify\",credential=\"h-ok-live\""))

        let csv = String(decoding: FileManager.default.contents(atPath: out + "/report.csv") ?? Data(), as: UTF8.self)
        for owner in owners.prefix(3) {
            let quoted = "\"'" + owner.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            #expect(csv.contains(quoted), "the formula owner \(owner) is neutralised: \(csv.prefix(2_000))")
        }
    }
}

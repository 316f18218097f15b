import Foundation
import Testing
import TestSupport

/// The per-owner view, end to end: the built binary against a real nginx on loopback (its own,
/// so its access log counts only the test's runs) with two owners. Dana left: one of her tokens still
/// works, one is dead, one sits behind a 503, and one is active. Sam's two old tokens are dead.
/// Each test has an nginx of its own.
@Suite struct OwnerViewTests {
    /// Where the test's nginx listens, and the inventory, probes and configuration a run needs.
    struct Setup: Sendable {
        let work: String
        let port: Int
        let inventory: String
        let probes: String
        let config: String

        var url: URL { URL(fileURLWithPath: work) }

        var accessLog: [String] {
            String(decoding: FileManager.default.contents(atPath: work + "/access.log") ?? Data(), as: UTF8.self)
                .split(separator: "\n").map(String.init)
        }

        func verify(_ flags: [String]) async throws -> CommandResult {
            try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--config", config, "--no-progress"] + flags, cwd: url)
        }
    }

    /// Writes the secrets, probes and inventory into a fresh directory, starts nginx there, runs
    /// `body`, and stops nginx (also when `body` throws).
    static func withTargets(_ label: String, _ body: (Setup) async throws -> Void) async throws {
        let work = try WorkDirectory("owner-view-\(label)")
        defer { work.remove() }
        let token = { (label: String) in "\(label)-\(UUID().uuidString.lowercased())" }
        let (live, dead, canary) = (token("live"), token("dead"), token("canary"))
        try work.write("secrets/live", live)
        try work.write("secrets/dead", dead)
        try work.write("secrets/canary", canary)
        for (id, path) in [("o-bearer", "/bearer/user"), ("o-chat", "/chat/me"), ("o-unavailable", "/unavailable/me")] {
            try work.writeJSON("probes/\(id).json", Scenario.probe(id, path: path))
        }
        let port = try Loopback.freePorts(1)[0]
        let base = "http://127.0.0.1:\(port)"
        func credential(_ id: String, _ state: String, owner: String, secret: String, probe: String) -> [String: Any] {
            Scenario.credential(id, state: state, secret: ["file": "secrets/\(secret)"], probe: probe, target: base, extra: ["owner": owner])
        }
        let inventory = try work.writeJSON("inventory.json", [
            "credentials": [
                credential("dana-deploy", "offboarded", owner: "dana@example.com", secret: "live", probe: "o-bearer"),
                credential("sam-old", "rotated", owner: "sam@example.com", secret: "dead", probe: "o-bearer"),
                credential("dana-reporting", "revoked", owner: "dana@example.com", secret: "dead", probe: "o-bearer"),
                credential("dana-billing", "revoked", owner: "Dana@Example.com", secret: "dead", probe: "o-unavailable"),
                credential("dana-current", "active", owner: "dana@example.com", secret: "canary", probe: "o-chat"),
                credential("sam-chat", "revoked", owner: "sam@example.com", secret: "dead", probe: "o-chat"),
            ],
            "controls": [["probe": "o-bearer", "target": base, "secret": ["file": "secrets/canary"]]],
        ])
        let config = try work.writeJSON("config.json", ["timeout_seconds": 5, "retries": ["attempts": 1]])
        let setup = Setup(work: work.path, port: port, inventory: inventory, probes: work.file("probes").path, config: config)
        try await Nginx.with(work, servers: """
                map $http_authorization $token_ok {
                    default 0;
                    "~^Bearer \(live)$" 1;
                    "~^Bearer \(canary)$" 1;
                }
                server {
                    listen 127.0.0.1:\(port);
                    access_log "\(work.path)/access.log";
                    default_type application/json;
                    location = /bearer/user {
                        if ($token_ok = 0) { return 401 '{"error":"bad credentials"}'; }
                        return 200 '{"login":"someone"}';
                    }
                    location = /chat/me {
                        if ($token_ok = 0) { return 401 '{"error":"bad credentials"}'; }
                        return 200 '{"login":"someone"}';
                    }
                    location = /unavailable/me { return 503 '{"error":"service unavailable"}'; }
                }
            """, ports: [port]) {
            try await body(setup)
        }
    }

    static func owners(_ report: ParsedReport) -> [[String: Any]] { report.summary["owners"] as? [[String: Any]] ?? [] }

    static func ids(_ report: ParsedReport) -> [String] {
        report.results.compactMap { ($0["credential"] as? [String: Any])?["id"] as? String }
    }

    @Test func tableOpensWithOneLinePerOwner() async throws {
        try await Self.withTargets("tableOpensWithOneLinePerOwner") { s in
            let r = try await s.verify(["--format", "table"])
            #expect(r.exited && r.status == 1, "residual access is critical: \(r)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            let start = try #require(lines.firstIndex(of: "By owner:"), "\(r)")
            #expect(Array(lines[(start + 1)...].prefix(2)) == [
                "  dana@example.com: 4 credentials, 1 proven dead, 1 still live (o-bearer), 1 unverified (o-unavailable: status 503: server error), 1 active",
                "  sam@example.com: 2 credentials, 2 proven dead",
            ], "\(r.stdout)")
            #expect(start < (lines.firstIndex { $0.hasPrefix("SEVERITY") } ?? 0), "the summary comes before the findings")
        }
    }

    @Test func ownerSelectsOnlyThatOwnersCredentialsInAnyCase() async throws {
        try await Self.withTargets("ownerSelectsOnlyThatOwnersCredentialsInAnyCase") { s in
            let before = s.accessLog.count
            let sam = try await s.verify(["--owner", "SAM@example.com", "--format", "json"])
            #expect(sam.exited && sam.status == 0, "all of Sam's are dead: only info findings: \(sam)")
            let report = try ParsedReport(sam.stdout)
            #expect(Set(Self.ids(report)) == ["sam-old", "sam-chat"])
            #expect(report.run["owners"] as? [String] == ["SAM@example.com"])
            let owners = Self.owners(report)
            #expect(owners.count == 1)
            #expect(owners.first?["owner"] as? String == "sam@example.com")
            #expect(owners.first?["proven_dead"] as? Int == 2)
            #expect(owners.first?["all_proven_dead"] as? Bool == true)
            let requests = s.accessLog.dropFirst(before)
            #expect(!requests.isEmpty)
            #expect(!requests.contains { $0.contains("/unavailable/me") }, "Dana's credentials were not tried: \(requests)")

            let dana = try await s.verify(["--owner", "dana@example.com", "--format", "json"])
            #expect(dana.exited && dana.status == 1, "\(dana)")
            let danaReport = try ParsedReport(dana.stdout)
            #expect(Set(Self.ids(danaReport)) == ["dana-deploy", "dana-reporting", "dana-billing", "dana-current"], "Dana@Example.com is Dana too")
            let entry = try #require(Self.owners(danaReport).first)
            #expect((entry["proven_dead"] as? Int, entry["still_live"] as? Int, entry["unverified"] as? Int, entry["active"] as? Int) == (1, 1, 1, 1))
            #expect(entry["all_proven_dead"] as? Bool == false)
            #expect((entry["live"] as? [[String: Any]])?.first?["credential"] as? String == "dana-deploy")
            #expect((entry["live"] as? [[String: Any]])?.first?["target"] as? String == "http://127.0.0.1:\(s.port)/bearer/user")
            #expect((entry["unverified_reasons"] as? [[String: Any]])?.first?["probe"] as? String == "o-unavailable")
        }
    }

    @Test func exitCodesAreVerifysWithFailOn() async throws {
        try await Self.withTargets("exitCodesAreVerifysWithFailOn") { s in
            let never = try await s.verify(["--owner", "dana@example.com", "--fail-on", "never", "--format", "json"])
            #expect(never.exited && never.status == 0, "\(never)")
            let critical = try await s.verify(["--owner", "dana@example.com", "--fail-on", "critical", "--format", "json"])
            #expect(critical.exited && critical.status == 1, "\(critical)")
            let samLow = try await s.verify(["--owner", "sam@example.com", "--fail-on", "low", "--format", "json"])
            #expect(samLow.exited && samLow.status == 0, "\(samLow)")
        }
    }

    @Test func anOwnerWithNoCredentialIsAnInputErrorAndNothingIsSent() async throws {
        try await Self.withTargets("anOwnerWithNoCredentialIsAnInputErrorAndNothingIsSent") { s in
            let before = s.accessLog.count
            let r = try await s.verify(["--owner", "dana", "--format", "json"])
            #expect(r.exited && r.status == 2, "\(r)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains("--owner `dana`"), "\(r.stderr)")
            #expect(r.stderr.contains("dana@example.com") && r.stderr.contains("sam@example.com"), "the owners known are named: \(r.stderr)")
            let unrelated = try await s.verify(["--owner", "sam@example.com", "--only", "dana-deploy"])
            #expect(unrelated.exited && unrelated.status == 2, "\(unrelated)")
            try await Task.sleep(for: .milliseconds(200))
            #expect(s.accessLog.count == before, "nothing was sent")
        }
    }

    /// The inventory's control vouches for o-bearer; a run narrowed to a credential of another
    /// probe neither sends it nor warns that it "checks nothing".
    @Test func aNarrowedRunDoesNotSendOrWarnAboutControlsItDoesNotNeed() async throws {
        try await Self.withTargets("aNarrowedRunDoesNotSendOrWarnAboutControlsItDoesNotNeed") { s in
            let before = s.accessLog.count
            let r = try await s.verify(["--only", "dana-billing", "--format", "json"])
            #expect(r.exited && r.status == 1, "\(r)")
            #expect(!r.stderr.contains("checks nothing"), "\(r.stderr)")
            let requests = s.accessLog.dropFirst(before)
            #expect(requests.contains { $0.contains("/unavailable/me") }, "\(requests)")
            #expect(!requests.contains { $0.contains("/bearer/user") }, "the o-bearer control was not sent: \(requests)")
            let sam = try await s.verify(["--owner", "sam@example.com", "--format", "json"])
            #expect(sam.exited && sam.status == 0 && !sam.stderr.contains("checks nothing"), "\(sam)")
        }
    }

    @Test func dryRunPlansOnlyThatOwnersCredentials() async throws {
        try await Self.withTargets("dryRunPlansOnlyThatOwnersCredentials") { s in
            let before = s.accessLog.count
            let r = try await s.verify(["--owner", "dana@example.com", "--dry-run"])
            #expect(r.exited && r.status == 0, "\(r)")
            for id in ["dana-deploy", "dana-reporting", "dana-billing", "dana-current"] { #expect(r.stdout.contains("SEND  \(id) "), "\(id): \(r.stdout)") }
            #expect(!r.stdout.contains("sam-"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(s.accessLog.count == before, "a dry run sends nothing")
        }
    }

    @Test func groupByOwnerGivesSectionsAndOrdersJSON() async throws {
        try await Self.withTargets("groupByOwnerGivesSectionsAndOrdersJSON") { s in
            let table = try await s.verify(["--group-by", "owner", "--format", "table"])
            #expect(table.exited && table.status == 1, "\(table)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            let dana = try #require(lines.firstIndex(of: "dana@example.com"), "\(table.stdout)")
            let sam = try #require(lines.firstIndex(of: "sam@example.com"))
            #expect(dana < sam)
            #expect(lines[dana..<sam].contains { $0.contains("dana-billing") })
            #expect(!lines[sam...].contains { $0.contains("dana-") })
            let json = try await s.verify(["--group-by", "owner", "--format", "json"])
            #expect(Self.ids(try ParsedReport(json.stdout)).map { $0.hasPrefix("dana-") } == [true, true, true, true, false, false], "\(json.stdout.prefix(2000))")
            // The dry run's plan is grouped the same way (the inventory interleaves Dana's and Sam's).
            let plan = try await s.verify(["--group-by", "owner", "--dry-run"])
            #expect(plan.exited && plan.status == 0, "\(plan)")
            let sends = plan.stdout.split(separator: "\n").filter { $0.hasPrefix("SEND  ") }.map { $0.split(separator: " ")[1] }
            #expect(sends.map { $0.hasPrefix("dana-") } == [true, true, true, true, false, false], "\(plan.stdout)")
        }
    }
}

/// `revenant certs --owner`: a certificate's owner is its inventory entry's.
@Suite struct CertsOwnerTests {
    @Test func ownerSelectsCertificatesByTheirInventoryEntry() async throws {
        let work = try WorkDirectory("certs-owner")
        defer { work.remove() }
        try await CertsEndpointTests.makePKI(in: work)
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            ["id": "dana-gateway", "kind": "x509_certificate", "state": "revoked", "owner": "Dana", "certificate": ["file": work.file("good.pem").path]],
            ["id": "dana-old", "kind": "x509_certificate", "state": "expired", "owner": "dana", "certificate": ["file": work.file("expired.pem").path]],
            ["id": "root", "kind": "x509_certificate", "state": "active", "owner": "pki-team", "certificate": ["file": work.file("root.pem").path]],
        ]])
        let files = ["good.pem", "expired.pem", "root.pem"].map { work.file($0).path }
        let dana = try await revenant(["certs"] + files + ["--inventory", inventory, "--owner", "dana", "--format", "table"])
        #expect(dana.exited && dana.status == 1, "unproved without --revocation: high: \(dana)")
        #expect(dana.stdout.contains("\n  Dana: 2 certificates, 0 proven dead, 2 unverified ("), "\(dana.stdout)")
        #expect(!dana.stdout.contains("root.pem"))
        let pki = try await revenant(["certs"] + files + ["--inventory", inventory, "--owner", "PKI-team", "--format", "json"])
        #expect(pki.exited && pki.status == 0, "\(pki)")
        #expect(try CertsCommandTests.results(pki.stdout).keys.sorted() == [work.file("root.pem").path])
        let nobody = try await revenant(["certs"] + files + ["--inventory", inventory, "--owner", "sam"])
        #expect(nobody.exited && nobody.status == 2, "\(nobody)")
        #expect(nobody.stderr.contains("Dana") && nobody.stderr.contains("pki-team"), "\(nobody.stderr)")
        let noInventory = try await revenant(["certs"] + files + ["--owner", "dana"])
        #expect(noInventory.exited && noInventory.status == 2, "\(noInventory)")
    }
}

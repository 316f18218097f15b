import Foundation
import RevenantHistory
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--history` against a real nginx whose tokens the test revokes and re-enables, on a real SQLite
/// file and a real PostgreSQL (scripts/servers/postgres.sh).
@Suite(.serialized) struct HistoryTests {
    /// Runs verify with history; the JSON report and the exit status.
    static func verify(_ inventory: String, probes: String, history: String, in work: WorkDirectory,
                       environment: [String: String] = [:]) async throws -> (CommandResult, ParsedReport) {
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--history", history, "--format", "json",
                                         "--config", try work.writeJSON("config.json", Scenario.fastConfig)],
                                        cwd: work.url, environment: environment)
        guard let report = try? ParsedReport(result.stdout) else { throw CommandError(description: "no JSON report: \(result)") }
        return (result, report)
    }

    /// Proven dead in run 1, re-enabled at the target, critical `came_back_to_life` in run 2 — and `history` shows it.
    func cameBackToLife(history: String, work: WorkDirectory, target: SwitchableTarget, environment: [String: String] = [:]) async throws {
        let (inventory, probes) = try target.writeInventory("inventory.json", [
            (id: "dana-deploy-token", token: "a", state: "offboarded", owner: "dana"),
            (id: "dana-ci-token", token: "b", state: "revoked", owner: "dana"),
            (id: "ops-token", token: "c", state: "active", owner: "ops"),
        ])
        try await target.set(["a": "dead", "b": "dead"])
        let (first, run1) = try await Self.verify(inventory, probes: probes, history: history, in: work, environment: environment)
        #expect(first.status == 0, "\(first)")
        #expect(run1.codes("dana-deploy-token") == ["revocation_verified"])
        #expect((run1.doc["changes"] as? [Any])?.isEmpty == true)
        let run1ID = run1.run["id"] as? String ?? "?"

        try await target.set(["a": "live"])
        let (second, run2) = try await Self.verify(inventory, probes: probes, history: history, in: work, environment: environment)
        #expect(second.status == 1, "\(second)")
        #expect(run2.codes("dana-deploy-token") == ["came_back_to_life", "residual_access"], "\(second)")
        let finding = (run2.result("dana-deploy-token")?["findings"] as? [[String: Any]])?.first
        #expect(finding?["severity"] as? String == "critical")
        #expect((finding?["message"] as? String)?.contains(run1ID) == true, "\(finding ?? [:])")
        #expect(run2.codes("dana-ci-token") == ["revocation_verified"])
        let changes = run2.doc["changes"] as? [[String: Any]] ?? []
        #expect(changes.count == 1, "\(changes)")
        #expect(changes.first?["credential"] as? String == "dana-deploy-token")
        #expect(changes.first?["from"] as? String == "dead" && changes.first?["to"] as? String == "live")
        #expect(changes.first?["since_run"] as? String == run1ID)

        let shown = try await revenant(["history", "--history", history, "--owner", "DANA", "--format", "json"], cwd: work.url, environment: environment)
        #expect(shown.status == 0, "\(shown)")
        let timelines = (try jsonObject(shown.stdout)["timelines"] as? [[String: Any]]) ?? []
        #expect(Set(timelines.compactMap { $0["credential"] as? String }) == ["dana-deploy-token", "dana-ci-token"])
        let revived = timelines.first { $0["credential"] as? String == "dana-deploy-token" }
        #expect(revived?["status"] as? String == "live")
        #expect((revived?["came_back_to_life"] as? [Any])?.count == 1)
        #expect((revived?["first_seen_live"] as? [String: Any])?["run"] as? String == run2.run["id"] as? String)
        let dead = timelines.first { $0["credential"] as? String == "dana-ci-token" }
        #expect(dead?["status"] as? String == "dead")
        #expect((dead?["proven_dead_since"] as? [String: Any])?["run"] as? String == run1ID)
        #expect(!shown.stdout.contains(target.tokens["a"]!) && !shown.stdout.contains(target.tokens["b"]!))
    }

    /// Two runs writing the same store at once: both land whole.
    func concurrentWriters(history: String, work: WorkDirectory, target: SwitchableTarget, environment: [String: String] = [:]) async throws {
        let entries = (0..<40).map { (id: "svc-\($0)", token: $0 % 2 == 0 ? "a" : "b", state: "revoked", owner: "team-\($0 % 3)") }
        let (inventory, probes) = try target.writeInventory("concurrent.json", entries)
        async let one = Self.verify(inventory, probes: probes, history: history, in: work, environment: environment)
        async let two = Self.verify(inventory, probes: probes, history: history, in: work, environment: environment)
        let (r1, r2) = try await (one, two)
        #expect(r1.0.exited && r2.0.exited && r1.0.status <= 1 && r2.0.status <= 1, "\(r1.0)\n\(r2.0)")
        #expect(r1.1.run["complete"] as? Bool == true && r2.1.run["complete"] as? Bool == true, "\(r1.0.stderr)\(r2.0.stderr)")
        let (runs, broken) = try Self.withPassword(environment) { try HistoryStore(history, create: false).consistency() }
        #expect(broken.isEmpty)
        #expect(runs >= 2)
        let shown = try await revenant(["history", "--history", history, "--credential", "svc-7", "--format", "json"], cwd: work.url, environment: environment)
        let timeline = (try jsonObject(shown.stdout)["timelines"] as? [[String: Any]])?.first
        #expect(timeline?["checks"] as? Int == 2, "\(shown)")
    }

    /// libpq reads PGPASSWORD from the environment: the test process's own, for a direct store open.
    static func withPassword<T>(_ environment: [String: String], _ body: () throws -> T) throws -> T {
        if let pw = environment["PGPASSWORD"] { setenv("PGPASSWORD", pw, 1) }
        defer { if environment["PGPASSWORD"] != nil { unsetenv("PGPASSWORD") } }
        return try body()
    }

    @Test func sqliteRevokedThenReenabledCameBackToLife() async throws {
        let work = try WorkDirectory("history-revived")
        defer { work.remove() }
        let target = try await SwitchableTarget.start(work, names: ["a", "b", "c"])
        defer { Task { await target.stop() } }
        let db = work.file("history.db").path
        try await cameBackToLife(history: db, work: work, target: target)
        var info = stat()
        #expect(stat(db, &info) == 0 && info.st_mode & 0o077 == 0, "the store names owners and targets: 0600")
        await target.stop()
    }

    /// Runs opening a store that does not exist yet, all at once: each one opens it (SQLite refuses
    /// the switch to WAL at once, without its busy handler, to all but one of them).
    @Test func sqliteNewStoreOpenedByRunsAtOnceOpensForEach() throws {
        let work = try WorkDirectory("history-first-open")
        defer { work.remove() }
        final class Refusals: @unchecked Sendable {  // `errors` only under `lock`
            let lock = NSLock()
            var errors: [String] = []
        }
        let refused = Refusals()
        for round in 0..<60 {
            let path = work.file("history-\(round).db").path
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do {
                    _ = try HistoryStore(path)
                } catch {
                    refused.lock.withLock { refused.errors.append("\(error)") }
                }
            }
        }
        #expect(refused.errors.isEmpty, "\(refused.errors.count) of 240 opens refused: \(refused.errors.first ?? "")")
    }

    @Test func sqliteConcurrentWritersLoseNothing() async throws {
        let work = try WorkDirectory("history-concurrent")
        defer { work.remove() }
        let target = try await SwitchableTarget.start(work, names: ["a", "b"])
        try await concurrentWriters(history: work.file("history.db").path, work: work, target: target)
        await target.stop()
    }

    /// A run killed (SIGKILL) at any moment, also while it writes, leaves every recorded run whole.
    @Test func sqliteRunKilledMidwayLeavesStoreConsistent() async throws {
        let work = try WorkDirectory("history-killed")
        defer { work.remove() }
        let target = try await SwitchableTarget.start(work, names: ["a", "b"])
        let entries = (0..<1500).map { (id: "svc-\($0)", token: $0 % 2 == 0 ? "a" : "b", state: "revoked", owner: "team") }
        let (inventory, probes) = try target.writeInventory("many.json", entries)
        let config = try work.writeJSON("config.json", Scenario.fastConfig)
        let db = work.file("history.db").path
        let arguments = ["verify", "--inventory", inventory, "--probes", probes, "--history", db, "--format", "json", "--output",
                         work.file("report.json").path, "--config", config]
        // How long a whole run takes here, then kills spread over that time (the last ones while it writes).
        let start = ContinuousClock.now
        let whole = try await revenant(arguments, cwd: work.url)
        #expect(whole.status == 1, "\(whole)")
        let took = ContinuousClock.now - start
        let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
        for fraction in [0.3, 0.6, 0.8, 0.9, 0.95, 0.98, 1.0] {
            let running = try RunningCommand(executable: Package.binary, arguments, cwd: work.url, timeout: 120)
            try await Task.sleep(nanoseconds: UInt64(seconds * fraction * 1e9))
            running.signal(SIGKILL)
            _ = await running.wait()
            let store = try HistoryStore(db, create: false)
            let (runs, broken) = try store.consistency()
            #expect(broken.isEmpty, "after a kill at \(fraction) of a run: \(broken)")
            #expect(runs >= 1)
        }
        let after = try await revenant(arguments, cwd: work.url)
        #expect(after.status == 1, "the store still takes runs after the kills: \(after)")
        await target.stop()
    }

    @Test func unusableHistoryIsAnInputErrorBeforeAnythingIsSent() async throws {
        let work = try WorkDirectory("history-bad")
        defer { work.remove() }
        try work.write("secret", "x")
        let inventory = try work.writeJSON("inv.json", ["credentials": [Scenario.credential(
            "t", state: "revoked", secret: ["file": work.file("secret").path], probe: "t-switch", target: "http://127.0.0.1:9")]])
        try work.writeJSON("probes/t-switch.json", Scenario.probe("t-switch", path: "/api/me", kinds: ["bearer_token"]))
        let r = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--history",
                                    work.file("no/such/dir/h.db").path, "--format", "json"], cwd: work.url)
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("history"), "\(r)")
        let pg = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--history",
                                     "postgresql://nobody:hunter2-secret@127.0.0.1:9/x", "--format", "json"], cwd: work.url)
        #expect(pg.status == 2, "\(pg)")
        #expect(!pg.stderr.contains("hunter2-secret"), "a password in the URL never reaches a message: \(pg.stderr)")
        for url in ["postgresql://nobody@127.0.0.1:9/x?password=hunter2-secret", "postgresql://nobody:%zzhunter2-secret@127.0.0.1:9/x"] {
            let query = try await revenant(["history", "--history", url], cwd: work.url)
            #expect(query.status == 2 && !query.stderr.contains("hunter2"), "\(url): \(query)")
        }
        let missing = try await revenant(["history", "--history", work.file("none.db").path], cwd: work.url)
        #expect(missing.status == 2 && missing.stderr.contains("no such file"), "\(missing)")
    }

    static func postgres() async throws -> (url: String, environment: [String: String]) {
        let server = try await SharedServers.get("postgres")
        let url = "postgresql://\(try server.value("PG_HISTORY_USER"))@127.0.0.1:\(try server.port("PG_PORT"))/\(try server.value("PG_HISTORY_DATABASE"))"
        return (url, ["PGPASSWORD": try server.value("PG_HISTORY_PASSWORD"), "PGSSLMODE": "disable"])
    }

    @Test func postgresRevokedThenReenabledCameBackToLife() async throws {
        let (url, environment) = try await Self.postgres()
        let work = try WorkDirectory("history-pg")
        defer { work.remove() }
        let target = try await SwitchableTarget.start(work, names: ["a", "b", "c"])
        try await cameBackToLife(history: url, work: work, target: target, environment: environment)
        try await concurrentWriters(history: url, work: work, target: target, environment: environment)
        await target.stop()
    }
}

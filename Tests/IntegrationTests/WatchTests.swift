import Foundation
import RevenantCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `revenant watch` against a real nginx whose tokens are revoked (map rewritten, nginx reloaded) while it runs.
@Suite(.serialized) struct WatchTests {
    static func arguments(_ inventory: String, _ probes: String, _ work: WorkDirectory, interval: String, deadline: String) throws -> [String] {
        ["watch", "--inventory", inventory, "--probes", probes, "--interval", interval, "--deadline", deadline, "--format", "json",
         "--config", try work.writeJSON("config.json", Scenario.fastConfig)]
    }

    static func target(_ report: [String: Any], _ credential: String) -> [String: Any] {
        ((report["watch"] as? [String: Any])?["targets"] as? [[String: Any]])?.first { $0["credential"] as? String == credential } ?? [:]
    }

    /// A token revoked a few seconds in is dead within one interval of the reload; one that never
    /// dies ends the watch at its deadline with exit 1; one answering 503 for a while is never dead meanwhile.
    @Test func revocationDuringTheWatchIsTimedAndTheSurvivorEndsItAtTheDeadline() async throws {
        let work = try WorkDirectory("watch")
        defer { work.remove() }
        let target = try await SwitchableTarget.start(work, names: ["leaked", "forgotten", "flaky", "active"])
        try await target.set(["flaky": "busy"])
        let revokedAt = Timestamp.format(Date())
        let (inventory, probes) = try target.writeInventory("inventory.json", [
            (id: "leaked-key", token: "leaked", state: "revoked", owner: "ir"),
            (id: "forgotten-key", token: "forgotten", state: "offboarded", owner: "dana"),
            (id: "flaky-key", token: "flaky", state: "revoked", owner: "ir"),
            (id: "still-active", token: "active", state: "active", owner: "ops"),
        ], extra: ["leaked-key": ["revoked_at": revokedAt]])
        let interval = 1.0
        let watchStarted = Date()
        let watch = try RunningCommand(executable: Package.binary,
                                       try Self.arguments(inventory, probes, work, interval: "1s", deadline: "10s"), cwd: work.url, timeout: 60)
        try await Task.sleep(nanoseconds: 2_500_000_000)
        let leakedReload = try await target.set(["leaked": "dead"])
        try await Task.sleep(nanoseconds: 1_500_000_000)
        let flakyReload = try await target.set(["flaky": "dead"])
        let result = await watch.wait()
        #expect(result.exited && result.status == 1, "\(result)")
        let report = try jsonObject(result.stdout)
        #expect(report["schema"] as? String == "revenant.report/v1")
        let rounds = (report["watch"] as? [String: Any])?["rounds"] as? Int ?? 0
        #expect((3...11).contains(rounds), "one round a second at most, for 10 s: \(rounds)")

        let leaked = Self.target(report, "leaked-key")
        #expect(leaked["status"] as? String == "dead", "\(leaked)")
        let leakedDead = (leaked["dead_at"] as? String).flatMap(Timestamp.parse)
        #expect(leakedDead.map { $0 >= leakedReload.sent } == true, "never dead before the reload: \(leaked)")
        #expect(leakedDead.map { $0.timeIntervalSince(leakedReload.applied) <= interval + 1.0 } == true, "dead within one interval of the reload: \(leaked)")
        #expect(leaked["latency_from_revoked_seconds"] as? Int != nil)

        let flaky = Self.target(report, "flaky-key")
        let flakyDead = (flaky["dead_at"] as? String).flatMap(Timestamp.parse)
        if let flakyDead {
            #expect(flakyDead >= flakyReload.sent, "503s never read as dead: \(flaky)")
        } else {
            // On a loaded machine the reload can land too near the deadline for a round to see it;
            // only a reload applied with a whole interval (and a second of slack) to spare must be seen.
            #expect(flakyReload.applied.addingTimeInterval(interval + 1.0) > watchStarted.addingTimeInterval(10),
                    "reloaded to dead at \(flakyReload.applied) yet never read dead before the deadline: \(flaky)")
            #expect(flaky["status"] as? String != "dead", "\(flaky)")
        }

        let forgotten = Self.target(report, "forgotten-key")
        #expect(forgotten["status"] as? String == "live" && forgotten["dead_at"] is NSNull, "\(forgotten)")
        let parsed = try ParsedReport(result.stdout)
        #expect(parsed.codes("forgotten-key").first == "residual_access")
        #expect(parsed.codes("leaked-key") == ["revocation_verified"])
        #expect(parsed.result("still-active") == nil, "watch is about should-be-dead credentials")
        await target.stop()
    }

    @Test func everythingProvenDeadEndsTheWatchAtOnceWithExitZero() async throws {
        let work = try WorkDirectory("watch-dead")
        defer { work.remove() }
        let target = try await SwitchableTarget.start(work, names: ["a", "b"])
        try await target.set(["a": "dead", "b": "dead"])
        let (inventory, probes) = try target.writeInventory("inventory.json", [
            (id: "a-key", token: "a", state: "revoked", owner: "ir"), (id: "b-key", token: "b", state: "rotated", owner: "ir"),
        ])
        let start = Date()
        let result = try await revenant(try Self.arguments(inventory, probes, work, interval: "60s", deadline: "5m"), cwd: work.url)
        #expect(result.status == 0, "\(result)")
        // A second round would start a minute in; the suite's load can make one round take seconds.
        #expect(Date().timeIntervalSince(start) < 30, "no second round when all is dead")
        let report = try jsonObject(result.stdout)
        #expect((report["watch"] as? [String: Any])?["rounds"] as? Int == 1)
        await target.stop()
    }

    @Test func interruptedWatchWritesItsReportWithExitThree() async throws {
        let work = try WorkDirectory("watch-stop")
        defer { work.remove() }
        let target = try await SwitchableTarget.start(work, names: ["a"])
        let (inventory, probes) = try target.writeInventory("inventory.json", [(id: "a-key", token: "a", state: "revoked", owner: "ir")])
        let ledger = work.file("evidence.jsonl").path
        let watch = try RunningCommand(executable: Package.binary,
                                       try Self.arguments(inventory, probes, work, interval: "1s", deadline: "1h") + ["--ledger", ledger],
                                       cwd: work.url, timeout: 60)
        // Stopped once a round has answered (the ledger is written at each round's end), not after
        // a fixed time: a loaded machine had not finished the first round in 2.5 s.
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: ledger, encoding: .utf8), text.contains("a-key") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        watch.signal(SIGINT)
        let result = await watch.wait()
        #expect(result.exited && result.status == 3, "\(result)")
        let report = try jsonObject(result.stdout)
        #expect((report["run"] as? [String: Any])?["complete"] as? Bool == false)
        #expect(Self.target(report, "a-key")["status"] as? String == "live")
        await target.stop()
    }

    @Test func badDurationsAreUsageErrors() async throws {
        for (interval, deadline) in [("0s", "1m"), ("1x", "1m"), ("10s", "5s"), ("1s", "90d"), ("-1s", "1m")] {
            let r = try await revenant(["watch", "--inventory", "x.yaml", "--interval", interval, "--deadline", deadline])
            #expect(r.exited && r.status == 2, "\(interval) \(deadline): \(r)")
        }
    }
}

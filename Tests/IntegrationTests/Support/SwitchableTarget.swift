import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An nginx whose idea of each bearer token is a file the test rewrites: `live` answers 200,
/// `busy` 503, anything else 401. `set` rewrites the map and reloads nginx (SIGHUP), so a token
/// can be revoked, re-enabled or made flaky between runs or in the middle of one.
final class SwitchableTarget: @unchecked Sendable {
    // @unchecked: `states` is changed only by the test that owns the target, between awaits.
    let work: WorkDirectory
    let nginx: Nginx
    let port: Int
    let tokens: [String: String]
    var states: [String: String]

    init(work: WorkDirectory, nginx: Nginx, port: Int, tokens: [String: String]) {
        (self.work, self.nginx, self.port, self.tokens) = (work, nginx, port, tokens)
        states = tokens.mapValues { _ in "live" }
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// `names` get fresh random tokens, all live at the start.
    static func start(_ work: WorkDirectory, names: [String]) async throws -> SwitchableTarget {
        var tokens: [String: String] = [:]
        for n in names { tokens[n] = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() }
        let port = try Loopback.freePorts(1)[0]
        try writeMap(work, tokens: tokens, states: Dictionary(uniqueKeysWithValues: names.map { ($0, "live") }))
        let nginx = try await Nginx.start(work, servers: """
            map $http_authorization $token_state { default dead; include "\(work.path)/tokens.map"; }
            server {
                listen 127.0.0.1:\(port);
                location = /api/me {
                    default_type application/json;
                    if ($token_state = live) { return 200 '{"ok":true}'; }
                    if ($token_state = busy) { return 503 '{"error":"try later"}'; }
                    return 401 '{"error":"bad token"}';
                }
            }
            """, ports: [port])
        for (name, secret) in tokens { try work.write("secrets/\(name)", secret) }
        return SwitchableTarget(work: work, nginx: nginx, port: port, tokens: tokens)
    }

    static func writeMap(_ work: WorkDirectory, tokens: [String: String], states: [String: String]) throws {
        let lines = tokens.keys.sorted().map { "\"Bearer \(tokens[$0]!)\" \(states[$0] ?? "dead");" }
        try work.write("tokens.map", lines.joined(separator: "\n") + "\n")
    }

    /// Sets each named token's state (`live`, `dead`, `busy`) and waits until nginx answers by the
    /// new map. Returns when the change was sent (no client can have seen it before) and when it
    /// was seen to apply (every client sees it from then on).
    @discardableResult
    func set(_ states: [String: String]) async throws -> (sent: Date, applied: Date) {
        self.states.merge(states) { _, new in new }
        let sent = Date()
        try Self.writeMap(work, tokens: tokens, states: self.states)
        nginx.process.signal(SIGHUP)
        // nginx reloads in the background: wait until every changed token answers as set.
        for _ in 0..<100 {
            var settled = true
            for (name, state) in states where try await status(of: name) != Self.status(for: state) { settled = false }
            // The old worker may still take a new connection until it exits: wait for nginx to have one worker again.
            if settled, try await workers() == 1 { return (sent, Date()) }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw CommandError(description: "nginx did not apply the new token map: \(work.read("error.log"))")
    }

    /// How many worker processes nginx's master has (two while a reload hands over).
    func workers() async throws -> Int {
        let r = try await run("/usr/bin/pgrep", ["-P", String(nginx.process.pid)])
        return r.stdout.split(separator: "\n").count
    }

    static func status(for state: String) -> Int { state == "live" ? 200 : state == "busy" ? 503 : 401 }

    func status(of name: String) async throws -> Int {
        let r = try await run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(tokens[name]!)",
                                                 "\(base)/api/me"])
        return Int(r.stdout) ?? 0
    }

    /// A probe for this target and an inventory: each (id, token name, state).
    func writeInventory(_ name: String, _ entries: [(id: String, token: String, state: String, owner: String)],
                        extra: [String: [String: Any]] = [:]) throws -> (inventory: String, probes: String) {
        try work.writeJSON("probes/t-switch.json", Scenario.probe("t-switch", path: "/api/me", kinds: ["bearer_token"]))
        let credentials: [[String: Any]] = entries.map { e in
            var c = Scenario.credential(e.id, state: e.state, secret: ["file": work.file("secrets/\(e.token)").path], probe: "t-switch", target: base)
            c["owner"] = e.owner
            c.merge(extra[e.id] ?? [:]) { _, new in new }
            return c
        }
        return (try work.writeJSON(name, ["credentials": credentials]), work.file("probes").path)
    }

    func stop() async {
        await nginx.stop()
    }
}

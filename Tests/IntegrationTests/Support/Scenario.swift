import Foundation

/// Probe definitions and inventories written at test time for the loopback targets.
enum Scenario {
    static func probe(_ id: String, path: String, kinds: [String] = ["bearer_token", "api_key"],
                      auth: [String: Any] = ["scheme": "bearer"],
                      authenticated: [[String: Any]] = [["status": [200]]],
                      rejected: [[String: Any]] = [["status": [401]]]) -> [String: Any] {
        [
            "id": id, "title": "Integration test probe \(id)", "kinds": kinds, "protocol": "http",
            "allowed_hosts": ["127.0.0.1"],
            "request": ["method": "GET", "path": path, "headers": ["Accept": "application/json"]],
            "auth": auth, "authenticated": authenticated, "rejected": rejected,
            "docs": "https://example.test/revenant-integration",
        ]
    }

    static var probes: [[String: Any]] { [
        probe("t-bearer", path: "/bearer/user"),
        // Same endpoint, second (probe, target) pair: its positive control is not actually good.
        probe("t-bearer-guarded", path: "/bearer/user"),
        probe("t-basic", path: "/basic/whoami", kinds: ["basic_auth", "password"], auth: ["scheme": "basic"]),
        probe("t-json", path: "/json/auth.test", kinds: ["bearer_token", "oauth_token"],
              authenticated: [["status": [200], "json": ["path": "ok", "equals": true]]],
              rejected: [["status": [200], "json": ["path": "ok", "equals": false]]]),
        probe("t-header", path: "/header/me", kinds: ["api_key"], auth: ["scheme": "header", "name": "X-API-Key"],
              rejected: [["status": [403]]]),
        probe("t-query", path: "/query/me", kinds: ["api_key"], auth: ["scheme": "query", "name": "api_key"]),
        probe("t-open", path: "/open/me"),
        probe("t-unavailable", path: "/unavailable/me"),
        probe("t-ratelimited", path: "/ratelimited/me"),
        probe("t-redirect", path: "/redirect/me"),
        probe("t-blackhole", path: "/me"),
    ] }

    /// Writes every probe as `<dir>/probes/<id>.json` and returns the directory.
    static func writeProbes(into work: WorkDirectory) throws -> String {
        for p in probes { try work.writeJSON("probes/\(p["id"] as! String).json", p) }
        return work.file("probes").path
    }

    static func credential(_ id: String, kind: String = "bearer_token", state: String, secret: [String: String],
                           probe: String, target: String, username: String? = nil, extra: [String: Any] = [:]) -> [String: Any] {
        var c: [String: Any] = ["id": id, "kind": kind, "state": state, "owner": "platform-team", "secret": secret,
                                "probe": probe, "target": target, "tags": ["suite": "integration"]]
        if let username { c["username"] = username }
        c.merge(extra) { _, new in new }
        return c
    }

    /// One credential per behaviour the integration suite checks, and the controls section.
    static func mainInventory(_ t: Targets) -> [String: Any] {
        let base = t.baseURL
        let s = t.secretSource
        let user = t.secrets["basic_user"]!
        return [
            "credentials": [
                credential("deploy-token-offboarded", state: "offboarded", secret: s("bearer_live"), probe: "t-bearer", target: base,
                           extra: ["revoked_at": "2026-10-31T17:00:00Z", "tags": ["ticket": "OFFB-1"]]),
                credential("reporting-token-revoked", state: "revoked", secret: s("bearer_dead"), probe: "t-bearer", target: base),
                credential("ledger-password-leaked", kind: "basic_auth", state: "offboarded", secret: s("basic_live"),
                           probe: "t-basic", target: base, username: user),
                credential("ledger-password-previous", kind: "basic_auth", state: "rotated", secret: s("basic_dead"),
                           probe: "t-basic", target: base, username: user),
                credential("chatops-token-old", kind: "oauth_token", state: "revoked", secret: s("json_dead"), probe: "t-json", target: base),
                credential("chatops-token-trial", state: "expired", secret: s("json_live"), probe: "t-json", target: base,
                           extra: ["expires_at": "2026-01-01T00:00:00Z"]),
                credential("partner-key-leaked", kind: "api_key", state: "revoked", secret: s("header_live"), probe: "t-header", target: base),
                credential("partner-key-old", kind: "api_key", state: "revoked", secret: s("header_dead"), probe: "t-header", target: base),
                credential("metrics-key-leaked", kind: "api_key", state: "offboarded", secret: s("query_live"), probe: "t-query", target: base),
                credential("metrics-key-old", kind: "api_key", state: "revoked", secret: s("query_dead"), probe: "t-query", target: base),
                credential("webhook-token", state: "revoked", secret: s("bearer_live"), probe: "t-open", target: base),
                credential("billing-token", state: "revoked", secret: s("bearer_dead"), probe: "t-unavailable", target: base),
                credential("search-token", state: "revoked", secret: s("bearer_dead"), probe: "t-ratelimited", target: base),
                credential("sso-token", state: "offboarded", secret: s("bearer_live"), probe: "t-redirect", target: base),
                credential("legacy-token", state: "revoked", secret: s("bearer_live"), probe: "t-blackhole", target: t.blackholeURL),
                credential("canary-drift", state: "active", secret: s("bearer_dead"), probe: "t-bearer", target: base),
                credential("misdirected-token", state: "revoked", secret: s("bearer_live"), probe: "t-bearer", target: t.redirectBaseURL),
                credential("guarded-token", state: "revoked", secret: s("bearer_dead"), probe: "t-bearer-guarded", target: base),
                [
                    "id": "everywhere-token", "kind": "bearer_token", "state": "offboarded", "owner": "platform-team",
                    "secret": s("json_dead"),
                    "probes": [["probe": "t-bearer", "target": base], ["probe": "t-json", "target": base]],
                ] as [String: Any],
            ],
            "controls": [
                ["probe": "t-bearer", "target": base, "secret": s("bearer_canary")],
                // Not actually a valid bearer token: the positive control fails on this pair.
                ["probe": "t-bearer-guarded", "target": base, "secret": s("header_live")],
            ],
        ]
    }

    /// Fast runs: 1 s timeouts, two attempts (so 429/503 are retried once), short backoff.
    static var fastConfig: [String: Any] { ["timeout_seconds": 1, "retries": ["attempts": 2, "backoff_ms": 50]] }

    /// A work directory among the targets' with the main scenario written into it: its probes,
    /// inventory and fast configuration, ready for `verify`.
    static func mainRunFiles(_ targets: Targets, label: String) throws -> (work: WorkDirectory, probes: String, inventory: String, config: String) {
        let work = try targets.workDirectory(label)
        return (work, try writeProbes(into: work), try work.writeJSON("inventory.json", mainInventory(targets)),
                try work.writeJSON("config.json", fastConfig))
    }
}

/// Lookups in a parsed `revenant.report/v1` document.
struct ParsedReport {
    let doc: [String: Any]

    init(_ text: String) throws { doc = try jsonObject(text) }

    var run: [String: Any] { doc["run"] as? [String: Any] ?? [:] }
    var summary: [String: Any] { doc["summary"] as? [String: Any] ?? [:] }
    var results: [[String: Any]] { doc["results"] as? [[String: Any]] ?? [] }

    func result(_ id: String) -> [String: Any]? {
        results.first { ($0["credential"] as? [String: Any])?["id"] as? String == id }
    }

    func checks(_ id: String) -> [[String: Any]] { result(id)?["checks"] as? [[String: Any]] ?? [] }

    func codes(_ id: String) -> [String] {
        (result(id)?["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    func check(_ id: String) -> [String: Any] { checks(id).first ?? [:] }
}

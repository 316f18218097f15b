import Foundation

/// The store's tables, one numbered migration at a time. A store newer than this revenant is
/// refused rather than written in a shape it does not know.
enum HistorySchema {
    static let toolVersion = "0.1.0"

    /// Migration n is `migrations[n - 1]`; never edit one that has shipped, add the next.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE revenant_runs (
                id TEXT PRIMARY KEY, command TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
                complete INTEGER NOT NULL, incomplete_reason TEXT, inventory_digest TEXT, config_digest TEXT,
                tool_version TEXT NOT NULL, credentials INTEGER NOT NULL, checks INTEGER NOT NULL, findings INTEGER NOT NULL)
            """,
            """
            CREATE TABLE revenant_checks (
                run_id TEXT NOT NULL REFERENCES revenant_runs(id), credential TEXT NOT NULL, owner TEXT, state TEXT NOT NULL,
                fingerprint TEXT NOT NULL, probe TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL,
                verdict TEXT NOT NULL, reason TEXT NOT NULL, checked_at TEXT NOT NULL)
            """,
            "CREATE INDEX revenant_checks_run ON revenant_checks (run_id)",
            "CREATE INDEX revenant_checks_credential ON revenant_checks (credential, checked_at)",
            "CREATE INDEX revenant_checks_owner ON revenant_checks (owner, checked_at)",
            """
            CREATE TABLE revenant_findings (
                run_id TEXT NOT NULL REFERENCES revenant_runs(id), credential TEXT NOT NULL, owner TEXT, fingerprint TEXT,
                code TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL)
            """,
            "CREATE INDEX revenant_findings_run ON revenant_findings (run_id)",
            """
            CREATE TABLE revenant_latest (
                fingerprint TEXT NOT NULL, probe TEXT NOT NULL, target TEXT NOT NULL, credential TEXT NOT NULL, state TEXT NOT NULL,
                last_run TEXT NOT NULL, last_at TEXT NOT NULL, definitive_verdict TEXT, definitive_run TEXT, definitive_at TEXT,
                dead_run TEXT, dead_at TEXT, PRIMARY KEY (fingerprint, probe, target))
            """,
        ],
    ]

    static var current: Int { migrations.count }

    static func migrate(_ db: any SQLConnection, location: String) throws(HistoryError) {
        try db.writing { () throws(HistoryError) in
            try db.lockForMigration()
            try db.execute("CREATE TABLE IF NOT EXISTS revenant_schema (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
            var version = 0
            try db.execute("SELECT MAX(version) FROM revenant_schema", []) { (r: [SQLValue]) throws(HistoryError) in version = r[0].int ?? 0 }
            guard version <= current else {
                throw HistoryError("history \(location): schema version \(version) is newer than this revenant knows (\(current)): upgrade revenant")
            }
            for n in version..<current {
                for statement in migrations[n] { try db.execute(statement) }
                try db.execute("INSERT INTO revenant_schema (version, applied_at) VALUES (?, ?)",
                               [.int(n + 1), .text(HistoryStore.time(Date()))])
            }
        }
    }
}

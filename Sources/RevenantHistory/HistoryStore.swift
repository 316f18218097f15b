import Foundation
import RevenantCore

/// Every run of `verify`, `certs` and `watch`, kept between runs: runs, checks and findings, keyed
/// by fingerprints, never a secret. A file path is a SQLite database; a `postgresql://` URL a
/// shared one. Each run lands in one transaction, so a run killed half way leaves no half of itself.
public final class HistoryStore {
    let connection: any SQLConnection
    /// Where it is, as messages name it (never a password).
    public let location: String

    /// `target`: a file path or a `postgresql://` (or `postgres://`) URL. With `create` false, a
    /// missing SQLite file is an error (reading a history that does not exist says so).
    public init(_ target: String, create: Bool = true) throws(HistoryError) {
        if HistoryStore.isPostgres(target) {
            let pg = try PostgresConnection(url: target)
            (connection, location) = (pg, pg.location)
        } else {
            guard create || FileManager.default.fileExists(atPath: target) else { throw HistoryError("history \(target): no such file") }
            connection = try SQLiteConnection(path: target, create: create)
            location = target
        }
        try HistorySchema.migrate(connection, location: location)
    }

    deinit { connection.close() }

    public static func isPostgres(_ target: String) -> Bool {
        target.hasPrefix("postgresql://") || target.hasPrefix("postgres://")
    }

    /// What history knew of these checks before this run.
    public func prior(for keys: Set<CheckKey>) throws(HistoryError) -> [CheckKey: PriorCheck] {
        var out: [CheckKey: PriorCheck] = [:]
        let fingerprints = Array(Set(keys.map(\.fingerprint))).sorted()
        var start = 0
        while start < fingerprints.count {
            let chunk = Array(fingerprints[start..<min(start + 500, fingerprints.count)])
            start += chunk.count
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            try connection.execute(
                """
                SELECT fingerprint, probe, target, state, last_run, last_at, definitive_verdict, definitive_run, definitive_at, dead_run, dead_at
                FROM revenant_latest WHERE fingerprint IN (\(marks))
                """, chunk.map(SQLValue.text)
            ) { (r: [SQLValue]) throws(HistoryError) in
                guard let fingerprint = r[0].text, let probe = r[1].text, let target = r[2].text else { return }
                let key = CheckKey(fingerprint: fingerprint, probe: probe, target: target)
                guard keys.contains(key), let last = HistoryStore.moment(r[4], r[5]) else { return }
                out[key] = PriorCheck(
                    last: last, state: r[3].text.flatMap(LifecycleState.init(rawValue:)),
                    definitive: r[6].text.flatMap(RecordedVerdict.init(rawValue:)), definitiveAt: HistoryStore.moment(r[7], r[8]),
                    provenDead: HistoryStore.moment(r[9], r[10]))
            }
        }
        return out
    }

    static func moment(_ run: SQLValue, _ at: SQLValue) -> RunMoment? {
        guard let run = run.text, let text = at.text, let date = Timestamp.parse(text) else { return nil }
        return RunMoment(run: run, at: date)
    }

    /// The digests of what a run read, so two runs can be told apart without the files.
    public struct RunInputs: Sendable {
        public var inventoryDigest: String?
        public var configurationDigest: String?

        public init(inventoryDigest: String?, configurationDigest: String?) {
            (self.inventoryDigest, self.configurationDigest) = (inventoryDigest, configurationDigest)
        }
    }

    /// Records one run whole (its checks, findings, and the latest state of every check), in one transaction.
    public func record(_ report: RunReport, inputs: RunInputs) throws(HistoryError) {
        let checks = RecordedCheck.all(in: report)
        let findingCount = report.results.reduce(0) { $0 + $1.findings.count }
        try connection.writing { () throws(HistoryError) in
            try connection.execute(
                """
                INSERT INTO revenant_runs (id, command, started_at, finished_at, complete, incomplete_reason, inventory_digest,
                    config_digest, tool_version, credentials, checks, findings)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(report.runID), .text(report.command), .text(Self.time(report.startedAt)), .text(Self.time(report.finishedAt)),
                 .int(report.complete ? 1 : 0), SQLValue(report.incompleteReason), SQLValue(inputs.inventoryDigest),
                 SQLValue(inputs.configurationDigest), .text(HistorySchema.toolVersion), .int(report.results.count), .int(checks.count),
                 .int(findingCount)])
            try insert(into: "revenant_checks",
                       columns: ["run_id", "credential", "owner", "state", "fingerprint", "probe", "target", "outcome", "verdict", "reason", "checked_at"],
                       rows: checks.map { c in
                           [.text(report.runID), .text(c.credential), SQLValue(c.owner), .text(c.state.rawValue), .text(c.key.fingerprint),
                            .text(c.key.probe), .text(c.key.target), .text(c.outcome), .text(c.verdict.rawValue), .text(c.reason), .text(Self.time(c.at))]
                       })
            var findingRows: [[SQLValue]] = []
            for r in report.results {
                for f in r.findings {
                    findingRows.append([.text(report.runID), .text(r.credential.id), SQLValue(r.credential.owner), SQLValue(r.fingerprint),
                                        .text(f.code.rawValue), .text(f.severity.rawValue), .text(f.message)])
                }
            }
            try insert(into: "revenant_findings", columns: ["run_id", "credential", "owner", "fingerprint", "code", "severity", "message"],
                       rows: findingRows)
            try upsertLatest(LatestCheck.reduce(checks, run: report.runID))
        }
    }

    static func time(_ date: Date) -> String { Timestamp.formatPrecise(date) }

    /// Many rows per statement (a round trip per row would make a large run slow on a remote store).
    func insert(into table: String, columns: [String], rows: [[SQLValue]], suffix: String = "") throws(HistoryError) {
        let perStatement = max(1, 4000 / columns.count)
        let one = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            start += chunk.count
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: one, count: chunk.count).joined(separator: ",") + suffix
            try connection.execute(sql, chunk.flatMap { $0 })
        }
    }

    /// The latest state per check; a concurrent writer's newer facts are never overwritten by older ones.
    func upsertLatest(_ latest: [LatestCheck]) throws(HistoryError) {
        func newer(_ at: String, _ run: String? = nil) -> String {
            "CASE WHEN excluded.\(at) IS NOT NULL AND (revenant_latest.\(at) IS NULL OR excluded.\(at) >= revenant_latest.\(at))"
        }
        func pick(_ column: String, by at: String) -> String {
            "\(column) = \(newer(at)) THEN excluded.\(column) ELSE revenant_latest.\(column) END"
        }
        let suffix = """
             ON CONFLICT (fingerprint, probe, target) DO UPDATE SET
             \(pick("credential", by: "last_at")), \(pick("state", by: "last_at")), \(pick("last_run", by: "last_at")),
             \(pick("definitive_verdict", by: "definitive_at")), \(pick("definitive_run", by: "definitive_at")),
             \(pick("dead_run", by: "dead_at")), \(pick("dead_at", by: "dead_at")), \(pick("definitive_at", by: "definitive_at")),
             \(pick("last_at", by: "last_at"))
            """
        try insert(into: "revenant_latest",
                   columns: ["fingerprint", "probe", "target", "credential", "state", "last_run", "last_at", "definitive_verdict",
                             "definitive_run", "definitive_at", "dead_run", "dead_at"],
                   rows: latest.map { l in
                       [.text(l.key.fingerprint), .text(l.key.probe), .text(l.key.target), .text(l.credential), .text(l.state.rawValue),
                        .text(l.run), .text(Self.time(l.at)), SQLValue(l.definitive?.rawValue), SQLValue(l.definitive.map { _ in l.run }),
                        SQLValue(l.definitiveAt.map(Self.time)), SQLValue(l.deadAt.map { _ in l.run }), SQLValue(l.deadAt.map(Self.time))]
                   }, suffix: suffix)
    }

    /// The checks of these credentials (all when empty) since a time, oldest first. Owners are
    /// selected by the caller (OwnerSelection's rule: whole names, any case).
    public func checks(credentials: [String], since: Date?, each: (HistoryCheck) -> Void) throws(HistoryError) {
        var conditions: [String] = []
        var parameters: [SQLValue] = []
        if !credentials.isEmpty {
            conditions.append("credential IN (" + Array(repeating: "?", count: credentials.count).joined(separator: ",") + ")")
            parameters += credentials.map(SQLValue.text)
        }
        if let since {
            conditions.append("checked_at >= ?")
            parameters.append(.text(Self.time(since)))
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        try connection.execute(
            "SELECT run_id, credential, owner, state, fingerprint, probe, target, outcome, verdict, reason, checked_at FROM revenant_checks"
                + filter + " ORDER BY checked_at, run_id", parameters
        ) { (r: [SQLValue]) throws(HistoryError) in
            guard let run = r[0].text, let credential = r[1].text, let fingerprint = r[4].text, let probe = r[5].text, let target = r[6].text,
                  let verdict = r[8].text.flatMap(RecordedVerdict.init(rawValue:)), let at = r[10].text.flatMap(Timestamp.parse) else {
                throw HistoryError("history \(location): a check row of run \(r[0].text ?? "?") is malformed")
            }
            each(HistoryCheck(run: run, credential: credential, owner: r[2].text, state: r[3].text.flatMap(LifecycleState.init(rawValue:)),
                              key: CheckKey(fingerprint: fingerprint, probe: probe, target: target), outcome: r[7].text ?? "",
                              verdict: verdict, reason: r[9].text ?? "", at: at))
        }
    }

    /// How many runs the store holds, and whether each has all the checks it says it has (a consistency check for tests and `history --check`).
    public func consistency() throws(HistoryError) -> (runs: Int, broken: [String]) {
        var runs = 0
        var broken: [String] = []
        try connection.execute(
            """
            SELECT r.id, r.checks, (SELECT COUNT(*) FROM revenant_checks c WHERE c.run_id = r.id),
                   r.findings, (SELECT COUNT(*) FROM revenant_findings f WHERE f.run_id = r.id)
            FROM revenant_runs r
            """, []
        ) { (r: [SQLValue]) throws(HistoryError) in
            runs += 1
            if r[1].int != r[2].int || r[3].int != r[4].int { broken.append(r[0].text ?? "?") }
        }
        return (runs, broken)
    }
}

/// One stored check, as `revenant history` reads it back.
public struct HistoryCheck: Sendable, Equatable {
    public var run: String
    public var credential: String
    public var owner: String?
    public var state: LifecycleState?
    public var key: CheckKey
    public var outcome: String
    public var verdict: RecordedVerdict
    public var reason: String
    public var at: Date
}

/// A run's last word on one check, as `revenant_latest` keeps it.
struct LatestCheck {
    var key: CheckKey
    var credential: String
    var state: LifecycleState
    var run: String
    var at: Date
    var definitive: RecordedVerdict?
    var definitiveAt: Date?
    var deadAt: Date?

    /// One per key: a secret listed twice in one run is still one fact per target.
    static func reduce(_ checks: [RecordedCheck], run: String) -> [LatestCheck] {
        var byKey: [CheckKey: LatestCheck] = [:]
        var order: [CheckKey] = []
        for c in checks {
            var l = byKey[c.key] ?? {
                order.append(c.key)
                return LatestCheck(key: c.key, credential: c.credential, state: c.state, run: run, at: c.at)
            }()
            if c.at >= l.at { (l.at, l.credential, l.state) = (c.at, c.credential, c.state) }
            if c.verdict != .unproven, l.definitiveAt.map({ c.at >= $0 }) ?? true { (l.definitive, l.definitiveAt) = (c.verdict, c.at) }
            if c.verdict == .rejected, l.deadAt.map({ c.at >= $0 }) ?? true { l.deadAt = c.at }
            byKey[c.key] = l
        }
        return order.compactMap { byKey[$0] }
    }
}

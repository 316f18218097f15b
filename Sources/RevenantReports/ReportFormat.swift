import RevenantCore

/// The report formats; `ext` names the file when several formats go to a directory.
public enum ReportFormat: String, Sendable, CaseIterable {
    case table, json, jsonl

    public var ext: String {
        switch self {
        case .table: "txt"
        case .json: "json"
        case .jsonl: "jsonl"
        }
    }

    public func render(_ report: RunReport, color: Bool = false) -> String {
        var bytes: [UInt8] = []
        write(report, color: color) { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes the report in chunks of about 64 KiB to `emit`, so a large report is never held whole.
    public func write(_ report: RunReport, color: Bool = false, emit: ([UInt8]) -> Void) {
        switch self {
        case .table: emit(Array(TableReport.render(report, color: color).utf8))
        case .json: JSONReport.write(report, emit: emit)
        case .jsonl: JSONLinesReport.write(report, emit: emit)
        }
    }
}

/// `revenant.report/v1` (DESIGN.md §7).
public enum JSONReport {
    public static let schema = "revenant.report/v1"
    public static let version = "0.1.0"

    public static func render(_ report: RunReport) -> String { ReportFormat.json.render(report) }

    static func write(_ report: RunReport, emit: ([UInt8]) -> Void) {
        var summarySeverity: [(String, Tree)] = []
        let bySeverity = report.countBySeverity
        for s in Severity.allCases.reversed() { if let n = bySeverity[s] { summarySeverity.append((s.rawValue, .int(n))) } }
        let byCode = report.countByCode
        let codes = FindingCode.allCases.compactMap { c in byCode[c].map { (c.rawValue, Tree.int($0)) } }
        var run: [(String, Tree)] = [
            ("id", .string(report.runID)),
            ("started_at", .string(Timestamp.format(report.startedAt))),
            ("finished_at", .string(Timestamp.format(report.finishedAt))),
            ("complete", .bool(report.complete)),
        ]
        if let why = report.incompleteReason { run.append(("incomplete_reason", .string(why))) }
        run.append(("inventories", .array(report.inventories.map(Tree.string))))
        run.append(("ledger_head", .optional(report.ledgerHead)))
        let head = Tree.object([
            ("schema", .string(schema)),
            ("tool", .object([("name", .string("revenant")), ("version", .string(version))])),
            ("run", .object(run)),
            ("summary", .object([
                ("credentials", .int(report.results.count)),
                ("by_severity", .object(summarySeverity)),
                ("by_code", .object(codes)),
            ])),
        ]).serialized(indent: 2)
        // Results are written one at a time, not built as one tree first.
        var bytes = Array(head.utf8.dropLast(2))
        bytes.append(contentsOf: Array(",\n  \"results\": [".utf8))
        for (i, r) in report.results.enumerated() {
            bytes.append(contentsOf: Array((i == 0 ? "\n    " : ",\n    ").utf8))
            result(r).serialize(into: &bytes, indent: 2, level: 2)
            if bytes.count > 65_536 {
                emit(bytes)
                bytes.removeAll(keepingCapacity: true)
            }
        }
        bytes.append(contentsOf: Array((report.results.isEmpty ? "]\n}\n" : "\n  ]\n}\n").utf8))
        emit(bytes)
    }

    /// One credential's result as a JSON value (shared with JSON Lines).
    public static func result(_ r: CredentialResult) -> Tree {
        let c = r.credential
        var credential: [(String, Tree)] = [
            ("id", .string(c.id)), ("kind", .string(c.kind.rawValue)), ("state", .string(c.state.rawValue)),
            ("owner", .optional(c.owner)), ("fingerprint", .optional(r.fingerprint)),
        ]
        if let d = c.expiresAt { credential.append(("expires_at", .string(Timestamp.format(d)))) }
        if let d = c.revokedAt { credential.append(("revoked_at", .string(Timestamp.format(d)))) }
        credential.append(("tags", .object(c.tags.sorted { $0.key < $1.key }.map { ($0.key, Tree.string($0.value)) })))
        return .object([
            ("credential", .object(credential)),
            ("checks", .array(r.checks.map(check))),
            ("findings", .array(r.findings.map(finding))),
        ])
    }

    static func check(_ k: ProbeCheck) -> Tree {
        var fields: [(String, Tree)] = [
            ("type", .string("probe")), ("probe", .string(k.probe)), ("target", .string(k.target)),
            ("outcome", .string(k.outcome.name)), ("http_status", .optional(k.httpStatus)), ("reason", .string(k.outcome.reason)),
            ("attempts", .int(k.attempts)), ("duration_ms", .int(k.durationMs)), ("evidence", .optional(k.evidence)),
        ]
        var controls: [(String, Tree)] = []
        if let n = k.controls.negative { controls.append(("negative", .string(n.name))) }
        if let p = k.controls.positive { controls.append(("positive", .string(p.name))) }
        if !controls.isEmpty { fields.append(("controls", .object(controls))) }
        if case .unproven(let why) = k.verdict, k.outcome.isAuthenticated || k.outcome.isRejected {
            fields.append(("proof", .string("none: \(why)")))
        }
        return .object(fields)
    }

    static func finding(_ f: Finding) -> Tree {
        .object([
            ("code", .string(f.code.rawValue)), ("severity", .string(f.severity.rawValue)), ("message", .string(f.message)),
            ("advice", .string(f.code.advice)), ("references", .array(f.code.references.map(Tree.string))),
        ])
    }
}

/// One result per line, each carrying the run id, for SIEMs.
public enum JSONLinesReport {
    public static func render(_ report: RunReport) -> String { ReportFormat.jsonl.render(report) }

    static func write(_ report: RunReport, emit: ([UInt8]) -> Void) {
        var bytes: [UInt8] = []
        for r in report.results {
            guard case .object(var members) = JSONReport.result(r).value else { continue }
            members.insert((key: "run", value: .string(report.runID)), at: 0)
            members.insert((key: "schema", value: .string("revenant.result/v1")), at: 0)
            if !report.complete { members.append((key: "run_complete", value: .bool(false))) }
            Tree(.object(members), line: 0).serialize(into: &bytes)
            bytes.append(UInt8(ascii: "\n"))
            if bytes.count > 65_536 {
                emit(bytes)
                bytes.removeAll(keepingCapacity: true)
            }
        }
        emit(bytes)
    }
}

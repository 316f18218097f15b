import RevenantCore

/// The report formats; `ext` names the file when several formats go to a directory.
public enum ReportFormat: String, Sendable, CaseIterable {
    case table, json, jsonl
    case sarif, junit, markdown, csv
    case html, prometheus

    public var ext: String {
        switch self {
        case .table: "txt"
        case .json: "json"
        case .jsonl: "jsonl"
        case .sarif: "sarif"
        case .junit: "junit.xml"
        case .markdown: "md"
        case .csv: "csv"
        case .html: "html"
        case .prometheus: "prom"
        }
    }

    public func render(_ report: RunReport, color: Bool = false, groupBy: ReportGrouping? = nil, failOn: Severity? = .high) -> String {
        var bytes: [UInt8] = []
        write(report, color: color, groupBy: groupBy, failOn: failOn) { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes the report in chunks of about 64 KiB to `emit`, so a large report is never held whole.
    /// `groupBy: .owner` orders results by owner (the table: a section per owner). `failOn` is
    /// `--fail-on` (nil: never), for the formats that mark what fails the run (JUnit).
    public func write(_ report: RunReport, color: Bool = false, groupBy: ReportGrouping? = nil, failOn: Severity? = .high,
                      emit: ([UInt8]) -> Void) {
        switch self {
        case .table: emit(Array(TableReport.render(report, color: color, groupBy: groupBy).utf8))
        case .json: JSONReport.write(report, groupBy: groupBy, emit: emit)
        case .jsonl: JSONLinesReport.write(report, groupBy: groupBy, emit: emit)
        case .sarif: SARIFReport.write(report, groupBy: groupBy, emit: emit)
        case .junit: JUnitReport.write(report, failOn: failOn, groupBy: groupBy, emit: emit)
        case .markdown: emit(Array(MarkdownReport.render(report, groupBy: groupBy).utf8))
        case .csv: CSVReport.write(report, groupBy: groupBy, emit: emit)
        case .html: HTMLReport.write(report, groupBy: groupBy, emit: emit)
        case .prometheus: PrometheusReport.write(report, emit: emit)
        }
    }
}

/// `--group-by`: how a report orders its results.
public enum ReportGrouping: String, Sendable, CaseIterable {
    /// By owner (`OwnerSelection.key`), credentials with no owner last; report order within an owner.
    case owner

    /// The order to write `report.results` in: indices into them.
    func order(_ report: RunReport, _ owners: @autoclosure () -> OwnerSummary) -> [Int] {
        switch self {
        case .owner: owners().owners.flatMap(\.results)
        }
    }
}

extension JSONStreamWriter {
    /// Hands what is written so far to `emit` once it passes about 64 KiB.
    mutating func flush(over limit: Int = 65_536, to emit: ([UInt8]) -> Void) {
        guard bytes.count > limit else { return }
        emit(bytes)
        bytes.removeAll(keepingCapacity: true)
    }
}

/// `revenant.report/v1` (DESIGN.md §7).
public enum JSONReport {
    public static let schema = "revenant.report/v1"
    public static let version = "0.1.0"

    public static func render(_ report: RunReport) -> String { ReportFormat.json.render(report) }

    static func write(_ report: RunReport, groupBy: ReportGrouping? = nil, emit: ([UInt8]) -> Void) {
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
        if !report.ownerSelection.isEmpty { run.append(("owners", .array(report.ownerSelection.map(Tree.string)))) }
        if !report.onlySelection.isEmpty { run.append(("only", .array(report.onlySelection.map(Tree.string)))) }
        if let shard = report.shard { run.append(("shard", .object([("index", .int(shard.index)), ("count", .int(shard.count))]))) }
        if let inputs = report.inputs {
            run.append(("inputs", .object([("inventory_sha256", .optional(inputs.inventory)), ("configuration_sha256", .optional(inputs.configuration))])))
        }
        let owners = OwnerSummary(report)
        // Results are written one at a time, straight into bytes, never built as one tree first.
        var writer = JSONStreamWriter(indent: 2)
        writer.beginObject()
        writer.field("schema", schema)
        writer.key("tool")
        writer.value(.object([("name", .string("revenant")), ("version", .string(version))]))
        writer.key("run")
        writer.value(.object(run))
        writer.key("summary")
        writer.beginObject()
        writer.field("credentials", report.results.count)
        writer.key("by_severity")
        writer.value(.object(summarySeverity))
        writer.key("by_code")
        writer.value(.object(codes))
        writer.key("owners")
        writer.beginArray()
        for tally in owners.owners {
            write(tally, to: &writer)
            writer.flush(to: emit)
        }
        writer.endArray()
        writer.endObject()
        // What differs from the last run history has of the same secrets (always [] without --history).
        writer.key("changes")
        writer.value(.array(report.changes.map(changeTree)))
        if let watch = report.watch {
            writer.key("watch")
            writer.value(watchTree(watch))
        }
        writer.key("results")
        writer.beginArray()
        writeResults(report, order: groupBy?.order(report, owners) ?? Array(report.results.indices), to: &writer, emit: emit)
        writer.endArray()
        writer.endObject()
        writer.bytes.append(UInt8(ascii: "\n"))
        emit(writer.bytes)
    }

    /// `watch`: its rounds, and per (credential, target) when it was proven dead and how long that took.
    static func watchTree(_ w: WatchState) -> Tree {
        func seconds(_ s: Double?) -> Tree { s.map { .int(Int($0.rounded())) } ?? .null }
        let targets: [Tree] = w.entries.joined().map { e in
            .object([
                ("credential", .string(e.credential)), ("owner", .optional(e.owner)), ("probe", .string(e.probe)), ("target", .string(e.target)),
                ("status", .string(e.status.rawValue)), ("dead_at", .optional(e.deadAt.map(Timestamp.formatPrecise))),
                ("dead_round", e.deadRound.map(Tree.int) ?? .null),
                ("revoked_at", .optional(e.revokedAt.map(Timestamp.format))),
                ("latency_from_revoked_seconds", seconds(e.revokedAt.flatMap { e.latency(from: $0) })),
                ("latency_from_watch_start_seconds", seconds(e.latency(from: w.startedAt))),
                ("last_reason", .string(e.lastReason)),
            ])
        }
        return .object([
            ("interval_seconds", .int(Int(w.interval))), ("deadline", .string(Timestamp.format(w.deadline))), ("rounds", .int(w.rounds)),
            ("targets", .array(targets)),
        ])
    }

    static func changeTree(_ c: StateChange) -> Tree {
        var fields: [(String, Tree)] = [("kind", .string(c.kind.rawValue)), ("credential", .string(c.credential)),
                                        ("fingerprint", .string(c.fingerprint))]
        if let p = c.probe { fields.append(("probe", .string(p))) }
        if let t = c.target { fields.append(("target", .string(t))) }
        fields += [("from", .string(c.from)), ("to", .string(c.to)), ("since_run", .string(c.since.run)),
                   ("since", .string(Timestamp.format(c.since.at)))]
        return .object(fields)
    }

    /// One credential's result, written member by member (shared with JSON Lines).
    static func write(_ r: CredentialResult, to w: inout JSONStreamWriter, run: (id: String, complete: Bool)? = nil) {
        let c = r.credential
        w.beginObject()
        if let run {
            w.field("schema", "revenant.result/v1")
            w.field("run", run.id)
        }
        w.key("credential")
        w.beginObject()
        w.field("id", c.id)
        w.field("kind", c.kind.rawValue)
        w.field("state", c.state.rawValue)
        w.field("owner", c.owner)
        w.field("fingerprint", r.fingerprint)
        if let d = c.expiresAt { w.field("expires_at", Timestamp.format(d)) }
        if let d = c.revokedAt { w.field("revoked_at", Timestamp.format(d)) }
        if let d = c.issuedAt { w.field("issued_at", Timestamp.format(d)) }
        if let d = c.rotatedAt { w.field("rotated_at", Timestamp.format(d)) }
        if !c.file.isEmpty { w.field("file", c.file) }
        if !c.origin.isEmpty { w.field("origin", c.origin) }
        if let i = r.inventoryIndex { w.field("inventory_index", i) }
        w.key("tags")
        w.beginObject()
        for (k, v) in c.tags.sorted(by: { $0.key < $1.key }) { w.field(k, v) }
        w.endObject()
        w.endObject()
        w.key("checks")
        w.beginArray()
        for k in r.checks {
            w.beginObject()
            w.field("type", k.revocation?.source.rawValue ?? "probe")
            w.field("probe", k.probe)
            w.field("target", k.target)
            w.field("outcome", k.outcome.name)
            w.field("http_status", k.httpStatus)
            w.field("reason", k.outcome.reason)
            w.field("verdict", k.verdict.name)
            w.field("attempts", k.attempts)
            w.field("duration_ms", k.durationMs)
            w.field("evidence", k.evidence)
            if k.controls.negative != nil || k.controls.positive != nil {
                w.key("controls")
                w.beginObject()
                if let n = k.controls.negative { w.field("negative", n.name); w.field("negative_reason", n.reason) }
                if let p = k.controls.positive { w.field("positive", p.name); w.field("positive_reason", p.reason) }
                w.endObject()
            }
            if let lookup = k.revocation {
                writeRevocation(lookup, to: &w)
            } else if case .unproven(let why) = k.verdict, k.outcome.isAuthenticated || k.outcome.isRejected {
                w.field("proof", "none: \(why)")
            }
            w.endObject()
        }
        w.endArray()
        w.key("findings")
        w.beginArray()
        for f in r.findings {
            w.beginObject()
            w.field("code", f.code.rawValue)
            w.field("severity", f.severity.rawValue)
            w.field("message", f.message)
            w.field("advice", f.code.advice)
            w.key("references")
            w.beginArray()
            for ref in f.code.references { w.string(ref) }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        if let run, !run.complete {
            w.key("run_complete")
            w.bool(false)
        }
        w.endObject()
    }

    /// One owner's entry of `summary.owners` (docs/findings.md, "Offboarding one person").
    static func write(_ t: OwnerTally, to w: inout JSONStreamWriter) {
        w.beginObject()
        w.field("owner", t.owner)
        w.field("credentials", t.credentials)
        w.field("active", t.active)
        w.field("should_be_dead", t.shouldBeDead)
        w.field("proven_dead", t.provenDead)
        w.field("still_live", t.stillLive)
        w.field("unverified", t.unverified)
        w.key("all_proven_dead")
        w.bool(t.allProvenDead)
        w.key("live")
        w.beginArray()
        for place in t.live {
            w.beginObject()
            w.field("credential", place.credential)
            w.field("finding", place.finding.rawValue)
            w.field("probe", place.probe)
            w.field("target", place.target)
            w.endObject()
        }
        w.endArray()
        w.key("unverified_reasons")
        w.beginArray()
        for why in t.unverifiedReasons {
            w.beginObject()
            w.field("credential", why.credential)
            w.field("probe", why.probe)
            w.field("target", why.target)
            w.field("reason", why.reason)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// A CRL/OCSP check's `revocation` member: what the CA said, and the answer's own identifiers.
    static func writeRevocation(_ lookup: RevocationLookup, to w: inout JSONStreamWriter) {
        w.key("revocation")
        w.beginObject()
        w.field("status", lookup.status.name)
        if case .revoked(let at, let reason) = lookup.status {
            if let at { w.field("revoked_at", Timestamp.format(at)) }
            if let reason { w.field("reason", reason) }
        }
        if let n = lookup.crlNumber { w.field("crl_number", n) }
        if let p = lookup.producedAt { w.field("produced_at", Timestamp.format(p)) }
        if let t = lookup.thisUpdate { w.field("this_update", Timestamp.format(t)) }
        if let t = lookup.nextUpdate { w.field("next_update", Timestamp.format(t)) }
        w.endObject()
    }
}

/// One result per line, each carrying the run id, for SIEMs.
public enum JSONLinesReport {
    public static func render(_ report: RunReport) -> String { ReportFormat.jsonl.render(report) }

    static func write(_ report: RunReport, groupBy: ReportGrouping? = nil, emit: ([UInt8]) -> Void) {
        var writer = JSONStreamWriter(indent: nil)
        for i in groupBy?.order(report, OwnerSummary(report)) ?? Array(report.results.indices) {
            JSONReport.write(report.results[i], to: &writer, run: (report.runID, report.complete))
            writer.bytes.append(UInt8(ascii: "\n"))
            writer.flush(to: emit)
        }
        emit(writer.bytes)
    }
}

extension JSONReport {
    /// Results rendered on every core, a block at a time, and written in `order`: the block's text is
    /// all that is held at once.
    static func writeResults(_ report: RunReport, order: [Int], to writer: inout JSONStreamWriter, emit: ([UInt8]) -> Void) {
        let block = 1_024
        for start in stride(from: 0, to: order.count, by: block) {
            let template = writer.valueWriter(capacity: 0)
            let rendered = ParallelMap.map(Array(order[start..<min(start + block, order.count)])) { i in
                var one = template.valueWriter()
                write(report.results[i], to: &one)
                return one.bytes
            }
            for text in rendered {
                writer.append(rendered: text)
                writer.flush(to: emit)
            }
        }
    }
}

import RevenantCore

/// The report for people: worst first, one line per finding, then what to do.
public enum TableReport {
    /// A cell as a terminal shows it: control characters and bidi overrides (from an inventory id
    /// or anything a server sent) as `?`, so no cell can move the cursor or rewrite another line.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: ServerText.isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { ServerText.isControl($0) ? "?" : $0 }))
    }

    /// `groupBy: .owner`: a section per owner, each with its own rows, worst first.
    public static func render(_ report: RunReport, color: Bool, groupBy: ReportGrouping? = nil) -> String {
        let paint = Painter(enabled: color)
        let owners = OwnerSummary(report)
        let header = ["SEVERITY", "FINDING", "CREDENTIAL", "STATE", "DETAIL"]
        // One list of rows per section: the whole run, or one per owner.
        let sections: [(title: String?, rows: [(Severity, [String])])] = switch groupBy {
        case nil: [(nil, rows(report.results))]
        case .owner?: owners.owners.map { (ownerName($0.owner), rows($0.results.lazy.map { report.results[$0] })) }
        }
        var widths = header.map(\.count)
        for section in sections { for (_, cells) in section.rows { for i in 0..<4 { widths[i] = max(widths[i], cells[i].count) } } }
        var out = ""
        let probes = report.results.reduce(0) { $0 + $1.checks.filter { $0.attempts > 0 }.count }
        if report.command == "certs" {
            out += paint.bold("revenant certs") + " — \(report.results.count) certificates, "
        } else {
            out += paint.bold("revenant \(report.command)") + " — \(report.results.count) credentials, \(probes) checks sent, "
        }
        out += report.complete ? "run complete" : paint.red("RUN INCOMPLETE (\(report.incompleteReason ?? "interrupted")): results are partial")
        if !report.ownerSelection.isEmpty { out += "; owner " + report.ownerSelection.map(Self.printable).joined(separator: ", ") }
        if !report.onlySelection.isEmpty { out += "; only " + report.onlySelection.map(Self.printable).joined(separator: ", ") }
        out += "\n\n"
        out += ownerLines(owners, everyOwner: groupBy == .owner || !report.ownerSelection.isEmpty,
                          noun: report.command == "certs" ? "certificate" : "credential", paint: paint)
        for (n, section) in sections.enumerated() {
            if let title = section.title { out += (n > 0 ? "\n" : "") + paint.bold(title) + "\n" }
            out += paint.bold(pad(header, widths)) + "\n"
            for (severity, cells) in section.rows {
                out += paint.severity(severity, pad(cells, widths)) + "\n"
            }
            if section.rows.isEmpty { out += "(no findings)\n" }
        }
        let counts = report.countBySeverity
        let summary = Severity.allCases.reversed().compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        out += "\n" + paint.bold("Summary: ") + (summary.isEmpty ? "nothing found" : summary.joined(separator: ", ")) + "\n"
        if let watch = report.watch { out += watchSection(watch, paint: paint) }
        if !report.changes.isEmpty {
            out += "\n" + paint.bold("Changes since the last run (\(report.changes.count)):") + "\n"
            for c in report.changes { out += "  " + Self.printable(c.summary) + "\n" }
        }
        let codes = report.adviceCodes
        if !codes.isEmpty {
            out += "\n" + paint.bold("What to do:") + "\n"
            for code in codes { out += "  \(code.rawValue): \(code.advice)\n" }
        }
        if let head = report.ledgerHead { out += "\nEvidence ledger head: \(head)\n" }
        return out
    }

    /// The watch's rounds and, per target, when each credential was proven dead and how long it took.
    static func watchSection(_ w: WatchState, paint: Painter) -> String {
        let entries = Array(w.entries.joined())
        let dead = entries.filter { $0.status == .dead }.count
        var out = "\n" + paint.bold("Watch: \(w.rounds) rounds every \(DurationText.text(w.interval)); \(dead) of \(entries.count) targets proven dead") + "\n"
        let header = ["CREDENTIAL", "TARGET", "STATUS", "DEAD AT", "AFTER REVOCATION", "AFTER WATCH START"]
        let rows = entries.map { e in
            [e.credential, e.target, e.status.rawValue, e.deadAt.map(Timestamp.format) ?? "-",
             e.revokedAt.flatMap { e.latency(from: $0) }.map(DurationText.text) ?? "-", e.latency(from: w.startedAt).map(DurationText.text) ?? "-"]
                .map(Self.printable)
        }
        var widths = header.map(\.count)
        for r in rows { for i in r.indices { widths[i] = max(widths[i], r[i].count) } }
        out += "  " + pad(header, widths) + "\n"
        for r in rows { out += "  " + pad(r, widths) + "\n" }
        return out
    }

    /// One row per finding of these results, worst first.
    static func rows(_ results: some Sequence<CredentialResult>) -> [(Severity, [String])] {
        var rows: [(Severity, [String])] = []
        for r in results {
            for f in r.findings {
                let cells = [f.severity.rawValue.uppercased(), f.code.rawValue, r.credential.id, r.credential.state.rawValue, f.message]
                rows.append((f.severity, cells.map(Self.printable)))
            }
        }
        rows.sort { $0.0 > $1.0 }
        return rows
    }

    /// How many owners the opening summary lists when not asked for every owner: a run of 100,000
    /// credentials must still open with something a person reads.
    static let ownerLinesShown = 20

    /// The offboarding summary the table opens with, one line per owner, worst first: every owner
    /// when asked for (`--owner`, `--group-by owner`), else only owners with a should-be-dead
    /// credential, at most `ownerLinesShown` of them.
    static func ownerLines(_ summary: OwnerSummary, everyOwner: Bool, noun: String, paint: Painter) -> String {
        let listed = summary.worstFirst.filter { everyOwner || $0.shouldBeDead > 0 }
        guard !listed.isEmpty else { return "" }
        let shown = everyOwner ? listed[...] : listed.prefix(ownerLinesShown)
        var out = paint.bold("By owner:") + "\n"
        for tally in shown {
            let line = "  " + ownerLine(tally, noun: noun)
            out += (tally.stillLive > 0 ? paint.severity(.critical, line) : tally.unverified > 0 ? paint.severity(.high, line) : line) + "\n"
        }
        if listed.count > shown.count {
            out += "  … and \(listed.count - shown.count) more owners: use --owner or --group-by owner\n"
        }
        return out + "\n"
    }

    /// `Dana: 14 credentials, 12 proven dead, 1 still live (github), 1 unverified (ldap: server unreachable)`.
    public static func ownerLine(_ t: OwnerTally, noun: String = "credential") -> String {
        var parts = ["\(t.credentials) \(noun)\(t.credentials == 1 ? "" : "s")"]
        if t.shouldBeDead > 0 { parts.append("\(t.provenDead) proven dead") }
        if t.stillLive > 0 { parts.append("\(t.stillLive) still live (\(listed(t.live.map(\.label), limit: 5)))") }
        if t.unverified > 0 { parts.append("\(t.unverified) unverified (\(listed(t.unverifiedReasons.map(\.brief), limit: 3, separator: "; ")))") }
        if t.active > 0 { parts.append("\(t.active) active") }
        return printable(ownerName(t.owner) + ": " + parts.joined(separator: ", "))
    }

    /// How a report names an owner; credentials with none group under `(no owner)`.
    static func ownerName(_ owner: String?) -> String { printable(owner ?? "(no owner)") }

    /// The distinct items, in order, at most `limit` of them, then how many more.
    static func listed(_ items: [String], limit: Int, separator: String = ", ") -> String {
        var distinct: [String] = []
        for item in items where !distinct.contains(item) { distinct.append(item) }
        let more = distinct.count > limit ? "\(separator)+\(distinct.count - limit) more" : ""
        return distinct.prefix(limit).joined(separator: separator) + more
    }

    static func pad(_ cells: [String], _ widths: [Int]) -> String {
        cells.enumerated().map { i, c in i < widths.count - 1 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : c }
            .joined(separator: "  ")
    }
}

/// ANSI colour, only when writing to a terminal and `NO_COLOR` is unset.
struct Painter {
    let enabled: Bool

    func wrap(_ code: String, _ s: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func bold(_ s: String) -> String { wrap("1", s) }
    func red(_ s: String) -> String { wrap("31", s) }

    func severity(_ s: Severity, _ text: String) -> String {
        switch s {
        case .critical: wrap("1;31", text)
        case .high: wrap("31", text)
        case .medium: wrap("33", text)
        case .low: wrap("36", text)
        case .info: wrap("2", text)
        }
    }
}

import RevenantCore

/// The report for people: worst first, one line per finding, then what to do.
public enum TableReport {
    /// A cell as a terminal shows it: control characters and bidi overrides (from an inventory id
    /// or anything a server sent) as `?`, so no cell can move the cursor or rewrite another line.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: ServerText.isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { ServerText.isControl($0) ? "?" : $0 }))
    }

    public static func render(_ report: RunReport, color: Bool) -> String {
        let paint = Painter(enabled: color)
        var rows: [(Severity, [String])] = []
        for r in report.results {
            for f in r.findings {
                let cells = [f.severity.rawValue.uppercased(), f.code.rawValue, r.credential.id, r.credential.state.rawValue, f.message]
                rows.append((f.severity, cells.map(Self.printable)))
            }
        }
        rows.sort { $0.0 > $1.0 }
        let header = ["SEVERITY", "FINDING", "CREDENTIAL", "STATE", "DETAIL"]
        var widths = header.map(\.count)
        for (_, cells) in rows { for i in 0..<4 { widths[i] = max(widths[i], cells[i].count) } }
        var out = ""
        let probes = report.results.reduce(0) { $0 + $1.checks.filter { $0.attempts > 0 }.count }
        if report.command == "certs" {
            out += paint.bold("revenant certs") + " — \(report.results.count) certificates, "
        } else {
            out += paint.bold("revenant \(report.command)") + " — \(report.results.count) credentials, \(probes) checks sent, "
        }
        out += report.complete ? "run complete" : paint.red("RUN INCOMPLETE (\(report.incompleteReason ?? "interrupted")): results are partial")
        out += "\n\n"
        out += paint.bold(pad(header, widths)) + "\n"
        for (severity, cells) in rows {
            out += paint.severity(severity, pad(cells, widths)) + "\n"
        }
        if rows.isEmpty { out += "(no findings)\n" }
        let counts = report.countBySeverity
        let summary = Severity.allCases.reversed().compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        out += "\n" + paint.bold("Summary: ") + (summary.isEmpty ? "nothing found" : summary.joined(separator: ", ")) + "\n"
        if let watch = report.watch { out += watchSection(watch, paint: paint) }
        if !report.changes.isEmpty {
            out += "\n" + paint.bold("Changes since the last run (\(report.changes.count)):") + "\n"
            for c in report.changes { out += "  " + Self.printable(c.summary) + "\n" }
        }
        let codes = report.countByCode.keys.filter { $0.defaultSeverity > .info }.sorted { $0.defaultSeverity > $1.defaultSeverity }
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

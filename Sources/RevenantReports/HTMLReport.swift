import Foundation
import RevenantCore

/// One self-contained HTML page (docs/html.md): the summary, the per-owner offboarding sections,
/// the findings (filterable by severity, owner and probe with a small inline script; everything
/// shows without it), a certificate expiry timeline as inline SVG, and a watch's latencies.
///
/// Nothing is fetched: the style and the script are inline, allowed by a Content-Security-Policy
/// that names their SHA-256 hashes and allows nothing else, so even text that escaped escaping
/// could not run. Every string from the inventory or a server goes through `escape`.
public enum HTMLReport {
    /// How many certificates the expiry timeline draws (the soonest to expire): a page that still
    /// opens with 100,000 of them. The findings table lists every one.
    static let timelineRows = 200

    /// How many owner sections with something live or unverified open by default (the worst
    /// first); the rest stay closed, their verdicts showing. A thousand open sections doubled the
    /// time a browser took to lay the page out.
    static let openOwners = 20

    static func write(_ report: RunReport, groupBy: ReportGrouping? = nil, emit: ([UInt8]) -> Void) {
        // The page is written and handed on before this returns: `emit` never outlives the call.
        withoutActuallyEscaping(emit) { emit in write(report, groupBy: groupBy, to: Page(emit: emit)) }
    }

    static func write(_ report: RunReport, groupBy: ReportGrouping?, to start: Page) {
        var page = start
        let owners = OwnerSummary(report)
        page.head(report)
        page.summary(report)
        page.owners(report, owners)
        page.findings(report, owners, order: groupBy?.order(report, owners) ?? Array(report.results.indices))
        page.timeline(report)
        if let watch = report.watch { page.watch(watch) }
        page.changes(report.changes)
        page.advice(report)
        page.checks(report)
        page.out += "<footer>revenant \(JSONReport.version) · fingerprints only: this report never holds a secret</footer>\n"
        page.out += "<script>\(script)</script>\n</body>\n</html>\n"
        page.flush(force: true)
    }

    /// Text for HTML (element content and quoted attribute values, SVG included): `& < > " '` as
    /// character references, control characters and bidi overrides as `?` (as on a terminal).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ServerText.isControl(scalar) ? "?" : scalar)
            }
        }
        return out
    }

    /// The page being written, handed to `emit` in chunks of about 64 KiB.
    struct Page {
        var out = ""
        let emit: ([UInt8]) -> Void

        init(emit: @escaping ([UInt8]) -> Void) { self.emit = emit }

        mutating func flush(force: Bool = false) {
            guard force || out.utf8.count > 65_536 else { return }
            emit(Array(out.utf8))
            out = ""
        }

        mutating func head(_ report: RunReport) {
            let title = "revenant \(report.command) — \(report.runID)"
            out += """
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta http-equiv="Content-Security-Policy" content="\(HTMLReport.contentSecurityPolicy)">
                <meta name="referrer" content="no-referrer">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>\(escape(title))</title>
                <style>\(HTMLReport.style)</style>
                </head>
                <body>
                <header>
                <h1>revenant \(escape(report.command))</h1>

                """
            let took = DurationText.text(max(0, report.finishedAt.timeIntervalSince(report.startedAt)))
            out += "<p class=\"meta\">run <code>\(escape(report.runID))</code> · \(Timestamp.format(report.startedAt)) → "
                + "\(Timestamp.format(report.finishedAt)) (\(took))"
            if !report.inventories.isEmpty { out += " · inventory " + report.inventories.map { "<code>\(escape($0))</code>" }.joined(separator: ", ") }
            if !report.ownerSelection.isEmpty { out += " · owner " + report.ownerSelection.map(escape).joined(separator: ", ") }
            if !report.onlySelection.isEmpty { out += " · only " + report.onlySelection.map(escape).joined(separator: ", ") }
            out += "</p>\n"
            if !report.complete {
                out += "<p class=\"banner\">Run incomplete (\(escape(report.incompleteReason ?? "interrupted"))): results are partial.</p>\n"
            }
            out += "<nav><a href=\"#summary\">Summary</a> <a href=\"#owners\">By owner</a> <a href=\"#findings\">Findings</a>"
            if report.results.contains(where: { $0.credential.expiresAt != nil }) { out += " <a href=\"#certificates\">Expiry</a>" }
            if report.watch != nil { out += " <a href=\"#watch\">Watch</a>" }
            out += " <a href=\"#checks\">Checks</a></nav>\n</header>\n<main>\n"
        }

        mutating func summary(_ report: RunReport) {
            let noun = report.command == "certs" ? "certificates" : "credentials"
            let sent = report.results.reduce(0) { $0 + $1.checks.filter { $0.attempts > 0 }.count }
            let counts = report.countBySeverity
            out += "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n"
            out += "<div class=\"card\"><b>\(report.results.count)</b>\(noun)</div>\n"
            out += "<div class=\"card\"><b>\(sent)</b>checks sent</div>\n"
            for s in Severity.allCases.reversed() {
                out += "<div class=\"card sev-\(s.rawValue)\"><b>\(counts[s] ?? 0)</b>\(s.rawValue)</div>\n"
            }
            out += "</div>\n"
            let byCode = report.countByCode
            let codes = FindingCode.allCases.filter { byCode[$0] != nil }
            if codes.isEmpty {
                out += "<p>Nothing found.</p>\n"
            } else {
                out += "<table class=\"compact\"><thead><tr><th>Finding</th><th>Severity</th><th>Count</th></tr></thead><tbody>\n"
                for c in codes {
                    out += "<tr><td><code>\(c.rawValue)</code></td><td>\(badge(c.defaultSeverity))</td><td class=\"num\">\(byCode[c]!)</td></tr>\n"
                }
                out += "</tbody></table>\n"
            }
            if let head = report.ledgerHead { out += "<p class=\"meta\">Evidence ledger head <code>\(escape(head))</code></p>\n" }
            out += "</section>\n"
        }

        /// The offboarding view: per owner what the run proved (TableReport's "By owner:" lines, in full).
        mutating func owners(_ report: RunReport, _ summary: OwnerSummary) {
            let noun = report.command == "certs" ? "certificate" : "credential"
            out += "<section id=\"owners\">\n<h2>By owner</h2>\n"
            if summary.owners.isEmpty { out += "<p>No \(noun)s in this run.</p>\n" }
            for (rank, tally) in summary.worstFirst.enumerated() {
                // Not counted as should-be-dead, but never "nothing should be dead" either.
                let expiredLive = tally.expiredLive(in: report)
                let expiredCount = Set(expiredLive.map(\.credential)).count
                let state = tally.stillLive > 0 || expiredCount > 0 ? "live" : tally.unverified > 0 ? "unverified" : tally.allProvenDead ? "dead" : "active"
                let verdict = switch state {
                case "live": [tally.stillLive > 0 ? "\(tally.stillLive) still live" : nil, expiredCount > 0 ? "\(expiredCount) still works past expiry" : nil]
                    .compactMap { $0 }.joined(separator: ", ")
                case "unverified": "\(tally.unverified) unverified"
                case "dead": "all proven dead"
                default: "nothing should be dead"
                }
                let open = (state == "live" || state == "unverified") && rank < HTMLReport.openOwners
                out += "<details class=\"owner owner-\(state)\"\(open ? " open" : "")>\n"
                out += "<summary><span class=\"who\">\(escape(tally.owner ?? "(no owner)"))</span> <span class=\"verdict\">\(verdict)</span></summary>\n"
                out += "<p>\(escape(TableReport.ownerLine(tally, noun: noun)))</p>\n"
                out += "<dl><dt>\(noun)s</dt><dd>\(tally.credentials)</dd><dt>should be dead</dt><dd>\(tally.shouldBeDead)</dd>"
                    + "<dt>proven dead</dt><dd>\(tally.provenDead)</dd><dt>still live</dt><dd>\(tally.stillLive)</dd>"
                    + "<dt>unverified</dt><dd>\(tally.unverified)</dd><dt>active</dt><dd>\(tally.active)</dd></dl>\n"
                if !tally.live.isEmpty || !expiredLive.isEmpty {
                    out += "<h3>Still live</h3>\n<table><thead><tr><th>Credential</th><th>Finding</th><th>Probe</th><th>Target</th></tr></thead><tbody>\n"
                    for p in tally.live + expiredLive {
                        out += "<tr><td>\(escape(p.credential))</td><td><code>\(p.finding.rawValue)</code></td><td class=\"nowrap\">\(escape(p.probe ?? "-"))</td>"
                            + "<td class=\"wrap\">\(escape(p.target ?? "-"))</td></tr>\n"
                    }
                    out += "</tbody></table>\n"
                }
                if !tally.unverifiedReasons.isEmpty {
                    out += "<h3>Not proven dead</h3>\n<table><thead><tr><th>Credential</th><th>Probe</th><th>Target</th><th>Why</th></tr></thead><tbody>\n"
                    for r in tally.unverifiedReasons {
                        out += "<tr><td>\(escape(r.credential))</td><td class=\"nowrap\">\(escape(r.probe ?? "-"))</td><td class=\"wrap\">\(escape(r.target ?? "-"))</td>"
                            + "<td class=\"wrap\">\(escape(r.reason))</td></tr>\n"
                    }
                    out += "</tbody></table>\n"
                }
                out += "<p class=\"ids\">"
                out += tally.results.map { i in
                    let r = report.results[i]
                    return "<span class=\"state-\(r.credential.state.rawValue)\">\(escape(r.credential.id)) <small>\(r.credential.state.rawValue)</small></span>"
                }.joined(separator: " ")
                out += "</p>\n</details>\n"
                flush()
            }
            out += "</section>\n"
        }

        /// Every finding, worst first (in owner order with `--group-by owner`); rows carry the
        /// indices the filters compare, so no inventory text is ever read back by the script.
        mutating func findings(_ report: RunReport, _ summary: OwnerSummary, order: [Int]) {
            var ownerOf: [Int: Int] = [:]
            for (o, tally) in summary.owners.enumerated() { for i in tally.results { ownerOf[i] = o } }
            let probes = Array(Set(report.results.flatMap { $0.checks.map(\.probe) })).sorted()
            let probeIndex = Dictionary(uniqueKeysWithValues: probes.enumerated().map { ($1, $0) })
            var rows: [(Severity, Int, String)] = []
            for (position, i) in order.enumerated() {
                let r = report.results[i]
                let used = Array(Set(r.checks.compactMap { probeIndex[$0.probe] })).sorted()
                let probeText = Array(Set(r.checks.map(\.probe))).sorted()
                for f in r.findings {
                    let row = "<tr data-severity=\"\(f.severity.rawValue)\" data-owner=\"\(ownerOf[i] ?? -1)\" data-probes=\"|\(used.map(String.init).joined(separator: "|"))|\">"
                        + "<td>\(badge(f.severity))</td><td><code>\(f.code.rawValue)</code></td><td>\(escape(r.credential.id))</td>"
                        + "<td>\(escape(r.credential.owner ?? "-"))</td><td>\(r.credential.state.rawValue)</td>"
                        + "<td class=\"nowrap\">\(escape(probeText.isEmpty ? "-" : probeText.joined(separator: ", ")))</td><td class=\"wrap\">\(escape(f.message))</td></tr>\n"
                    rows.append((f.severity, position, row))
                }
            }
            // Worst first; within a severity, the report's (or the owner) order.
            rows.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            out += "<section id=\"findings\">\n<h2>Findings</h2>\n"
            out += "<form id=\"filters\" hidden><label>Severity <select name=\"severity\"><option value=\"\">any</option>"
            for s in Severity.allCases.reversed() { out += "<option value=\"\(s.rawValue)\">\(s.rawValue)\(s == .info ? "" : " and above")</option>" }
            out += "</select></label> <label>Owner <select name=\"owner\"><option value=\"\">any</option>"
            for (o, tally) in summary.owners.enumerated() { out += "<option value=\"\(o)\">\(escape(tally.owner ?? "(no owner)"))</option>" }
            out += "</select></label> <label>Probe <select name=\"probe\"><option value=\"\">any</option>"
            for (p, probe) in probes.enumerated() { out += "<option value=\"\(p)\">\(escape(probe))</option>" }
            out += "</select></label> <button type=\"reset\">Show all</button> <output id=\"shown\"></output></form>\n"
            out += "<table id=\"finding-table\"><thead><tr><th>Severity</th><th>Finding</th><th>Credential</th><th>Owner</th><th>State</th>"
                + "<th>Probes</th><th>Detail</th></tr></thead><tbody>\n"
            for (_, _, row) in rows {
                out += row
                flush()
            }
            if rows.isEmpty { out += "<tr><td colspan=\"7\">No findings.</td></tr>\n" }
            out += "</tbody></table>\n</section>\n"
        }

        /// Expiry dates (a certificate's notAfter, a credential's `expires_at`) on one time axis,
        /// each drawn from its issue date when known, around the line of the run's end ("now").
        mutating func timeline(_ report: RunReport) {
            let now = report.finishedAt
            let dated = report.results.compactMap { r in r.credential.expiresAt.map { (r, $0) } }.sorted { $0.1 < $1.1 }
            guard !dated.isEmpty else { return }
            let shown = dated.prefix(timelineRows)
            let day = 86_400.0
            // The axis spans every shown expiry and now, at most ten years either side of now: a
            // certificate valid until 9999 is drawn at the edge with its date, not allowed to flatten the rest.
            let first = max(min(shown.first!.1, now.addingTimeInterval(-30 * day)), now.addingTimeInterval(-3_650 * day))
            let last = min(max(shown.last!.1, now.addingTimeInterval(30 * day)), now.addingTimeInterval(3_650 * day))
            let span = last.timeIntervalSince(first)
            let (left, width, rowHeight, top) = (280.0, 680.0, 20.0, 30.0)
            func x(_ d: Date) -> Double { left + width * min(1, max(0, d.timeIntervalSince(first) / span)) }
            let height = top + rowHeight * Double(shown.count) + 24
            out += "<section id=\"certificates\">\n<h2>Expiry timeline</h2>\n"
            out += "<p class=\"meta\">\(dated.count) dated \(report.command == "certs" ? "certificates" : "credentials"), soonest first"
                + (dated.count > shown.count ? "; the first \(shown.count) drawn (every one is in the findings and checks below)" : "")
                + ". Bars run from issue to expiry; the line is the end of this run.</p>\n"
            out += "<svg class=\"timeline\" viewBox=\"0 0 980 \(Int(height))\" width=\"980\" height=\"\(Int(height))\" role=\"img\" "
                + "aria-label=\"Expiry timeline\">\n"
            for tick in Self.ticks(from: first, to: last) {
                let tx = String(format: "%.1f", x(tick.date))
                out += "<line class=\"tick\" x1=\"\(tx)\" y1=\"\(Int(top) - 6)\" x2=\"\(tx)\" y2=\"\(Int(height) - 16)\"/>"
                    + "<text class=\"axis\" x=\"\(tx)\" y=\"14\" text-anchor=\"middle\">\(tick.label)</text>\n"
            }
            for (n, (r, expiry)) in shown.enumerated() {
                let y = top + rowHeight * Double(n)
                let codes = Set(r.findings.map(\.code))
                let status = expiry <= now || codes.contains(.expired) ? "expired" : codes.contains(.expiringSoon) ? "soon"
                    : r.credential.state.shouldBeDead ? "dead" : "ok"
                let start = r.credential.issuedAt.map(x) ?? x(expiry)
                let end = x(expiry)
                let id = r.credential.id
                // The end of a long name tells files apart (`…/nested/chain.crt`); the whole name is in the tooltip.
                let label = id.count > 36 ? "…" + String(id.suffix(35)) : id
                out += "<g class=\"row \(status)\"><title>\(escape("\(id) (\(r.credential.state.rawValue)): expires \(Timestamp.format(expiry))"))</title>"
                out += "<text class=\"name\" x=\"\(Int(left) - 8)\" y=\"\(Int(y + 14))\" text-anchor=\"end\">\(escape(label))</text>"
                out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" rx=\"2\"/>", start, y + 6, max(1, end - start))
                out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>", end, y + 10)
                let anchor = end > left + width - 150 ? "end" : "start"
                out += String(format: "<text class=\"date\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"\(anchor)\">", anchor == "end" ? end - 9 : end + 9, y + 14)
                    + "\(Timestamp.format(expiry).prefix(10))</text></g>\n"
                flush()
            }
            let nx = String(format: "%.1f", x(now))
            out += "<line class=\"now\" x1=\"\(nx)\" y1=\"\(Int(top) - 6)\" x2=\"\(nx)\" y2=\"\(Int(height) - 16)\"/>"
                + "<text class=\"now\" x=\"\(nx)\" y=\"\(Int(height) - 4)\" text-anchor=\"middle\">now</text>\n</svg>\n"
            out += "<p class=\"legend\"><span class=\"key expired\">expired</span> <span class=\"key soon\">expiring soon</span> "
                + "<span class=\"key ok\">valid</span> <span class=\"key dead\">should be dead</span></p>\n</section>\n"
        }

        /// Axis marks at whole years, quarters, months, weeks or days (UTC), at most about a dozen.
        static func ticks(from first: Date, to last: Date) -> [(date: Date, label: String)] {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let days = last.timeIntervalSince(first) / 86_400
            let (unit, step, format): (Calendar.Component, Int, String) =
                days > 4_000 ? (.year, 2, "yyyy") : days > 1_500 ? (.year, 1, "yyyy") : days > 360 ? (.month, 3, "yyyy-MM")
                : days > 60 ? (.month, 1, "yyyy-MM") : days > 14 ? (.day, 7, "MM-dd") : (.day, 1, "MM-dd")
            let formatter = DateFormatter()
            formatter.calendar = calendar
            formatter.timeZone = calendar.timeZone
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = format
            let startComponents: Set<Calendar.Component> = unit == .year ? [.year] : unit == .month ? [.year, .month] : [.year, .month, .day]
            guard var tick = calendar.date(from: calendar.dateComponents(startComponents, from: first)) else { return [] }
            var out: [(Date, String)] = []
            while tick <= last && out.count < 40 {
                if tick >= first { out.append((tick, formatter.string(from: tick))) }
                guard let next = calendar.date(byAdding: unit, value: step, to: tick) else { break }
                tick = next
            }
            return out
        }

        /// `watch`: per (credential, target) when it was proven dead, and how long after the
        /// recorded revocation and after the watch began.
        mutating func watch(_ w: WatchState) {
            let entries = Array(w.entries.joined())
            let dead = entries.filter { $0.status == .dead }.count
            out += "<section id=\"watch\">\n<h2>Watch: propagation of revocations</h2>\n"
            out += "<p>\(w.rounds) rounds every \(DurationText.text(w.interval)), from \(Timestamp.format(w.startedAt)) "
                + "until \(Timestamp.format(w.deadline)) at the latest; <b>\(dead) of \(entries.count)</b> targets proven dead.</p>\n"
            out += "<table><thead><tr><th>Credential</th><th>Owner</th><th>Probe</th><th>Target</th><th>Status</th><th>Revoked at</th>"
                + "<th>Dead at</th><th>After revocation</th><th>After watch start</th><th>Last answer</th></tr></thead><tbody>\n"
            let longest = entries.compactMap { $0.latency(from: w.startedAt) }.max() ?? 0
            for e in entries {
                let fromStart = e.latency(from: w.startedAt)
                // A bar of the time from the watch's start to proof, to compare targets at a glance.
                let bar = fromStart.map { s in
                    let length = longest > 0 ? max(2, Int(100 * max(0, s) / longest)) : 2
                    return "<svg class=\"bar\" width=\"104\" height=\"10\" viewBox=\"0 0 104 10\" aria-hidden=\"true\"><rect x=\"0\" y=\"1\" width=\"\(length)\" height=\"8\"/></svg> "
                } ?? ""
                out += "<tr class=\"watch-\(e.status.rawValue)\"><td>\(escape(e.credential))</td><td>\(escape(e.owner ?? "-"))</td><td class=\"nowrap\">\(escape(e.probe))</td>"
                    + "<td class=\"wrap\">\(escape(e.target))</td><td>\(e.status.rawValue)</td>"
                    + "<td class=\"nowrap\">\(e.revokedAt.map(Timestamp.format) ?? "-")</td><td class=\"nowrap\">\(e.deadAt.map(Timestamp.formatPrecise) ?? "-")</td>"
                    + "<td class=\"num\">\(e.revokedAt.flatMap { e.latency(from: $0) }.map(DurationText.text) ?? "-")</td>"
                    + "<td class=\"num\">\(bar)\(fromStart.map(DurationText.text) ?? "-")</td>"
                    + "<td class=\"wrap\">\(escape(e.status == .dead ? "" : e.lastReason))</td></tr>\n"
                flush()
            }
            out += "</tbody></table>\n</section>\n"
        }

        mutating func changes(_ changes: [StateChange]) {
            guard !changes.isEmpty else { return }
            out += "<section id=\"changes\">\n<h2>Changes since the last run (\(changes.count))</h2>\n<ul>\n"
            for c in changes { out += "<li>\(escape(c.summary))</li>\n" }
            out += "</ul>\n</section>\n"
        }

        mutating func advice(_ report: RunReport) {
            let codes = report.adviceCodes
            guard !codes.isEmpty else { return }
            out += "<section id=\"advice\">\n<h2>What to do</h2>\n<dl class=\"advice\">\n"
            for code in codes {
                out += "<dt><code>\(code.rawValue)</code></dt><dd>\(escape(code.advice))"
                if !code.references.isEmpty { out += "<br><small>\(code.references.map(escape).joined(separator: " · "))</small>" }
                out += "</dd>\n"
            }
            out += "</dl>\n</section>\n"
        }

        /// Every check of every credential: what was tried where, and what came back.
        mutating func checks(_ report: RunReport) {
            let count = report.results.reduce(0) { $0 + $1.checks.count }
            out += "<section id=\"checks\">\n<details>\n<summary><h2>Checks (\(count))</h2></summary>\n"
            out += "<table><thead><tr><th>Credential</th><th>Fingerprint</th><th>Probe</th><th>Target</th><th>Outcome</th><th>Status</th>"
                + "<th>Controls</th><th>Reason</th></tr></thead><tbody>\n"
            for r in report.results {
                for k in r.checks {
                    let controls = [k.controls.negative.map { "negative " + $0.name }, k.controls.positive.map { "positive " + $0.name }]
                        .compactMap { $0 }.joined(separator: ", ")
                    out += "<tr><td>\(escape(r.credential.id))</td><td><code>\(escape(r.fingerprint ?? "-"))</code></td><td class=\"nowrap\">\(escape(k.probe))</td>"
                        + "<td class=\"wrap\">\(escape(k.target))</td><td class=\"outcome-\(k.outcome.name)\">\(k.outcome.name)</td>"
                        + "<td class=\"num\">\(k.httpStatus.map(String.init) ?? k.revocation?.status.name ?? "-")</td>"
                        + "<td>\(controls.isEmpty ? "-" : controls)</td><td class=\"wrap\">\(escape(k.outcome.reason))</td></tr>\n"
                    flush()
                }
            }
            out += "</tbody></table>\n</details>\n</section>\n</main>\n"
        }

        func badge(_ s: Severity) -> String { "<span class=\"badge sev-\(s.rawValue)\">\(s.rawValue)</span>" }
    }

    /// Allows exactly the inline style and script below (by hash) and nothing else: no fetch, no
    /// form submission, no base URL. A change to either must change its hash here: the test
    /// `contentSecurityPolicyHashesMatchTheInlineStyleAndScript` fails and prints the new one.
    static let contentSecurityPolicy = "default-src 'none'; style-src '\(styleHash)'; script-src '\(scriptHash)'; "
        + "img-src 'none'; base-uri 'none'; form-action 'none'"

    static let styleHash = "sha256-HJpey0nsNMbwoUsiH3Rt17cQOQwvk1TkUsx9RS5U9/4="
    static let scriptHash = "sha256-p/o7tPDvnu44pebUZbIDh1DMb8HWIdU2i1e7x2BVEJM="

    static let style = """
        :root{--critical:#b3001b;--high:#d9480f;--medium:#b08900;--low:#1c7ed6;--info:#6c757d;--line:#dee2e6;--bg:#f8f9fa}
        *{box-sizing:border-box}[hidden]{display:none!important}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529;background:#fff}
        header{padding:16px 24px 8px;border-bottom:1px solid var(--line);background:var(--bg)}
        h1{margin:0 0 4px;font-size:22px}h2{font-size:18px;margin:24px 0 8px}h3{font-size:14px;margin:12px 0 4px}
        main{padding:0 24px 24px}nav a{margin-right:14px}footer{padding:12px 24px;color:var(--info);border-top:1px solid var(--line)}
        .meta{color:#495057;margin:4px 0}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f3f5;padding:0 3px;border-radius:3px}
        .banner{background:#fff3bf;border:1px solid #f08c00;padding:8px 12px;font-weight:600}
        .cards{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:12px}
        .card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:96px;background:#fff}
        .card b{display:block;font-size:22px}
        .card.sev-critical b{color:var(--critical)}.card.sev-high b{color:var(--high)}.card.sev-medium b{color:var(--medium)}
        .card.sev-low b{color:var(--low)}.card.sev-info b{color:var(--info)}
        table{border-collapse:collapse;width:100%;margin:4px 0 12px}table.compact{width:auto}
        th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
        th{background:var(--bg);font-weight:600}td.num{text-align:right;white-space:nowrap}td.wrap{word-break:break-word}td.nowrap{white-space:nowrap}
        .badge{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:12px;font-weight:600}
        .badge.sev-critical{background:var(--critical)}.badge.sev-high{background:var(--high)}.badge.sev-medium{background:var(--medium)}
        .badge.sev-low{background:var(--low)}.badge.sev-info{background:var(--info)}
        details.owner{border:1px solid var(--line);border-left:4px solid var(--info);border-radius:4px;margin:6px 0;padding:4px 12px}
        details.owner-live{border-left-color:var(--critical)}details.owner-unverified{border-left-color:var(--high)}
        details.owner-dead{border-left-color:#2f9e44}
        details summary{cursor:pointer}details summary h2{display:inline-block;margin:8px 0}
        .who{font-weight:600}.verdict{color:#495057;margin-left:8px}.owner-live .verdict{color:var(--critical);font-weight:600}
        dl{display:flex;flex-wrap:wrap;gap:2px 14px;margin:4px 0}dt{color:#495057}dd{margin:0 8px 0 0;font-weight:600}
        dl.advice{display:block}dl.advice dd{font-weight:normal;margin:0 0 8px 16px}
        .ids span{display:inline-block;margin:2px 6px 2px 0;padding:0 6px;border:1px solid var(--line);border-radius:4px}
        .ids small{color:var(--info)}
        form#filters{margin:4px 0 8px;display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
        form#filters select{margin-left:4px;max-width:260px}
        svg.timeline{max-width:100%;height:auto;font:11px system-ui,sans-serif}
        .timeline .tick{stroke:#e9ecef}.timeline .axis{fill:#868e96}.timeline .name{fill:#212529}.timeline .date{fill:#495057}
        .timeline .now{stroke:#212529;stroke-dasharray:4 3;fill:#212529}
        .row rect{fill:#d3f9d8}.row circle{fill:#2f9e44}.row.soon rect{fill:#fff3bf}.row.soon circle{fill:#f08c00}
        .row.expired rect{fill:#ffe3e3}.row.expired circle{fill:var(--critical)}.row.dead rect{fill:#e9ecef}.row.dead circle{fill:var(--info)}
        .legend .key::before{content:"";display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px;background:#2f9e44}
        .legend .key{margin-right:12px}.legend .soon::before{background:#f08c00}.legend .expired::before{background:var(--critical)}
        .legend .dead::before{background:var(--info)}
        svg.bar rect{fill:var(--low)}tr.watch-live td{background:#fff5f5}tr.watch-dead td:nth-child(5){color:#2f9e44;font-weight:600}
        .outcome-authenticated{color:var(--critical);font-weight:600}.outcome-rejected{color:#2f9e44}.outcome-inconclusive{color:var(--high)}
        """

    static let script = """
        (function () {
          var form = document.getElementById("filters");
          var table = document.getElementById("finding-table");
          if (!form || !table) { return; }
          var rank = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
          var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-severity]"));
          var shown = document.getElementById("shown");
          function apply() {
            var severity = form.elements.severity.value, owner = form.elements.owner.value, probe = form.elements.probe.value;
            var count = 0;
            rows.forEach(function (row) {
              var keep = (severity === "" || rank[row.dataset.severity] >= rank[severity]) &&
                (owner === "" || row.dataset.owner === owner) &&
                (probe === "" || row.dataset.probes.indexOf("|" + probe + "|") >= 0);
              row.hidden = !keep;
              if (keep) { count += 1; }
            });
            shown.textContent = count + " of " + rows.length + " findings shown";
          }
          form.addEventListener("change", apply);
          form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
          form.hidden = false;
          apply();
        })();
        """
}

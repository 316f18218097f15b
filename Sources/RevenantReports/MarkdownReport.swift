import Foundation
import RevenantCore

/// GitHub-flavoured Markdown for tickets and pull-request comments: the summary, a section per
/// owner (the offboarding view), and the findings table, worst first (docs/reports.md, "Markdown").
///
/// Every text revenant did not write itself (credential ids, owners, targets, messages that quote a
/// server) is written as a code span (`MarkdownText.code`), so it can never become a link, an image,
/// an HTML tag, a mention or a table cell of its own.
public enum MarkdownReport {
    static func render(_ report: RunReport, groupBy: ReportGrouping? = nil) -> String {
        let owners = OwnerSummary(report)
        let noun = report.command == "certs" ? "certificate" : "credential"
        var out = "# revenant \(report.command) report\n\n"
        let probes = report.results.reduce(0) { $0 + $1.checks.filter { $0.attempts > 0 }.count }
        out += "- **Run** \(MarkdownText.code(report.runID)), \(Timestamp.format(report.startedAt)) to \(Timestamp.format(report.finishedAt)): "
        out += report.complete ? "complete\n" : "**incomplete** (\(MarkdownText.code(report.incompleteReason ?? "interrupted"))): results are partial\n"
        out += "- **\(report.results.count) \(noun)\(report.results.count == 1 ? "" : "s")**, \(probes) checks sent\n"
        if !report.inventories.isEmpty { out += "- **Inventories** " + report.inventories.map { MarkdownText.code($0) }.joined(separator: ", ") + "\n" }
        if !report.ownerSelection.isEmpty { out += "- **Owners** " + report.ownerSelection.map { MarkdownText.code($0) }.joined(separator: ", ") + "\n" }
        if !report.onlySelection.isEmpty { out += "- **Only** " + report.onlySelection.map { MarkdownText.code($0) }.joined(separator: ", ") + "\n" }
        if let head = report.ledgerHead { out += "- **Evidence ledger head** \(MarkdownText.code(head))\n" }
        out += "\n## Summary\n\n"
        let counts = report.countBySeverity
        if counts.isEmpty {
            out += "Nothing found.\n"
        } else {
            out += "| severity | findings |\n|---|---:|\n"
            for s in Severity.allCases.reversed() { if let n = counts[s] { out += "| \(s.rawValue) | \(n) |\n" } }
        }

        let listed = owners.worstFirst.map { ($0, $0.expiredLive(in: report)) }
            .filter { groupBy == .owner || !report.ownerSelection.isEmpty || $0.0.shouldBeDead > 0 || !$0.1.isEmpty }
        if !listed.isEmpty {
            out += "\n## By owner\n"
            for (tally, expiredLive) in listed { out += "\n" + ownerSection(tally, noun: noun, expiredLive: expiredLive) }
        }

        out += "\n## Findings\n\n"
        let rows = findingRows(report, order: groupBy?.order(report, owners))
        if rows.isEmpty {
            out += "No findings.\n"
        } else {
            out += "| severity | finding | \(noun) | owner | state | fingerprint | detail |\n|---|---|---|---|---|---|---|\n"
            for (f, r) in rows {
                let c = r.credential
                out += "| \(f.severity.rawValue) | \(f.code.rawValue) | \(MarkdownText.cell(c.id)) | \(MarkdownText.cell(c.owner ?? "")) | "
                    + "\(c.state.rawValue) | \(MarkdownText.cell(r.fingerprint ?? "")) | \(MarkdownText.cell(f.message)) |\n"
            }
        }
        let codes = report.adviceCodes
        if !codes.isEmpty {
            out += "\n## What to do\n\n"
            for code in codes { out += "- **\(code.rawValue)**: \(code.advice)\n" }
        }
        return out
    }

    /// One owner: the offboarding line the table opens with, then where each still-live credential
    /// works (`expiredLive`: an active one past its expiry too) and why each unverified one is not proven dead.
    static func ownerSection(_ t: OwnerTally, noun: String, expiredLive: [LivePlace] = []) -> String {
        var out = "### " + (t.owner.map { MarkdownText.code($0) } ?? "(no owner)") + "\n\n"
        var parts = ["\(t.credentials) \(noun)\(t.credentials == 1 ? "" : "s")"]
        if t.shouldBeDead > 0 { parts.append("\(t.provenDead) proven dead") }
        if t.stillLive > 0 { parts.append("\(t.stillLive) still live") }
        if t.unverified > 0 { parts.append("\(t.unverified) unverified") }
        if t.active > 0 { parts.append("\(t.active) active") }
        out += parts.joined(separator: ", ") + (t.allProvenDead ? ": **everything that should be dead is proven dead**" : "") + "\n"
        for (place, what) in t.live.map({ ($0, "still live") }) + expiredLive.map({ ($0, "still works past expiry") }) {
            out += "- \(what): \(MarkdownText.code(place.credential)) (\(place.finding.rawValue))"
                + (place.probe.map { " via " + MarkdownText.code($0) } ?? "") + (place.target.map { " at " + MarkdownText.code($0) } ?? "") + "\n"
        }
        for why in t.unverifiedReasons {
            out += "- unverified: \(MarkdownText.code(why.credential))" + (why.target.map { " at " + MarkdownText.code($0) } ?? "")
                + ": " + MarkdownText.code(why.reason) + "\n"
        }
        return out
    }

    /// Every finding with its result, worst first (report order within a severity).
    static func findingRows(_ report: RunReport, order: [Int]?) -> [(Finding, CredentialResult)] {
        var rows: [(Finding, CredentialResult)] = []
        for i in order ?? Array(report.results.indices) { for f in report.results[i].findings { rows.append((f, report.results[i])) } }
        // Stable: a sort by severity alone would not keep report order on Linux.
        return rows.enumerated().sorted { a, b in
            a.element.0.severity != b.element.0.severity ? a.element.0.severity > b.element.0.severity : a.offset < b.offset
        }.map(\.element)
    }
}

/// Text that revenant did not write, made inert for Markdown.
public enum MarkdownText {
    /// `text` as one code span on one line: line breaks as spaces, control and bidi characters as
    /// `?`, and a backtick fence longer than any run of backticks inside (CommonMark §6.1), padded
    /// with a space so a leading or trailing backtick stays text. Inside a code span nothing is a
    /// link, image, HTML tag, emphasis or (on GitHub) a mention or issue reference.
    public static func code(_ text: String, inTable: Bool = false) -> String {
        var body = String.UnicodeScalarView()
        var run = 0, longest = 0
        for s in text.unicodeScalars {
            let c: Unicode.Scalar = s == "\n" || s == "\r" || s == "\t" ? " " : ServerText.isControl(s) ? "?" : s
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
            // In a table a `|` would end the cell even inside a code span: GFM reads `\|` as the character.
            if inTable && c == "|" { body.append("\\") }
            body.append(c)
        }
        if body.isEmpty { return "" }
        let fence = String(repeating: "`", count: longest + 1)
        return fence + " " + String(body) + " " + fence
    }

    /// `text` as a table cell: a code span that keeps `|` inside the cell; `-` when empty.
    public static func cell(_ text: String) -> String {
        text.isEmpty ? "-" : code(text, inTable: true)
    }
}

extension OwnerTally {
    /// Where this owner's active credentials still work past their expiry (`expired_still_accepted`):
    /// not should-be-dead by the offboarding rule, so not in `live`, but never to be shown as fine.
    func expiredLive(in report: RunReport) -> [LivePlace] {
        results.filter { report.results[$0].credential.state == .active }.flatMap { OwnerSummary.livePlaces(of: report.results[$0]) }
    }
}

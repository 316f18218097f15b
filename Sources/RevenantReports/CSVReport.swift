import Foundation
import RevenantCore

/// One row per finding, for spreadsheets (docs/reports.md, "CSV"): RFC 4180 (every field quoted,
/// `"` doubled, CRLF between records), UTF-8 without a byte order mark, a header row, and columns
/// that only ever gain new ones at the end.
public enum CSVReport {
    /// The columns, in order. A new column goes at the end; none is renamed or removed.
    public static let columns = [
        "run_id", "run_finished_at", "severity", "code", "credential", "kind", "state", "owner",
        "fingerprint", "inventory", "line", "message", "advice", "references",
    ]

    static func write(_ report: RunReport, groupBy: ReportGrouping? = nil, emit: ([UInt8]) -> Void) {
        var out = record(columns)
        let finished = Timestamp.format(report.finishedAt)
        for i in groupBy?.order(report, OwnerSummary(report)) ?? Array(report.results.indices) {
            let r = report.results[i]
            let c = r.credential
            for f in r.findings {
                out += record([
                    report.runID, finished, f.severity.rawValue, f.code.rawValue, c.id, c.kind.rawValue, c.state.rawValue, c.owner ?? "",
                    r.fingerprint ?? "", c.file, c.line.map(String.init) ?? "", f.message, f.code.advice, f.code.references.joined(separator: "; "),
                ])
            }
            if out.utf8.count > 65_536 {
                emit(Array(out.utf8))
                out = ""
            }
        }
        emit(Array(out.utf8))
    }

    static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// One field: quoted, with `"` doubled (RFC 4180 §2). A field a spreadsheet would run as a
    /// formula (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return, or their
    /// full-width and small forms, also behind leading white space or double quotes, which some
    /// importers strip) gets a leading `'`, which spreadsheets show as text and do not evaluate.
    /// Control characters other than line breaks become `?`.
    static func field(_ text: String) -> String {
        var body = String.UnicodeScalarView()
        if let first = text.unicodeScalars.first(where: { !($0.properties.isWhitespace || $0 == "\"") || formulaStarts.contains($0) }),
           formulaStarts.contains(first) {
            body.append("'")
        }
        for s in text.unicodeScalars {
            switch s {
            case "\"": body.append(contentsOf: "\"\"".unicodeScalars)
            case "\n", "\r": body.append(s)
            default: body.append(ServerText.isControl(s) ? "?" : s)
            }
        }
        return "\"" + String(body) + "\""
    }

    /// First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
    /// (OWASP "CSV Injection"), with the full-width and small forms some of them also accept.
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}",
                                                     "\u{FE66}", "\u{FE62}", "\u{FE63}", "\u{FE6B}"]
}

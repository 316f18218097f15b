import Foundation
import RevenantCore

/// `revenant history`: one line (or object) per secret per target, oldest first.
public enum TimelineReport {
    public static let schema = "revenant.history/v1"

    /// The formats a timeline is written in; the run-report formats (SARIF, JUnit, …) describe findings, which timelines have not.
    public static let formats: [ReportFormat] = [.table, .json, .jsonl]

    public static func write(_ timelines: [CheckTimeline], format: ReportFormat, emit: ([UInt8]) -> Void) {
        switch format {
        case .table: emit(Array(table(timelines).utf8))
        case .json:
            emit(Array(Tree.object([("schema", .string(schema)), ("timelines", .array(timelines.map(tree)))]).serialized(indent: 2).utf8) + [10])
        case .jsonl:
            for t in timelines { emit(Array(tree(t).serialized(indent: nil).utf8) + [10]) }
        default:
            break  // not a timeline format: HistoryCommand.validate refuses it before anything is read
        }
    }

    static func moment(_ m: RunMoment?) -> Tree {
        guard let m else { return .null }
        return .object([("at", .string(Timestamp.format(m.at))), ("run", .string(m.run))])
    }

    static func tree(_ t: CheckTimeline) -> Tree {
        .object([
            ("credential", .string(t.credential)), ("owner", .optional(t.owner)), ("fingerprint", .string(t.key.fingerprint)),
            ("probe", .string(t.key.probe)), ("target", .string(t.key.target)), ("status", .string(t.status)), ("checks", .int(t.checks)),
            ("first_seen_live", moment(t.firstSeenLive)), ("last_seen_live", moment(t.lastSeenLive)),
            ("proven_dead_since", moment(t.provenDeadSince)), ("came_back_to_life", .array(t.revivals.map { moment($0) })),
            ("last_checked", moment(t.lastChecked)), ("last_verdict", .string(t.lastVerdict.rawValue)), ("last_reason", .string(t.lastReason)),
        ])
    }

    static func table(_ timelines: [CheckTimeline]) -> String {
        func when(_ m: RunMoment?) -> String { m.map { Timestamp.format($0.at) } ?? "-" }
        let header = ["CREDENTIAL", "OWNER", "PROBE", "TARGET", "STATUS", "FIRST LIVE", "LAST LIVE", "DEAD SINCE", "REVIVED", "CHECKS"]
        let rows = timelines.map { t in
            [t.credential, t.owner ?? "-", t.key.probe, t.key.target, t.status, when(t.firstSeenLive), when(t.lastSeenLive),
             when(t.provenDeadSince), t.revivals.isEmpty ? "-" : "\(t.revivals.count)× (last \(when(t.revivals.last)))", String(t.checks)]
                .map(TableReport.printable)
        }
        var widths = header.map(\.count)
        for r in rows { for i in r.indices { widths[i] = max(widths[i], r[i].count) } }
        var out = TableReport.pad(header, widths) + "\n"
        for r in rows { out += TableReport.pad(r, widths) + "\n" }
        if rows.isEmpty { out += "(no checks recorded for this selection)\n" }
        let dead = timelines.filter { $0.status == "dead" }.count
        let live = timelines.filter { $0.status == "live" }.count
        out += "\n\(timelines.count) secret×target timelines: \(dead) proven dead, \(live) live, \(timelines.count - dead - live) neither\n"
        return out
    }
}

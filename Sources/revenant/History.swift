import ArgumentParser
import Foundation
import RevenantCore
import RevenantFrontend
import RevenantHistory
import RevenantReports

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show what the history store remembers: per credential and target, first and last seen live, proven dead since, came back to life.",
        discussion: """
        Every `verify`, `certs` or `watch` run given --history (or the configuration's `history`) is \
        recorded there: runs, checks and findings, by fingerprint, never a secret. A timeline is one \
        secret at one target: `dead` means proven rejected (controls held) and not seen live since; \
        `live` that the last check authenticated; `live?` that it was live and nothing proved it dead \
        since; `unproven` that no check ever proved anything. --since limits the checks read (a \
        timeline then starts there).

        Examples:
          revenant history --history history.db
          revenant history --history history.db --owner dana --format json
          revenant history --history postgresql://revenant@db.internal/revenant --credential gh-deploy-key --since 7d
        """
    )

    @Option(name: .long, help: "The history store: a SQLite file or a postgresql:// URL (else the configuration's `history`).")
    var history: String?

    @Option(name: .long, help: "Only this credential id; repeat for several.")
    var credential: [String] = []

    @OptionGroup var owners: OwnerOptions

    @Option(name: .long, help: "Only checks since this time: an ISO-8601 date or time, or an age such as 90m, 24h, 7d.")
    var since: String?

    @Option(name: .long, help: "table, json or jsonl; repeat for several (then --output is a directory).")
    var format: [ReportFormat] = []

    @Option(name: .long, help: "Write here instead of stdout.")
    var output: String?

    @Option(name: .long, help: "Configuration file (for its `history`).")
    var config: String?

    func validate() throws {
        if let since, Self.moment(since, now: Date()) == nil {
            throw ValidationError("--since takes an ISO-8601 date or time (2026-12-01, 2026-12-01T09:00:00Z) or an age (90m, 24h, 7d)")
        }
        if format.count > 1 && output == nil { throw ValidationError("several --format values need --output DIR") }
        if let other = format.first(where: { !TimelineReport.formats.contains($0) }) {
            throw ValidationError("--format \(other.rawValue) is a report of a run (verify, certs, watch); history writes "
                                  + TimelineReport.formats.map(\.rawValue).joined(separator: ", "))
        }
    }

    /// `7d`, `24h`, `90m`, `30s` before `now`, or an ISO-8601 time.
    static func moment(_ text: String, now: Date) -> Date? {
        if let date = Timestamp.parse(text) { return date }
        guard text.last?.isLetter == true, let seconds = DurationText.seconds(text) else { return nil }
        return now.addingTimeInterval(-seconds)
    }

    func run() throws {
        var target = history
        if target == nil, let config {
            do { target = try Configuration.load(file: config).history } catch { throw failInput(error.errors.map(\.description)) }
        }
        guard let target else { throw failInput(["give --history FILE|postgresql://… (or `history` in --config)"]) }
        var builder = CheckTimeline.Builder()
        do {
            let store = try HistoryStore(target, create: false)
            let selection = OwnerSelection(owners.owner)
            try store.checks(credentials: credential, since: since.flatMap { Self.moment($0, now: Date()) }) { c in
                guard selection.matches(c.owner) else { return }
                builder.add(run: c.run, credential: c.credential, owner: c.owner, key: c.key, verdict: c.verdict, reason: c.reason, at: c.at)
            }
        } catch {
            throw failInput([error.message])
        }
        let timelines = builder.build()
        try ReportOutput.write(formats: format.isEmpty ? [Terminal.stdoutIsTTY ? .table : .json] : format, output: output) { f, emit in
            TimelineReport.write(timelines, format: f, emit: emit)
        }
    }
}

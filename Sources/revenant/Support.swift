import ArgumentParser
import Foundation
import RevenantCore
import RevenantProbes
import RevenantReports

/// Exit codes of DESIGN.md §3.
enum Exit {
    static let findings = ExitCode(1)
    static let input = ExitCode(2)
    static let incomplete = ExitCode(3)
}

/// Writes a line to standard error.
func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Input problems go to stderr, then exit 2: the first `maxShownErrors` of them, then how many
/// more there are (300,000 rows naming an unknown probe printed 300,000 lines: an adversarial run).
func failInput(_ lines: [String]) -> ExitCode {
    printCapped("error", lines, to: warn)
    return Exit.input
}

/// One more than an inventory keeps, so that its own last line ("the rest of the file was not
/// read") is shown too.
let maxShownErrors = InventoryLoader.maxErrors + 1

/// `lines` as `label: line` (on stdout unless `write` says otherwise), the first `maxShownErrors`
/// of them, then how many more.
func printCapped(_ label: String, _ lines: [String], to write: (String) -> Void = { print($0) }) {
    for line in lines.prefix(maxShownErrors) { write("\(label): \(line)") }
    if lines.count > maxShownErrors { write("\(label): \(lines.count - maxShownErrors) more not shown") }
}

enum Terminal {
    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }
    static var colorAllowed: Bool { ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true }
}

/// Options every reporting command shares (DESIGN.md §3).
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Report format; repeat for several (then --output is a directory).")
    var format: [ReportFormat] = []

    @Option(name: .long, help: "Write the report here instead of stdout (a directory when several formats are given).")
    var output: String?

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at or above this severity.")
    var failOn: FailOn = .high

    @Flag(name: .customLong("no-progress"), help: "Never show progress on stderr.")
    var noProgress = false

    @Option(name: .long, help: "Configuration file (JSON; see config.example.json).")
    var config: String?

    @Option(name: .customLong("group-by"), help: "Group the report by owner: a table section per owner, JSON and JSON Lines results in owner order.")
    var groupBy: ReportGrouping?

    func validate() throws {
        if format.count > 1 && output == nil {
            throw ValidationError("several --format values need --output DIR (each file is named report.<ext>)")
        }
    }

    var threshold: Severity? { failOn.threshold }

    /// The formats asked for, else a table on a terminal and JSON otherwise.
    var formats: [ReportFormat] { format.isEmpty ? [Terminal.stdoutIsTTY ? .table : .json] : format }
}

extension ReportFormat: ExpressibleByArgument {}
extension ReportGrouping: ExpressibleByArgument {}

/// `--owner NAME`, repeatable: only the credentials of these owners, by OwnerSelection's rule
/// (whole name, any case), for every command that selects by owner.
struct OwnerOptions: ParsableArguments {
    @Option(name: .long, help: "Only the credentials of this owner (the whole name, in any case); repeat for several.")
    var owner: [String] = []

    func validate() throws {
        if owner.contains(where: { OwnerSelection.key($0) == nil }) { throw ValidationError("--owner needs a name") }
    }
}

/// `--fail-on`: a severity, or never.
enum FailOn: String, CaseIterable, ExpressibleByArgument {
    case critical, high, medium, low, never

    var threshold: Severity? { Severity(rawValue: rawValue) }
}

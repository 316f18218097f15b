import ArgumentParser
import RevenantCore
import RevenantFrontend
import RevenantReports

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the JSON reports of `verify --shard I/N` runs into the report of a single run.",
        discussion: """
        Every shard 0 to N-1 of one split run must be given once, all from the same inventory files \
        and configuration (run.inputs): anything else is refused (exit 2). The merged report has the \
        results in inventory order, the summary and the exit code a single run would have; it \
        started at the earliest shard's start, finished at the latest finish, and is complete only \
        if every shard was. Its run id is derived from the shard run ids (docs/shards.md).

        Examples:
          revenant merge shard-0.json shard-1.json shard-2.json --format table
          revenant merge reports/shard-*.json --format json --format html --output merged/ --fail-on critical
        """
    )

    @Argument(help: "The shard reports (revenant.report/v1, written by verify --shard I/N --format json).")
    var reports: [String] = []

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if reports.isEmpty { throw ValidationError("merge needs the shard reports: revenant merge REPORT…") }
        if output.config != nil { throw ValidationError("merge reads no configuration: --config goes to the shard runs") }
    }

    func run() throws {
        let report: RunReport
        do { report = try MergeFrontend.merge(files: reports) } catch { throw failInput(error.lines) }
        try ReportOutput.write(report, options: output)
        if !report.complete { throw Exit.incomplete }
        if report.hasFinding(atOrAbove: output.threshold) { throw Exit.findings }
    }
}

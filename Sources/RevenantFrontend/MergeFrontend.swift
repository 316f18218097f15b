import Foundation
import RevenantCore
import RevenantCrypto
import RevenantFiles
import RevenantReports

/// `revenant merge`: joins the JSON reports of `verify --shard I/N` runs into the report of a
/// single run: the same results in inventory order, hence the same summary and exit code. Reports
/// that cannot be parts of one run (other inventories or configuration, another shard count, a
/// shard twice or missing, a credential in the wrong shard) are refused.
public enum MergeFrontend {
    /// A shard report larger than this is refused rather than read whole.
    public static let maxReportBytes = 1 << 30

    /// Reads and decodes every file, then merges them; every problem is an input error (exit 2).
    public static func merge(files: [String]) throws(InputFailure) -> RunReport {
        var shards: [(file: String, report: RunReport)] = []
        var problems: [String] = []
        for file in files {
            switch FileBytes.read(file, limit: maxReportBytes) {
            case .failure(.tooLarge): problems.append("\(file): larger than \(maxReportBytes >> 30) GiB: not read")
            case .failure(let problem): problems.append("\(file): \(problem)")
            case .success(let bytes):
                do throws(InputErrors) { shards.append((file, try JSONReportDecoder.decode(bytes, file: file))) } catch {
                    problems += error.errors.map(\.description)
                }
            }
        }
        if !problems.isEmpty { throw InputFailure(problems) }
        return try merge(shards)
    }

    /// The merge rule, on decoded reports.
    public static func merge(_ shards: [(file: String, report: RunReport)]) throws(InputFailure) -> RunReport {
        guard let first = shards.first else { throw InputFailure(["merge needs at least one shard report"]) }
        var problems: [String] = []
        for (file, r) in shards {
            if r.shard == nil { problems.append("\(file): run.shard is missing: not a shard report (write them with verify --shard I/N --format json)") }
            if r.inputs == nil { problems.append("\(file): run.inputs is missing: the report does not say which inventory and configuration it read") }
        }
        if !problems.isEmpty { throw InputFailure(problems) }
        let count = first.report.shard!.count
        var byIndex: [Int: String] = [:]
        for (file, r) in shards {
            let shard = r.shard!
            if shard.count != count {
                problems.append("\(file): shard \(shard.index)/\(shard.count) is of a run split \(shard.count) ways, \(first.file) of one split \(count) ways")
            } else if let other = byIndex[shard.index] {
                problems.append("\(file): shard \(shard.description) is given twice (also \(other))")
            } else {
                byIndex[shard.index] = file
            }
            if r.inputs?.inventory != first.report.inputs?.inventory || r.inventories != first.report.inventories {
                problems.append("\(file): read other inventory files than \(first.file) (run.inputs.inventory_sha256 or run.inventories differ)")
            }
            if r.inputs?.configuration != first.report.inputs?.configuration {
                problems.append("\(file): read another configuration than \(first.file) (run.inputs.configuration_sha256 differs)")
            }
            if r.ownerSelection != first.report.ownerSelection {
                problems.append("\(file): was limited to other owners (--owner) than \(first.file)")
            }
            // Shards each run with their own --only would merge into a report of some credentials
            // that reads like one of all: a live credential left out would vanish without a word.
            if r.onlySelection != first.report.onlySelection {
                problems.append("\(file): was limited to other credentials (--only) than \(first.file)")
            }
        }
        let missing = (0..<count).filter { byIndex[$0] == nil }
        if !missing.isEmpty, problems.isEmpty {
            let shown = missing.prefix(20).map { "\($0)/\(count)" }.joined(separator: ", ") + (missing.count > 20 ? ", …" : "")
            problems.append("shard\(missing.count == 1 ? "" : "s") \(shown) missing: a merge needs all \(count) shard reports")
        }
        if !problems.isEmpty { throw InputFailure(problems) }
        let ordered = shards.sorted { $0.report.shard!.index < $1.report.shard!.index }

        var results: [(place: Int, result: CredentialResult)] = []
        var seen: [String: String] = [:]
        for (file, r) in ordered {
            let shard = r.shard!
            for (i, result) in r.results.enumerated() {
                let id = result.credential.id
                guard let place = result.inventoryIndex else {
                    problems.append("\(file): results[\(i)].credential.inventory_index is missing")
                    continue
                }
                if Shard.part(of: id, count: count) != shard.index {
                    problems.append("\(file): results[\(i)]: credential \(FieldReader.shown(id)) belongs to shard \(Shard.part(of: id, count: count))/\(count), not \(shard.description)")
                }
                if let other = seen.updateValue(file, forKey: id) {
                    problems.append("\(file): results[\(i)]: credential \(FieldReader.shown(id)) is also in \(other)")
                }
                results.append((place, result))
            }
        }
        if !problems.isEmpty { throw InputFailure(problems) }
        // A single run lists its credentials in inventory order.
        results.sort { $0.place < $1.place }
        let place = Dictionary(results.map { ($0.result.credential.id, $0.place) }, uniquingKeysWith: { a, _ in a })

        let reports = ordered.map(\.report)
        let reasons = ordered.compactMap { s in s.report.incompleteReason.map { "shard \(s.report.shard!.description): \($0)" } }
        var merged = RunReport(runID: runID(reports), startedAt: reports.map(\.startedAt).min()!, finishedAt: reports.map(\.finishedAt).max()!,
                               complete: reports.allSatisfy(\.complete), incompleteReason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
                               inventories: first.report.inventories, ledgerHead: nil, results: results.map(\.result))
        if !merged.complete && merged.incompleteReason == nil { merged.incompleteReason = "a shard was incomplete" }
        merged.ownerSelection = first.report.ownerSelection
        merged.onlySelection = first.report.onlySelection
        merged.inputs = first.report.inputs
        // Each shard compared its own credentials with history: their changes, in inventory order.
        let changes = reports.flatMap(\.changes).enumerated().sorted { a, b in
            let (pa, pb) = (place[a.element.credential] ?? Int.max, place[b.element.credential] ?? Int.max)
            return pa != pb ? pa < pb : a.offset < b.offset
        }
        merged.changes = changes.map(\.element)
        return merged
    }

    /// Derived, so merging the same shard reports again gives the same id: `merged-` and the first
    /// 16 bytes (hex) of SHA-256 over the shard run ids, in shard order, one a line.
    static func runID(_ reports: [RunReport]) -> String {
        "merged-" + Digest.hex(Digest.sha256(reports.map { $0.runID + "\n" }.joined()).prefix(16))
    }
}

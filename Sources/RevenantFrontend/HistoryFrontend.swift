import Foundation
import RevenantCore
import RevenantCrypto
import RevenantFiles
import RevenantHistory

/// `--history` for every command that runs checks: open the store before anything is sent, and
/// after the run compare it with what history knew (came_back_to_life, changes) and record it.
public enum HistoryFrontend {
    /// The flag wins over the configuration's `history`.
    public static func target(flag: String?, configuration: Configuration) -> String? { flag ?? configuration.history }

    /// Opens (creating and migrating) the store: one that cannot be had is an input error, before anything is probed.
    public static func open(_ target: String) throws(InputFailure) -> HistoryStore {
        do { return try HistoryStore(target) } catch { throw InputFailure([error.message]) }
    }

    /// Digests of the files a run read, so runs over different inventories can be told apart.
    public static func inputs(inventories: [String], configuration: String?) -> HistoryStore.RunInputs {
        func digest(_ files: [String]) -> String? {
            guard !files.isEmpty else { return nil }
            var all: [UInt8] = []
            for file in files {
                guard let digest = FileBytes.sha256(file) else { return nil }
                all += Array("\(Digest.hex(digest))  \(file)\n".utf8)
            }
            return "sha256:" + Digest.hex(Digest.sha256(all))
        }
        return HistoryStore.RunInputs(inventoryDigest: digest(inventories), configurationDigest: configuration.flatMap { digest([$0]) })
    }

    /// Adds what history says about this run (came_back_to_life, changes) and records it. A store
    /// that fails here leaves the report incomplete: a run whose history is unknown could hide a revival.
    public static func compareAndRecord(_ report: inout RunReport, in store: HistoryStore, inputs: HistoryStore.RunInputs) {
        let keys = Set(RecordedCheck.all(in: report).map(\.key))
        do {
            HistoryVerdict.apply(to: &report, prior: try store.prior(for: keys))
            try store.record(report, inputs: inputs)
        } catch {
            report.complete = false
            report.incompleteReason = [report.incompleteReason, "history not recorded: \(error.message)"].compactMap { $0 }.joined(separator: "; ")
        }
    }
}

import ArgumentParser
import Foundation
import RevenantCore
import RevenantCrypto
import RevenantFiles
import RevenantFrontend
import RevenantHistory

/// What `verify` and `watch` both take: the inventory and probes, where evidence and history go,
/// and which credentials; and what both do with them before anything is sent.
struct RunOptions: ParsableArguments {
    @Option(name: .long, help: "Inventory file (JSON, YAML or CSV); repeat for several.")
    var inventory: [String] = []

    @Option(name: .long, help: "Extra directory (or file) of probe definitions; repeat for several.")
    var probes: [String] = []

    @Option(name: .long, help: "Append one hash-chained evidence record per attempt to this JSON Lines file.")
    var ledger: String?

    @Option(name: .customLong("seal-key"), help: "With --ledger: seal the ledger when the run ends with this Ed25519 private key (PEM): LEDGER.seal and LEDGER.seal.sig.")
    var sealKey: String?

    @Option(name: .long, help: "With --seal-key: also get an RFC 3161 time-stamp of the seal from this time-stamping authority (http or https URL): LEDGER.seal.tsr.")
    var tsa: String?

    @Option(name: .long, help: "Remember the run in a history store (SQLite file or postgresql:// URL): finds credentials that came back to life, lists changes since the last run.")
    var history: String?

    @Option(name: .long, help: "Maximum probes in flight at once (overrides the config file).")
    var concurrency: Int?

    @Option(name: .long, help: "Only the credential with this id; repeat for several.")
    var only: [String] = []

    @OptionGroup var owners: OwnerOptions

    func validate() throws {
        if inventory.isEmpty { throw ValidationError("--inventory FILE is required") }
        if sealKey != nil && ledger == nil { throw ValidationError("--seal-key goes with --ledger: it seals the ledger the run writes") }
        if let tsa {
            if sealKey == nil { throw ValidationError("--tsa goes with --seal-key: it time-stamps the seal") }
            try Self.validateTSA(tsa)
        }
        if let c = concurrency, !Limits.concurrency.contains(c) {
            throw ValidationError("--concurrency must be from \(Limits.concurrency.lowerBound) to \(Limits.concurrency.upperBound)")
        }
    }

    /// Reads, checks and plans (warnings to stderr); an input error exits 2 with nothing sent.
    func prepare(configuration: String?, shouldBeDeadOnly: Bool = false, shard: Shard? = nil, timing: PhaseTimer = PhaseTimer()) throws -> PreparedVerify {
        var request = VerifyRequest(inventories: inventory)
        (request.probeDirectories, request.configurationFile, request.concurrency, request.only) = (probes, configuration, concurrency, only)
        request.owners = owners.owner
        request.shouldBeDeadOnly = shouldBeDeadOnly
        request.shard = shard
        request.interrupted = { Interrupts.stop.isStopped }
        let prepared: PreparedVerify
        do { prepared = try VerifyFrontend.prepare(request, timing: timing) } catch {
            for w in error.warnings { warn("warning: " + w) }
            throw failInput(error.lines)
        }
        for w in prepared.plan.warnings { warn("warning: " + w) }
        return prepared
    }

    /// A time-stamping authority's URL: http or https, no user name or password in it.
    static func validateTSA(_ url: String) throws {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), url.count <= 2048,
              url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw ValidationError("--tsa takes an http or https URL of a time-stamping authority (RFC 3161)")
        }
        if let authority = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(2).first, authority.contains("@") {
            throw ValidationError("--tsa: no user name or password in the URL")
        }
    }

    /// The seal key, read and test-signed now: one that cannot sign stops the run before anything is sent.
    func signingKey() throws -> SealSigningKey? {
        try sealKey.map { file in
            do throws(InputFailure) { return try EvidenceSeal.signingKey(file: file) } catch { throw failInput(error.lines) }
        }
    }

    /// Where the run's evidence and history go, opened before anything is sent (exit 2 if they cannot be).
    struct Sinks {
        var ledger: EvidenceLedger?
        var history: HistoryStore?
        var inputs: HistoryStore.RunInputs
        var seal: SealSigningKey?
        var tsa: String?

        /// Seals the ledger as the run left it; a seal (or its time-stamp) that cannot be made makes the run incomplete.
        func sealLedger(_ report: inout RunReport) {
            if let seal, let ledger, let failure = EvidenceSeal.seal(ledger, key: seal, tsa: tsa, report: &report) { warn("error: " + failure) }
        }
    }

    func openSinks(_ prepared: PreparedVerify, output: OutputOptions, seal: SealSigningKey?) throws -> Sinks {
        try ReportOutput.checkWritable(formats: output.formats, output: output.output)
        var store: HistoryStore?
        if let target = HistoryFrontend.target(flag: history, configuration: prepared.configuration) {
            do { store = try HistoryFrontend.open(target) } catch { throw failInput(error.lines) }
        }
        var ledgerFile: EvidenceLedger?
        if let path = ledger {
            do { ledgerFile = try EvidenceLedger(path: path) } catch { throw failInput([error.message]) }
        }
        return Sinks(ledger: ledgerFile, history: store, inputs: HistoryFrontend.inputs(inventories: inventory, configuration: output.config), seal: seal,
                     tsa: tsa)
    }
}

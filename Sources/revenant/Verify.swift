import ArgumentParser
import Foundation
import RevenantCore
import RevenantEngine
import RevenantNet
import RevenantProbes
import RevenantReports

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Try every credential of the inventory against the systems it opens and report residual access.",
        discussion: """
        Examples:
          revenant verify --inventory offboarding.yaml
          revenant verify --inventory inv.json --config config.json --format json --output report.json --ledger evidence.jsonl
          revenant verify --inventory inv.csv --dry-run
          revenant verify --inventory inv.yaml --format table --format json --output reports/ --fail-on critical
        """
    )

    @Option(name: .long, help: "Inventory file (JSON, YAML or CSV); repeat for several.")
    var inventory: [String] = []

    @Option(name: .long, help: "Extra directory (or file) of probe definitions; repeat for several.")
    var probes: [String] = []

    @Option(name: .long, help: "Append one hash-chained evidence record per attempt to this JSON Lines file.")
    var ledger: String?

    @Option(name: .long, help: "Maximum probes in flight at once (overrides the config file).")
    var concurrency: Int?

    @Option(name: .long, help: "Only check the credential with this id; repeat for several.")
    var only: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Resolve inventory, secrets, probes and targets and print the plan; send nothing.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if inventory.isEmpty { throw ValidationError("--inventory FILE is required") }
        if let c = concurrency, c < 1 { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        let timing = PhaseTimer()
        var config = Configuration()
        if let path = output.config {
            do { config = try Configuration.load(file: path) } catch { throw failInput(error.errors.map(\.description)) }
        }
        if let c = concurrency { config.concurrency = c }
        var inv: Inventory
        do { inv = try InventoryLoader.load(files: inventory) } catch { throw failInput(error.errors.map(\.description)) }
        if !only.isEmpty {
            let wanted = Set(only)
            let unknown = wanted.subtracting(inv.credentials.map(\.id))
            if !unknown.isEmpty { throw failInput(["--only names unknown credential ids: \(unknown.sorted().joined(separator: ", "))"]) }
            inv.credentials = inv.credentials.filter { wanted.contains($0.id) }
        }
        let (definitions, problems) = ShippedProbes.load(extra: probes, config: config)
        let errors = problems.filter { $0.level == .error }
        if !errors.isEmpty { throw failInput(errors.map { $0.error.description } + ["(run `revenant probes lint` for details)"]) }
        let resolver = SecretResolver()
        var fingerprintKey: Secret?
        if let source = config.fingerprintKey {
            switch resolver.resolve(source) {
            case .success(let k): fingerprintKey = k
            case .failure(let e): throw failInput(["fingerprint_key: \(e.reason)"])
            }
        }
        let fingerprinter = Fingerprinter(key: fingerprintKey)
        timing.mark("load")
        var jwks: JSONWebKeySet?
        if let location = config.jwks {
            // Fetched once, before anything is sent: a JWKS that cannot be had stops the run (exit 2).
            let url = location.contains("://") ? location : "file://" + location
            let fetched = RevocationFetcher(timeout: config.timeout, maxBytes: 1 << 20, proxy: config.proxy).fetch(url)
            switch fetched {
            case .success(let bytes):
                do throws(JWTError) { jwks = try JSONWebKeySet.parse(bytes, source: location) } catch { throw failInput(["jwt.jwks: \(error.message)"]) }
            case .failure(let failure):
                throw failInput(["jwt.jwks \(location): \(failure.message)"])
            }
        }
        let plan = VerifyPlanner.plan(inventory: inv, probes: definitions, configuration: config, resolver: resolver,
                                      fingerprinter: fingerprinter, jwks: jwks)
        for w in plan.warnings { warn("warning: " + w) }
        if !plan.inputErrors.isEmpty { throw failInput(plan.inputErrors) }
        timing.mark("plan")

        if dryRun {
            let formats = output.format.isEmpty ? [ReportFormat.table] : output.format
            try ReportOutput.write(formats: formats, output: output.output) { format, emit in
                emit(Array(PlanPrinter.render(plan, format: format).utf8))
            }
            return
        }

        // Fail before sending anything if the report cannot be written: exit 2 must mean "nothing probed".
        if let path = output.output {
            let writable = output.formats.count > 1
                ? (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil
                : ReportOutput.openForWriting(path) != nil
            if !writable { throw failInput(["--output \(path): cannot write the report there"]) }
        }
        var ledgerFile: EvidenceLedger?
        if let path = ledger {
            do { ledgerFile = try EvidenceLedger(path: path) } catch { throw failInput([error.message]) }
        }
        var options = TransportOptions()
        options.caBundle = config.caBundle
        options.insecureHosts = config.insecureHosts
        options.proxy = config.proxy
        options.maxConnections = max(64, config.concurrency * 2)
        let transport = ProtocolTransport(curl: CurlTransport(options: options), probers: LoginProbers.standard(options: options, postgres: config.postgres))
        defer { transport.close() }
        let stop = StopFlag()
        let signals = SignalWatcher(stop: stop, onStop: { transport.cancelAll() })
        defer { signals.cancel() }
        let progress = (!output.noProgress && Terminal.stderrIsTTY) ? ProgressLine() : nil
        let engine = VerifyEngine(transport: transport, configuration: config)
        var onProgress: (@Sendable (ProgressUpdate) -> Void)?
        if let progress { onProgress = { progress.update($0) } }
        let report = await engine.run(plan, runID: UUID().uuidString.lowercased(), ledger: ledgerFile, fingerprinter: fingerprinter,
                                      stop: stop, progress: onProgress)
        progress?.finish()
        timing.mark("probe")
        ledgerFile?.flush()
        let formats = output.formats
        let useColor = output.output == nil && Terminal.stdoutIsTTY && Terminal.colorAllowed
        try ReportOutput.write(formats: formats, output: output.output) { format, emit in
            format.write(report, color: useColor, emit: emit)
        }
        timing.mark("report")
        if !report.complete { throw Exit.incomplete }
        if report.hasFinding(atOrAbove: output.threshold) { throw Exit.findings }
    }
}

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

    /// The report formats: as given, else a table on a terminal and JSON otherwise.
    func formats(for output: OutputOptions) -> [String] {
        output.format.isEmpty ? [Terminal.stdoutIsTTY ? "table" : "json"] : output.format
    }

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
        var fingerprintKey: String?
        if let source = config.fingerprintKey {
            switch resolver.resolve(source) {
            case .success(let k): fingerprintKey = k
            case .failure(let e): throw failInput(["fingerprint_key: \(e.reason)"])
            }
        }
        let fingerprinter = Fingerprinter(key: fingerprintKey)
        timing.mark("load")
        let plan = VerifyPlanner.plan(inventory: inv, probes: definitions, configuration: config, resolver: resolver, fingerprinter: fingerprinter)
        for w in plan.warnings { warn("warning: " + w) }
        if !plan.inputErrors.isEmpty { throw failInput(plan.inputErrors) }
        timing.mark("plan")

        if dryRun {
            let formats = output.format.isEmpty ? ["table"] : output.format
            try ReportOutput.write(formats: formats, output: output.output) { format, emit in
                emit(Array(PlanPrinter.render(plan, format: format).utf8))
            }
            return
        }

        // Fail before sending anything if the report cannot be written: exit 2 must mean "nothing probed".
        if let path = output.output {
            let writable = formats(for: output).count > 1
                ? (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil
                : FileManager.default.createFile(atPath: path, contents: nil)
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
        let transport = CurlTransport(options: options)
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
        let formats = formats(for: output)
        let useColor = output.output == nil && Terminal.stdoutIsTTY && Terminal.colorAllowed
        try ReportOutput.write(formats: formats, output: output.output) { format, emit in
            ReportFormat(rawValue: format)!.write(report, color: useColor, emit: emit)
        }
        timing.mark("report")
        if !report.complete { throw Exit.incomplete }
        if report.hasFinding(atOrAbove: output.threshold) { throw Exit.findings }
    }
}

/// Writes reports to stdout, a file, or `report.<ext>` files in a directory, as they are rendered.
enum ReportOutput {
    static func write(formats: [String], output: String?, render: (String, ([UInt8]) -> Void) -> Void) throws {
        guard let output else {
            for format in formats { render(format) { FileHandle.standardOutput.write(Data($0)) } }
            return
        }
        var paths: [String] = [output]
        if formats.count > 1 {
            do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
                throw failInput(["--output \(output): cannot create the directory"])
            }
            paths = formats.map { URL(fileURLWithPath: output).appendingPathComponent("report.\(ReportFormat(rawValue: $0)?.ext ?? $0)").path }
        }
        for (format, path) in zip(formats, paths) {
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw failInput(["--output \(path): cannot write the report there"])
            }
            render(format) { handle.write(Data($0)) }
            try? handle.close()
        }
    }
}

/// SIGINT/SIGTERM stop the run; the partial report is still written (exit 3).
final class SignalWatcher: @unchecked Sendable {
    // @unchecked: the sources are created once and only cancelled afterwards.
    private var sources: [DispatchSourceSignal] = []

    init(stop: StopFlag, onStop: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                stop.stop(sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)")
                onStop()
                // A second signal ends the process at once, for whoever cannot wait for the partial report.
                signal(sig, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        for s in sources { s.cancel() }
    }
}

/// One self-overwriting progress line on stderr, at most ten updates a second.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: `last` is guarded by `lock`.
    private let lock = NSLock()
    private var last = Date.distantPast

    func update(_ p: ProgressUpdate) {
        let now = Date()
        let show = lock.withLock { () -> Bool in
            guard now.timeIntervalSince(last) > 0.1 || p.done == p.total else { return false }
            last = now
            return true
        }
        guard show else { return }
        let line = "\r\u{1B}[K\(p.phase) \(p.done)/\(p.total) — authenticated \(p.authenticated), inconclusive \(p.inconclusive)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// `--dry-run`: what would be sent where, with fingerprints only.
enum PlanPrinter {
    static func render(_ plan: VerifyPlan, format: String) -> String {
        var entries: [Tree] = []
        var lines: [String] = []
        for (ci, credential) in plan.inventory.credentials.enumerated() {
            let fp = plan.fingerprints[ci] ?? "(no secret)"
            if plan.checks[ci].isEmpty {
                lines.append("NO PROBE  \(credential.id)  \(fp)  (lifecycle checks only)")
            }
            for check in plan.checks[ci] {
                let probe = check.pair.map { plan.pairs[$0].probe }
                let action = check.skipReason == nil ? "send" : "skip"
                lines.append("\(action.uppercased())  \(credential.id)  \(fp)  \(probe?.request.method ?? "-") \(check.displayURL)"
                             + (check.skipReason.map { "  — \($0)" } ?? "  (auth: \(probe.map { describe($0.auth) } ?? "-"))"))
                entries.append(.object([
                    ("credential", .string(credential.id)), ("fingerprint", .optional(plan.fingerprints[ci])),
                    ("probe", .string(check.probeID)), ("target", .string(check.displayURL)),
                    ("action", .string(action)), ("reason", .optional(check.skipReason)),
                ]))
            }
        }
        let controls = plan.pairs.map { "CONTROL  negative\($0.positiveSecret == nil ? "" : " + positive")  \($0.probe.id) \($0.target.base)" }
        if format == "jsonl" {
            return entries.map { $0.serialized() + "\n" }.joined()
        }
        if format == "json" {
            return Tree.object([
                ("schema", .string("revenant.plan/v1")),
                ("checks", .array(entries)),
                ("controls", .array(plan.pairs.map { .object([("probe", .string($0.probe.id)), ("target", .string($0.target.base)),
                                                             ("positive", .bool($0.positiveSecret != nil))]) })),
                ("hosts", .object(plan.hostLimits.sorted { $0.key < $1.key }.map { ($0.key, Tree.object([
                    ("max_in_flight", .int($0.value.maxInFlight)),
                    ("requests_per_second", $0.value.requestsPerSecond.map { Tree(.number(String($0)), line: 0) } ?? .null),
                ])) })),
            ]).serialized(indent: 2) + "\n"
        }
        return "revenant verify --dry-run: nothing is sent\n\n" + (controls + lines).joined(separator: "\n")
            + "\n\n\(plan.sendCount) checks would be sent to \(plan.hostLimits.count) hosts, after \(plan.pairs.count) negative controls\n"
    }

    static func describe(_ auth: AuthScheme) -> String {
        switch auth {
        case .bearer: "Authorization: Bearer <secret>"
        case .basic(_, let inUser): inUser ? "basic <secret>:" : "basic <username>:<secret>"
        case .header(let name, let prefix): "\(name): \(prefix)<secret>"
        case .query(let name): "?\(name)=<secret>"
        }
    }
}

/// `REVENANT_TIMING=1` prints how long each phase took to stderr (for benchmarks).
final class PhaseTimer {
    let enabled = ProcessInfo.processInfo.environment["REVENANT_TIMING"] == "1"
    var last = ContinuousClock.now

    func mark(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS") } ?? ""
        warn("timing: \(phase) \(now - last) \(rss)")
        last = now
    }
}

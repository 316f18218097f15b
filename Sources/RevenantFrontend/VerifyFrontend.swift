import Foundation
import RevenantCore
import RevenantFiles
import RevenantCrypto
import RevenantEngine
import RevenantNet
import RevenantProbes

/// What `revenant verify` was asked to do.
public struct VerifyRequest: Sendable {
    public var inventories: [String]
    public var probeDirectories: [String] = []
    public var configurationFile: String?
    public var concurrency: Int?
    /// Only the credentials with these ids.
    public var only: [String] = []
    /// Only credentials that should be dead (`watch`): an active one has nothing to wait for.
    public var shouldBeDeadOnly = false
    /// Only the credentials of these owners (`OwnerSelection`'s rule).
    public var owners: [String] = []
    /// `--shard I/N`: only the credentials of that part (after `--only` and `--owner`).
    public var shard: Shard?
    /// Whether the run was told to stop (a signal) while it still reads its inputs.
    public var interrupted: @Sendable () -> Bool = { false }

    public init(inventories: [String]) { self.inventories = inventories }
}

/// Everything resolved before anything is sent.
public struct PreparedVerify: Sendable {
    public var plan: VerifyPlan
    public var configuration: Configuration
    public var fingerprinter: Fingerprinter
    /// The `--owner` names the plan was limited to; the report records them.
    public var ownerSelection: [String] = []
    /// The `--only` ids the plan was limited to (sorted, each once); the report records them.
    public var onlySelection: [String] = []
    /// `--shard I/N`, as given.
    public var shard: Shard?
    /// Each planned credential's place in the whole inventory, for the report.
    public var inventoryIndices: [Int] = []
}

/// `revenant verify` as a library: read, check and plan (nothing sent), then run the plan against
/// the real transports. A command parses its flags, calls these and maps the result to an exit code.
public enum VerifyFrontend {
    /// Reads the configuration, inventories, probes, fingerprint key and JWKS, and plans the run.
    /// Throws the input errors (nothing is sent then); the plan's warnings are for the caller to show.
    public static func prepare(_ request: VerifyRequest, timing: PhaseTimer = PhaseTimer()) throws(InputFailure) -> PreparedVerify {
        var config = Configuration()
        if let path = request.configurationFile {
            do { config = try Configuration.load(file: path) } catch { throw InputFailure(error.errors.map(\.description)) }
        }
        if let c = request.concurrency { config.concurrency = c }
        var inventory: Inventory
        do { inventory = try InventoryLoader.load(files: request.inventories) } catch { throw InputFailure(error.errors.map(\.description)) }
        var whole = inventory.credentials
        inventory.credentials = try Self.select(inventory.credentials, only: request.only, owners: OwnerSelection(request.owners))
        if request.shouldBeDeadOnly {
            inventory.credentials = inventory.credentials.filter(\.state.shouldBeDead)
            if inventory.credentials.isEmpty { throw InputFailure(["nothing to watch: no credential selected is in a should-be-dead state (rotated, revoked, offboarded, expired)"]) }
        }
        // A shard that holds none of the selected credentials is an empty run, not an error.
        if let shard = request.shard { inventory.credentials = inventory.credentials.filter { shard.holds(credentialID: $0.id) } }
        let (definitions, problems) = ShippedProbes.load(extra: request.probeDirectories, config: config)
        let errors = problems.filter { $0.level == .error }
        if !errors.isEmpty { throw InputFailure(errors.map { $0.error.description } + ["(run `revenant probes lint` for details)"]) }
        inventory.controls = VerifyPlanner.controlsInUse(inventory.controls, selected: inventory.credentials, all: whole, probes: definitions)
        let resolver = SecretResolver(interrupted: request.interrupted)
        var fingerprintKey: Secret?
        if let source = config.fingerprintKey {
            switch resolver.resolve(source) {
            case .success(let k): fingerprintKey = k
            case .failure(let e): throw InputFailure(["fingerprint_key: \(e.reason)"])
            }
        }
        let fingerprinter = Fingerprinter(key: fingerprintKey)
        timing.mark("load")
        let jwks = try config.jwks.map { location throws(InputFailure) in try Self.fetchJWKS(location, config: config) }
        let knownHosts = try Self.knownHosts(config)
        var plan = VerifyPlanner.plan(inventory: inventory, probes: definitions, configuration: config, resolver: resolver,
                                      fingerprinter: fingerprinter, jwks: jwks, certificates: X509CertificateSource(), knownHosts: knownHosts,
                                      shardCount: request.shard?.count ?? 1)
        if !plan.inputErrors.isEmpty { throw InputFailure(plan.inputErrors, warnings: plan.warnings) }
        let places = Self.places(of: inventory.credentials, in: whole)
        // The plan's credentials are now the only copy: their inline secrets' text goes in place.
        (inventory.credentials, whole) = ([], [])
        plan.dropInlineSecretTexts()
        timing.mark("plan")
        return PreparedVerify(plan: plan, configuration: config, fingerprinter: fingerprinter, ownerSelection: request.owners,
                              onlySelection: Set(request.only).sorted(), shard: request.shard, inventoryIndices: places)
    }

    /// Where each selected credential stands in the whole inventory. Every selection keeps the
    /// inventory's order, so one walk finds them (ids are unique: the loader refuses duplicates).
    static func places(of selected: [Credential], in whole: [Credential]) -> [Int] {
        if selected.count == whole.count { return Array(whole.indices) }
        var out: [Int] = []
        out.reserveCapacity(selected.count)
        for (i, credential) in whole.enumerated() where out.count < selected.count && selected[out.count].id == credential.id {
            out.append(i)
        }
        return out
    }

    /// `--only` and `--owner`: each checked against the whole inventory (an id or owner it does not
    /// hold is an input error), then both applied.
    static func select(_ credentials: [Credential], only: [String], owners: OwnerSelection) throws(InputFailure) -> [Credential] {
        var selected = credentials
        if !only.isEmpty {
            let wanted = Set(only)
            let unknown = wanted.subtracting(credentials.map(\.id))
            if !unknown.isEmpty { throw InputFailure(["--only names unknown credential ids: \(unknown.sorted().joined(separator: ", "))"]) }
            selected = selected.filter { wanted.contains($0.id) }
        }
        if !owners.isEmpty {
            if let problem = owners.unmatched(among: credentials.lazy.map(\.owner)) { throw InputFailure([problem]) }
            selected = selected.filter { owners.matches($0.owner) }
            if selected.isEmpty { throw InputFailure(["--only and --owner together select no credential: none of those ids belongs to those owners"]) }
        }
        return selected
    }

    /// The pins of `ssh.known_hosts`, if configured; one that cannot be read is an input error.
    static func knownHosts(_ config: Configuration) throws(InputFailure) -> KnownHosts? {
        guard let path = config.sshKnownHosts else { return nil }
        guard let hosts = KnownHosts.load(file: path) else { throw InputFailure(["ssh.known_hosts: cannot read \(path)"]) }
        return hosts
    }

    /// The JWKS of `jwt.jwks`, fetched once before anything is sent: one that cannot be had stops the run.
    static func fetchJWKS(_ location: String, config: Configuration) throws(InputFailure) -> JSONWebKeySet {
        let url = location.contains("://") ? location : "file://" + location
        switch RevocationFetcher(timeout: config.timeout, maxBytes: 1 << 20, proxy: config.proxy, trust: config.trustAnchors).fetch(url) {
        case .success(let bytes):
            do throws(JWTError) { return try JSONWebKeySet.parse(bytes, source: location) } catch { throw InputFailure(["jwt.jwks: \(error.message)"]) }
        case .failure(let failure):
            throw InputFailure(["jwt.jwks \(location): \(failure.message)"])
        }
    }

    /// Runs the plan through libcurl and the login probers; `stop` ends it early (the report is then
    /// incomplete). The plan is handed to the engine, which frees its secrets once they are sent
    /// (a caller that keeps its own copy keeps them).
    public static func run(_ prepared: consuming PreparedVerify, ledger: EvidenceLedger?, stop: StopFlag,
                           progress: (@Sendable (ProgressUpdate) -> Void)?) async -> RunReport {
        let transport = makeTransport(prepared)
        defer { transport.close() }
        let engine = makeEngine(prepared, transport: transport)
        let (fingerprinter, ownerSelection, onlySelection, shard, places) = (prepared.fingerprinter, prepared.ownerSelection, prepared.onlySelection,
                                                                              prepared.shard, prepared.inventoryIndices)
        // A stop wakes the engine, which ends every transfer in flight (transport.cancelAll).
        var report = await engine.run((consume prepared).plan, runID: UUID().uuidString.lowercased(), ledger: ledger, fingerprinter: fingerprinter,
                                      stop: stop, progress: progress)
        ledger?.flush()
        report.markIncomplete(ifLedgerFailed: ledger)
        report.ownerSelection = ownerSelection
        report.onlySelection = onlySelection
        report.shard = shard
        // Results come in plan order, one per planned credential.
        for (k, place) in zip(report.results.indices, places) { report.results[k].inventoryIndex = place }
        return report
    }

    /// The engine over `transport`; its CA lookups judge freshness against the time it is made.
    static func makeEngine(_ prepared: PreparedVerify, transport: ProtocolTransport, clock: any RunClock = MonotonicClock(),
                           carrying scheduler: SchedulerCarry = SchedulerCarry()) -> VerifyEngine {
        let config = prepared.configuration
        return VerifyEngine(transport: transport, configuration: config, revocation: CARevocationService(configuration: config, now: Date()),
                            clock: clock, carrying: scheduler)
    }

    /// libcurl and the login probers, as the configuration sets them up; the caller closes it.
    static func makeTransport(_ prepared: PreparedVerify) -> ProtocolTransport {
        let config = prepared.configuration
        var options = TransportOptions()
        // As OpenSSL (and so `revenant certs`) does: without tls.ca_bundle, SSL_CERT_FILE and
        // SSL_CERT_DIR name the trusted CAs (libcurl would otherwise use the bundle it was built with).
        let trust = config.trustAnchors
        (options.caBundle, options.caDirectory) = (trust.file, trust.directory)
        options.insecureHosts = config.insecureHosts
        options.proxy = config.proxy
        options.maxConnections = max(64, config.concurrency * 2)
        return ProtocolTransport(curl: CurlTransport(options: options), probers: LoginProbers.standard(options: options, postgres: config.postgres))
    }
}

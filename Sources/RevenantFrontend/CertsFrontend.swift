import Foundation
import RevenantCore
import RevenantFiles
import RevenantEngine
import RevenantNet
import RevenantReports

/// What `revenant certs` was asked to scan.
public struct CertsRequest: Sendable {
    /// Files, directories and TLS endpoints, in the order given.
    public var paths: [String]
    public var pkcs12Password: SecretSource?
    /// Ask the CA (CRL/OCSP) about each certificate.
    public var revocation = false
    public var ledger: String?
    public var inventories: [String] = []
    public var configurationFile: String?
    /// Only the certificates whose inventory entry has one of these owners (`OwnerSelection`'s rule).
    public var owners: [String] = []
    /// CRL files whose publication (nextUpdate) and signature are judged.
    public var crls: [String] = []
    /// OCSP responders asked directly about a random serial of `issuer`.
    public var ocspResponders: [String] = []
    /// The CA certificate of `ocspResponders` (also a candidate issuer of `crls`).
    public var issuer: String?

    public init(paths: [String]) { self.paths = paths }
}

/// `revenant certs` as a library: read every certificate named, judge each (lifecycle, inventory
/// state, the CA's answer) and give the report. Problems that leave something to scan are
/// warnings (`warn`); input that leaves nothing is an InputFailure.
public enum CertsFrontend {
    /// `progress`: (certificates judged, of how many), for a terminal: CRL and OCSP lookups take a while.
    public static func scan(_ request: CertsRequest, timing timer: PhaseTimer = PhaseTimer(),
                            warn: (String) -> Void, progress: ((Int, Int) -> Void)? = nil) throws(InputFailure) -> RunReport {
        let startedAt = Date()
        var config = Configuration()
        if let path = request.configurationFile {
            do { config = try Configuration.load(file: path) } catch { throw InputFailure(error.errors.map(\.description)) }
        }
        let paths = request.paths
        // Endpoints are parsed first: an unsupported form is an input error before anything is read.
        var endpoints: [String: TLSEndpoint] = [:]
        var badEndpoints: [String] = []
        for argument in paths where Self.isEndpoint(argument) {
            switch TLSEndpoint.parse(argument) {
            case .success(let endpoint): endpoints[argument] = endpoint
            case .failure(let error): badEndpoints.append(error.description)
            }
        }
        if !badEndpoints.isEmpty { throw InputFailure(badEndpoints) }
        var password: String?
        if let source = request.pkcs12Password {
            switch SecretResolver().resolve(source) {
            case .success(let p):
                // OpenSSL reads a PKCS#12 password as UTF-8 text.
                guard let text = p.text else { throw InputFailure(["--pkcs12-password: not valid UTF-8"]) }
                password = text
            case .failure(let e): throw InputFailure(["--pkcs12-password: \(e.reason)"])
            }
        }
        // The issuer is read before anything is scanned: a typo in it is an input error.
        var issuer: X509Certificate?
        if let path = request.issuer {
            switch Self.caCertificate(path, named: "--issuer") {
            case .success(let certificate): issuer = certificate
            case .failure(let problem): throw InputFailure([problem.description])
            }
        }
        if !request.ocspResponders.isEmpty && issuer == nil {
            throw InputFailure(["--ocsp-responder asks about the CA's serials: give the CA's certificate with --issuer"])
        }
        var responders = request.ocspResponders.compactMap { url in issuer.map { (url: url, issuer: $0) } }
        responders += try Self.configuredResponders(config)
        if paths.isEmpty && request.crls.isEmpty && responders.isEmpty {
            throw InputFailure(["nothing to check: give a certificate file or directory, --crl, --ocsp-responder, or revocation.ocsp_responders in the configuration"])
        }
        let named = Set(paths)
        var filesOf: [String: [String]] = [:]
        var walkProblems: [CertificateLoadError] = []
        for argument in paths where endpoints[argument] == nil && filesOf[argument] == nil {
            let (files, problems) = X509Loader.files(in: [argument])
            filesOf[argument] = files
            walkProblems += problems
        }
        let missing = walkProblems.filter { named.contains($0.path) }
        if !missing.isEmpty { throw InputFailure(missing.map(\.description)) }
        for problem in walkProblems { warn("warning: \(problem)") }

        timer.mark("walk")
        // The inventory is read first so that each certificate is judged by the worker that read it;
        // its warnings and errors still come after the files'.
        var inventory = CertificateInventory(Inventory())
        var inventoryFailure: InputFailure?
        if !request.inventories.isEmpty {
            do { inventory = CertificateInventory(try InventoryLoader.load(files: request.inventories)) } catch { inventoryFailure = InputFailure(error.errors.map(\.description)) }
        }
        let known = inventory
        // What the certificates say and what the inventory believes: pure, so judged on every core.
        let (policy, askCA) = (config.policy, request.revocation)
        let judge = { (item: ScannedCertificate) in
            Self.judged(item, believed: known.credential(sha256: item.certificate.info.sha256), policy: policy, now: startedAt, askCA: askCA)
        }
        // The certificates themselves are kept only for what asks about them once judged: the CA
        // (CRL/OCSP, one at a time) and `--crl`'s issuers. Else each is freed by the worker that read it.
        let keepCertificates = request.revocation || !request.crls.isEmpty || !responders.isEmpty
        var scanned: [ScannedCertificate] = []
        var results: [CredentialResult] = []
        var skipped = 0
        let scanOptions = TLSScanOptions(timeout: config.timeout, caBundle: config.caBundle, proxy: config.proxy)
        // Arguments in the order given, files and endpoints interleaved; one named twice is read once.
        for argument in paths {
            if let endpoint = endpoints.removeValue(forKey: argument) {
                let scan = TLSEndpointScanner.scan(endpoint, options: scanOptions)
                if let problem = scan.problem { warn("warning: \(argument): \(problem)") }
                for (i, certificate) in scan.certificates.enumerated() {
                    var extra = ["source": "tls"]
                    if let verification = scan.verification {
                        // The whole served chain verifies (or not) as one: the same tag on each of its certificates.
                        extra["verified"] = String(verification.verified)
                        if let error = verification.error { extra["verify_error"] = error }
                    }
                    let item = ScannedCertificate(certificate: certificate, id: i == 0 ? endpoint.id : "\(endpoint.id)#\(i + 1)",
                                                  chain: scan.certificates, extraTags: extra)
                    results.append(judge(item))
                    if keepCertificates { scanned.append(item) }
                }
                continue
            }
            let files = filesOf.removeValue(forKey: argument) ?? []
            var judgedFiles = X509Loader.load(files: files, pkcs12Password: password) { file in
                let items = file.certificates.indices.map { i in
                    ScannedCertificate(certificate: file.certificates[i], id: i == 0 ? file.path : "\(file.path)#\(i + 1)",
                                       chain: file.certificates, extraTags: [:])
                }
                return JudgedFile(problem: file.problem, results: items.map(judge), kept: keepCertificates ? items : [])
            }
            for n in judgedFiles.indices {
                if let problem = judgedFiles[n].problem {
                    // A directory holds keys and CSRs beside certificates: those are counted, not warned about.
                    if problem.code == .notACertificate && !named.contains(files[n]) { skipped += 1 } else { warn("warning: \(problem)") }
                }
                // Moved out, not copied: most files hold one certificate.
                if judgedFiles[n].results.count == 1 { results.append(judgedFiles[n].results.removeLast()) } else { results += judgedFiles[n].results }
                if keepCertificates { scanned += judgedFiles[n].kept }
            }
        }
        if skipped > 0 { warn("note: \(skipped) file(s) in the directories hold no certificate (keys, requests, other files): skipped") }
        if results.isEmpty && !paths.isEmpty { throw InputFailure(["no certificate could be read from \(paths.joined(separator: ", "))"]) }

        if let inventoryFailure { throw inventoryFailure }
        for problem in known.problems { warn("warning: \(problem)") }
        let owners = OwnerSelection(request.owners)
        if !owners.isEmpty {
            // A certificate's owner is its inventory entry's: one the inventory does not list has none.
            if let problem = owners.unmatched(among: results.lazy.map(\.credential.owner), what: "certificate scanned") { throw InputFailure([problem]) }
            if keepCertificates { scanned = zip(scanned, results).filter { owners.matches($1.credential.owner) }.map(\.0) }
            results = results.filter { owners.matches($0.credential.owner) }
        }

        timer.mark("load")
        var ledgerFile: EvidenceLedger?
        if let path = request.ledger {
            do { ledgerFile = try EvidenceLedger(path: path) } catch { throw InputFailure([error.message]) }
        }
        let runID = UUID().uuidString.lowercased()
        let revocationCheck = request.revocation
            ? RevocationScan(config: config, candidates: scanned.map(\.certificate), now: startedAt, runID: runID, ledger: ledgerFile) : nil
        // The CA's answers, one certificate at a time (network, ledger order).
        let certificates = results.count
        if revocationCheck != nil || progress != nil {
            for n in 0..<certificates {
                progress?(n, certificates)
                // A certificate a TLS endpoint served must not make revenant read a local file.
                revocationCheck?.apply(to: &results[n], certificate: scanned[n].certificate, chain: scanned[n].chain,
                                       local: scanned[n].extraTags["source"] != "tls")
            }
        }
        progress?(certificates, certificates)
        results += try Self.caServices(request, issuer: issuer, responders: responders, scanned: scanned, config: config,
                                       now: startedAt)
        ParallelMap.discard(consume scanned)
        ledgerFile?.flush()
        timer.mark("findings")

        var report = RunReport(runID: runID, startedAt: startedAt, finishedAt: Date(), complete: true,
                               inventories: [], ledgerHead: ledgerFile?.head, results: results)
        report.command = "certs"
        report.ownerSelection = request.owners
        report.markIncomplete(ifLedgerFailed: ledgerFile)
        return report
    }

    /// The responders the configuration names (`revocation.ocsp_responders`), each with its CA's
    /// certificate, read before anything is scanned: an unreadable one is an input error.
    static func configuredResponders(_ config: Configuration) throws(InputFailure) -> [(url: String, issuer: X509Certificate)] {
        var out: [(url: String, issuer: X509Certificate)] = []
        var problems: [String] = []
        for (i, responder) in config.revocation.ocspResponders.enumerated() {
            switch Self.caCertificate(responder.issuer, named: "revocation.ocsp_responders[\(i)].issuer") {
            case .success(let certificate): out.append((responder.url, certificate))
            case .failure(let problem): problems.append(problem.description)
            }
        }
        if !problems.isEmpty { throw InputFailure(problems) }
        return out
    }

    /// A CA's certificate named by a flag or a configuration field (`name`, for the message): the
    /// file's first certificate.
    static func caCertificate(_ path: String, named name: String) -> Result<X509Certificate, CAFileProblem> {
        let file = X509Loader.load(file: path)
        guard let certificate = file.certificates.first else {
            return .failure(CAFileProblem(description: "\(name): \(file.problem?.description ?? "\(path): no certificate")"))
        }
        return .success(certificate)
    }

    struct CAFileProblem: Error {
        let description: String
    }

    /// The results of `--crl` files and of OCSP responders (`--ocsp-responder` URLs and the
    /// configuration's), after the certificates'.
    static func caServices(_ request: CertsRequest, issuer: X509Certificate?, responders: [(url: String, issuer: X509Certificate)],
                           scanned: [ScannedCertificate], config: Configuration, now: Date) throws(InputFailure) -> [CredentialResult] {
        guard !request.crls.isEmpty || !responders.isEmpty else { return [] }
        var issuers = scanned.map(\.certificate) + (issuer.map { [$0] } ?? [])
        if let bundle = config.caBundle { issuers += X509Loader.load(file: bundle).certificates }
        var results: [CredentialResult] = []
        var problems: [String] = []
        for path in request.crls {
            switch CAServiceScan.crl(path, issuers: issuers, policy: config.policy, now: now) {
            case .success(let result): results.append(result)
            case .failure(let error): problems.append("--crl \(error.reason)")
            }
        }
        if !problems.isEmpty { throw InputFailure(problems) }
        if !responders.isEmpty {
            let fetcher = RevocationFetcher(timeout: config.timeout, proxy: config.proxy, trust: config.trustAnchors)
            let client = OCSPClient(fetcher: fetcher, method: config.revocation.ocspMethod)
            for responder in responders {
                results.append(CAServiceScan.responder(responder.url, issuer: responder.issuer, client: client, policy: config.policy, now: now))
            }
        }
        return results
    }

    /// One scanned certificate's result: its facts and lifecycle (`result`), and what the inventory's
    /// entry for it (`believed`) adds: a served leaf that is not the rotated one, or a should-be-dead
    /// certificate nobody asked the CA about.
    static func judged(_ item: ScannedCertificate, believed: Credential?, policy: Policy, now: Date, askCA: Bool) -> CredentialResult {
        var result = Self.result(item.certificate.info, id: item.id, policy: policy, now: now, extraTags: item.extraTags,
                                 inventory: believed)
        if let believed, item.extraTags["source"] == "tls", item.certificate === item.chain.first,
           let finding = CertificateVerdict.rotationNotDeployed(believed, endpoint: item.id) {
            result.findings = FindingSet(result.findings).merging([finding]).findings
        }
        if let believed, !askCA, item.extraTags["source"] != "tls", let unproved = CertificateVerdict.unprovedWithoutCA(believed) {
            result.findings = FindingSet(result.findings).merging([unproved]).findings
        }
        return result
    }

    /// One certificate as a report result: no checks, its facts in `tags`; with the inventory entry
    /// it matches, that entry's state and owner (else `active` and no owner record).
    public static func result(_ info: CertificateInfo, id: String, policy: Policy, now: Date, extraTags: [String: String] = [:],
                       inventory believed: Credential? = nil) -> CredentialResult {
        var tags: [String: String] = [
            "subject": info.subject, "issuer": info.issuer, "serial": info.serial,
            "not_before": Timestamp.format(info.notBefore), "not_after": Timestamp.format(info.notAfter),
            "sha256": info.sha256, "key": ([info.keyType, String(info.keyBits)] + (info.curve.map { [$0] } ?? [])).joined(separator: " "),
            "signature": info.signatureAlgorithm, "is_ca": String(info.isCA), "self_signed": String(info.isSelfSigned),
        ]
        let lists = [("sans", info.subjectAltNames), ("crl", info.crlDistributionPoints), ("ocsp", info.ocspURLs), ("ca_issuers", info.caIssuerURLs)]
        for (key, values) in lists where !values.isEmpty { tags[key] = values.joined(separator: ", ") }
        tags.merge(extraTags) { _, extra in extra }
        if let believed { tags["inventory_id"] = believed.id }
        let state = believed?.state ?? .active
        let credential = Credential(id: id, kind: .x509Certificate, state: state, owner: believed?.owner,
                                    issuedAt: info.notBefore, rotatedAt: believed?.rotatedAt, revokedAt: believed?.revokedAt,
                                    expiresAt: info.notAfter, tags: tags, origin: id)
        let owner: OwnerRecord = believed.map { .recorded($0.owner) } ?? .untracked
        let findings = CertificateLifecycle.findings(for: info.facts, state: state, owner: owner, policy: policy, now: now)
        return CredentialResult(credential: credential, fingerprint: "sha256:" + info.sha256.prefix(16), checks: [], findings: findings)
    }

    /// `host:port` and any `scheme://…` name endpoints, unless a file of that name exists (only
    /// `https://` and `host:port` are scanned; `TLSEndpoint.parse` refuses other schemes by name).
    public static func isEndpoint(_ argument: String) -> Bool {
        if FileManager.default.fileExists(atPath: argument) { return false }
        if let scheme = argument.range(of: "://"), !argument[..<scheme.lowerBound].isEmpty,
           argument[..<scheme.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) { return true }
        guard let colon = argument.lastIndex(of: ":") else { return false }
        let port = argument[argument.index(after: colon)...]
        return !port.isEmpty && port.allSatisfy(\.isASCII) && port.allSatisfy(\.isNumber) && !argument[..<colon].contains("/")
    }

}

/// One certificate read in a `certs` run, with the chain it came in (its issuer is looked for there first).
struct ScannedCertificate {
    var certificate: X509Certificate
    var id: String
    var chain: [X509Certificate]
    var extraTags: [String: String]
}

/// One file of a `certs` run as its worker leaves it: why it gave no certificate (or not all), each
/// certificate's result, and the certificates themselves when something still asks about them.
struct JudgedFile {
    var problem: CertificateLoadError?
    var results: [CredentialResult]
    var kept: [ScannedCertificate]
}

extension RunReport {
    /// Evidence that could not be written makes the run incomplete (exit 3), and the report says why.
    mutating func markIncomplete(ifLedgerFailed ledger: EvidenceLedger?) {
        guard let failure = ledger?.failure else { return }
        ledgerHead = ledger?.writtenHead
        markIncomplete(because: failure)
    }

    /// The run is incomplete (exit 3) for `reason` too, after any reason it had already.
    mutating func markIncomplete(because reason: String) {
        complete = false
        incompleteReason = [incompleteReason, reason].compactMap { $0 }.joined(separator: "; ")
    }
}

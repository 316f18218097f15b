import ArgumentParser
import Foundation
import RevenantCore
import RevenantEngine
import RevenantNet
import RevenantReports

struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan certificate files, directories and TLS endpoints for expiry, rotation age and weak crypto.",
        discussion: """
        Reads PEM (a chain's first certificate is the leaf), DER and PKCS#12 files; directories are \
        walked recursively for .pem .crt .cer .der .p12 .pfx files and files starting with a PEM \
        certificate. A TLS endpoint (host:port or https://host[:port], default port 443) is connected \
        to and the chain it serves is read, without sending anything and without requiring it to \
        verify; a host name is sent as SNI. Its results carry `source: tls` and `verified: true/false` \
        (against tls.ca_bundle of --config, else the system store, and the host name). A file or \
        endpoint that cannot be read is a warning on stderr; exit 2 only when no certificate at all \
        could be read. JSON results carry each certificate's facts in `tags`.

        Examples:
          revenant certs /etc/ssl/private/service.pem
          revenant certs https://internal.example.com:8443 10.0.0.5:443 --format json
          revenant certs ./certs/ --format json --output certs.json
          revenant certs client.p12 --pkcs12-password env:P12_PASSWORD --fail-on medium
          revenant certs ./certs/ --config config.json --format table --format jsonl --output reports/
          revenant certs leaf-and-chain.pem --revocation --ledger evidence.jsonl --format json
          revenant certs https://payments.internal:8443 --inventory certificates.yaml --revocation

        With --revocation, each certificate's OCSP URLs and CRL distribution points (http, https, \
        file) are asked, every answer verified against the certificate's issuer (the next certificate \
        in the chain, any other certificate given, or tls.ca_bundle of --config) and judged fresh; each \
        lookup is a `crl` or `ocsp` check in the report (and a record in --ledger). timeout_seconds \
        bounds every fetch. A certificate revoked at the CA is a high `inventory_drift` finding; with \
        revocation.soft_fail false, a lookup that proves nothing is a high `revocation_unverified`.

        With --inventory, a certificate that is an inventory's x509_certificate (same SHA-256) is \
        judged in that entry's state, with its owner: a should-be-dead one good at the CA is \
        `not_revoked_at_ca`, and a TLS endpoint still serving a certificate the inventory says was \
        rotated or revoked is `rotation_not_deployed` (high).
        """
    )

    @Argument(help: "Certificate files, directories, or TLS endpoints (host:port, https://host[:port]).")
    var paths: [String] = []

    @Option(name: .customLong("pkcs12-password"), help: "Password of PKCS#12 files: env:NAME or file:PATH.")
    var pkcs12Password: String?

    @Flag(name: .long, help: "Ask the CA: OCSP and CRL lookups for every certificate that names them (off by default: a scan stays offline).")
    var revocation = false

    @Option(name: .long, help: "Append one evidence record per CRL/OCSP lookup to this ledger (JSON Lines).")
    var ledger: String?

    @Option(name: .long, help: "Inventory whose x509_certificate entries say what each certificate is believed to be; repeat for several.")
    var inventory: [String] = []

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one certificate file or directory") }
        if ledger != nil && !revocation { throw ValidationError("--ledger records revocation lookups: give --revocation too") }
        if let p = pkcs12Password, Self.secretSource(p) == nil {
            throw ValidationError("--pkcs12-password takes env:NAME or file:PATH (never the password itself)")
        }
    }

    func run() throws {
        let startedAt = Date()
        let timer = PhaseTimer()
        var config = Configuration()
        if let path = output.config {
            do { config = try Configuration.load(file: path) } catch { throw failInput(error.errors.map(\.description)) }
        }
        // Endpoints are parsed first: an unsupported form is an input error before anything is read.
        var endpoints: [String: TLSEndpoint] = [:]
        var badEndpoints: [String] = []
        for argument in paths where Self.isEndpoint(argument) {
            switch TLSEndpoint.parse(argument) {
            case .success(let endpoint): endpoints[argument] = endpoint
            case .failure(let error): badEndpoints.append(error.description)
            }
        }
        if !badEndpoints.isEmpty { throw failInput(badEndpoints) }
        var password: String?
        if let text = pkcs12Password, let source = Self.secretSource(text) {
            switch SecretResolver().resolve(source) {
            case .success(let p):
                // OpenSSL reads a PKCS#12 password as UTF-8 text.
                guard let text = p.text else { throw failInput(["--pkcs12-password: not valid UTF-8"]) }
                password = text
            case .failure(let e): throw failInput(["--pkcs12-password: \(e.reason)"])
            }
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
        if !missing.isEmpty { throw failInput(missing.map(\.description)) }
        for problem in walkProblems { warn("warning: \(problem)") }

        timer.mark("walk")
        var scanned: [ScannedCertificate] = []
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
                    scanned.append(ScannedCertificate(certificate: certificate, id: i == 0 ? endpoint.id : "\(endpoint.id)#\(i + 1)",
                                                      chain: scan.certificates, extraTags: extra))
                }
                continue
            }
            for file in X509Loader.load(files: filesOf.removeValue(forKey: argument) ?? [], pkcs12Password: password) {
                let path = file.path
                if let problem = file.problem {
                    // A directory holds keys and CSRs beside certificates: those are counted, not warned about.
                    if problem.code == .notACertificate && !named.contains(path) { skipped += 1 } else { warn("warning: \(problem)") }
                }
                for (i, certificate) in file.certificates.enumerated() {
                    scanned.append(ScannedCertificate(certificate: certificate, id: i == 0 ? path : "\(path)#\(i + 1)",
                                                      chain: file.certificates, extraTags: [:]))
                }
            }
        }
        if skipped > 0 { warn("note: \(skipped) file(s) in the directories hold no certificate (keys, requests, other files): skipped") }
        if scanned.isEmpty { throw failInput(["no certificate could be read from \(paths.joined(separator: ", "))"]) }

        var known = CertificateInventory(Inventory())
        if !inventory.isEmpty {
            do { known = CertificateInventory(try InventoryLoader.load(files: inventory)) } catch { throw failInput(error.errors.map(\.description)) }
            for problem in known.problems { warn("warning: \(problem)") }
        }

        timer.mark("load")
        var ledgerFile: EvidenceLedger?
        if let path = ledger {
            do { ledgerFile = try EvidenceLedger(path: path) } catch { throw failInput([error.message]) }
        }
        let runID = UUID().uuidString.lowercased()
        var results: [CredentialResult] = []
        results.reserveCapacity(scanned.count)
        let revocationCheck = revocation
            ? RevocationScan(config: config, candidates: scanned.map(\.certificate), now: startedAt, runID: runID, ledger: ledgerFile) : nil
        for item in scanned {
            let believed = known.credential(sha256: item.certificate.info.sha256)
            var result = Self.result(item.certificate.info, id: item.id, policy: config.policy, now: startedAt, extraTags: item.extraTags,
                                     inventory: believed)
            if let believed, item.extraTags["source"] == "tls", item.certificate === item.chain.first,
               let finding = CertificateVerdict.rotationNotDeployed(believed, endpoint: item.id) {
                result.findings = FindingSet(result.findings).merging([finding]).findings
            }
            if let believed, !revocation, item.extraTags["source"] != "tls", let unproved = CertificateVerdict.unprovedWithoutCA(believed) {
                result.findings = FindingSet(result.findings).merging([unproved]).findings
            }
            // A certificate a TLS endpoint served must not make revenant read a local file.
            revocationCheck?.apply(to: &result, certificate: item.certificate, chain: item.chain, local: item.extraTags["source"] != "tls")
            results.append(result)
        }
        ledgerFile?.flush()
        timer.mark("findings")

        var report = RunReport(runID: runID, startedAt: startedAt, finishedAt: Date(), complete: true,
                               inventories: [], ledgerHead: ledgerFile?.head, results: results)
        report.command = "certs"
        let formats = output.formats
        let useColor = output.output == nil && Terminal.stdoutIsTTY && Terminal.colorAllowed
        try ReportOutput.write(formats: formats, output: output.output) { format, emit in
            format.write(report, color: useColor, emit: emit)
        }
        timer.mark("report")
        if report.hasFinding(atOrAbove: output.threshold) { throw Exit.findings }
    }

    /// One certificate as a report result: no checks, its facts in `tags`; with the inventory entry
    /// it matches, that entry's state and owner (else `active` and no owner record).
    static func result(_ info: CertificateInfo, id: String, policy: Policy, now: Date, extraTags: [String: String] = [:],
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
    static func isEndpoint(_ argument: String) -> Bool {
        if FileManager.default.fileExists(atPath: argument) { return false }
        if let scheme = argument.range(of: "://"), !argument[..<scheme.lowerBound].isEmpty,
           argument[..<scheme.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) { return true }
        guard let colon = argument.lastIndex(of: ":") else { return false }
        let port = argument[argument.index(after: colon)...]
        return !port.isEmpty && port.allSatisfy(\.isASCII) && port.allSatisfy(\.isNumber) && !argument[..<colon].contains("/")
    }

    static func secretSource(_ text: String) -> SecretSource? {
        if text.hasPrefix("env:"), text.count > 4 { return .environment(String(text.dropFirst(4))) }
        if text.hasPrefix("file:"), text.count > 5 { return .file(String(text.dropFirst(5))) }
        return nil
    }
}

/// One certificate read in a `certs` run, with the chain it came in (its issuer is looked for there first).
struct ScannedCertificate {
    var certificate: X509Certificate
    var id: String
    var chain: [X509Certificate]
    var extraTags: [String: String]
}

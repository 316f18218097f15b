import ArgumentParser
import Foundation
import RevenantCore
import RevenantEngine
import RevenantFrontend
import RevenantHistory
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
          revenant certs ./certs/ --inventory certificates.yaml --revocation --owner dana.okafor@example.com
          revenant certs --crl root.crl --crl intermediate.crl root.pem intermediate.pem
          revenant certs --ocsp-responder http://ocsp.internal:8080/ --issuer ca.pem

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

        --crl FILE (PEM or DER, repeatable) judges a CRL's publication: `crl_stale` (high) once past \
        its nextUpdate, `crl_expiring` (medium) within policy.expiry_warning_days or the last third of \
        its lifetime; its signature is checked against the certificates given (and --issuer, \
        tls.ca_bundle). --ocsp-responder URL (repeatable) asks a responder about a random serial of the \
        CA named by --issuer: `ocsp_responder_down` (high) without a signed answer, \
        `ocsp_responder_unauthorized` (high) when signed by neither the CA nor a valid OCSPSigning \
        certificate it issued, `ocsp_responder_cert_expiring` (medium) when that certificate is close to \
        its notAfter. revocation.ocsp_method (post|get) in --config says how OCSP requests are sent.
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

    @Option(name: .long, help: "A CRL file (PEM or DER) whose nextUpdate and signature are judged; repeat for several.")
    var crl: [String] = []

    @Option(name: .customLong("ocsp-responder"), help: "An OCSP responder URL to check directly (needs --issuer); repeat for several.")
    var ocspResponder: [String] = []

    @Option(name: .long, help: "The CA certificate of --ocsp-responder (also checks --crl signatures).")
    var issuer: String?

    @Option(name: .long, help: "Remember this scan in a history store (SQLite file or postgresql:// URL).")
    var history: String?

    @OptionGroup var owners: OwnerOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if paths.isEmpty && crl.isEmpty && ocspResponder.isEmpty && output.config == nil {
            throw ValidationError("give at least one certificate file or directory (or --crl, --ocsp-responder, or a --config naming revocation.ocsp_responders)")
        }
        if !ocspResponder.isEmpty && issuer == nil { throw ValidationError("--ocsp-responder needs --issuer: the CA whose serials it answers for") }
        if ledger != nil && !revocation { throw ValidationError("--ledger records revocation lookups: give --revocation too") }
        if !owners.owner.isEmpty && inventory.isEmpty { throw ValidationError("--owner needs --inventory: a certificate's owner is its inventory entry's") }
        if let p = pkcs12Password, Self.secretSource(p) == nil {
            throw ValidationError("--pkcs12-password takes env:NAME or file:PATH (never the password itself)")
        }
    }

    func run() throws {
        var request = CertsRequest(paths: paths)
        request.pkcs12Password = pkcs12Password.flatMap(Self.secretSource)
        (request.revocation, request.ledger, request.inventories, request.configurationFile) = (revocation, ledger, inventory, output.config)
        request.owners = owners.owner
        (request.crls, request.ocspResponders, request.issuer) = (crl, ocspResponder, issuer)
        MallocArenas.keepFreedMemory()
        let timer = PhaseTimer()
        var report: RunReport
        var store: HistoryStore?
        var configured: String?
        if history == nil, let config = output.config {
            do { configured = try Configuration.load(file: config).history } catch { throw failInput(error.errors.map(\.description)) }
        }
        if let target = history ?? configured {
            do { store = try HistoryFrontend.open(target) } catch { throw failInput(error.lines) }
        }
        // Progress on a terminal only, and never with --no-progress.
        let line = (!output.noProgress && Terminal.stderrIsTTY) ? ProgressLine() : nil
        let progress: ((Int, Int) -> Void)? = line.map { line in
            { done, total in line.update(ProgressUpdate(phase: request.revocation ? "checking (CRL/OCSP)" : "checking", done: done, total: total,
                                                        authenticated: 0, inconclusive: 0)) }
        }
        do { report = try CertsFrontend.scan(request, timing: timer, warn: warn, progress: progress) } catch { throw failInput(error.lines) }
        line?.finish()
        if let store {
            HistoryFrontend.compareAndRecord(&report, in: store, inputs: HistoryFrontend.inputs(inventories: inventory, configuration: output.config))
        }
        try ReportOutput.write(report, options: output)
        timer.mark("report")
        let exit = !report.complete ? Exit.incomplete : report.hasFinding(atOrAbove: output.threshold) ? Exit.findings : nil
        // Freeing every result is the run's last serial pass: done on every core.
        let results = report.results
        report.results = []
        ParallelMap.discard(consume results)
        if let exit { throw exit }
    }

    static func secretSource(_ text: String) -> SecretSource? {
        if text.hasPrefix("env:"), text.count > 4 { return .environment(String(text.dropFirst(4))) }
        if text.hasPrefix("file:"), text.count > 5 { return .file(String(text.dropFirst(5))) }
        return nil
    }
}

import CFuzzer
import Foundation
import RevenantCore
import RevenantCrypto
import RevenantFiles
import RevenantNet
import RevenantProbes
import RevenantReports

/// `revenant-fuzz TARGET [libFuzzer options] [CORPUS…]`: one parser of hostile bytes per target
/// (docs/fuzzing.md). Built by scripts/fuzz.sh with `-sanitize=fuzzer,address -DFUZZING`, it is
/// libFuzzer's driver; built plainly (every `swift build`), it runs each file given (or each file
/// of each directory given) through the target once: a crash found by the fuzzer replays so.
/// A target crashes only when the code under it does, or when its oracle sees a broken promise
/// (the scrubber target: a secret's run left in server text).
enum FuzzTargets {
    typealias Target = @Sendable ([UInt8]) -> Void

    static let all: [(name: String, run: Target)] = [
        ("inventory-json", { _ = try? InventoryLoader.load(bytes: $0, file: "fuzz.json") }),
        ("inventory-yaml", { _ = try? InventoryLoader.load(bytes: $0, file: "fuzz.yaml") }),
        ("inventory-csv", { _ = try? InventoryLoader.load(bytes: $0, file: "fuzz.csv") }),
        ("configuration", { _ = try? Configuration.parse($0, file: "fuzz.json") }),
        ("probe", { _ = ProbeLoader.load(bytes: $0, file: "fuzz.json") }),
        ("certificate", certificate),
        ("certificate-der", certificateDER),
        ("crl", crl),
        ("ocsp", ocsp),
        ("jwt", jwt),
        ("jwks", { _ = try? JSONWebKeySet.parse($0) }),
        ("http-reply", httpReply),
        ("login-reply", loginReply),
        ("scrubber", scrubber),
        ("ledger", ledger),
        ("seal-statement", { _ = try? SealStatement.parse($0, file: "fuzz.seal") }),
        ("timestamp", { _ = TimestampAuthority.verify(reply: $0, data: [1, 2, 3], trustedPEM: Fixed.shared.caPEM) }),
        ("report-json", reportJSON),
        ("import-trufflehog", { imported(.trufflehog, $0) { b, o throws(InputErrors) in try TrufflehogImport.read(b, file: "fuzz.jsonl", options: o) } }),
        ("import-gitleaks", { imported(.gitleaks, $0) { b, o throws(InputErrors) in try GitleaksImport.read(b, file: "fuzz.json", options: o) } }),
        ("import-aws", { imported(.awsCredentialReport, $0) { b, o throws(InputErrors) in try AWSCredentialReportImport.read(b, file: "fuzz.csv", options: o) } }),
        ("import-kubernetes", { imported(.kubernetes, $0) { b, o throws(InputErrors) in try KubernetesSecretsImport.read(b, file: "fuzz.yaml", options: o) } }),
        ("kdc-reply", kdcReply),
        ("ssh-certificate", sshCertificate),
        ("ssh-krl", sshKRL),
    ]

    /// libkrb5 reads a KDC's reply to an AS-REQ; the oracle: no reply made without the
    /// principal's key gets a ticket accepted (an acceptance must decrypt with the password's key).
    static func kdcReply(_ bytes: [UInt8]) {
        if case .success = KerberosProber.readReply(bytes) { fatalError("a KDC reply made without the key was read as a ticket issued") }
    }

    /// A `-cert.pub` file (text), and the same bytes as a certificate's binary form.
    static func sshCertificate(_ bytes: [UInt8]) {
        if let cert = try? SSHCertificate.parse(file: bytes) { _ = (cert.summary, cert.notBefore, cert.notAfter) }
        _ = try? SSHCertificate.parse(blob: bytes)
    }

    /// A KRL, asked about a fixed certificate (every kind of revocation it lists is looked up).
    static func sshKRL(_ bytes: [UInt8]) {
        guard let krl = try? SSHKeyRevocationList.parse(bytes) else { return }
        _ = krl.revocation(of: Fixed.sshCertificate, sha256: Digest.sha256, sha1: Digest.sha1)
    }

    /// `revenant merge` reads shard reports; the oracle: a report it accepts, written again as
    /// JSON, reads back to the same results (what a merge of merges relies on).
    static func reportJSON(_ bytes: [UInt8]) {
        guard let report = try? JSONReportDecoder.decode(bytes, file: "shard.json") else { return }
        let again = ReportFormat.json.render(report)
        guard let back = try? JSONReportDecoder.decode(Array(again.utf8), file: "again.json") else {
            fatalError("a report the decoder accepted does not read back once written: \(again.prefix(300))")
        }
        if back.results.count != report.results.count || zip(back.results, report.results).contains(where: { $0.findings != $1.findings }) {
            fatalError("a report written and read back lost or changed results")
        }
        for format in ReportFormat.allCases { format.write(report) { _ in } }
    }

    /// An importer reads a scanner's or a cluster's output; the oracles: what it writes as JSON is
    /// an inventory revenant reads, and no secret of its files is in the inventory's text.
    static func imported(_ source: ImportSource, _ bytes: [UInt8],
                         _ read: ([UInt8], ImportOptions) throws(InputErrors) -> ImportedInventory) {
        guard let inventory = try? read(bytes, ImportOptions()) else { return }
        let (text, files) = ImportedInventoryWriter.render(inventory, format: .json, secretsDirectory: "fuzz.secrets", source: source)
        for file in files where file.isSecret && file.bytes.count >= 6 && text.firstRange(of: file.bytes) != nil {
            fatalError("\(source.rawValue): the secret of \(file.relativePath) is in the inventory's text")
        }
        do throws(InputErrors) { _ = try InventoryLoader.load(bytes: text, file: "imported.json") } catch {
            fatalError("\(source.rawValue): the imported inventory does not load: \(error.errors.prefix(3).map(\.description))")
        }
        _ = ImportedInventoryWriter.render(inventory, format: .yaml, secretsDirectory: "fuzz.secrets", source: source)
    }

    /// PEM, DER or PKCS#12 (the first byte picks the name the loader is told), and the lifecycle rules on what loads.
    static func certificate(_ bytes: [UInt8]) {
        let name = ["fuzz.pem", "fuzz.der", "fuzz.p12"][Int(bytes.first ?? 0) % 3]
        let file = X509Loader.load(bytes: bytes, path: name, pkcs12Password: "fuzz")
        for certificate in file.certificates {
            _ = CertificateLifecycle.findings(for: certificate.info.facts, policy: Policy(), now: Fixed.shared.now)
            _ = certificate.pem
        }
    }

    /// The DER reader (`CertificateDER`, `X509FastReader`) and the plain PEM reader (`PEMCertificateBlocks`);
    /// the oracles: what they read, OpenSSL reads alike, fact for fact and byte for byte, and decodes with
    /// its key (the readers never take what OpenSSL refuses).
    static func certificateDER(_ bytes: [UInt8]) {
        if case .disagreed(let why) = X509ReaderCrossCheck.check(bytes) { fatalError("certificate-der: \(why)") }
        if case .disagreed(let why) = X509ReaderCrossCheck.checkPEM(bytes) { fatalError("certificate-der, PEM: \(why)") }
        var reader = DERReader(bytes)
        while let element = try? reader.read(), element.isConstructed { reader = reader.children(of: element) }
    }

    static func crl(_ bytes: [UInt8]) {
        guard let list = try? CertificateRevocationList(bytes: bytes) else { return }
        _ = list.freshness(at: Fixed.shared.now)
        _ = list.entry(serialHex: "01")
        if let issuer = Fixed.shared.issuer {
            _ = list.isSigned(by: issuer)
            if let leaf = Fixed.shared.leaf { _ = list.entry(for: leaf) }
        }
    }

    static func ocsp(_ bytes: [UInt8]) {
        guard let leaf = Fixed.shared.leaf, let issuer = Fixed.shared.issuer else { return }
        _ = OCSPClient(fetcher: RevocationFetcher()).read(bytes, about: leaf, issuer: issuer, now: Fixed.shared.now)
    }

    static func jwt(_ bytes: [UInt8]) {
        guard let token = try? JSONWebToken.decode(String(decoding: bytes, as: UTF8.self)) else { return }
        _ = JWTLifecycle.self
        _ = token
    }

    /// A shipped probe (picked by the first byte) reads an answer: status from the next two bytes,
    /// then `Name: value` header lines up to an empty line, then the body.
    static func httpReply(_ bytes: [UInt8]) {
        let probes = Fixed.shared.probes
        guard bytes.count >= 3, !probes.isEmpty else { return }
        let probe = probes[Int(bytes[0]) % probes.count]
        let status = 100 + (Int(bytes[1]) << 8 | Int(bytes[2])) % 500
        var rest = bytes.dropFirst(3)
        var headers: [HTTPHeader] = []
        while let end = rest.firstIndex(of: 0x0A), end > rest.startIndex, headers.count < 100 {
            let line = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
            rest = rest[(end + 1)...]
            guard let colon = line.firstIndex(of: ":") else { break }
            headers.append(HTTPHeader(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        if rest.first == 0x0A { rest = rest.dropFirst() }
        let response = HTTPResponse(status: status, headers: headers, body: Array(rest))
        _ = ResponseClassifier.classify(.success(.http(response)), probe: probe, lookup: "svc-fuzz")
    }

    /// The login protocols' readers of what a server said.
    static func loginReply(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for scheme in ["imap", "imaps", "smtp", "smtps"] { _ = MailLogin.refusesCredentials(text, scheme: scheme) }
        _ = PostgreSQLProtocol.classifyFailure(text, timeout: .default)
        _ = PostgreSQLProtocol.classifyFailure(text, timeout: .default, verifying: true)
        _ = LDAPProtocol.activeDirectoryKeepsThePassword(text)
        _ = TLSClientCertificateProtocol.refusalSaysWhy(text)
        _ = AWSSigV4Protocol.account(bytes)
    }

    /// The oracle: server text quoted into a reason, scrubbed with the grams of the secret sent,
    /// must hold no 6-byte run of that secret, whatever the server wrote around or into it.
    static func scrubber(_ bytes: [UInt8]) {
        let secret = Fixed.shared.secret
        let reason = "status 302: redirected to " + ServerText.quote(String(decoding: bytes, as: UTF8.self))
        let scrubbed = Fixed.shared.scrubber.scrub(reason)
        let out = Array(scrubbed.utf8), key = Array(secret.utf8)
        for start in 0...(key.count - 6) where out.firstRange(of: key[start..<(start + 6)]) != nil {
            fatalError("scrubber left the secret's bytes \(start)..<\(start + 6) in: \(scrubbed)")
        }
    }

    /// The ledger reader, strict and streaming: from a file (it reads files only).
    static func ledger(_ bytes: [UInt8]) {
        let path = Fixed.shared.ledgerPath
        guard let data = Optional(Data(bytes)), FileManager.default.createFile(atPath: path, contents: data) else { return }
        _ = EvidenceLedger.verify(path: path)
        _ = EvidenceLedger.survey(path: path)
    }
}

/// What the targets share, made once: the clock, the shipped probes, a certificate and its issuer
/// (REVENANT_FUZZ_CERT / REVENANT_FUZZ_ISSUER, PEM files scripts/fuzz.sh makes), the secret.
final class Fixed: @unchecked Sendable {
    static let shared = Fixed()
    let now = Date(timeIntervalSince1970: 1_780_000_000)
    let secret = "ghp_R3vEnAnT-fUzZ-5ecret/+=%Key"
    /// As the engine makes it for a host whose answers quote the server: the grams of the secret sent there.
    lazy var scrubber = SecretScrubber(grams: SecretGrams([Secret(secret)]), own: [Secret(secret)])
    let probes: [ProbeDefinition]
    let leaf: X509Certificate?
    let issuer: X509Certificate?
    let caPEM: [UInt8]
    let ledgerPath = NSTemporaryDirectory() + "revenant-fuzz-ledger-\(getpid()).jsonl"

    init() {
        let env = ProcessInfo.processInfo.environment
        let root = env["REVENANT_FUZZ_ROOT"] ?? FileManager.default.currentDirectoryPath
        probes = ProbeLoader.load(paths: [root + "/Probes"]).definitions.sorted { $0.key < $1.key }.map(\.value)
        func certificate(_ key: String) -> X509Certificate? { env[key].flatMap { X509Loader.load(file: $0).certificates.first } }
        leaf = certificate("REVENANT_FUZZ_CERT")
        issuer = certificate("REVENANT_FUZZ_ISSUER")
        caPEM = issuer?.pem ?? []
    }
}

nonisolated(unsafe) var selected: FuzzTargets.Target = { _ in }

#if FUZZING
/// The fuzzer runtime asks for this symbol; the driver is handed it too.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selected(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#endif

@_cdecl("revenant_fuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let arguments = (0..<Int(argc)).map { argv[$0].map { String(cString: $0) } ?? "" }
    let names = FuzzTargets.all.map(\.name)
    guard arguments.count >= 2, let target = FuzzTargets.all.first(where: { $0.name == arguments[1] }) else {
        FileHandle.standardError.write(Data("usage: revenant-fuzz TARGET [options] [CORPUS…]\ntargets: \(names.joined(separator: " "))\n".utf8))
        return 2
    }
    selected = target.run
    _ = Fixed.shared
    #if FUZZING
    // libFuzzer sees the program name and what follows the target.
    var rest: [UnsafeMutablePointer<CChar>?] = [argv[0]] + (2..<Int(argc)).map { argv[$0] } + [nil]
    var count = Int32(rest.count - 1)
    return rest.withUnsafeMutableBufferPointer { buffer in
        var pointer = buffer.baseAddress
        return LLVMFuzzerRunDriver(&count, &pointer) { data, size in testOneInput(data, size) }
    }
    #else
    var ran = 0
    for path in arguments.dropFirst(2) where !path.hasPrefix("-") {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
        let files = isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
            : [path]
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            selected(Array(data))
            ran += 1
        }
    }
    print("\(target.name): \(ran) inputs replayed, no crash")
    return 0
    #endif
}

extension Fixed {
    /// An Ed25519 user certificate (serial 42, key id "fuzz", principal alice), built field by field
    /// as PROTOCOL.certkeys lays it out: what the KRL target asks each list about.
    static let sshCertificate: SSHCertificate = {
        func u32(_ n: Int) -> [UInt8] { [0, 0, UInt8(n >> 8), UInt8(n & 0xff)] }
        func s(_ b: [UInt8]) -> [UInt8] { u32(b.count) + b }
        let ca = s(Array("ssh-ed25519".utf8)) + s([UInt8](repeating: 9, count: 32))
        let blob = s(Array("ssh-ed25519-cert-v01@openssh.com".utf8)) + s([1]) + s([UInt8](repeating: 7, count: 32))
            + [0, 0, 0, 0, 0, 0, 0, 42] + u32(1) + s(Array("fuzz".utf8)) + s(s(Array("alice".utf8)))
            + [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0xff, count: 8) + s([]) + s([]) + s([]) + s(ca) + s([])
        // The bytes above are a certificate by construction: failing to read them is a bug here.
        guard let cert = try? SSHCertificate.parse(blob: blob) else { fatalError("the fixed SSH certificate does not parse") }
        return cert
    }()
}

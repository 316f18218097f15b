import Foundation
import RevenantCore
import RevenantFiles
import TestSupport
import Testing
@testable import RevenantNet
#if canImport(Glibc)
import Glibc
#endif

/// CRL and OCSP lookups against a CA made by `openssl ca` at test time, a real `openssl ocsp`
/// responder on a free loopback port, and a listener that never answers. Every status revenant
/// reports is compared with what `openssl verify -crl_check` or `openssl ocsp` says.
@Suite struct RevocationCheckerTests {
    static func makePKI(_ label: String, ocspPort: Int, silentPort: Int) async throws -> RevocationPKI {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("revenant-rev-\(label)-\(UUID().uuidString.prefix(8))")
        return try await offCooperativePool { try RevocationPKI(directory: dir, ocspPort: ocspPort, silentPort: silentPort) }
    }

    static func load(_ pki: RevocationPKI, _ name: String) throws -> X509Certificate {
        let file = X509Loader.load(file: pki.file("\(name).pem"))
        guard let certificate = file.certificates.first else { throw PKIError(description: "\(name).pem: \(file.problem?.description ?? "")") }
        return certificate
    }

    /// Every lookup of `name`, against the root as issuer, on a thread of its own (fetches block).
    static func lookups(_ pki: RevocationPKI, _ name: String, _ checker: RevocationChecker, issuer: Bool = true) async throws -> [RevocationLookup] {
        try await offCooperativePool { checker.check(try load(pki, name), issuer: issuer ? try load(pki, "root") : nil) }
    }

    @Test func crlOverFileAgreesWithOpenSSLVerify() async throws {
        let pki = try await Self.makePKI("crl", ocspPort: 1, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let root = try Self.load(pki, "root")
        let checker = RevocationChecker(options: RevocationOptions(ocsp: false, timeout: 2))
        for (name, revoked) in [("good", false), ("revoked", true), ("inventory-only", false)] {
            let lookups = try await Self.lookups(pki, name, checker)
            #expect(lookups.count == 1 && lookups[0].source == .crl && lookups[0].url == pki.crlURL, "\(lookups)")
            let openssl = try await offCooperativePool { pki.opensslVerify(name) }
            if revoked {
                guard case .revoked(let at, let reason)? = lookups.first?.status else {
                    Issue.record("\(name): \(lookups)")
                    continue
                }
                #expect(reason == "keyCompromise" && at != nil)
                #expect(openssl.contains("certificate revoked"), "\(name): openssl verify says \(openssl)")
            } else {
                #expect(lookups.first?.status == .good, "\(name): \(lookups)")
                #expect(openssl.contains("OK"), "\(name): openssl verify says \(openssl)")
            }
            #expect(lookups.first?.crlNumber == "1")
            #expect(lookups.first?.nextUpdate != nil)
        }
        // The same CRL in DER: same entries.
        let der = try CertificateRevocationList(bytes: try #require(FileBytes.read(pki.file("root.crl.der"))))
        #expect(der.entryCount == 2 && der.isSigned(by: root))
        #expect(der.entry(for: try Self.load(pki, "revoked"))?.reason == "keyCompromise")
        #expect(der.entry(for: try Self.load(pki, "good")) == nil)
        #expect(der.entry(serialHex: try Self.load(pki, "revoked").info.serial) != nil)
    }

    @Test func staleOrForeignCRLProvesNothing() async throws {
        let pki = try await Self.makePKI("stale", ocspPort: 1, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let checker = RevocationChecker(options: RevocationOptions(ocsp: false, timeout: 2))
        let stale = try await Self.lookups(pki, "stale", checker)
        guard case .unavailable(let why)? = stale.first?.status else { Issue.record("\(stale)"); return }
        #expect(why.contains("stale: nextUpdate 2024-01-08"), "\(why)")
        #expect(try await offCooperativePool { pki.opensslVerify("stale", crl: "stale.crl") }.contains("CRL has expired"))
        let foreign = try await Self.lookups(pki, "foreign", checker)
        guard case .unavailable(let reason)? = foreign.first?.status else { Issue.record("\(foreign)"); return }
        #expect(reason.contains("not signed by the certificate's issuer"), "\(reason)")
        let foreignVerify = try await offCooperativePool { pki.opensslVerify("foreign", crl: "foreign.crl") }
        #expect(foreignVerify.contains("CRL signature failure"), "\(foreignVerify)")
        // No issuer: nothing fetched, nothing proved.
        let orphan = try await Self.lookups(pki, "good", checker, issuer: false)
        #expect(orphan.allSatisfy { if case .unavailable = $0.status { true } else { false } }, "\(orphan)")
        // Unreachable sources are never "revoked" or "good", soft fail or not.
        for lookups in [stale, foreign, orphan] {
            #expect(lookups.allSatisfy { $0.outcome.name == "inconclusive" })
        }
    }

    @Test func partialDeltaOrCriticalCRLIsNeverGood() async throws {
        let pki = try await Self.makePKI("scope", ocspPort: 1, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let checker = RevocationChecker(options: RevocationOptions(ocsp: false, timeout: 2))
        func ask(_ url: String) async throws -> RevocationLookup {
            try await offCooperativePool { checker.crlLookup(try Self.load(pki, "good"), issuer: try Self.load(pki, "root"), url: url) }
        }
        for (name, why) in [("partition", "issuingDistributionPoint"), ("delta", "delta CRL"), ("critical", "unhandled critical extension 1.3.6.1.4.1.99999.1")] {
            let lookup = try await ask("file://\(pki.file("\(name).crl"))")
            guard case .unavailable(let reason) = lookup.status else { Issue.record("\(name): \(lookup)"); continue }
            #expect(reason.hasPrefix("CRL scope not supported: ") && reason.contains(why), "\(name): \(reason)")
        }
        // The complete CRL of the same CA still proves "good".
        let complete = try await ask(pki.crlURL)
        #expect(complete.status == .good, "\(complete)")
    }

    @Test func fileURLOfANetworkCertificateIsNotFollowed() async throws {
        let pki = try await Self.makePKI("nofile", ocspPort: 1, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let checker = RevocationChecker(options: RevocationOptions(ocsp: false, timeout: 2))
        #expect(pki.crlURL.hasPrefix("file://"))
        let remote = try await offCooperativePool { checker.check(try Self.load(pki, "revoked"), issuer: try Self.load(pki, "root"), allowFile: false) }
        #expect(remote.map(\.status) == [.unavailable("file:// URL in a certificate from the network: not followed")], "\(remote)")
        // The same certificate from a local file (the default) is checked against the file's CRL.
        let local = try await Self.lookups(pki, "revoked", checker)
        #expect(local.first?.status.name == "revoked", "\(local)")
    }

    @Test func ocspResponderAgreesWithOpenSSL() async throws {
        let ports = try Loopback.freePorts(3)
        let pki = try await Self.makePKI("ocsp", ocspPort: ports[0], silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let servers = try await offCooperativePool {
            [try pki.startResponder(port: ports[0]), try pki.startResponder(port: ports[1], signer: "responder"),
             try pki.startResponder(port: ports[2], signer: "no-eku")]
        }
        defer { for server in servers { server.stop() } }
        let checker = RevocationChecker(options: RevocationOptions(crl: false, timeout: 5))
        for name in ["good", "revoked", "inventory-only"] {
            let lookups = try await Self.lookups(pki, name, checker)
            #expect(lookups.count == 1 && lookups[0].source == .ocsp && lookups[0].url == pki.ocspURL, "\(lookups)")
            let lookup = try #require(lookups.first)
            let openssl = try await offCooperativePool { pki.opensslOCSP(name, url: pki.ocspURL) }
            #expect(openssl.contains("\(name).pem: \(lookup.status.name)"), "\(name): revenant \(lookup.status), openssl ocsp: \(openssl)")
            #expect(lookup.producedAt != nil && lookup.thisUpdate != nil, "\(lookup)")
            if name == "revoked" {
                guard case .revoked(let at, let reason) = lookup.status else { continue }
                #expect(at != nil && reason == "keyCompromise", "\(lookup)")
            }
        }
        let client = OCSPClient(fetcher: RevocationFetcher(timeout: 5))
        func ask(_ url: String, at now: Date = Date()) async throws -> RevocationLookup {
            try await offCooperativePool { client.lookup(try Self.load(pki, "revoked"), issuer: try Self.load(pki, "root"), url: url, now: now) }
        }
        // A responder the issuer delegated to (OCSPSigning EKU) is believed ...
        let viaDelegate = try await ask("http://127.0.0.1:\(ports[1])/")
        #expect(viaDelegate.status.name == "revoked", "\(viaDelegate)")
        // ... one without the EKU is not, whatever it says.
        let viaNoEKU = try await ask("http://127.0.0.1:\(ports[2])/")
        guard case .unavailable(let why) = viaNoEKU.status else { Issue.record("\(viaNoEKU)"); return }
        #expect(why.contains("OCSPSigning"), "\(why)")
        // An answer judged at a time past its freshness proves nothing.
        let later = try await ask(pki.ocspURL, at: Date().addingTimeInterval(400 * 86_400))
        guard case .unavailable(let stale) = later.status else { Issue.record("\(later)"); return }
        #expect(stale.contains("stale"), "\(stale)")
    }

    @Test func ocspAnswerWithoutNextUpdateExpiresAfterAWeek() async throws {
        let port = try Loopback.freePorts(1)[0]
        let pki = try await Self.makePKI("ocsp-age", ocspPort: port, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let server = try await offCooperativePool { try pki.startResponder(port: port, nextUpdateDays: nil) }
        defer { server.stop() }
        let client = OCSPClient(fetcher: RevocationFetcher(timeout: 5))
        func ask(at now: Date) async throws -> RevocationLookup {
            try await offCooperativePool { client.lookup(try Self.load(pki, "good"), issuer: try Self.load(pki, "root"), url: pki.ocspURL, now: now) }
        }
        let fresh = try await ask(at: Date())
        #expect(fresh.status == .good && fresh.nextUpdate == nil && fresh.thisUpdate != nil, "\(fresh)")
        // Eight days on, the same kind of answer (thisUpdate now, no nextUpdate) is too old to prove "good".
        let old = try await ask(at: Date().addingTimeInterval(8 * 86_400))
        guard case .unavailable(let why) = old.status else { Issue.record("\(old)"); return }
        #expect(why.contains("stale: no nextUpdate"), "\(why)")
    }

    @Test func silentResponderIsCannotProveNotRevokedNorGood() async throws {
        let (silent, silentPort) = try Loopback.listeningSocket(backlog: 16)
        defer { close(silent) }
        let pki = try await Self.makePKI("silent", ocspPort: 1, silentPort: silentPort)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let checker = RevocationChecker(options: RevocationOptions(timeout: 1))
        let started = Date()
        let lookups = try await Self.lookups(pki, "stale", checker)
        // Unbounded, a silent responder is waited for forever; the suite's load made 1 s take 11.7 once.
        #expect(Date().timeIntervalSince(started) < 30, "the timeout bounds the silent responder")
        #expect(lookups.map(\.source) == [.ocsp, .crl])
        guard case .unavailable(let why)? = lookups.first?.status else { Issue.record("\(lookups)"); return }
        #expect(why.contains("timed out"), "\(why)")
        // The same silent responder is not waited for twice in one run; still "cannot prove".
        // (Its reason says it was not asked: a timing bound would only measure the machine's load.)
        let second = try await Self.lookups(pki, "stale", checker)
        guard case .unavailable(let skipped)? = second.first?.status else { Issue.record("\(second)"); return }
        #expect(skipped.contains("not asked again in this run: timed out"), "\(skipped)")
        for softFail in [true, false] {
            let findings = RevocationVerdict.findings(lookups: lookups, state: .revoked, notAfter: Date().addingTimeInterval(86_400 * 300),
                                                      softFail: softFail, now: Date())
            #expect(findings.map(\.code) == [.revocationUnverified], "\(findings)")
        }
    }

    @Test func findingsFromRealLookups() async throws {
        let pki = try await Self.makePKI("findings", ocspPort: 1, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let checker = RevocationChecker(options: RevocationOptions(ocsp: false, timeout: 2))
        func findings(_ name: String, _ state: LifecycleState) async throws -> [Finding] {
            let notAfter = try Self.load(pki, name).info.notAfter
            return RevocationVerdict.findings(lookups: try await Self.lookups(pki, name, checker), state: state, notAfter: notAfter,
                                              softFail: true, now: Date())
        }
        #expect(try await findings("inventory-only", .revoked).map { [$0.code.rawValue, $0.severity.rawValue] } == [["not_revoked_at_ca", "critical"]])
        #expect(try await findings("inventory-only", .rotated).map { [$0.code.rawValue, $0.severity.rawValue] } == [["not_revoked_at_ca", "high"]])
        #expect(try await findings("revoked", .revoked).map(\.code) == [.revocationVerified])
        #expect(try await findings("revoked", .active).map(\.code) == [.inventoryDrift])
        #expect(try await findings("good", .active).isEmpty)
        #expect(try await findings("expired", .revoked).isEmpty, "an expired certificate is dead by expiry")
        #expect(try await findings("stale", .offboarded).map(\.code) == [.revocationUnverified])
    }
}

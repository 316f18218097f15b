import Foundation
import RevenantCore
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
    static func makePKI(_ label: String, ocspPort: Int, silentPort: Int) throws -> RevocationPKI {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("revenant-rev-\(label)-\(UUID().uuidString.prefix(8))")
        return try RevocationPKI(directory: dir, ocspPort: ocspPort, silentPort: silentPort)
    }

    static func load(_ pki: RevocationPKI, _ name: String) throws -> X509Certificate {
        let file = X509Loader.load(file: pki.file("\(name).pem"))
        return try #require(file.certificates.first, "\(file.problem?.description ?? "")")
    }

    @Test func crlOverFileAgreesWithOpenSSLVerify() throws {
        let pki = try Self.makePKI("crl", ocspPort: 1, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let root = try Self.load(pki, "root")
        let checker = RevocationChecker(options: RevocationOptions(ocsp: false, timeoutSeconds: 2))
        for (name, revoked) in [("good", false), ("revoked", true), ("inventory-only", false)] {
            let lookups = checker.check(try Self.load(pki, name), issuer: root)
            #expect(lookups.count == 1 && lookups[0].source == .crl && lookups[0].url == pki.crlURL, "\(lookups)")
            let openssl = pki.opensslVerify(name)
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

    @Test func staleOrForeignCRLProvesNothing() throws {
        let pki = try Self.makePKI("stale", ocspPort: 1, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let root = try Self.load(pki, "root")
        let checker = RevocationChecker(options: RevocationOptions(ocsp: false, timeoutSeconds: 2))
        let stale = checker.check(try Self.load(pki, "stale"), issuer: root)
        guard case .unavailable(let why)? = stale.first?.status else { Issue.record("\(stale)"); return }
        #expect(why.contains("stale: nextUpdate 2024-01-08"), "\(why)")
        #expect(pki.opensslVerify("stale", crl: "stale.crl").contains("CRL has expired"))
        let foreign = checker.check(try Self.load(pki, "foreign"), issuer: root)
        guard case .unavailable(let reason)? = foreign.first?.status else { Issue.record("\(foreign)"); return }
        #expect(reason.contains("not signed by the certificate's issuer"), "\(reason)")
        #expect(pki.opensslVerify("foreign", crl: "foreign.crl").contains("CRL signature failure"),
                "\(pki.opensslVerify("foreign", crl: "foreign.crl"))")
        // No issuer: nothing fetched, nothing proved.
        let orphan = checker.check(try Self.load(pki, "good"), issuer: nil)
        #expect(orphan.allSatisfy { if case .unavailable = $0.status { true } else { false } }, "\(orphan)")
        // Unreachable sources are never "revoked" or "good", soft fail or not.
        for lookups in [stale, foreign, orphan] {
            #expect(lookups.allSatisfy { $0.outcome.name == "inconclusive" })
        }
    }

    @Test func ocspResponderAgreesWithOpenSSL() throws {
        let ports = try Loopback.freePorts(3)
        let pki = try Self.makePKI("ocsp", ocspPort: ports[0], silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let root = try Self.load(pki, "root")
        let byRoot = try pki.startResponder(port: ports[0])
        defer { byRoot.stop() }
        let delegated = try pki.startResponder(port: ports[1], signer: "responder")
        defer { delegated.stop() }
        let noEKU = try pki.startResponder(port: ports[2], signer: "no-eku")
        defer { noEKU.stop() }
        let checker = RevocationChecker(options: RevocationOptions(crl: false, timeoutSeconds: 5))
        for name in ["good", "revoked", "inventory-only"] {
            let lookups = checker.check(try Self.load(pki, name), issuer: root)
            #expect(lookups.count == 1 && lookups[0].source == .ocsp && lookups[0].url == pki.ocspURL, "\(lookups)")
            let lookup = try #require(lookups.first)
            let openssl = pki.opensslOCSP(name, url: pki.ocspURL)
            #expect(openssl.contains("\(name).pem: \(lookup.status.name)"), "\(name): revenant \(lookup.status), openssl ocsp: \(openssl)")
            #expect(lookup.producedAt != nil && lookup.thisUpdate != nil, "\(lookup)")
            if name == "revoked" {
                guard case .revoked(let at, let reason) = lookup.status else { continue }
                #expect(at != nil && reason == "keyCompromise", "\(lookup)")
            }
        }
        let client = OCSPClient(fetcher: RevocationFetcher(timeoutSeconds: 5))
        let revoked = try Self.load(pki, "revoked")
        // A responder the issuer delegated to (OCSPSigning EKU) is believed ...
        let viaDelegate = client.lookup(revoked, issuer: root, url: "http://127.0.0.1:\(ports[1])/", now: Date())
        #expect(viaDelegate.status.name == "revoked", "\(viaDelegate)")
        // ... one without the EKU is not, whatever it says.
        let viaNoEKU = client.lookup(revoked, issuer: root, url: "http://127.0.0.1:\(ports[2])/", now: Date())
        guard case .unavailable(let why) = viaNoEKU.status else { Issue.record("\(viaNoEKU)"); return }
        #expect(why.contains("OCSPSigning"), "\(why)")
        // An answer judged at a time past its freshness proves nothing.
        let later = client.lookup(revoked, issuer: root, url: pki.ocspURL, now: Date().addingTimeInterval(400 * 86_400))
        guard case .unavailable(let stale) = later.status else { Issue.record("\(later)"); return }
        #expect(stale.contains("stale"), "\(stale)")
    }

    @Test func silentResponderIsCannotProveNotRevokedNorGood() throws {
        let (silent, silentPort) = try Loopback.listeningSocket(backlog: 16)
        defer { close(silent) }
        let pki = try Self.makePKI("silent", ocspPort: 1, silentPort: silentPort)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let root = try Self.load(pki, "root")
        let checker = RevocationChecker(options: RevocationOptions(timeoutSeconds: 1))
        let started = Date()
        let lookups = checker.check(try Self.load(pki, "stale"), issuer: root)
        #expect(Date().timeIntervalSince(started) < 10, "the timeout bounds the silent responder")
        #expect(lookups.map(\.source) == [.ocsp, .crl])
        guard case .unavailable(let why)? = lookups.first?.status else { Issue.record("\(lookups)"); return }
        #expect(why.contains("timed out"), "\(why)")
        for softFail in [true, false] {
            let findings = RevocationVerdict.findings(lookups: lookups, state: .revoked, notAfter: Date().addingTimeInterval(86_400 * 300),
                                                      softFail: softFail, now: Date())
            #expect(findings.map(\.code) == [.revocationUnverified], "\(findings)")
        }
    }

    @Test func findingsFromRealLookups() throws {
        let pki = try Self.makePKI("findings", ocspPort: 1, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let root = try Self.load(pki, "root")
        let checker = RevocationChecker(options: RevocationOptions(ocsp: false, timeoutSeconds: 2))
        func findings(_ name: String, _ state: LifecycleState) throws -> [Finding] {
            let cert = try Self.load(pki, name)
            return RevocationVerdict.findings(lookups: checker.check(cert, issuer: root), state: state, notAfter: cert.info.notAfter,
                                              softFail: true, now: Date())
        }
        #expect(try findings("inventory-only", .revoked).map { [$0.code.rawValue, $0.severity.rawValue] } == [["not_revoked_at_ca", "critical"]])
        #expect(try findings("inventory-only", .rotated).map { [$0.code.rawValue, $0.severity.rawValue] } == [["not_revoked_at_ca", "high"]])
        #expect(try findings("revoked", .revoked).map(\.code) == [.revocationVerified])
        #expect(try findings("revoked", .active).map(\.code) == [.inventoryDrift])
        #expect(try findings("good", .active).isEmpty)
        #expect(try findings("expired", .revoked).isEmpty, "an expired certificate is dead by expiry")
        #expect(try findings("stale", .offboarded).map(\.code) == [.revocationUnverified])
    }
}

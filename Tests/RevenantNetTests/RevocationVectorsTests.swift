import Foundation
import RevenantCore
import RevenantFiles
import TestSupport
import Testing
@testable import RevenantNet

/// Robustness: every CRL (PKITS and pyca's custom edge cases) and every OCSP response in
/// the PyPI package cryptography-vectors loads without a crash: parsed, or a clear error.
@Suite struct RevocationVectorsTests {
    static func directory() -> String? {
        switch CryptographyVectorsTests.vectors() {
        case .success(let dir): return dir
        case .failure(let why):
            if CryptographyVectorsTests.isCI { Issue.record("CI=true: \(why)") } else { print("skipped: \(why)") }
            return nil
        }
    }

    static func files(_ dir: String, _ keep: (String) -> Bool) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter(keep).sorted().map { dir + "/" + $0 }
    }

    @Test func everyCRLVectorParsesOrFailsWithAReason() throws {
        guard let x509 = Self.directory() else { return }
        let pkits = Self.files(x509 + "/PKITS_data/crls") { $0.hasSuffix(".crl") }
        let custom = Self.files(x509 + "/custom") { $0.lowercased().contains("crl") }
        #expect(pkits.count == 173 && custom.count >= 25, "\(pkits.count) PKITS, \(custom.count) custom")
        var parsed = 0, entries = 0
        var failures: [String] = []
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        for path in pkits + custom {
            let bytes = try #require(FileBytes.read(path))
            do throws(CRLError) {
                let crl = try CertificateRevocationList(bytes: bytes)
                parsed += 1
                entries += crl.entryCount
                _ = crl.freshness(at: now)
                _ = crl.entry(serialHex: "1")
            } catch {
                #expect(!error.reason.isEmpty, "\(path)")
                failures.append("\((path as NSString).lastPathComponent): \(error.reason)")
            }
        }
        // PKITS CRLs are all well-formed DER (some carry bad signatures or dates, which is the point).
        let pkitsFailures = failures.filter { name in pkits.contains { $0.hasSuffix("/" + name.prefix { $0 != ":" }) } }
        #expect(pkitsFailures.isEmpty, "\(pkitsFailures)")
        #expect(parsed >= 173 + 20, "parsed \(parsed); failures: \(failures)")
        #expect(entries > 10_000, "crl_almost_10k alone has 9,999 entries")
        print("CRL vectors: \(parsed) parsed (\(entries) entries), \(failures.count) refused with a reason: \(failures.prefix(12))")
    }

    @Test func everyOCSPResponseVectorIsJudgedWithoutACrash() throws {
        guard let x509 = Self.directory() else { return }
        let responses = Self.files(x509 + "/ocsp") { $0.contains("resp") }
        #expect(responses.count >= 18, "\(responses.count)")
        let anchor = try #require(X509Loader.load(file: x509 + "/PKITS_data/certs/TrustAnchorRootCertificate.crt").certificates.first)
        let request = try #require(OCSPRequest(anchor, issuer: anchor))
        let client = OCSPClient(fetcher: RevocationFetcher())
        var decoded = 0
        for path in responses {
            let bytes = try #require(FileBytes.read(path))
            if let response = OCSPResponse(der: bytes) {
                decoded += 1
                #expect(!response.summary.isEmpty)
            }
            // The full judgement (status, signature, nonce, freshness): none of these answers is about
            // this certificate or signed by its issuer, so none may prove anything.
            var lookup = RevocationLookup(source: .ocsp, url: "file://" + path, status: .unavailable("not judged"))
            client.evaluate(bytes, request: request, issuer: anchor, now: Date(), into: &lookup)
            guard case .unavailable(let why) = lookup.status else {
                Issue.record("\(path): \(lookup.status)")
                continue
            }
            #expect(!why.isEmpty)
        }
        #expect(decoded >= responses.count - 4, "decoded \(decoded) of \(responses.count)")
    }
}

import Foundation
import RevenantCore
import TestSupport
import Testing
@testable import RevenantNet

/// OCSP by GET (RFC 6960 appendix A.1) against a real `openssl ocsp` responder, which answers both
/// methods: the same statuses as by POST.
@Suite struct OCSPGetTests {
    @Test func getURLIsTheURLEncodedBase64OfTheRequest() throws {
        // 0xfb 0xff 0xfe encodes to "+//+": every character base64 has that a URL would misread.
        let url = try #require(OCSPClient.getURL("http://ocsp.example/", request: [0xfb, 0xff, 0xfe, 0x01]))
        #expect(url == "http://ocsp.example/%2B%2F%2F%2BAQ%3D%3D")
        #expect(OCSPClient.getURL("http://ocsp.example", request: [0x30]) == "http://ocsp.example/MA%3D%3D")
        // Under 255 bytes encoded, else POST only; never for file:// or another scheme.
        #expect(OCSPClient.getURL("http://ocsp.example/", request: [UInt8](repeating: 0x41, count: 189)) != nil)
        #expect(OCSPClient.getURL("http://ocsp.example/", request: [UInt8](repeating: 0x41, count: 192)) == nil)
        #expect(OCSPClient.getURL("file:///tmp/ocsp", request: [0x30]) == nil)
        #expect(OCSPClient.getURL("ldap://ocsp.example/", request: [0x30]) == nil)
    }

    @Test func getAgreesWithPostAndWithOpenSSL() async throws {
        let port = try Loopback.freePorts(1)[0]
        let pki = try await RevocationCheckerTests.makePKI("ocsp-get", ocspPort: port, silentPort: 1)
        defer { try? FileManager.default.removeItem(atPath: pki.path) }
        let server = try await offCooperativePool { try pki.startResponder(port: port) }
        defer { server.stop() }
        let root = try RevocationCheckerTests.load(pki, "root")
        for name in ["good", "revoked"] {
            let certificate = try RevocationCheckerTests.load(pki, name)
            let request = try #require(OCSPRequest(certificate, issuer: root))
            #expect(OCSPClient.getURL(pki.ocspURL, request: request.der) != nil, "a one-certificate request with a nonce fits in a GET URL")
            var statuses: [String] = []
            for method in OCSPMethod.allCases {
                let client = OCSPClient(fetcher: RevocationFetcher(timeout: 5), method: method)
                let lookup = try await offCooperativePool {
                    client.lookup(try RevocationCheckerTests.load(pki, name), issuer: try RevocationCheckerTests.load(pki, "root"), url: pki.ocspURL, now: Date())
                }
                #expect(lookup.producedAt != nil, "\(method): \(lookup)")
                statuses.append(lookup.status.name)
            }
            let openssl = try await offCooperativePool { pki.opensslOCSP(name, url: pki.ocspURL) }
            #expect(statuses == [name, name], "\(name): \(statuses)")
            #expect(openssl.contains("\(name).pem: \(name)"), "\(openssl)")
        }
    }
}

import Foundation
import Testing
@testable import RevenantNet

/// Endpoint arguments are parsed without any network access; a scan of a closed loopback port is a problem, not a crash.
@Suite struct TLSEndpointScannerTests {
    @Test func acceptedForms() throws {
        let cases: [(String, String, Int, Bool, String)] = [
            ("127.0.0.1:8443", "127.0.0.1", 8443, true, "127.0.0.1:8443"),
            ("localhost:443", "localhost", 443, false, "localhost:443"),
            ("https://Svc.Example.com", "svc.example.com", 443, false, "https://Svc.Example.com"),
            ("https://svc.example.com:8443/", "svc.example.com", 8443, false, "https://svc.example.com:8443"),
            ("HTTPS://127.0.0.1:1", "127.0.0.1", 1, true, "HTTPS://127.0.0.1:1"),
            ("[::1]:8443", "::1", 8443, true, "[::1]:8443"),
            ("https://[::1]", "::1", 443, true, "https://[::1]"),
        ]
        for (argument, host, port, isIP, id) in cases {
            let endpoint = try TLSEndpoint.parse(argument).get()
            #expect(endpoint.host == host && endpoint.port == port && endpoint.hostIsIP == isIP && endpoint.id == id, "\(argument): \(endpoint)")
        }
        #expect(try TLSEndpoint.parse("[::1]:8443").get().url == "https://[::1]:8443/")
    }

    @Test func refusedForms() {
        let cases: [(String, String)] = [
            ("ldaps://ldap.example.com:636", "the ldaps:// scheme is not supported"),
            ("http://example.com", "the http:// scheme is not supported"),
            ("https://user:pw@example.com", "no user info"),
            ("https://example.com/path", "no user info, path"),
            ("https://example.com?q=1", "no user info, path, query"),
            ("example.com:0", "the port must be a number from 1 to 65535"),
            ("example.com:65536", "the port must be a number from 1 to 65535"),
            ("https://example.com:", "the port must be a number"),
            ("exa mple.com:443", "no user info"),
            ("-bad.example.com:443", "not a host name"),
            ("[::1", "unterminated IPv6 literal"),
            ("[zz]:443", "not an IPv6 literal"),
            ("https://", "not an endpoint"),
        ]
        for (argument, message) in cases {
            switch TLSEndpoint.parse(argument) {
            case .success(let endpoint): Issue.record("\(argument) was accepted: \(endpoint)")
            case .failure(let error):
                #expect(error.description.hasPrefix("\(argument): "), "\(error)")
                #expect(error.reason.contains(message), "\(argument): \(error.reason)")
            }
        }
    }

    @Test func closedLoopbackPortIsAProblem() throws {
        // Bind then close: the port is (almost certainly) closed for the scan.
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, length) == 0 && getsockname(s, $0, &length) == 0 }
        }
        close(s)
        let endpoint = try TLSEndpoint.parse("127.0.0.1:\(UInt16(bigEndian: address.sin_port))").get()
        let scan = TLSEndpointScanner.scan(endpoint, options: TLSScanOptions(timeout: 2))
        #expect(scan.certificates.isEmpty && scan.verification == nil)
        #expect(scan.problem?.hasPrefix("connection failed (curl 7:") == true, "\(scan.problem ?? "nil")")
    }
}

import Foundation
import RevenantCore
import RevenantNet
import Testing
import TestSupport

/// The libcurl transport against a real nginx: transfers are set up on the callers' threads and
/// their easy handles go from one transfer to the next, so each answer must be its own request's,
/// and no option or header of a handle's previous transfer may go out with the next.
@Suite struct CurlTransportTests {
    /// nginx answers with what it was sent: the `X-N` and `Authorization` headers, the `Expect` header.
    static func servers(_ port: Int) -> String {
        """
            server {
                listen 127.0.0.1:\(port);
                client_max_body_size 8m;
                location = /echo { return 200 "m=$request_method;n=$http_x_n;a=$http_authorization;l=$content_length"; }
                location = /expect { return 200 "expect=$http_expect"; }
            }
        """
    }

    static func text(_ result: ProbeResult) -> String {
        switch result {
        case .success(.http(let response)): "\(response.status) " + String(decoding: response.body, as: UTF8.self)
        case .success(let other): "unexpected answer \(other)"
        case .failure(let failure): "failure \(failure.kind): \(failure.message)"
        }
    }

    /// Runs `body` with a transport and the URL of `path` on a fresh nginx; closes and stops both.
    static func withTransport<T>(_ path: String, _ body: (CurlTransport, String) async -> T) async throws -> T {
        let work = try WorkDirectory("curl-transport")
        defer { work.remove() }
        let port = try Loopback.freePorts(1)[0]
        return try await Nginx.with(work, servers: servers(port), ports: [port]) {
            let transport = CurlTransport()
            defer { transport.close() }
            return await body(transport, "http://127.0.0.1:\(port)\(path)")
        }
    }

    @Test func everyAnswerIsItsOwnRequestsFromManyCallersAtOnce() async throws {
        let mismatches = try await Self.withTransport("/echo") { transport, url in
            // Four callers at once, 300 requests each; every other one carries `X-N`, one in five is
            // a POST with a body and one in five a HEAD (options a reused handle must not keep),
            // every 7th names another host than its URL's (refused before anything is sent, its
            // handle goes back to the pool with its options set).
            return await withTaskGroup(of: [String].self) { group in
                for caller in 0..<4 {
                    group.addTask {
                        var wrong: [String] = []
                        for i in 0..<300 {
                            let n = caller * 1_000 + i
                            var headers = [(name: "Authorization", value: "Bearer t\(n)")]
                            if n % 2 == 0 { headers.append((name: "X-N", value: "\(n)")) }
                            let refused = n % 7 == 0
                            let method = n % 5 == 1 ? "POST" : n % 5 == 3 ? "HEAD" : "GET"
                            let request = ProbeRequest(method: method, url: url, host: refused ? "127.0.0.2" : "127.0.0.1", headers: headers,
                                                       body: method == "POST" ? Array("body \(n)".utf8) : nil)
                            let got = Self.text(await transport.send(request))
                            let echo = "m=\(method);n=\(n % 2 == 0 ? "\(n)" : "");a=Bearer t\(n);l=\(method == "POST" ? "\("body \(n)".utf8.count)" : "")"
                            let expected = refused ? "failure refusedHost" : method == "HEAD" ? "200 " : "200 " + echo
                            if !got.hasPrefix(expected) || (!refused && got != expected) { wrong.append("\(n): \(got), expected \(expected)") }
                        }
                        return wrong
                    }
                }
                var all: [String] = []
                for await wrong in group { all += wrong }
                return all
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// `Expect:` (libcurl's `100-continue`, a second's stall on a server that never answers it) is
    /// removed from a request with a body, and a request without one has nothing to remove.
    @Test func noExpectHeaderGoesOutWithOrWithoutABody() async throws {
        let answers = try await Self.withTransport("/expect") { transport, url in
            var answers: [String] = []
            // 2 MB: libcurl 7.88 asks for 100-continue above 1 MB.
            for body in [nil, [UInt8](repeating: 0x61, count: 2 << 20), nil] as [[UInt8]?] {
                let request = ProbeRequest(method: body == nil ? "GET" : "POST", url: url, host: "127.0.0.1", headers: [], body: body)
                answers.append(Self.text(await transport.send(request)))
            }
            return answers
        }
        #expect(answers == ["200 expect=", "200 expect=", "200 expect="])
    }

    @Test func aClosedTransportRefusesNewTransfers() async {
        let transport = CurlTransport()
        transport.close()
        let got = Self.text(await transport.send(ProbeRequest(method: "GET", url: "http://127.0.0.1:9/", host: "127.0.0.1", headers: [])))
        #expect(got == "failure other: transport closed")
    }
}

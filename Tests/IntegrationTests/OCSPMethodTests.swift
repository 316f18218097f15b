import Foundation
import TestSupport
import Testing

/// `revocation.ocsp_method` through the binary: a responder behind nginx that answers 405 to POST and
/// passes GET on to `openssl ocsp`. Servers are required: one that cannot start fails the test.
@Suite struct OCSPMethodTests {
    @Test func aResponderThatRefusesPostIsAskedByGet() async throws {
        let work = try WorkDirectory("ocsp-method")
        defer { work.remove() }
        let ports = try Loopback.freePorts(2)  // nginx in front (the certificates' OCSP URL), openssl ocsp behind
        let directory = work.path
        let pki = try await offCooperativePool { try RevocationPKI(directory: directory, ocspPort: ports[0], silentPort: 1) }
        let prepared = Shell.capture("""
            echo '{"timeout_seconds": 5, "revocation": {"crl": false}}' > post.json
            echo '{"timeout_seconds": 5, "revocation": {"crl": false, "ocsp_method": "get"}}' > get.json
            echo '{"revocation": {"ocsp_method": "put"}}' > bad.json
            """, in: work.path)
        #expect(prepared.status == 0, "\(prepared.output)")
        let responder = try await offCooperativePool { try pki.startResponder(port: ports[1]) }
        defer { responder.stop() }
        let log = work.file("ocsp-access.log").path
        let servers = """
            server {
                listen 127.0.0.1:\(ports[0]);
                access_log "\(log)";
                location / {
                    if ($request_method = POST) { return 405; }
                    proxy_pass http://127.0.0.1:\(ports[1]);
                }
            }
            """
        try await Nginx.with(work, servers: servers, ports: [ports[0]]) {
            let files = ["good", "revoked", "root"].map { pki.file("\($0).pem") }
            func requests() -> [String] {
                work.read("ocsp-access.log").split(separator: "\n").compactMap { line in
                    // `"METHOD /path HTTP/1.1" STATUS`
                    guard let quote = line.firstIndex(of: "\"") else { return nil }
                    let fields = line[line.index(after: quote)...].split(separator: " ")
                    return fields.count > 3 ? "\(fields[0]) \(fields[3])" : nil
                }
            }
            for (config, expected) in [("post", ["POST 405", "GET 200", "POST 405", "GET 200"]), ("get", ["GET 200", "GET 200"])] {
                let before = requests().count
                let r = try await revenant(["certs"] + files + ["--revocation", "--format", "json", "--config", pki.file("\(config).json")])
                #expect(r.exited && r.status == 1, "revoked at the CA, scanned as active: high (\(config)): \(r)")
                let results = try RevocationCommandTests.lookups(r.stdout)
                #expect(results[files[0]]?.checks == [["ocsp", "authenticated", "good"]], "\(config): \(r.stdout)")
                #expect(results[files[1]]?.checks == [["ocsp", "rejected", "revoked"]], "\(config): \(r.stdout)")
                #expect(Array(requests().dropFirst(before)) == expected, "\(config): \(requests())")
            }
            let bad = try await revenant(["certs", files[0], "--revocation", "--config", pki.file("bad.json")])
            #expect(bad.exited && bad.status == 2 && bad.stderr.contains("revocation.ocsp_method"), "\(bad)")
        }
    }
}

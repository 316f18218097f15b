import Foundation
import TestSupport
import Testing

/// A certificate given without its issuer: `revenant certs --revocation` fetches the issuer from the
/// certificate's caIssuers URL (DER or PKCS#7 certs-only, served by nginx) only from hosts
/// `revocation.ca_issuers_hosts` allows, and uses it only when its key verifies the certificate.
/// Servers are required: one that cannot start fails the test.
@Suite struct CAIssuersTests {
    @Test func aMissingIssuerIsFetchedFromAnAllowedCAIssuersURL() async throws {
        let work = try WorkDirectory("ca-issuers")
        defer { work.remove() }
        let ports = try Loopback.freePorts(2)  // OCSP responder, nginx serving the issuers
        let directory = work.path
        let pki = try await offCooperativePool { try RevocationPKI(directory: directory, ocspPort: ports[0], silentPort: 1) }
        let base = "http://127.0.0.1:\(ports[1])"
        // Leaves naming the responder and a caIssuers URL: the root in DER, in a .p7c, the other CA
        // of the same name (its key does not verify the leaf), and an oversized body.
        let made = Shell.capture("""
            mkdir -p www && openssl x509 -in root.pem -outform DER -out www/root.der &&
            openssl crl2pkcs7 -nocrl -certfile root.pem -outform DER -out www/root.p7c &&
            openssl x509 -in other/root.pem -outform DER -out www/other.der &&
            head -c 2000000 /dev/zero > www/huge.der || exit 1
            for name in der p7c other huge; do
              file=$name; [ $name = der ] && file=root.der; [ $name = p7c ] && file=root.p7c
              [ $name = other ] && file=other.der; [ $name = huge ] && file=huge.der
              printf '[ aia ]\\nbasicConstraints = CA:FALSE\\nauthorityInfoAccess = OCSP;URI:\(pki.ocspURL),caIssuers;URI:\(base)/%s\\n' $file > aia-$name.cnf
              openssl req -new -key leaf.key -subj "/CN=aia-$name.example.com" -config ca.cnf -out aia-$name.csr &&
              openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in aia-$name.csr -out aia-$name.pem -notext \
                -days 30 -extfile aia-$name.cnf -extensions aia 2>&1 || exit 1
            done
            echo '{"timeout_seconds": 5, "revocation": {"crl": false, "ca_issuers_hosts": ["127.0.0.1"]}}' > allow.json
            echo '{"timeout_seconds": 5, "revocation": {"crl": false, "ca_issuers_hosts": ["pki.example.com"]}}' > elsewhere.json
            echo '{"timeout_seconds": 5, "revocation": {"crl": false}}' > none.json
            """, in: directory)
        #expect(made.status == 0, "\(made.output)")
        let responder = try await offCooperativePool { try pki.startResponder(port: ports[0]) }
        defer { responder.stop() }
        let log = work.file("issuers-access.log").path
        let servers = """
            server {
                listen 127.0.0.1:\(ports[1]);
                access_log "\(log)";
                root "\(work.file("www").path)";
            }
            """
        try await Nginx.with(work, servers: servers, ports: [ports[1]]) {
            let files = ["der", "p7c", "other", "huge"].map { pki.file("aia-\($0).pem") }
            func run(_ config: String) async throws -> [String: (checks: [[String]], codes: [String])] {
                let r = try await revenant(["certs"] + files + ["--revocation", "--format", "json", "--config", pki.file(config)])
                #expect(r.exited && (r.status == 0 || r.status == 1), "\(config): \(r)")
                return try RevocationCommandTests.lookups(r.stdout)
            }
            let unavailable = [["ocsp", "inconclusive", "unavailable"]]
            let allowed = try await run("allow.json")
            #expect(allowed[files[0]]?.checks == [["ocsp", "authenticated", "good"]], "DER issuer: \(allowed)")
            #expect(allowed[files[1]]?.checks == [["ocsp", "authenticated", "good"]], "PKCS#7 issuer: \(allowed)")
            #expect(allowed[files[2]]?.checks == unavailable, "an issuer whose key does not verify the leaf is not used: \(allowed)")
            #expect(allowed[files[3]]?.checks == unavailable, "a body over the cap is not read: \(allowed)")
            let fetched = work.read("issuers-access.log")
            #expect(fetched.contains("GET /root.der") && fetched.contains("GET /root.p7c"), "\(fetched)")
            // Hosts not allowed, or no hosts at all: nothing fetched, nothing proved.
            let before = fetched.split(separator: "\n").count
            for config in ["elsewhere.json", "none.json"] {
                let denied = try await run(config)
                for file in files { #expect(denied[file]?.checks == unavailable, "\(config): \(denied)") }
            }
            #expect(work.read("issuers-access.log").split(separator: "\n").count == before, "no fetch from a host not allowed")
        }
    }
}

import Foundation
import TestSupport
import Testing

/// `ldaps://` trusts the CAs `SSL_CERT_DIR` names (a directory hashed by `openssl rehash`) when
/// `tls.ca_bundle` is unset, through libldap's CA directory option; without it the bind proves
/// nothing. Against the shared slapd, whose CA the system store does not hold.
@Suite struct LDAPTrustEnvironmentTests {
    @Test func ldapsTrustsTheDirectoryNamedBySSLCertDir() async throws {
        let s = try await SharedServers.get("slapd")
        let hashed = try WorkDirectory("ldap-ca-dir")
        defer { hashed.remove() }
        let made = Shell.capture("cp \"\(try s.value("LDAP_CA"))\" ca.pem && openssl rehash . 2>&1 && ls", in: hashed.path)
        #expect(made.status == 0 && made.output.contains(".0"), "\(made.output)")
        let credentials = [ProtocolScenario.credential("svc-live-ldaps", kind: "password", state: "offboarded", probe: "t-ldap",
                                                       target: try s.value("LDAPS_URL"), secretEnv: "LIVE_PW",
                                                       ["username": try s.value("LDAP_LIVE_DN")])]
        for (directory, expected) in [(hashed.path, "authenticated"), ("", "inconclusive")] {
            let run = try await ProtocolRun.make(
                "ldaps-ca-dir", probes: [ProtocolScenario.probe("t-ldap", protocol: "ldap", kinds: ["password"])], credentials: credentials,
                environment: ["LIVE_PW": try s.value("LDAP_LIVE_PASSWORD"), "SSL_CERT_DIR": directory, "SSL_CERT_FILE": ""])
            #expect(run.outcome("svc-live-ldaps") == expected, "SSL_CERT_DIR=\(directory): \(run.reason("svc-live-ldaps"))\n\(run.result)")
        }
    }
}

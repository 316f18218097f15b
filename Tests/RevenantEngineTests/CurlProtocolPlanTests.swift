import Foundation
import RevenantCore
import RevenantFiles
import RevenantCrypto
import RevenantEngine
import RevenantProbes
import Testing

/// Planning and running the libcurl login protocols: what must never be sent, and with which name.
@Suite struct CurlProtocolPlanTests {
    static let ldap = ProbeDefinition(
        id: "dir", title: "dir", kinds: [.password], protocol: "ldap", allowedHosts: ["dir.test"],
        request: RequestTemplate(path: ""), auth: .login, authenticated: [], rejected: [], docs: "https://example.test/docs")

    static let sts = ProbeDefinition(
        id: "sts", title: "sts", kinds: [.awsAccessKey], protocol: "aws-sigv4", allowedHosts: ["sts.test"],
        request: RequestTemplate(method: "POST", path: "/", body: "Action=GetCallerIdentity&Version=2011-06-15", readOnly: true),
        auth: .awsSigV4(provider: "aws:amz:us-east-1:sts"),
        authenticated: [Matcher(status: [200])], rejected: [Matcher(status: [403], bodyContains: "InvalidClientTokenId")],
        docs: "https://example.test/docs")

    static func ldapCredential(_ id: String, secret: SecretSource) -> Credential {
        Credential(id: id, kind: .password, state: .offboarded, owner: "team", secret: secret, username: "cn=svc,dc=example,dc=test",
                   targets: [ProbeTarget(probe: "dir", target: "ldap://dir.test")], origin: "test:\(id)")
    }

    /// RFC 4513 §5.1.2: a simple bind with a name and an empty password is an *unauthenticated*
    /// bind that many servers answer with success. Sending one would report a dead account as live.
    @Test func anEmptyLDAPPasswordIsNeverSent() async throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let emptyFile = dir.appendingPathComponent("empty").path
        let newlineFile = dir.appendingPathComponent("newline").path
        _ = FileManager.default.createFile(atPath: emptyFile, contents: Data())
        _ = FileManager.default.createFile(atPath: newlineFile, contents: Data("\n".utf8))
        let credentials = [
            Self.ldapCredential("inline", secret: .value("")),
            Self.ldapCredential("env", secret: .environment("REVENANT_EMPTY_PW")),
            Self.ldapCredential("file", secret: .file(emptyFile)),
            Self.ldapCredential("newline", secret: .file(newlineFile)),
        ]
        let plan = VerifyPlanner.plan(
            inventory: Inventory(credentials: credentials, files: ["inv.json"]), probes: ["dir": Self.ldap],
            configuration: Fixture.configuration(), resolver: SecretResolver(environment: ["REVENANT_EMPTY_PW": ""]),
            fingerprinter: Fingerprinter(), certificates: nil)
        #expect(plan.sendCount == 0)
        #expect(plan.pairs.isEmpty, "no negative control either: nothing will be sent there")
        for checks in plan.checks {
            #expect(checks[0].skipReason?.contains("empty") == true, "\(checks[0].skipReason ?? "sent")")
        }
        let transport = MockTransport(respond: { _, _ in .success(.loginAccepted("accepted")) })
        let report = await Fixture.run(plan, transport: transport)
        #expect(transport.requests.isEmpty)
        #expect(report.results.allSatisfy { $0.codes == [.revocationUnverified] })
    }

    @Test func temporaryAWSCredentialsAreNotSent() {
        let credential = Credential(
            id: "session", kind: .awsAccessKey, state: .revoked, owner: "team", secret: .value("secret-of-the-key-0123456789"),
            accessKeyID: "ASIAREVENANTTEST0001", targets: [ProbeTarget(probe: "sts", target: "https://sts.test")], origin: "test:session")
        let plan = Fixture.plan([credential], probes: [Self.sts])
        #expect(plan.sendCount == 0)
        #expect(plan.checks[0][0].skipReason?.contains("temporary") == true)
    }

    @Test func sigV4CredentialsSignWithTheirAccessKeyIdAndTheControlWithARandomOne() async {
        let credential = Credential(
            id: "key", kind: .awsAccessKey, state: .revoked, owner: "team", secret: .value("secret-of-the-key-0123456789"),
            accessKeyID: "AKIAREVENANTTEST0001", targets: [ProbeTarget(probe: "sts", target: "https://sts.test")], origin: "test:key")
        let plan = Fixture.plan([credential], probes: [Self.sts])
        #expect(plan.sendCount == 1)
        let transport = MockTransport { request, _ in
            request.login?.user == "AKIAREVENANTTEST0001" ? Answer.status(200) : Answer.status(403, body: "<Code>InvalidClientTokenId</Code>")
        }
        let report = await Fixture.run(plan, transport: transport)
        let users = transport.requests.compactMap { $0.request.login?.user }
        #expect(users.count == 2)
        #expect(users.contains("AKIAREVENANTTEST0001"))
        let control = users.first { $0 != "AKIAREVENANTTEST0001" } ?? ""
        #expect(control.hasPrefix("AKIA") && control.count == 20)
        #expect(report.result("key")?.checks.first?.outcome.isAuthenticated == true)
        #expect(report.result("key")?.codes == [.residualAccess])
    }
}

import Foundation
import RevenantCore
import RevenantEngine
import RevenantProbes
import Testing

/// The plan is everything resolved before anything is sent (what `--dry-run` prints).
@Suite struct VerifyPlannerTests {
    @Test func resolvableCredentialsShareOneControlPairPerProbeAndTarget() {
        let creds = (0..<3).map { Fixture.credential("c\($0)", secret: "dead-plan-\($0)", probe: "api") }
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api")])
        #expect(plan.pairs.count == 1)
        #expect(plan.sendCount == 3)
        #expect(plan.checks.allSatisfy { $0.count == 1 && $0[0].pair == 0 && $0[0].skipReason == nil })
        #expect(plan.checks[0][0].displayURL == "https://api.test/me")
        #expect(plan.fingerprints[0] == Fingerprinter().fingerprint("dead-plan-0"))
    }

    @Test func targetsOnASubpathKeepTheirBasePath() {
        let creds = [Fixture.credential("c", secret: "dead-x", probe: "api", target: "https://api.test/v2/")]
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api", path: "/user")])
        #expect(plan.checks[0][0].displayURL == "https://api.test/v2/user")
    }

    @Test func uncheckableCredentialsAreSkippedWithAReason() {
        var noSecret = Fixture.credential("no-secret", secret: "x", probe: "api")
        noSecret.secret = .environment("REVENANT_TEST_UNSET_VARIABLE")
        var noProbeTarget = Fixture.credential("no-default", secret: "dead-y", probe: "api")
        noProbeTarget.targets = [ProbeTarget(probe: "api", target: nil)]
        let creds = [
            Fixture.credential("unknown-probe", secret: "dead-a", probe: "nope"),
            Fixture.credential("wrong-kind", kind: .sshKey, secret: "dead-b", probe: "api"),
            Fixture.credential("bad-target", secret: "dead-c", probe: "api", target: "ftp://api.test"),
            Fixture.credential("off-list", secret: "dead-d", probe: "api", target: "https://evil.test"),
            noSecret, noProbeTarget,
        ]
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api")])
        let reasons = plan.checks.map { $0[0].skipReason ?? "" }
        #expect(reasons[0].contains("unknown probe `nope`"))
        #expect(reasons[1].contains("does not take kind ssh_key"))
        #expect(reasons[2].contains("not an http(s) base URL"))
        #expect(reasons[3].contains("allowed_hosts"))
        #expect(reasons[4].contains("REVENANT_TEST_UNSET_VARIABLE"))
        #expect(reasons[5].contains("no default_target"))
        #expect(plan.sendCount == 0)
        #expect(plan.pairs.isEmpty, "no control is planned where no credential will be sent")
        #expect(plan.fingerprints[4] == nil)
    }

    @Test func positiveControlAttachesToItsPair() {
        let creds = [Fixture.credential("c", secret: "dead-z", probe: "api")]
        let controls = [
            PositiveControl(probe: "api", target: "https://api.test", secret: .value("canary-good")),
            PositiveControl(probe: "ghost", target: "https://api.test", secret: .value("canary-ghost"), origin: "inv.yaml:40"),
        ]
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api")], controls: controls)
        #expect(plan.pairs[0].positiveSecret == "canary-good")
        // A control naming an unknown probe is an input error: a typo must not silently drop it.
        #expect(plan.inputErrors.contains { $0.contains("inv.yaml:40") && $0.contains("ghost") })
    }

    @Test func unreadablePositiveControlIsAWarningWithoutTheSecret() {
        let creds = [Fixture.credential("c", secret: "dead-z", probe: "api")]
        let controls = [PositiveControl(probe: "api", target: "https://api.test", secret: .file("/nonexistent/canary"), origin: "inv.json controls[0]")]
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api")], controls: controls)
        #expect(plan.pairs[0].positiveSecret == nil)
        #expect(plan.warnings.contains { $0.contains("/nonexistent/canary") })
    }
}

/// Line endings in secret sources: trimmed, never sent (a password with `\r` is refused by the
/// server, which would read as "revoked").
@Suite struct SecretLineEndTests {
    @Test func windowsAndUnixLineEndsAreTrimmedFromFilesAndVariables() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let crlf = dir.appendingPathComponent("crlf.txt")
        try Data("s3cret-pw\r\n".utf8).write(to: crlf)
        let onlyBreak = dir.appendingPathComponent("break.txt")
        try Data("\r\n".utf8).write(to: onlyBreak)
        let resolver = SecretResolver(environment: ["PW": "env-pw\n", "WIN": "env-win\r\n"])
        #expect(try resolver.resolve(.file(crlf.path)).get() == "s3cret-pw")
        #expect((try? resolver.resolve(.file(onlyBreak.path)).get()) == nil, "only a line break is empty")
        #expect(try resolver.resolve(.environment("PW")).get() == "env-pw")
        #expect(try resolver.resolve(.environment("WIN")).get() == "env-win")
    }

    @Test func aPasswordWithALineBreakInsideIsNotSent() {
        let plan = Fixture.plan([Fixture.credential("two-lines", secret: "first\nsecond", probe: "api")], probes: [Fixture.probe("api")])
        #expect(plan.sendCount == 0)
        #expect(plan.checks[0][0].skipReason?.contains("line break") == true)
    }
}

/// An SSH login's method comes from the credential's kind, never from the secret's text.
@Suite struct SSHLoginMethodTests {
    static func sshProbe() -> ProbeDefinition {
        var probe = Fixture.probe("ssh", auth: .login, hosts: ["bastion.test"])
        probe.kind = .ssh
        probe.kinds = [.sshKey, .password]
        return probe
    }

    @Test func aPuTTYKeyIsAKeyLoginAndItsControlAGeneratedKey() {
        let putty = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\nAAAA"
        var key = Fixture.credential("putty", kind: .sshKey, secret: putty, probe: "ssh", target: "ssh://bastion.test", username: "dana")
        key.targets[0].hostKeySHA256 = "SHA256:" + String(repeating: "A", count: 43)
        var password = Fixture.credential("pw", kind: .password, secret: "hunter2-long", probe: "ssh", target: "ssh://bastion.test", username: "dana")
        password.targets[0].hostKeySHA256 = key.targets[0].hostKeySHA256
        let plan = Fixture.plan([key, password], probes: [Self.sshProbe()])
        #expect(plan.sendCount == 2)
        #expect(plan.pairs.count == 2, "key and password logins have controls of their own")
        let keyPair = plan.pairs[plan.checks[0][0].pair!]
        #expect(keyPair.keyLogin && !plan.pairs[plan.checks[1][0].pair!].keyLogin)
        let prepared = PreparedProbeRequest(keyPair.probe, target: keyPair.target, hostKeySHA256: keyPair.hostKeySHA256)
        #expect(prepared.request(secret: putty, username: "dana", timeoutSeconds: 1, keyLogin: true).login?.method == .privateKey)
        #expect(prepared.request(secret: "random", username: "dana", timeoutSeconds: 1, negativeControl: true, keyLogin: true).login?.method == .generatedKey)
    }
}

/// A secret is not sent over plain http to a system that speaks https.
@Suite struct PlainHTTPTests {
    @Test func httpToAnHTTPSProbeIsSkippedExceptOnLoopback() {
        var probe = Fixture.probe("api", hosts: ["api.test", "127.0.0.1"])
        probe.defaultTarget = "https://api.test"
        let plan = Fixture.plan([
            Fixture.credential("clear", secret: "tok-clear-1", probe: "api", target: "http://api.test"),
            Fixture.credential("tls", secret: "tok-tls-1", probe: "api", target: "https://api.test"),
            Fixture.credential("loopback", secret: "tok-loop-1", probe: "api", target: "http://127.0.0.1:8080"),
        ], probes: [probe])
        #expect(plan.checks[0][0].skipReason?.contains("clear text") == true)
        #expect(plan.checks[1][0].skipReason == nil && plan.checks[2][0].skipReason == nil)
    }
}

/// A run over a probe with `regions`: a refusal in one region is not taken as proof of death.
@Suite struct RegionRunTests {
    static let live = "live-eu-key-0123456789abcdef"

    static func probe() -> ProbeDefinition {
        var probe = Fixture.probe("sites", auth: .header(name: "X-API-Key", prefix: ""), hosts: ["us.api.test", "eu.api.test"],
                                  rejected: [Matcher(status: [403])])
        probe.regions = ["https://us.api.test", "https://eu.api.test"]
        return probe
    }

    /// 200 for the live key at the EU site only; 403 (the dead-key answer) for everything else.
    static func transport() -> MockTransport {
        MockTransport { request, credential in
            request.host == "eu.api.test" && credential == RegionRunTests.live ? Answer.status(200) : Answer.status(403)
        }
    }

    @Test func aLiveKeyOfAnotherRegionIsResidualAccessNotProvedDead() async {
        let plan = Fixture.plan([Fixture.credential("offboarded-eu", state: .offboarded, secret: Self.live, probe: "sites", target: "https://us.api.test")],
                                probes: [Self.probe()])
        let report = await Fixture.run(plan, transport: Self.transport())
        let result = report.result("offboarded-eu")!
        #expect(result.codes.contains(.residualAccess))
        #expect(!result.codes.contains(.revocationVerified))
    }

    @Test func aKeyRefusedInEveryRegionIsProvedDead() async {
        let plan = Fixture.plan([Fixture.credential("revoked", secret: "dead-key-0123456789abcdef", probe: "sites", target: "https://us.api.test")],
                                probes: [Self.probe()])
        let report = await Fixture.run(plan, transport: Self.transport())
        let result = report.result("revoked")!
        #expect(result.checks.count == 2)
        #expect(result.codes == [.revocationVerified])
    }
}

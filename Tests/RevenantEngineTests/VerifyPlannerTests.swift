import Foundation
import RevenantCore
import RevenantFiles
import RevenantCrypto
@testable import RevenantEngine
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

    /// `--only`/`--owner` narrow the run: a control for checks left out is not sent (nor warned
    /// about), one for the checks kept is, and one that matches nothing anywhere still warns.
    @Test func aNarrowedRunKeepsOnlyTheControlsItsChecksNeed() {
        let all = [
            Fixture.credential("kept", secret: "dead-k", probe: "api"),
            Fixture.credential("left-out", secret: "dead-l", probe: "chat", target: "https://chat.test"),
        ]
        let probes = [Fixture.probe("api"), Fixture.probe("chat", hosts: ["chat.test"])]
        let byID = Dictionary(uniqueKeysWithValues: probes.map { ($0.id, $0) })
        let controls = [
            PositiveControl(probe: "api", target: "https://api.test", secret: .value("canary-api"), origin: "c[0]"),
            PositiveControl(probe: "chat", target: "https://chat.test", secret: .value("canary-chat"), origin: "c[1]"),
            PositiveControl(probe: "api", target: "https://api.test/v9", secret: .value("canary-typo"), origin: "c[2]"),
        ]
        let used = VerifyPlanner.controlsInUse(controls, selected: [all[0]], all: all, probes: byID)
        #expect(used.map(\.origin) == ["c[0]", "c[2]"])
        #expect(VerifyPlanner.controlsInUse(controls, selected: all, all: all, probes: byID).count == 3, "a whole run keeps every control")
        let plan = Fixture.plan([all[0]], probes: probes, controls: used)
        #expect(!plan.warnings.contains { $0.contains("c[1]") })
        #expect(plan.warnings.contains { $0.contains("c[2]") && $0.contains("checks nothing") }, "\(plan.warnings)")
    }

    /// Reports print ids, owners and tags as written: one that holds the credential's own secret
    /// (in any case) stops the run before anything is sent, and the error names its place, not its id.
    @Test func anIdOwnerOrTagHoldingTheSecretIsAnInputError() {
        let secret = "dead-Plan-Secret-77"
        var inID = Fixture.credential("svc-\(secret.lowercased())", secret: secret, probe: "api")
        inID.origin = "line 3"
        var inOwner = Fixture.credential("b", secret: secret + "-b", probe: "api")
        inOwner.owner = "dana (\(secret)-b)"
        var inTag = Fixture.credential("c", secret: secret + "-c", probe: "api")
        inTag.tags = ["note": "old key \(secret.uppercased())-C"]
        var clean = Fixture.credential("d", secret: secret + "-d", probe: "api")
        clean.tags = ["note": "dead-Plan"]
        // A target with the secret in its path (found by an adversarial run: printed in every output).
        let inTarget = Fixture.credential("e", secret: secret + "-e", probe: "api", target: "https://api.test/hook/\(secret)-e")
        let plan = Fixture.plan([inID, inOwner, inTag, clean, inTarget], probes: [Fixture.probe("api")])
        #expect(plan.inputErrors.count == 4, "\(plan.inputErrors)")
        #expect(plan.inputErrors.contains { $0.contains("`target` holds the credential's own secret") })
        #expect(plan.inputErrors.contains { $0.contains("line 3") && $0.contains("`id` holds the credential's own secret") })
        #expect(plan.inputErrors.contains { $0.contains("`owner`") } && plan.inputErrors.contains { $0.contains("`tags.note`") })
        #expect(!plan.inputErrors.joined().lowercased().contains(secret.lowercased()), "no error repeats the secret")
    }

    @Test func aSecondPositiveControlForAPairIsAnInputError() {
        let creds = [Fixture.credential("c", secret: "dead-z", probe: "api")]
        let controls = [PositiveControl(probe: "api", target: "https://api.test", secret: .value("live-canary-1"), origin: "inv.json controls[0]"),
                        PositiveControl(probe: "api", target: "https://api.test", secret: .file("/nonexistent/canary"), origin: "inv.json controls[1]")]
        let plan = Fixture.plan(creds, probes: [Fixture.probe("api")], controls: controls)
        #expect(plan.inputErrors.contains { $0.contains("controls[1]") && $0.contains("second positive control") && $0.contains("controls[0]") },
                "\(plan.inputErrors)")
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

    /// One line ending is an editor's or `echo`'s; anything more is the secret's own, and a secret
    /// ending in `\r` sent without it would be refused and read as "revoked" (an adversarial run).
    @Test func onlyOneLineEndingIsDroppedAndALoneCarriageReturnStays() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, stored, read) in [("cr", "tok-123456\r", "tok-123456\r"), ("two", "tok-123456\n\n", "tok-123456\n"),
                                     ("crcrlf", "tok-123456\r\r\n", "tok-123456\r")] {
            let file = dir.appendingPathComponent(name)
            try Data(stored.utf8).write(to: file)
            #expect(try SecretResolver().resolve(.file(file.path)).get().bytes == Array(read.utf8), "\(name)")
        }
        let resolver = SecretResolver(environment: ["CR": "env-pw\r", "TWO": "env-pw\n\n"])
        #expect(try resolver.resolve(.environment("CR")).get().bytes == Array("env-pw\r".utf8))
        #expect(try resolver.resolve(.environment("TWO")).get().bytes == Array("env-pw\n".utf8))
        // And such a secret is not sent at all: no verdict rests on it.
        let plan = Fixture.plan([Fixture.credential("cr", secret: "tok-123456\r", probe: "api")], probes: [Fixture.probe("api")])
        #expect(plan.sendCount == 0)
        #expect(plan.checks[0][0].skipReason?.contains("line break") == true)
    }

    /// A FIFO nobody writes to must not hang the run (an adversarial run: `--dry-run` still waited
    /// after ten minutes, deaf to SIGTERM). It reads as empty; one with a writer is read.
    @Test func aFIFONobodyWritesToIsEmptyNotAWaitForever() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let done = DispatchSemaphore(value: 0)
        let result = ResolvedBox()
        Thread.detachNewThread {
            result.set(SecretResolver().resolve(.file(fifo)))
            done.signal()
        }
        if done.wait(timeout: .now() + 10) == .timedOut {
            Issue.record("reading a FIFO nobody writes to did not return in 10 s")
            // Unblock the reader: a writer that opens and closes gives it end of file.
            let writer = open(fifo, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            done.wait()
        }
        guard case .failure(let e) = result.get() else { Issue.record("a FIFO without a writer gave a secret"); return }
        #expect(e.reason.contains("a FIFO nobody was writing to") && e.reason.contains(fifo), "\(e.reason)")
        // A pipe with a writer (`<(pass show …)`) is waited for, however slow the writer.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        Thread.detachNewThread {
            usleep(200_000)
            _ = "pipe-token-1\n".withCString { write(writeEnd, $0, 13) }
            close(writeEnd)
        }
        #expect(try SecretResolver().resolve(.file("/dev/fd/\(readEnd)")).get() == "pipe-token-1")
        close(readEnd)
    }

    /// A writer that holds a pipe open and never writes (a prompt nobody answers) must not make
    /// the run deaf to a signal: the read asks `interrupted` between short waits (an adversarial run).
    @Test func aPipeWhoseWriterNeverWritesIsLeftWhenTheRunIsStopped() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        defer { close(readEnd) }
        let stopped = StopFlag()
        let done = DispatchSemaphore(value: 0)
        let result = ResolvedBox()
        Thread.detachNewThread {
            result.set(SecretResolver(interrupted: { stopped.isStopped }).resolve(.file("/dev/fd/\(readEnd)")))
            done.signal()
        }
        usleep(300_000)
        #expect(result.get() == nil, "still waiting for the writer")
        stopped.stop("terminated (SIGTERM)")
        if done.wait(timeout: .now() + 10) == .timedOut {
            Issue.record("the read went on waiting after the stop")
            close(writeEnd)  // end of file: the reader returns
            done.wait()
        } else {
            close(writeEnd)
        }
        guard case .failure(let e) = result.get() else { Issue.record("a pipe nobody wrote to gave a secret"); return }
        #expect(e.reason.contains("interrupted"), "\(e.reason)")
    }

    final class ResolvedBox: @unchecked Sendable {
        // @unchecked: `value` is only touched under `lock`.
        private let lock = NSLock()
        private var value: Result<Secret, SecretError>?
        func set(_ v: Result<Secret, SecretError>) { lock.withLock { value = v } }
        func get() -> Result<Secret, SecretError>? { lock.withLock { value } }
    }

    @Test func aControlCharacterInASecretIsNamedAsTheReasonItIsNotSentInAHeader() {
        let secret = Secret(bytes: Array("tok".utf8) + [0x01, 0x7F] + Array("en123456".utf8))
        #expect(ProbeRequestBuilder.cannotCarry(secret, auth: .bearer)?.contains("control character") == true)
        #expect(ProbeRequestBuilder.cannotCarry(Secret("tab\tinside-123"), auth: .bearer) == nil, "a tab is allowed inside a field value")
        #expect(ProbeRequestBuilder.cannotCarry(secret, auth: .basic(defaultUsername: nil, secretInUsername: false)) == nil, "Basic carries bytes")
        let plan = Fixture.plan([Fixture.credential("ctl", secret: "tok\u{01}en123456", probe: "api")], probes: [Fixture.probe("api")])
        #expect(plan.checks[0][0].skipReason?.contains("control character") == true, "\(plan.checks[0][0].skipReason ?? "sent")")
    }

    @Test func aPasswordWithALineBreakInsideIsNotSent() {
        let plan = Fixture.plan([Fixture.credential("two-lines", secret: "first\nsecond", probe: "api")], probes: [Fixture.probe("api")])
        #expect(plan.sendCount == 0)
        #expect(plan.checks[0][0].skipReason?.contains("line break") == true)
    }
}

@Test(arguments: [("127.0.0.1", true), ("127.255.0.9", true), ("localhost", true), ("::1", true),
                  ("127.example.com", false), ("127.0.0.1.example.com", false), ("1270.0.0.1", false), ("127.0.0.256", false),
                  ("127.0.0.1.", false), ("127..0.1", false), (".127.0.0.1", false), ("127.0.0", false), ("0127.0.0.1", false),
                  ("128.0.0.1", false), ("127.0.0.1000", false), ("127.0.0.０", false), ("127.0.0.-1", false), ("", false), ("127.000.00.1", true)])
func onlyRealLoopbackAddressesAreLoopback(host: String, loopback: Bool) {
    #expect(VerifyPlanner.isLoopback(host) == loopback, "\(host)")
}

/// PostgreSQL logins without a verified server are named in one warning.
@Suite struct PostgresTLSWarningTests {
    static func plan(mode: PostgresTLS.Mode, host: String) -> VerifyPlan {
        var probe = Fixture.probe("pg", auth: .login, hosts: [host])
        probe.kind = .postgresql
        probe.kinds = [.password]
        let credential = Fixture.credential("role", kind: .password, secret: "hunter2-long", probe: "pg",
                                            target: "postgresql://\(host):5432/app", username: "svc")
        var configuration = Fixture.configuration()
        configuration.postgres = PostgresTLS(mode: mode, caBundle: mode.verifiesServer ? "/ca.pem" : nil)
        return Fixture.plan([credential], probes: [probe], configuration: configuration)
    }

    @Test func preferToARemoteServerIsNamedInAWarning() {
        let warnings = Self.plan(mode: .prefer, host: "db.internal").warnings.filter { $0.contains("PostgreSQL") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("db.internal") == true && warnings.first?.contains("verify-full") == true)
    }

    @Test(arguments: [("ldap://dir.internal", true), ("ldaps://dir.internal", false), ("ldap://127.0.0.1:3389", false)])
    func cleartextLoginsToTheNetworkAreNamedInAWarning(target: String, warned: Bool) {
        var probe = Fixture.probe("dir", auth: .login, hosts: ["dir.internal", "127.0.0.1"])
        probe.kind = .ldap
        probe.kinds = [.password]
        let credential = Fixture.credential("bind", kind: .password, secret: "hunter2-long", probe: "dir", target: target,
                                            username: "cn=svc,dc=example,dc=test")
        let plan = Fixture.plan([credential], probes: [probe])
        #expect(plan.warnings.contains { $0.contains("in clear text") } == warned, "\(plan.warnings)")
    }

    @Test(arguments: [(PostgresTLS.Mode.verifyFull, "db.internal"), (.prefer, "127.0.0.1")])
    func verifiedOrLoopbackServersNeedNoWarning(mode: PostgresTLS.Mode, host: String) {
        #expect(!Self.plan(mode: mode, host: host).warnings.contains { $0.contains("PostgreSQL") })
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

    @Test func aKeyPositiveControlVouchesForKeyLoginsOnlyAndIsNeverSentAsAPassword() {
        let putty = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\nAAAA"
        var password = Fixture.credential("pw", kind: .password, secret: "hunter2-long", probe: "ssh", target: "ssh://bastion.test", username: "dana")
        password.targets[0].hostKeySHA256 = "SHA256:" + String(repeating: "A", count: 43)
        let keyControl = [PositiveControl(probe: "ssh", target: "ssh://bastion.test", secret: .value(putty), username: "dana", origin: "inv controls[0]")]
        let passwordsOnly = Fixture.plan([password], probes: [Self.sshProbe()], controls: keyControl)
        #expect(passwordsOnly.pairs.allSatisfy { $0.positiveSecret == nil }, "a key is not a password's control")
        #expect(passwordsOnly.warnings.contains { $0.contains("it is a private key") }, "\(passwordsOnly.warnings)")
        #expect(passwordsOnly.pairs[0].positiveProblem?.contains("private key") == true, "its rejections do not count")
        var key = Fixture.credential("key", kind: .sshKey, secret: putty, probe: "ssh", target: "ssh://bastion.test", username: "dana")
        key.targets[0].hostKeySHA256 = password.targets[0].hostKeySHA256
        let both = Fixture.plan([password, key], probes: [Self.sshProbe()], controls: keyControl)
        let keyPair = both.pairs[both.checks[1][0].pair!]
        #expect(keyPair.keyLogin && keyPair.positiveSecret != nil)
        #expect(both.pairs[both.checks[0][0].pair!].positiveSecret == nil)
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
        #expect(prepared.request(secret: Secret(putty), username: "dana", timeout: 1, keyLogin: true).login?.method == .privateKey)
        #expect(prepared.request(secret: "random", username: "dana", timeout: 1, negativeControl: true, keyLogin: true).login?.method == .generatedKey)
    }
}

/// A secret is not sent over plain http, but on loopback: whatever the probe says of its default
/// target (the shipped templates without one, okta, atlassian, …, sent `http://` secrets in clear:
/// found by an adversarial run).
@Suite struct PlainHTTPTests {
    @Test(arguments: [nil, "https://api.test"] as [String?])
    func httpIsSkippedExceptOnLoopback(defaultTarget: String?) {
        var probe = Fixture.probe("api", hosts: ["api.test", "127.0.0.1"])
        probe.defaultTarget = defaultTarget
        let plan = Fixture.plan([
            Fixture.credential("clear", secret: "tok-clear-1", probe: "api", target: "http://api.test"),
            Fixture.credential("tls", secret: "tok-tls-1", probe: "api", target: "https://api.test"),
            Fixture.credential("loopback", secret: "tok-loop-1", probe: "api", target: "http://127.0.0.1:8080"),
        ], probes: [probe])
        #expect(plan.checks[0][0].skipReason?.contains("clear text") == true)
        #expect(plan.checks[1][0].skipReason == nil && plan.checks[2][0].skipReason == nil)
        #expect(plan.sendCount == 2)
    }
}

/// Where a provider refuses a live credential exactly as it refuses a dead one (a username it does
/// not read, another data centre or region), a refusal proves nothing: the shipped probes say so in
/// data (`username_format`, `host_from_secret`, `regions`) and the planner acts on it.
@Suite struct ProviderShapePlanTests {
    static let shipped: [String: ProbeDefinition] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ProbeLoader.load(paths: [root.appendingPathComponent("Probes").path]).definitions
    }()

    static func credential(_ id: String, state: LifecycleState = .revoked, secret: String, probe: String, target: String?, username: String? = nil) -> Credential {
        var c = Fixture.credential(id, state: state, kind: .apiKey, secret: secret, probe: probe, username: username)
        c.targets = [ProbeTarget(probe: probe, target: target)]
        return c
    }

    static let mailchimpKey = "0123456789abcdef0123456789abcdef-us6"

    @Test func aMailchimpKeyGoesOnlyToItsOwnDataCentre() throws {
        let probe = try #require(Self.shipped["mailchimp"])
        let plan = Fixture.plan([
            Self.credential("own-dc", secret: Self.mailchimpKey, probe: "mailchimp", target: "https://us6.api.mailchimp.com"),
            Self.credential("wrong-dc", secret: Self.mailchimpKey, probe: "mailchimp", target: "https://us1.api.mailchimp.com"),
            Self.credential("no-target", secret: Self.mailchimpKey, probe: "mailchimp", target: nil),
            Self.credential("no-suffix", secret: "0123456789abcdef0123456789abcdef", probe: "mailchimp", target: "https://us6.api.mailchimp.com"),
        ], probes: [probe])
        #expect(plan.checks[0][0].skipReason == nil)
        // At another data centre Mailchimp answers a live key 401 "API Key Invalid": never sent there.
        let wrong = try #require(plan.checks[1][0].skipReason)
        #expect(wrong.contains("wrong-dc") && wrong.contains("us6.api.mailchimp.com") && wrong.contains("us1.api.mailchimp.com"))
        #expect(plan.checks[2][0].skipReason == nil)
        #expect(plan.checks[2][0].displayURL == "https://us6.api.mailchimp.com/3.0/", "the target comes from the key")
        #expect(plan.checks[3][0].skipReason?.contains("does not name its host") == true)
        #expect(plan.pairs.map(\.target.host) == ["us6.api.mailchimp.com"])
    }

    @Test(arguments: [
        // probe, target, a username the provider would refuse a live credential with, one it reads
        ("zendesk", "https://acme.zendesk.com", "dana@example.com", "dana@example.com/token"),
        ("atlassian", "https://acme.atlassian.net", "dana", "dana@example.com"),
        ("twilio", "https://api.twilio.com", "SK0123456789abcdef0123456789abcdef", "AC0123456789abcdef0123456789abcdef"),
        ("mailgun", "https://api.mailgun.net", "dana@example.com", "api"),
    ])
    func aUsernameTheProviderWouldNotReadIsNotSent(probeID: String, target: String, wrong: String, right: String) throws {
        let probe = try #require(Self.shipped[probeID])
        let plan = Fixture.plan([
            Self.credential("wrong-user", secret: "dead-secret-0123456789", probe: probeID, target: target, username: wrong),
            Self.credential("right-user", secret: "dead-secret-0123456789", probe: probeID, target: target, username: right),
        ], probes: [probe])
        let reason = try #require(plan.checks[0][0].skipReason, "\(probeID): a live credential with username `\(wrong)` gets the dead-credential answer")
        #expect(reason.contains("wrong-user") && reason.contains(probe.usernameFormat!.meaning))
        #expect(plan.checks[0].allSatisfy { $0.skipReason != nil }, "nothing of the wrong username is sent, in any region")
        #expect(plan.checks[1][0].skipReason == nil)
        // A should-be-dead credential of a probe with regions is tried in each of them.
        #expect(plan.sendCount == max(1, probe.regions.count))
    }

    @Test(arguments: ["api\n", "api\r\n", "api\u{2028}", "a@b.com/token\n"])
    func aUsernameWithALineBreakIsNeverSent(username: String) throws {
        let probeID = username.hasPrefix("api") ? "mailgun" : "zendesk"
        let target = probeID == "mailgun" ? "https://api.mailgun.net" : "https://acme.zendesk.com"
        let plan = Fixture.plan([Self.credential("newline", secret: "dead-secret-0123456789", probe: probeID, target: target, username: username)],
                                probes: [try #require(Self.shipped[probeID])])
        #expect(plan.sendCount == 0, "a live credential sent with `\(username.debugDescription)` is refused as a dead one")
        #expect(plan.checks[0].allSatisfy { $0.skipReason != nil })
        #expect(UsernameFormat(pattern: "api", meaning: "m").accepts("api\n") == false, "the pattern is anchored at the very end")
    }

    @Test func aSecretNamingItsOwnHostOrARegionalProviderIsNeverSentInClear() throws {
        let mailchimp = Fixture.plan([Self.credential("clear", secret: Self.mailchimpKey, probe: "mailchimp", target: "http://us6.api.mailchimp.com")],
                                     probes: [try #require(Self.shipped["mailchimp"])])
        #expect(mailchimp.sendCount == 0)
        #expect(mailchimp.checks[0][0].skipReason?.contains("plain http") == true)
        let datadog = Fixture.plan([Self.credential("clear", state: .active, secret: "0123456789abcdef0123456789abcdef", probe: "datadog",
                                                    target: "http://api.datadoghq.eu")], probes: [try #require(Self.shipped["datadog"])])
        #expect(datadog.sendCount == 0)
    }

    @Test func aMailchimpKeyThatCannotBeReadSaysSo() throws {
        var credential = Self.credential("unreadable", secret: "unused", probe: "mailchimp", target: nil)
        credential.secret = .environment("REVENANT_TEST_UNSET_VARIABLE_9F3A")
        let plan = Fixture.plan([credential], probes: [try #require(Self.shipped["mailchimp"])])
        let reason = try #require(plan.checks[0][0].skipReason)
        #expect(reason.contains("REVENANT_TEST_UNSET_VARIABLE_9F3A"), "the unreadable secret is the reason, not a missing target: \(reason)")
    }

    @Test func aHostNamedBySecretIsAShortLabelNeverMostOfTheSecret() {
        let rule = HostFromSecret(pattern: "^([0-9a-f]+)-us6$", host: "$1.example.com")
        #expect(rule.host(for: "0123456789abcdef0123456789abcdef-us6") == nil, "a 32-character label would carry the key into DNS")
        #expect(rule.host(for: "0123-us6") == "0123.example.com")
    }

    /// STS answers an id that is not an access key id (an IAM user name, a typo) as it answers a
    /// deleted key: such a credential is not sent.
    @Test(arguments: [("AKIAIOSFODNN7EXAMPLE", nil, true), (nil, "alice", false), ("AKIAIOSFODNN7EXAMPL", nil, false),
                      (" AKIAIOSFODNN7EXAMPLE", nil, false), ("akiaiosfodnn7example", nil, false),
                      ("AKIAI0SFODNN7EXAMPLE", nil, false)] as [(String?, String?, Bool)])
    func awsKeysAreSentOnlyWithAnAccessKeyID(keyID: String?, username: String?, sent: Bool) throws {
        var credential = Self.credential("aws", secret: "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", probe: "aws-sts", target: nil, username: username)
        credential.kind = .awsAccessKey
        credential.accessKeyID = keyID
        let plan = Fixture.plan([credential], probes: [try #require(Self.shipped["aws-sts"])])
        #expect((plan.sendCount == 1) == sent, "\(plan.checks[0].map(\.skipReason))")
    }

    @Test func mailgunsOwnUsernameIsUsedWhenTheCredentialHasNone() throws {
        let plan = Fixture.plan([Self.credential("no-user", secret: "key-0123456789abcdef", probe: "mailgun", target: nil)],
                                probes: [try #require(Self.shipped["mailgun"])])
        #expect(plan.checks[0][0].skipReason == nil)
    }

    @Test func aDeadDatadogKeyIsTriedAtEverySiteAndAnActiveOneOnlyWhereNamed() throws {
        let probe = try #require(Self.shipped["datadog"])
        let plan = Fixture.plan([
            Self.credential("dead-eu", secret: "0123456789abcdef0123456789abcdef", probe: "datadog", target: "https://api.datadoghq.eu"),
            Self.credential("dead-unnamed", secret: "1123456789abcdef0123456789abcdef", probe: "datadog", target: nil),
            Self.credential("active-eu", state: .active, secret: "2123456789abcdef0123456789abcdef", probe: "datadog", target: "https://api.datadoghq.eu"),
            Self.credential("active-unnamed", state: .active, secret: "3123456789abcdef0123456789abcdef", probe: "datadog", target: nil),
        ], probes: [probe])
        let sites = Set(probe.regions.map { $0 + "/api/v1/validate" })
        #expect(sites.count == 9)
        for ci in 0...1 {
            #expect(Set(plan.checks[ci].map(\.displayURL)) == sites, "a 403 at one site proves nothing about a key of another")
            #expect(plan.checks[ci].allSatisfy { $0.skipReason == nil })
        }
        #expect(plan.checks[2].map(\.displayURL) == ["https://api.datadoghq.eu/api/v1/validate"])
        // No silent US1 guess for an active key: its site must be named.
        #expect(plan.checks[3][0].skipReason?.contains("region") == true)
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

/// Secrets are read as bytes and sent as stored; only what is certain to be an artefact is refused.
@Suite struct SecretResolverBytesTests {
    static func file(_ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-secret-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func aLatin1FileIsReadAsItsBytes() throws {
        let path = try Self.file([0x70, 0xE4, 0x73, 0x73, 0x0D, 0x0A])
        defer { unlink(path) }
        let secret = try SecretResolver().resolve(.file(path)).get()
        #expect(secret.bytes == [0x70, 0xE4, 0x73, 0x73], "only the line ending is removed")
        #expect(secret.text == nil)
    }

    @Test func anEnvironmentVariableIsReadAsItsBytes() throws {
        let resolver = SecretResolver(environmentBytes: ["PW": [0x70, 0xE4, 0x73, 0x73, 0x0A]])
        #expect(try resolver.resolve(.environment("PW")).get().bytes == [0x70, 0xE4, 0x73, 0x73])
        // The real environment too: Foundation's copy of it would have U+FFFD in place of 0xE4.
        let raw: [CChar] = [0x70, CChar(bitPattern: 0xE4), 0x73, 0x73, 0]
        raw.withUnsafeBufferPointer { _ = setenv("REVENANT_TEST_LATIN1", $0.baseAddress!, 1) }
        defer { unsetenv("REVENANT_TEST_LATIN1") }
        #expect(try SecretResolver().resolve(.environment("REVENANT_TEST_LATIN1")).get().bytes == [0x70, 0xE4, 0x73, 0x73])
    }

    @Test func aByteOrderMarkIsRefusedNotSentNorStripped() throws {
        let path = try Self.file([0xEF, 0xBB, 0xBF] + Array("live-token-123".utf8))
        defer { unlink(path) }
        guard case .failure(let e) = SecretResolver().resolve(.file(path)) else { Issue.record("a BOM was accepted"); return }
        #expect(e.reason.contains("byte order mark") && e.reason.contains(path))
        #expect(!e.reason.contains("live-token-123"))
    }

    @Test func aHugeFileIsRefusedWithoutBeingRead() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-sparse-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        defer { unlink(url.path) }
        let fd = open(url.path, O_WRONLY)
        #expect(ftruncate(fd, 2 << 30) == 0)
        close(fd)
        guard case .failure(let e) = SecretResolver().resolve(.file(url.path)) else { Issue.record("a 2 GiB secret was read"); return }
        #expect(e.reason.contains("larger than 1 MiB"), "\(e.reason)")
    }

    @Test func aPipeIsReadUpToTheLimit() throws {
        guard case .failure(let e) = SecretResolver().resolve(.file("/dev/zero")) else { Issue.record("/dev/zero was read"); return }
        #expect(e.reason.contains("larger than 1 MiB"))
    }

    @Test func aLatin1PasswordGoesOutAsItsBytesWhereTheProtocolCarriesBytes() {
        let latin1 = Secret(bytes: [0x70, 0xE4, 0x73, 0x73, 0x2D, 0x31])
        let target = TargetURL("https://api.test")!
        let basic = ProbeRequestBuilder.build(Fixture.probe("b", auth: .basic(defaultUsername: nil, secretInUsername: false)),
                                              target: target, secret: latin1, username: "dana", timeout: 1)
        let header = basic.headers.first { $0.name == "Authorization" }?.value
        #expect(header == "Basic " + Data(Array("dana:".utf8) + latin1.bytes).base64EncodedString())
        let query = ProbeRequestBuilder.build(Fixture.probe("q", auth: .query(name: "key")), target: target, secret: latin1, username: nil, timeout: 1)
        #expect(query.url.hasSuffix("?key=p%E4ss-1"), "\(query.url)")
        // A header carries text: not sent, and the request could not be sent by mistake either.
        #expect(ProbeRequestBuilder.cannotCarry(latin1, auth: .bearer)?.contains("not valid UTF-8") == true)
        #expect(ProbeRequestBuilder.cannotCarry(Secret(" padded-token"), auth: .bearer)?.contains("space") == true)
        let bearer = ProbeRequestBuilder.build(Fixture.probe("t"), target: target, secret: latin1, username: nil, timeout: 1)
        #expect(bearer.url.isEmpty)
        #expect(ProbeRequestBuilder.cannotCarry(latin1, auth: .basic(defaultUsername: nil, secretInUsername: false)) == nil)
    }

    @Test func thePlanSkipsATextOnlyProbeForBytesThatAreNotUTF8() throws {
        let path = try Self.file([0x70, 0xE4, 0x73, 0x73, 0x2D, 0x31])
        defer { unlink(path) }
        var credential = Fixture.credential("latin1", secret: "x", probe: "api")
        credential.secret = .file(path)
        let plan = Fixture.plan([credential], probes: [Fixture.probe("api")])
        #expect(plan.sendCount == 0)
        #expect(plan.checks[0][0].skipReason?.contains("not valid UTF-8") == true)
        #expect(plan.fingerprints[0] == Fingerprinter().fingerprint(bytes: [0x70, 0xE4, 0x73, 0x73, 0x2D, 0x31]))
    }
}

/// Review mends: a positive control that cannot vouch leaves rejections unproved, and an inline
/// value is taken exactly as written.
@Suite struct ControlAndValueMendTests {
    static func sshProbe() -> ProbeDefinition { SSHLoginMethodTests.sshProbe() }

    static func keyCredential() -> Credential {
        // The shape of a key only (no key is committed): the kind `ssh_key` is what makes a key login.
        var key = Fixture.credential("key", kind: .sshKey, secret: "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\nAAAA",
                                     probe: "ssh", target: "ssh://bastion.test", username: "dana")
        key.targets[0].hostKeySHA256 = "SHA256:" + String(repeating: "A", count: 43)
        return key
    }

    @Test func anUnreadableSSHControlLeavesKeyRejectionsUnproved() {
        let controls = [PositiveControl(probe: "ssh", target: "ssh://bastion.test", secret: .environment("REVENANT_TEST_UNSET_CONTROL"), username: "dana")]
        let plan = Fixture.plan([Self.keyCredential()], probes: [Self.sshProbe()], controls: controls)
        #expect(plan.pairs.count == 1 && plan.pairs[0].keyLogin)
        #expect(plan.pairs[0].positiveProblem?.contains("could not be used") == true, "\(plan.pairs[0])")
    }

    @Test func aPasswordControlOnAKeyOnlyTargetLeavesItsRejectionsUnproved() {
        let controls = [PositiveControl(probe: "ssh", target: "ssh://bastion.test", secret: .value("a-password-1234"), username: "dana")]
        let plan = Fixture.plan([Self.keyCredential()], probes: [Self.sshProbe()], controls: controls)
        #expect(plan.pairs[0].positiveSecret == nil)
        #expect(plan.pairs[0].positiveProblem?.contains("is a password") == true, "\(plan.pairs[0])")
    }

    @Test func anInlineValueKeepsItsLineEndAndIsThenNotSent() {
        let plan = Fixture.plan([Fixture.credential("block", secret: "token-from-a-yaml-block\n", probe: "api")], probes: [Fixture.probe("api")])
        #expect(plan.sendCount == 0)
        #expect(plan.checks[0][0].skipReason?.contains("line break") == true)
    }
}

/// redis:// and mysql:// logins to the network are named in a warning; rediss://, mysqls:// and loopback are not.
@Suite struct DatabaseTransportWarningTests {
    @Test(arguments: [("redis://cache.internal", ProbeProtocol.redis, "Redis", true), ("rediss://cache.internal:6380", .redis, "Redis", false),
                      ("redis://127.0.0.1:6379", .redis, "Redis", false), ("mysql://db.internal", .mysql, "MySQL", true),
                      ("mysqls://db.internal", .mysql, "MySQL", false), ("mysql://127.0.0.1:3306", .mysql, "MySQL", false)])
    func unverifiedDatabaseLoginsToTheNetworkAreNamedInAWarning(target: String, kind: ProbeProtocol, name: String, warned: Bool) {
        var probe = Fixture.probe("db", auth: .login, hosts: ["cache.internal", "db.internal", "127.0.0.1"])
        probe.kind = kind
        probe.kinds = [.password]
        let credential = Fixture.credential("svc", kind: .password, secret: "hunter2-long", probe: "db", target: target, username: "svc")
        let plan = Fixture.plan([credential], probes: [probe])
        #expect(plan.warnings.contains { $0.hasPrefix("\(name) logins to") } == warned, "\(plan.warnings)")
    }
}

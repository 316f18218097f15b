import Foundation
import Testing
import TestSupport

/// Secrets are bytes: a password that is not UTF-8 reaches nginx exactly as stored, and nothing a
/// hostile server echoes back (here: the key, or part of it, in a redirect's Location) reaches any
/// output. Against the shared loopback nginx of scripts/targets.sh.
@Suite(.serialized) struct SecretBytesTests {
    static var probes: [[String: Any]] { [
        Scenario.probe("t-latin1", path: "/latin1/whoami", kinds: ["basic_auth", "password"], auth: ["scheme": "basic"]),
        Scenario.probe("t-latin1-bearer", path: "/bearer/user"),
        Scenario.probe("t-echo", path: "/echo/me", kinds: ["api_key"], auth: ["scheme": "header", "name": "X-API-Key"], rejected: [["status": [403]]]),
        Scenario.probe("t-echo-prefix", path: "/echo-prefix/me", kinds: ["api_key"], auth: ["scheme": "header", "name": "X-API-Key"],
                       rejected: [["status": [403]]]),
    ] }

    static func setUp(_ label: String) async throws -> (Targets, WorkDirectory, String) {
        let targets = try await SharedTargets.get()
        let work = try targets.workDirectory(label)
        for p in probes { try work.writeJSON("probes/\(p["id"] as! String).json", p) }
        return (targets, work, work.file("probes").path)
    }

    static func latin1(_ t: Targets) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: t.dir.appendingPathComponent("secrets/latin1_live").path) else {
            throw CommandError(description: "scripts/targets.sh wrote no secrets/latin1_live")
        }
        return Array(data)
    }

    static func sha256Prefix(_ bytes: [UInt8]) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-fp-\(UUID().uuidString)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let out = try await run("/usr/bin/openssl", ["dgst", "-sha256", "-r", file.path])
        return "sha256:" + String(out.stdout.prefix(16))
    }

    @Test func aLatin1PasswordIsSentAsStoredAndItsResidualAccessFound() async throws {
        let (t, work, probes) = try await Self.setUp("latin1")
        let bytes = try Self.latin1(t)
        #expect(String(validating: bytes, as: UTF8.self) == nil, "the test password must not be UTF-8")
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("legacy-password", kind: "basic_auth", state: "offboarded", secret: t.secretSource("latin1_live"),
                                probe: "t-latin1", target: t.baseURL, username: "latin"),
        ]])
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--format", "json", "--no-progress"], cwd: work.url)
        let r = try ParsedReport(result.stdout)
        #expect(r.codes("legacy-password") == ["residual_access"], "\(result)")
        #expect(r.check("legacy-password")["http_status"] as? Int == 200)
        let fingerprint = (r.result("legacy-password")?["credential"] as? [String: Any])?["fingerprint"] as? String
        #expect(fingerprint == (try await Self.sha256Prefix(bytes)), "the fingerprint is of the bytes stored")
    }

    @Test func aLatin1PasswordFromTheEnvironmentIsSentAsStored() async throws {
        let (t, work, probes) = try await Self.setUp("latin1-env")
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("legacy-password", kind: "basic_auth", state: "offboarded", secret: ["env": "LEGACY_PW"],
                                probe: "t-latin1", target: t.baseURL, username: "latin"),
        ]])
        // A Swift dictionary cannot hold the bytes: bash exports them from the file.
        let script = "LEGACY_PW=\"$(cat \"$1\")\" exec \"$2\" verify --inventory \"$3\" --probes \"$4\" --format json --no-progress"
        let result = try await run("/bin/bash", ["-c", script, "bash", t.dir.appendingPathComponent("secrets/latin1_live").path,
                                                 Package.binary.path, inventory, probes], cwd: work.url)
        let r = try ParsedReport(result.stdout)
        #expect(r.codes("legacy-password") == ["residual_access"], "\(result)")
    }

    @Test func textOnlyPlacesRefuseBytesThatAreNotUTF8AndAByteOrderMarkIsRefused() async throws {
        let (t, work, probes) = try await Self.setUp("latin1-header")
        // A live bearer token saved with a byte order mark: sent, nginx would refuse it (a false "revoked").
        let bom = work.file("bom-token")
        try Data([0xEF, 0xBB, 0xBF] + Array(t.secrets["bearer_live"]!.utf8) + [0x0A]).write(to: bom)
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("latin1-bearer", state: "revoked", secret: t.secretSource("latin1_live"), probe: "t-latin1-bearer", target: t.baseURL),
            Scenario.credential("bom-bearer", state: "revoked", secret: ["file": bom.path], probe: "t-latin1-bearer", target: t.baseURL),
        ]])
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--format", "json", "--no-progress"], cwd: work.url)
        let r = try ParsedReport(result.stdout)
        #expect(r.codes("latin1-bearer") == ["revocation_unverified"], "\(result)")
        #expect(r.check("latin1-bearer")["outcome"] as? String == "skipped")
        #expect((r.check("latin1-bearer")["reason"] as? String)?.contains("not valid UTF-8 and this probe sends it as text") == true, "\(r.check("latin1-bearer"))")
        #expect(r.codes("bom-bearer") == ["revocation_unverified"], "\(result)")
        #expect((r.check("bom-bearer")["reason"] as? String)?.contains("byte order mark") == true)
        // Nothing was sent for either.
        let dry = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--dry-run"], cwd: work.url)
        #expect(dry.stdout.contains("byte order mark") && dry.stdout.contains("not valid UTF-8"), "\(dry)")
    }

    @Test func aKeyEchoedInARedirectReachesNoOutputInAnyForm() async throws {
        let (t, work, probes) = try await Self.setUp("echo")
        let live = t.secrets["header_live"]!, dead = t.secrets["header_dead"]!, canary = t.secrets["bearer_canary"]!
        let inventory = try work.writeJSON("inventory.json", [
            "credentials": [
                Scenario.credential("echoed-key", kind: "api_key", state: "revoked", secret: t.secretSource("header_live"), probe: "t-echo", target: t.baseURL),
                Scenario.credential("echoed-prefix", kind: "api_key", state: "revoked", secret: t.secretSource("header_dead"),
                                    probe: "t-echo-prefix", target: t.baseURL),
            ],
            // A live control secret echoed back must not show either.
            "controls": [["probe": "t-echo", "target": t.baseURL, "secret": t.secretSource("bearer_canary")]],
        ] as [String: Any])
        let ledger = work.file("evidence.jsonl").path
        let out = work.file("out").path
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", probes, "--ledger", ledger, "--no-progress",
                                         "--format", "json", "--format", "jsonl", "--format", "table", "--output", out], cwd: work.url)
        #expect(result.exited && result.status == 1, "\(result)")
        let json = try ParsedReport(String(decoding: FileManager.default.contents(atPath: out + "/report.json") ?? Data(), as: UTF8.self))
        #expect(json.codes("echoed-key") == ["revocation_unverified"])
        #expect((json.check("echoed-key")["reason"] as? String)?.contains("/err/[redacted] not followed") == true, "\(json.check("echoed-key"))")
        var texts = ["stdout": result.stdout, "stderr": result.stderr,
                     "ledger": String(decoding: FileManager.default.contents(atPath: ledger) ?? Data(), as: UTF8.self)]
        for name in ["report.json", "report.jsonl", "report.txt"] {
            texts[name] = String(decoding: FileManager.default.contents(atPath: out + "/" + name) ?? Data(), as: UTF8.self)
        }
        #expect(texts["report.txt"]?.isEmpty == false && texts["report.jsonl"]?.isEmpty == false, "\((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [])")
        for (label, text) in texts {
            for secret in [live, dead, canary] {
                // Not whole, and no 10-character part of it (what /echo-prefix sends back).
                for start in stride(from: 0, through: secret.count - 10, by: 1) {
                    let part = String(secret.dropFirst(start).prefix(10))
                    #expect(!text.contains(part), "a part of a secret in \(label)")
                }
            }
        }
    }
}


/// A server's answer of any size costs bounded memory and time, and a live credential answered
/// with an endless body is still read as accepted.
@Suite struct HostileAnswerTests {
    static let server = #"""
import socket, sys, threading
port = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(64)
print("ready", flush=True)
def serve(c):
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk: return
            data += chunk
        live = b"Authorization: Bearer live-endless" in data
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" if live else b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}"
        if not live:
            c.sendall(head); return
        c.sendall(head + b"X-Filler: 1\r\n" * 5000 + b"\r\n")
        block = b"x" * 65536
        while True:
            c.sendall(block)  # never ends: only the client can stop it
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""#

    @Test func anEndlessBodyIsCutAndTheAnswerStillCounts() async throws {
        let work = try WorkDirectory("endless")
        defer { work.remove() }
        let port = try Loopback.freePorts(1)[0]
        let script = try work.write("endless.py", Self.server)
        let server = try RunningCommand(executable: URL(fileURLWithPath: "/usr/bin/python3"), [script, String(port)], timeout: 60)
        defer { server.signal(SIGKILL) }
        // Listening before the clock starts (a loaded machine starts Python slowly).
        for _ in 0..<100 where !Loopback.canConnect(port) { try await Task.sleep(for: .milliseconds(100)) }
        try #require(Loopback.canConnect(port), "the endless server did not start")
        let probe = Scenario.probe("t-endless", path: "/me")
        try work.writeJSON("probes/t-endless.json", probe)
        try work.write("live", "live-endless")
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("endless-token", state: "revoked", secret: ["file": work.file("live").path], probe: "t-endless",
                                target: "http://127.0.0.1:\(port)"),
        ]])
        // Far apart: a body read to the timeout takes 60 s; one cut at 64 KiB takes a second, or
        // several on a machine loaded by the rest of the suite (12 s once, against a bound of 10).
        let config = try work.writeJSON("config.json", ["timeout_seconds": 60, "retries": ["attempts": 1]])
        let start = ContinuousClock.now
        let result = try await revenant(["verify", "--inventory", inventory, "--probes", work.file("probes").path, "--config", config,
                                         "--format", "json", "--no-progress"], cwd: work.url)
        let took = ContinuousClock.now - start
        let r = try ParsedReport(result.stdout)
        #expect(r.codes("endless-token") == ["residual_access"], "\(result)")
        #expect(took < .seconds(30), "the endless body was read to the timeout (\(took))")
    }
}

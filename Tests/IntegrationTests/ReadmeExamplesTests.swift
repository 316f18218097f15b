import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// README.md promises that every command in its ```sh blocks works against the demo setup.
/// This test holds it to that: it starts the demo targets exactly as the README says
/// (`scripts/targets.sh start Fixtures/demo/run --base-port 18080`), runs every `revenant ...`
/// line of those blocks in order from the repository root with the built `.build/debug/revenant`
/// first on PATH, and expects exit 0 or 1 (1 = findings), never 2 (input error), 3 (incomplete)
/// or anything else. It also checks that no demo secret shows up in any output.
///
/// Port 18080 (and 18081, 18082) belongs to this test alone inside `swift test`: every other
/// integration test starts its targets on free ports picked at run time.
@Suite("README examples")
struct ReadmeExamplesTests {
    @Test func everyShellExampleRunsAgainstTheDemoTargets() async throws {
        let root = ReadmeExamples.root
        let binary = root.appendingPathComponent(".build/debug/revenant")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path),
                     "\(binary.path) is missing: run `swift build` before `swift test` (the Makefile does)")
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let (commands, strays) = ReadmeExamples.shellExamples(in: readme)
        #expect(strays.isEmpty, "```sh blocks may hold only `revenant ...` lines (and # comments); found: \(strays)")
        try #require(commands.count >= 10, "expected the README's ```sh blocks to hold at least 10 `revenant` commands, found \(commands.count)")

        let demoRun = root.appendingPathComponent("Fixtures/demo/run")
        try FileManager.default.createDirectory(at: demoRun, withIntermediateDirectories: true)
        // Two `swift test` runs at once (say, two checkouts' worth of CI on one machine sharing
        // this tree) would fight over port 18080 and Fixtures/demo/run: take turns. The lock goes
        // when the descriptor is closed (O_CLOEXEC: the targets never inherit it).
        let lock = open(demoRun.appendingPathComponent(".readme-examples.lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        try #require(lock >= 0, "cannot open the lock file in \(demoRun.path)")
        defer { close(lock) }
        var waited = 0.0
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            try #require(waited < 600, "another README examples run held \(demoRun.path)/.readme-examples.lock for 10 minutes")
            try await Task.sleep(for: .milliseconds(250))
            waited += 0.25
        }
        let script = root.appendingPathComponent("scripts/targets.sh").path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-readme-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        // Should this test process die before it stops the targets, this stops them instead.
        let watchdog = try ReadmeProcess.startWatchdog(script: script, dir: demoRun.path, scratch: scratch)
        var failure: (any Error)?
        do {
            let start = try await ReadmeProcess.run(
                "/bin/bash", [script, "start", demoRun.path, "--base-port", "18080"],
                cwd: root, scratch: scratch, timeout: 90)
            // No skip: without the demo targets the README's promise is untested, so the test fails.
            try #require(start.ok, "scripts/targets.sh start Fixtures/demo/run --base-port 18080 failed: the README examples need the demo targets\n\(start)")
            let forbidden = ReadmeExamples.secrets(in: demoRun)
            try #require(!forbidden.isEmpty, "no secrets found in \(demoRun.path)/secrets after start")

            for command in commands {
                let r = try await ReadmeProcess.run(
                    "/bin/sh", ["-c", "cd \"$0\" || exit 97\n" + command, root.path],
                    cwd: nil, scratch: scratch, timeout: 120, pathPrefix: binary.deletingLastPathComponent().path)
                #expect(r.exited && (r.status == 0 || r.status == 1),
                        "README example must exit 0 or 1 (1 = findings):\n  \(command)\n\(r)")
                for (name, value) in forbidden where r.stdout.contains(value) || r.stderr.contains(value) {
                    Issue.record("README example printed the demo secret \(name):\n  \(command)")
                }
            }
            // Reports and the ledger the examples wrote, and the landing host of the redirect
            // target (it logs any credential that reached it): no secret anywhere.
            for file in ReadmeExamples.outputFiles(in: demoRun) {
                let text = String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self)
                for (name, value) in forbidden where text.contains(value) {
                    Issue.record("\(file) contains the demo secret \(name)")
                }
            }
        } catch {
            failure = error
        }
        let stop = try? await ReadmeProcess.run("/bin/bash", [script, "stop", demoRun.path], cwd: root, scratch: scratch, timeout: 60)
        watchdog.signalGroup(SIGTERM)
        _ = await watchdog.wait()
        if let failure { throw failure }
        #expect(stop?.ok == true, "scripts/targets.sh stop Fixtures/demo/run failed: \(stop.map(\.description) ?? "could not run")")
    }

    @Test func extractionFindsOnlyShellBlocks() {
        let text = """
        intro
        ```sh
        revenant probes list
        # a comment
        revenant verify --inventory a.yaml \\
          --dry-run
        ```
        ```json
        revenant not-a-command
        ```
        ```
        make demo
        ```
        ```sh
        cat > x <<EOF
        ```
        """
        let (commands, strays) = ReadmeExamples.shellExamples(in: text)
        #expect(commands == ["revenant probes list", "revenant verify --inventory a.yaml --dry-run"])
        #expect(strays == ["cat > x <<EOF"])
    }
}

/// Reads README.md's runnable examples and the demo's secrets.
private enum ReadmeExamples {
    /// <root>/Tests/IntegrationTests/ReadmeExamplesTests.swift
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Lines starting with `revenant ` inside ```sh fences (a trailing `\` joins the next line),
    /// and any other non-comment line found in those fences.
    static func shellExamples(in text: String) -> (commands: [String], strays: [String]) {
        var commands: [String] = []
        var strays: [String] = []
        var fence: String?
        var pending: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw).trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") {
                if let p = pending { commands.append(p); pending = nil }
                fence = fence == nil ? String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces) : nil
                continue
            }
            guard fence == "sh" else { continue }
            if var p = pending {
                p += " " + line
                if p.hasSuffix("\\") { pending = String(p.dropLast()).trimmingCharacters(in: .whitespaces) } else { commands.append(p); pending = nil }
                continue
            }
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.hasPrefix("revenant ") else { strays.append(line); continue }
            if line.hasSuffix("\\") { pending = String(line.dropLast()).trimmingCharacters(in: .whitespaces) } else { commands.append(line) }
        }
        if let p = pending { commands.append(p) }
        return (commands, strays)
    }

    /// Every secret `targets.sh` generated (not the basic-auth user name), and each
    /// `user:password` pair as it travels in a Basic header.
    static func secrets(in dir: URL) -> [(String, String)] {
        let secretsDir = dir.appendingPathComponent("secrets")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: secretsDir.path)) ?? []
        var values: [String: String] = [:]
        for name in names {
            if let data = FileManager.default.contents(atPath: secretsDir.appendingPathComponent(name).path) {
                values[name] = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        var out = values.filter { $0.key != "basic_user" && !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let user = values["basic_user"] ?? ""
        for name in ["basic_live", "basic_dead"] {
            if let pw = values[name] { out.append(("\(name) as Basic credentials", Data("\(user):\(pw)".utf8).base64EncodedString())) }
        }
        return out
    }

    /// Files in the demo directory that revenant or the targets' logs wrote, leaving out the
    /// files `targets.sh` writes the secrets into on purpose.
    static func outputFiles(in dir: URL) -> [String] {
        let skip: Set<String> = [".readme-examples.lock", "secrets", "targets.json", "targets.json.tmp", "nginx.conf", "htpasswd", "www", "tmp", "blackhole.py"]
        var out: [String] = []
        func walk(_ url: URL, top: Bool) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] {
                if top && skip.contains(name) { continue }
                let child = url.appendingPathComponent(name)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: child.path, isDirectory: &isDir) else { continue }
                if isDir.boolValue { walk(child, top: false) } else { out.append(child.path) }
            }
        }
        walk(dir, top: true)
        return out.sorted()
    }
}

/// What a finished process left behind.
private struct ReadmeProcessResult: CustomStringConvertible {
    var exited: Bool
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var ok: Bool { exited && status == 0 }

    var description: String {
        "exit \(exited ? "status" : "signal") \(status)\(timedOut ? " (timed out, killed)" : "")\n--- stdout:\n\(stdout.suffix(3000))\n--- stderr:\n\(stderr.suffix(3000))"
    }
}

/// A child in its own process group (so a timeout can end it and everything it started),
/// started with `posix_spawn` and reaped by `waitpid` on a dedicated thread.
private final class ReadmeProcess: @unchecked Sendable {
    // @unchecked: `status` and `reaped` are only touched under `lock`; `pid` never changes.
    let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?
    private var reaped = false
    private let done: AsyncStream<Void>

    init(_ program: String, _ arguments: [String], environment: [String: String], stdoutPath: String, stderrPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, program, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw ReadmeProcessError(description: "cannot start \(program): \(String(cString: strerror(rc)))") }
        pid = child
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        done = stream
        let spawned = child
        Thread { [self] in
            var s: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(spawned, &s, 0) } while r == -1 && errno == EINTR
            lock.withLock {
                status = r == spawned ? s : -1
                reaped = true
            }
            continuation.yield()
            continuation.finish()
        }.start()
    }

    /// Signals the child's whole process group, unless the child was already reaped.
    func signalGroup(_ sig: Int32) {
        lock.withLock { if !reaped { _ = kill(-pid, sig) } }
    }

    /// (true, exit code) or (false, signal number).
    func wait() async -> (exited: Bool, code: Int32) {
        for await _ in done {}
        let s = lock.withLock { status ?? -1 }
        if s == -1 { return (false, -1) }
        let sig = s & 0x7f
        return sig == 0 ? (true, (s >> 8) & 0xff) : (false, sig)
    }

    /// The environment for examples: loopback must be reached directly, colour and the probe
    /// directory are left to the command line.
    static func environment(pathPrefix: String?) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "NO_COLOR", "REVENANT_PROBES"] {
            env.removeValue(forKey: key)
        }
        if let pathPrefix { env["PATH"] = pathPrefix + ":" + (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") }
        return env
    }

    /// Runs a program to completion (killing its process group after `timeout` seconds).
    static func run(_ program: String, _ arguments: [String], cwd: URL?, scratch: URL, timeout: Double,
                    pathPrefix: String? = nil) async throws -> ReadmeProcessResult {
        let id = UUID().uuidString.prefix(8)
        let out = scratch.appendingPathComponent("\(id).out").path
        let err = scratch.appendingPathComponent("\(id).err").path
        var program = program
        var arguments = arguments
        if let cwd {
            arguments = ["-c", "cd \"$0\" && exec \"$@\"", cwd.path, program] + arguments
            program = "/bin/sh"
        }
        let child = try ReadmeProcess(program, arguments, environment: environment(pathPrefix: pathPrefix), stdoutPath: out, stderrPath: err)
        let timedOut = TimeoutFlag()
        let timer = Task {
            try await Task.sleep(for: .seconds(timeout))
            timedOut.set()
            child.signalGroup(SIGKILL)
        }
        let (exited, code) = await child.wait()
        timer.cancel()
        func read(_ path: String) -> String {
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        return ReadmeProcessResult(exited: exited, status: code, stdout: read(out), stderr: read(err), timedOut: timedOut.isSet)
    }

    /// A shell in its own process group that waits for this test process to end and then stops
    /// the demo targets; signalled away when the test stops them itself.
    static func startWatchdog(script: String, dir: String, scratch: URL) throws -> ReadmeProcess {
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let me = ProcessInfo.processInfo.processIdentifier
        let loop = "while kill -0 \(me) 2>/dev/null; do sleep 0.5; done; exec /bin/bash \(quote(script)) stop \(quote(dir))"
        return try ReadmeProcess("/bin/bash", ["-c", loop], environment: environment(pathPrefix: nil),
                                 stdoutPath: "/dev/null", stderrPath: "/dev/null")
    }
}

private struct ReadmeProcessError: Error, CustomStringConvertible {
    var description: String
}

private final class TimeoutFlag: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

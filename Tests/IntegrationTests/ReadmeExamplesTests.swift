import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// README.md and the manual in docs/ promise that every command in their ```sh blocks works
/// against the demo setup. This test holds them to that: it starts the demo targets exactly as the
/// README says (`scripts/targets.sh start Fixtures/demo/run --base-port 18080`), runs every
/// `revenant ...` line of those blocks (README.md first, then docs/**/*.md in path order, each file
/// top to bottom) from the repository root with the built `.build/debug/revenant` first on PATH,
/// and expects exit 0 or 1 (1 = findings), never 2 (input error), 3 (incomplete) or anything else.
/// It also checks that no demo secret shows up in any output. Each failure names the file and line
/// of its example.
///
/// Port 18080 (and 18081, 18082) belongs to this test alone inside `swift test`: every other
/// integration test starts its targets on free ports picked at run time.
@Suite("README examples")
struct ReadmeExamplesTests {
    @Test func everyShellExampleRunsAgainstTheDemoTargets() async throws {
        let root = Package.root
        let binary = Package.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary.path),
                     "\(binary.path) is missing: run `swift build` before `swift test` (the Makefile does)")
        var commands: [ReadmeExamples.Example] = []
        var strays: [String] = []
        for (file, text) in try ReadmeExamples.documents(in: root) {
            let found = ReadmeExamples.shellExamples(in: text)
            commands += found.commands.map { ReadmeExamples.Example(file: file, line: $0.number, command: $0.text) }
            strays += found.strays.map { "\(file):\($0.number): \($0.text)" }
        }
        #expect(strays.isEmpty, "```sh blocks may hold only `revenant ...` lines (and # comments); use ```text or ```console for anything else; found: \(strays)")
        // The README and docs hold 23 today: a much lower count means examples were lost (or fenced as something else).
        try #require(commands.count >= 20, "expected the ```sh blocks of README.md and docs/**/*.md to hold at least 20 `revenant` commands, found \(commands.count)")

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

        // Should this test process die before it stops the targets, this stops them instead.
        let watchdog = try ReadmeExamples.startWatchdog(script: script, dir: demoRun.path)
        var failure: (any Error)?
        do {
            // Each command leads its own process group, so a timeout kills it and all it started.
            let start = try await run("/bin/bash", [script, "start", demoRun.path, "--base-port", "18080"],
                                      cwd: root, timeout: 90, ownProcessGroup: true)
            // No skip: without the demo targets the README's promise is untested, so the test fails.
            try #require(start.ok, "scripts/targets.sh start Fixtures/demo/run --base-port 18080 failed: the README examples need the demo targets\n\(start)")
            let forbidden = ReadmeExamples.secrets(in: demoRun)
            try #require(!forbidden.isEmpty, "no secrets found in \(demoRun.path)/secrets after start")

            // The built binary comes first on PATH.
            let path = binary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
            for example in commands {
                let r = try await run("/bin/sh", ["-c", "cd \"$0\" || exit 97\n" + example.command, root.path],
                                      environment: ["PATH": path], timeout: 120, ownProcessGroup: true)
                #expect(r.exited && (r.status == 0 || r.status == 1),
                        "\(example.place): example must exit 0 or 1 (1 = findings):\n  \(example.command)\n\(r)")
                for (name, value) in forbidden where r.stdout.contains(value) || r.stderr.contains(value) {
                    Issue.record("\(example.place): example printed the demo secret \(name):\n  \(example.command)")
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
        let stop = try? await run("/bin/bash", [script, "stop", demoRun.path], cwd: root, timeout: 60, ownProcessGroup: true)
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
        #expect(commands.map(\.text) == ["revenant probes list", "revenant verify --inventory a.yaml --dry-run"])
        #expect(commands.map(\.number) == [3, 5])
        #expect(strays.map(\.text) == ["cat > x <<EOF"])
        #expect(strays.map(\.number) == [15])
    }

    @Test func examplesComeFromTheReadmeAndEveryDocsPage() throws {
        let tree = TemporaryDirectory()
        tree.write("README.md", "front")
        tree.write("docs/z.md", "z")
        tree.write("docs/protocols/ssh.md", "ssh")
        tree.write("docs/a.md", "a")
        tree.write("docs/notes.txt", "not markdown")
        tree.write("scripts/servers/README.md", "not the manual")
        let documents = try ReadmeExamples.documents(in: URL(fileURLWithPath: tree.path))
        #expect(documents.map(\.file) == ["README.md", "docs/a.md", "docs/protocols/ssh.md", "docs/z.md"])
        #expect(documents.map(\.text) == ["front", "a", "ssh", "z"])
    }
}

/// Reads the runnable examples of README.md and docs/, and the demo's secrets.
private enum ReadmeExamples {
    /// One `revenant ...` command and where it was written.
    struct Example {
        let file: String
        let line: Int
        let command: String
        var place: String { "\(file):\(line)" }
    }

    /// A line of a document: its 1-based number and its text (a command joined from several
    /// lines carries the number of its first).
    struct Line: Equatable {
        let number: Int
        let text: String
    }

    /// README.md, then every `.md` file below docs/, by path relative to `root`.
    static func documents(in root: URL) throws -> [(file: String, text: String)] {
        var files = ["README.md"]
        let docs = root.appendingPathComponent("docs")
        if let walker = FileManager.default.enumerator(atPath: docs.path) {
            files += walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        }
        return try files.map { ($0, try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// Lines starting with `revenant ` inside ```sh fences (a trailing `\` joins the next line),
    /// and any other non-comment line found in those fences.
    static func shellExamples(in text: String) -> (commands: [Line], strays: [Line]) {
        var commands: [Line] = []
        var strays: [Line] = []
        var fence: String?
        var pending: Line?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw).trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") {
                if let p = pending { commands.append(p); pending = nil }
                fence = fence == nil ? String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces) : nil
                continue
            }
            guard fence == "sh" else { continue }
            if let p = pending {
                let joined = p.text + " " + line
                pending = nil
                if joined.hasSuffix("\\") {
                    pending = Line(number: p.number, text: String(joined.dropLast()).trimmingCharacters(in: .whitespaces))
                } else {
                    commands.append(Line(number: p.number, text: joined))
                }
                continue
            }
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.hasPrefix("revenant ") else { strays.append(Line(number: index + 1, text: line)); continue }
            if line.hasSuffix("\\") {
                pending = Line(number: index + 1, text: String(line.dropLast()).trimmingCharacters(in: .whitespaces))
            } else {
                commands.append(Line(number: index + 1, text: line))
            }
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

    /// A shell in its own process group that waits for this test process to end and then stops
    /// the demo targets; signalled away when the test stops them itself.
    static func startWatchdog(script: String, dir: String) throws -> Subprocess {
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let me = ProcessInfo.processInfo.processIdentifier
        let loop = "while kill -0 \(me) 2>/dev/null; do sleep 0.5; done; exec /bin/bash \(quote(script)) stop \(quote(dir))"
        return try Subprocess(executable: "/bin/bash", arguments: ["-c", loop], environment: RunningCommand.environment(), cwd: nil,
                              stdoutPath: "/dev/null", stderrPath: "/dev/null", ownProcessGroup: true)
    }
}

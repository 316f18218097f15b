import Foundation

/// The loopback targets of `scripts/targets.sh` (nginx on 127.0.0.1 and 127.0.0.2, a blackhole
/// socket), as described by the `targets.json` it writes.
struct Targets: Sendable {
    let dir: URL
    let baseURL: String
    let redirectBaseURL: String
    let blackholeURL: String
    let redirectLog: String
    let accessLog: String
    let secrets: [String: String]
    let pids: [Int32]

    init(dir: URL) throws {
        let path = dir.appendingPathComponent("targets.json").path
        guard let data = FileManager.default.contents(atPath: path),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let base = json["base_url"] as? String, let redirect = json["redirect_base_url"] as? String,
              let blackhole = json["blackhole_url"] as? String, let redirectLog = json["redirect_log"] as? String,
              let accessLog = json["access_log"] as? String, let secrets = json["secrets"] as? [String: String],
              let pids = json["pids"] as? [Int] else {
            throw CommandError(description: "\(path) is missing or not the targets.json scripts/targets.sh writes")
        }
        self.dir = dir
        baseURL = base
        redirectBaseURL = redirect
        blackholeURL = blackhole
        self.redirectLog = redirectLog
        self.accessLog = accessLog
        self.secrets = secrets
        self.pids = pids.map(Int32.init)
    }

    /// `{"file": ...}` for one of the generated secrets.
    func secretSource(_ name: String) -> [String: String] {
        ["file": dir.appendingPathComponent("secrets/\(name)").path]
    }

    /// Every string that must never appear in any output: each secret (the basic-auth user name
    /// is not a secret) and each `user:password` pair as it travels in a Basic header.
    var forbiddenStrings: [(name: String, value: String)] {
        var out = secrets.filter { $0.key != "basic_user" }.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        let user = secrets["basic_user"] ?? ""
        for name in ["basic_live", "basic_dead"] {
            if let pw = secrets[name] { out.append((name: "\(name) as Basic credentials", value: Data("\(user):\(pw)".utf8).base64EncodedString())) }
        }
        return out
    }

    var blackholePort: Int { URLComponents(string: blackholeURL)?.port ?? 0 }

    func accessLogLines() -> [String] {
        String(decoding: FileManager.default.contents(atPath: accessLog) ?? Data(), as: UTF8.self)
            .split(separator: "\n").map(String.init)
    }

    /// A directory inside the targets directory: removed with it when the test process ends.
    func workDirectory(_ label: String) throws -> WorkDirectory {
        let url = dir.appendingPathComponent("work-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return WorkDirectory(existing: url)
    }
}

extension WorkDirectory {
    init(existing url: URL) { self.url = url }
}

/// The pids `atexit` stops: a C callback cannot capture, so they live in a global.
nonisolated(unsafe) private var targetPIDsToStop: [Int32] = []

/// One set of targets for the whole test process, started on first use and stopped when the
/// process exits: by an `atexit` handler (SIGTERM to the recorded pids), and, should the test
/// process crash or be killed, by a detached watchdog that runs `targets.sh stop` once it is gone.
enum SharedTargets {
    private static let once = Once<Targets>()

    /// The running targets; throws (so the test fails, never skips) when they could not start.
    static func get() async throws -> Targets { try await once.get { try await start() } }

    static let script = Package.root.appendingPathComponent("scripts/targets.sh").path

    private static func start() async throws -> Targets {
        let targets = try await launch()
        targetPIDsToStop = targets.pids
        atexit {
            for pid in targetPIDsToStop where pid > 0 { kill(pid, SIGTERM) }
        }
        return targets
    }

    /// A set of targets of its own, for a test whose requests must not land in the shared
    /// targets' access log while other suites count it; stop it with `stop(_:)`. Should the test
    /// process die first, the watchdog stops it.
    static func launch() async throws -> Targets {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-it-targets-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let log = dir.appendingPathComponent("start.log").path
        let child = try Subprocess(executable: "/bin/bash", arguments: [script, "start", dir.path],
                                   environment: ProcessInfo.processInfo.environment, cwd: nil, stdoutPath: log, stderrPath: log)
        // Whatever happens next, anything the script starts is stopped with the test process.
        startWatchdog(dir: dir)
        let (exited, code) = await child.wait()
        guard exited && code == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw CommandError(description: "scripts/targets.sh start failed (\(exited ? "exit" : "signal") \(code)): "
                               + "nginx targets are required for the integration tests\n\(output)")
        }
        return try Targets(dir: dir)
    }

    /// Stops targets started with `launch()` (exactly the pids the script recorded).
    static func stop(_ targets: Targets) async {
        _ = try? await run("/bin/bash", [script, "stop", targets.dir.path], timeout: 60)
    }

    /// Stops the targets (exactly the pids in DIR/pids, via the script) should this process die.
    private static func startWatchdog(dir: URL) { Watchdog.stopWhenThisProcessEnds(script: script, dir: dir) }
}

/// A process in its own session that waits for this test process to end, then runs
/// `SCRIPT stop DIR` and removes DIR: servers never outlive a crashed or killed test run.
enum Watchdog {
    static func stopWhenThisProcessEnds(script: String, dir: URL) {
        let me = ProcessInfo.processInfo.processIdentifier
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let loop = "while kill -0 \(me) 2>/dev/null; do sleep 0.5; done; /bin/bash \(quote(script)) stop \(quote(dir.path)); rm -rf \(quote(dir.path))"
        _ = try? Subprocess(executable: "/usr/bin/setsid", arguments: ["/bin/bash", "-c", loop],
                            environment: ProcessInfo.processInfo.environment, cwd: nil, stdoutPath: "/dev/null", stderrPath: "/dev/null")
    }
}

/// Computes a value once, on first request, and hands the same value to every later caller.
actor Once<Value: Sendable> {
    private var task: Task<Value, Error>?

    func get(_ make: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let task { return try await task.value }
        let t = Task { try await make() }
        task = t
        return try await t.value
    }
}

/// Whether a TCP connection from this machine to 127.0.0.1:`port` is established (read from
/// /proc/net/tcp): how a test knows a run is waiting on the blackhole.
func hasConnection(toPort port: Int) -> Bool {
    guard let text = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return false }
    let wanted = String(format: "0100007F:%04X", port)
    return text.split(separator: "\n").dropFirst().contains { line in
        let fields = line.split(separator: " ")
        return fields.count > 3 && fields[2] == wanted && fields[3] == "01"
    }
}

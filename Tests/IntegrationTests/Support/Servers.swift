import Foundation

/// One server of `scripts/servers.sh` (sshd, slapd, dovecot, postgres, moto, scim,
/// introspection), as described by the `NAME.env` file the script writes: `KEY=VALUE` lines.
struct Server: Sendable {
    let name: String
    let dir: URL
    let env: [String: String]

    /// A value of the env file; throws (the test fails) when the script did not write it.
    func value(_ key: String) throws -> String {
        guard let v = env[key], !v.isEmpty else {
            throw CommandError(description: "\(dir.path)/\(name).env has no \(key)")
        }
        return v
    }

    func port(_ key: String) throws -> Int {
        guard let p = Int(try value(key)) else { throw CommandError(description: "\(key) is not a port") }
        return p
    }

    /// The file's contents for a value that names a file (keys, passwords written to files).
    func fileText(_ key: String) throws -> String {
        try String(contentsOfFile: value(key), encoding: .utf8)
    }

    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }
}

/// Starts each kind of server at most once per test process, in its own directory, and stops
/// all of them when the process ends (`servers.sh stop` from an `atexit` handler, and from a
/// watchdog should the process be killed). A server that cannot start fails the test.
enum SharedServers {
    private static let registry = ServerRegistry()
    static let script = Package.root.appendingPathComponent("scripts/servers.sh").path

    static func get(_ name: String) async throws -> Server {
        try await registry.get(name) { try await start(name) }
    }

    private static func start(_ name: String) async throws -> Server {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-it-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Server processes run as other users (postgres): they must be able to reach their directory.
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let log = dir.appendingPathComponent("start.log").path
        startWatchdog(dir: dir)
        let child = try Subprocess(executable: "/bin/bash", arguments: [script, "start", name, dir.path],
                                   environment: ProcessInfo.processInfo.environment, cwd: nil, stdoutPath: log, stderrPath: log)
        let (exited, code) = await child.wait()
        guard exited && code == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw CommandError(description: "scripts/servers.sh start \(name) failed (\(exited ? "exit" : "signal") \(code)): "
                               + "the \(name) integration tests need it\n\(output)")
        }
        let envPath = dir.appendingPathComponent("\(name).env").path
        guard let text = try? String(contentsOfFile: envPath, encoding: .utf8) else {
            throw CommandError(description: "scripts/servers.sh start \(name) wrote no \(envPath)")
        }
        let first = serverDirsLock.withLock { () -> Bool in
            serverDirsToStop.append(dir.path)
            return serverDirsToStop.count == 1
        }
        if first {
            atexit {
                for dir in serverDirsLock.withLock({ serverDirsToStop }) {
                    let stop = Process()
                    stop.executableURL = URL(fileURLWithPath: "/bin/bash")
                    stop.arguments = [SharedServers.script, "stop", dir]
                    try? stop.run()
                    stop.waitUntilExit()
                }
            }
        }
        return Server(name: name, dir: dir, env: Server.parse(text))
    }

    /// Stops the server should this process die.
    private static func startWatchdog(dir: URL) { Watchdog.stopWhenThisProcessEnds(script: script, dir: dir) }
}

/// The directories `atexit` stops: a C callback cannot capture, so they live in a global.
nonisolated(unsafe) private var serverDirsToStop: [String] = []
/// Servers of different names start concurrently: their directories are recorded under this lock.
private let serverDirsLock = NSLock()

/// One start per server name, shared by every test that asks for it.
actor ServerRegistry {
    private var tasks: [String: Task<Server, Error>] = [:]

    func get(_ name: String, _ make: @escaping @Sendable () async throws -> Server) async throws -> Server {
        if let task = tasks[name] { return try await task.value }
        let t = Task { try await make() }
        tasks[name] = t
        return try await t.value
    }
}

import Foundation

/// Where things are: the package root (found from this file) and the built `revenant` binary.
enum Package {
    static let root: URL = {
        // <root>/Tests/IntegrationTests/Support/RevenantCommand.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// `swift build` (the Makefile runs it before `swift test`) puts the CLI here.
    static let binary = root.appendingPathComponent(".build/debug/revenant")
}

/// What a finished command left behind.
struct CommandResult: Sendable, CustomStringConvertible {
    var status: Int32
    /// false when the process died of a signal (then `status` is the signal number).
    var exited: Bool
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var ok: Bool { exited && status == 0 }

    var description: String {
        "exit \(exited ? "status" : "signal") \(status)\(timedOut ? " (timed out)" : "")\n--- stdout:\n\(stdout.prefix(4000))\n--- stderr:\n\(stderr.prefix(4000))"
    }
}

struct CommandError: Error, CustomStringConvertible {
    var description: String
}

/// One run of the built CLI (or any program). Output goes to temporary files, so a chatty
/// process can never block on a full pipe; waiting is async, so no test thread is blocked.
final class RunningCommand: @unchecked Sendable {
    // @unchecked: `timedOut` is only touched under `lock`; the rest never changes.
    let child: Subprocess
    private let scratch: URL
    private let lock = NSLock()
    private var didTimeOut = false

    var pid: Int32 { child.pid }

    /// With `ownProcessGroup` the command leads its own process group, and a timeout kills the
    /// whole group (the command and everything it started).
    init(executable: URL, _ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:], timeout: Double = 60,
         ownProcessGroup: Bool = false) throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CommandError(description: "\(executable.path) is missing: run `swift build` before `swift test` (the Makefile does)")
        }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        child = try Subprocess(executable: executable.path, arguments: arguments, environment: Self.environment(environment), cwd: cwd?.path,
                               stdoutPath: scratch.appendingPathComponent("stdout").path,
                               stderrPath: scratch.appendingPathComponent("stderr").path,
                               ownProcessGroup: ownProcessGroup)
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [child, lock] in
            lock.withLock { self.didTimeOut = true }
            if ownProcessGroup { child.signalGroup(SIGKILL) } else { child.signal(SIGKILL) }
        }
    }

    /// This process's environment for a child, with `overrides` on top: loopback targets must be
    /// reached directly, and colour and the probe directory must be decided by the test.
    static func environment(_ overrides: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "NO_COLOR", "REVENANT_PROBES"] {
            env.removeValue(forKey: key)
        }
        env.merge(overrides) { _, new in new }
        return env
    }

    func signal(_ sig: Int32) { child.signal(sig) }

    func wait() async -> CommandResult {
        let (exited, code) = await child.wait()
        let out = String(decoding: FileManager.default.contents(atPath: scratch.appendingPathComponent("stdout").path) ?? Data(), as: UTF8.self)
        let err = String(decoding: FileManager.default.contents(atPath: scratch.appendingPathComponent("stderr").path) ?? Data(), as: UTF8.self)
        try? FileManager.default.removeItem(at: scratch)
        return CommandResult(status: code, exited: exited, stdout: out, stderr: err, timedOut: lock.withLock { didTimeOut && !exited })
    }
}

/// Runs the built `revenant` with these arguments and waits for it.
func revenant(_ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:], timeout: Double = 60) async throws -> CommandResult {
    try await RunningCommand(executable: Package.binary, arguments, cwd: cwd, environment: environment, timeout: timeout).wait()
}

/// Runs any program and waits for it.
func run(_ program: String, _ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:], timeout: Double = 60,
         ownProcessGroup: Bool = false) async throws -> CommandResult {
    try await RunningCommand(executable: URL(fileURLWithPath: program), arguments, cwd: cwd, environment: environment, timeout: timeout,
                             ownProcessGroup: ownProcessGroup).wait()
}

/// A scratch directory for one test, removed when the test ends.
struct WorkDirectory {
    let url: URL

    init(_ label: String = "work") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-it-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: target, atomically: true, encoding: .utf8)
        return target.path
    }

    @discardableResult
    func writeJSON(_ name: String, _ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return try write(name, String(decoding: data, as: UTF8.self) + "\n")
    }

    func read(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: file(name).path) ?? Data(), as: UTF8.self)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Parses a JSON object out of text (e.g. a report on stdout).
func jsonObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw CommandError(description: "not a JSON object: \(text.prefix(300))")
    }
    return object
}

/// A self-signed P-256 certificate (`c.pem`, key `k.pem`) made in `work` by openssl, valid 30 days.
func makeSelfSignedCertificate(in work: WorkDirectory, subject: String) async throws -> String {
    let make = try await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                  "-keyout", work.file("k.pem").path, "-out", work.file("c.pem").path,
                                                  "-subj", "/CN=\(subject)", "-days", "30"])
    guard make.ok else { throw CommandError(description: "openssl could not make a test certificate: \(make)") }
    return work.file("c.pem").path
}

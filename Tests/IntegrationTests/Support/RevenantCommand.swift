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
    // @unchecked: `process` is only started once here and then only read; `timedOut` is under `lock`.
    let process: Process
    private let outURL: URL
    private let errURL: URL
    private let finished: AsyncStream<Void>
    private let lock = NSLock()
    private var didTimeOut = false

    var pid: Int32 { process.processIdentifier }

    init(executable: URL, _ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:], timeout: Double = 60) throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw CommandError(description: "\(executable.path) is missing: run `swift build` before `swift test` (the Makefile does)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revenant-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        outURL = scratch.appendingPathComponent("stdout")
        errURL = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)

        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = cwd }
        var env = ProcessInfo.processInfo.environment
        // Loopback targets must be reached directly, and colour must be decided by the test.
        for key in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "NO_COLOR", "REVENANT_PROBES"] {
            env.removeValue(forKey: key)
        }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)

        let (stream, continuation) = AsyncStream<Void>.makeStream()
        finished = stream
        process.terminationHandler = { _ in
            continuation.yield()
            continuation.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak self] in
            guard let self, self.process.isRunning else { return }
            self.lock.withLock { self.didTimeOut = true }
            kill(pid, SIGKILL)
        }
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    func wait() async -> CommandResult {
        for await _ in finished {}
        process.waitUntilExit()  // already exited: only syncs Foundation's bookkeeping
        let out = String(decoding: FileManager.default.contents(atPath: outURL.path) ?? Data(), as: UTF8.self)
        let err = String(decoding: FileManager.default.contents(atPath: errURL.path) ?? Data(), as: UTF8.self)
        try? FileManager.default.removeItem(at: outURL.deletingLastPathComponent())
        return CommandResult(status: process.terminationStatus, exited: process.terminationReason == .exit,
                             stdout: out, stderr: err, timedOut: lock.withLock { didTimeOut })
    }
}

/// Runs the built `revenant` with these arguments and waits for it.
func revenant(_ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:], timeout: Double = 60) async throws -> CommandResult {
    try await RunningCommand(executable: Package.binary, arguments, cwd: cwd, environment: environment, timeout: timeout).wait()
}

/// Runs any program and waits for it.
func run(_ program: String, _ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:], timeout: Double = 60) async throws -> CommandResult {
    try await RunningCommand(executable: URL(fileURLWithPath: program), arguments, cwd: cwd, environment: environment, timeout: timeout).wait()
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

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sockets and servers on 127.0.0.1 for tests: free ports, a silent listener, a background server.
public enum Loopback {
    /// Ports free on 127.0.0.1 right now (all bound at once, so they are distinct, then released).
    public static func freePorts(_ count: Int) throws(PKIError) -> [Int] {
        var sockets: [Int32] = []
        defer { for s in sockets { close(s) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let (s, port) = try listeningSocket(backlog: nil)
            sockets.append(s)
            ports.append(port)
        }
        return ports
    }

    /// A socket bound to 127.0.0.1 on a free port, listening when `backlog` is given: (descriptor, port).
    /// A listening socket nobody accepts on is a server that never answers.
    public static func listeningSocket(backlog: Int32?) throws(PKIError) -> (Int32, Int) {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw PKIError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                bind(s, a, length) == 0 && (backlog.map { listen(s, $0) == 0 } ?? true) && getsockname(s, a, &length) == 0
            }
        }
        guard ok else {
            close(s)
            throw PKIError(description: "bind/listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        return (s, Int(UInt16(bigEndian: address.sin_port)))
    }

    public static func canConnect(_ port: Int) -> Bool {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { return false }
        defer { close(s) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A server started with `/bin/sh -c` in its own process group, output to a log file; `stop()`
/// signals exactly that group (workers that re-parent, like `openssl ocsp -multi`'s, stay in it).
public final class BackgroundServer: Sendable {
    public let pid: pid_t
    public let log: String

    public init(_ command: String, in directory: String) throws(PKIError) {
        log = (directory as NSString).appendingPathComponent("server-\(UUID().uuidString.prefix(8)).log")
        guard let child = Shell.spawn("cd \"$0\" && exec " + command, in: directory, log: log, ownProcessGroup: true) else {
            throw PKIError(description: "cannot start \(command)")
        }
        pid = child
    }

    public var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `line` (without connecting: `openssl ocsp` wedges on an empty connection).
    public func waitFor(_ line: String, seconds: Double = 30) throws(PKIError) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output.contains(line) { return }
            if kill(pid, 0) != 0 { break }
            usleep(50_000)
        }
        throw PKIError(description: "server did not print \"\(line)\" within \(seconds) s:\n\(output)")
    }

    /// SIGTERM to the process group, SIGKILL if it is still there after a second, then reaped.
    public func stop() {
        _ = kill(-pid, SIGTERM)
        for _ in 0..<20 where kill(-pid, 0) == 0 { usleep(50_000) }
        _ = kill(-pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}

/// Runs blocking work (child processes, sleeps, blocking sockets) on a thread of its own, so that it
/// does not hold one of the few cooperative threads every async test in the process shares (a
/// timing test elsewhere would wait behind it).
public func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

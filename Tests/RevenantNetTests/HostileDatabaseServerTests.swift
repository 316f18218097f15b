import Foundation
import RevenantCore
import RevenantProbes
import Testing
@testable import RevenantNet

/// MySQL and Redis probers against hostile servers on loopback: a server that drips its answer a
/// byte at a time (slowloris) is given no more than the probe's timeout, whatever it declares.
@Suite(.serialized) struct HostileDatabaseServerTests {
    /// A MySQL greeting that declares a 1000-byte packet, or a Redis reply line without its end,
    /// then one byte every 100 ms forever: the probe's timeout (1 s), then inconclusive.
    /// (Connector/C's own timeouts bound each read: before, the MySQL login took 100 s here.)
    @Test(arguments: [("mysql", [0xE8, 0x03, 0x00, 0x00, 0x0A]), ("redis", Array("-WRONGPASS".utf8))] as [(String, [UInt8])])
    func aServerThatDripsItsAnswerGetsTheTimeoutNoMore(scheme: String, prefix: [UInt8]) throws {
        let server = try DripServer(prefix: prefix, every: 0.1)
        defer { server.close() }
        let request = DatabaseProberTests.request("\(scheme)://127.0.0.1:\(server.port)", password: "pw")
        let started = Date()
        let result: ProbeResult = scheme == "mysql" ? MySQLProber().attempt(request) : RedisProber().attempt(request)
        let took = Date().timeIntervalSince(started)
        // Unbounded it took 100 s; the rest of the suite may slow a 1 s timeout by seconds.
        #expect(took < 20, "took \(took) s for a 1 s timeout")
        guard case .failure(let failure) = result else { Issue.record("\(result)"); return }
        #expect(failure.kind == .timeout, "\(failure.message)")
    }
}

/// A loopback listener that, on each connection, sends `prefix` and then one byte (`a`) every
/// `every` seconds until the client goes or the server is closed; a thread per connection.
final class DripServer: @unchecked Sendable {
    // @unchecked: `fd` and `port` are set in init; `closed` is only a stop flag.
    let fd: Int32
    let port: Int
    private let lock = NSLock()
    private var closed = false

    init(prefix: [UInt8], every: TimeInterval) throws {
        let (listener, port) = try Self.listen()
        fd = listener
        self.port = port
        Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                Thread { [self] in
                    defer { Glibc.close(client) }
                    guard prefix.withUnsafeBytes({ send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == prefix.count else { return }
                    var byte: UInt8 = 0x61
                    while !isClosed, send(client, &byte, 1, Int32(MSG_NOSIGNAL)) == 1 {
                        Thread.sleep(forTimeInterval: every)
                    }
                }.start()
            }
        }.start()
    }

    /// A listening socket on 127.0.0.1 at a free port, and the port.
    static func listen() throws -> (Int32, Int) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, Glibc.listen(listener, 8) == 0 else {
            Glibc.close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        return (listener, Int(UInt16(bigEndian: address.sin_port)))
    }

    var isClosed: Bool { lock.withLock { closed } }

    func close() {
        lock.withLock { closed = true }
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

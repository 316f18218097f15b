import Foundation
import RevenantCore

/// One Kerberos message to a KDC and its reply over TCP (RFC 4120 §7.2.2: each message is preceded
/// by its length in four bytes, big-endian, whose high bit is reserved and must be zero), on a
/// connection of its own, within the login's deadline.
enum KDCExchange {
    /// Replies larger than this are refused unread: an AS-REP is a few KiB (Active Directory's
    /// largest tickets stay under 64 KiB).
    static let maxReply = 1 << 20

    static func send(_ message: [UInt8], to kdc: LoginEndpoint, deadline: Date, timeout: Timeout) -> Result<[UInt8], TransportFailure> {
        guard deadline.timeIntervalSinceNow > 0 else { return .failure(timedOut(timeout)) }
        let left = Timeout(seconds: deadline.timeIntervalSinceNow)
        let fd: Int32
        switch TCPConnection.open(host: kdc.host, port: kdc.port, timeout: left) {
        case .success(let connected): fd = connected
        case .failure(let failure): return .failure(failure)
        }
        defer { close(fd) }
        let length = UInt32(message.count)
        let framed = withUnsafeBytes(of: length.bigEndian) { Array($0) } + message
        if let failure = write(framed, to: fd, deadline: deadline, timeout: timeout) { return .failure(failure) }
        let header: [UInt8]
        switch read(4, from: fd, deadline: deadline, timeout: timeout) {
        case .success(let h): header = h
        case .failure(let f): return .failure(f)
        }
        let size = header.reduce(0) { $0 << 8 | Int($1) }
        guard size & 0x8000_0000 == 0, size > 0, size <= maxReply else {
            return .failure(TransportFailure(kind: .other, message: "the KDC's reply length \(size) is not one revenant reads (1 to \(maxReply) bytes, high bit clear)"))
        }
        return read(size, from: fd, deadline: deadline, timeout: timeout)
    }

    static func write(_ bytes: [UInt8], to fd: Int32, deadline: Date, timeout: Timeout) -> TransportFailure? {
        var sent = 0
        while sent < bytes.count {
            guard wait(fd, for: POLLOUT, until: deadline) else { return timedOut(timeout) }
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard n > 0 else { return TransportFailure(kind: .connect, message: "the KDC closed the connection: \(String(cString: strerror(errno)))") }
            sent += n
        }
        return nil
    }

    static func read(_ count: Int, from fd: Int32, deadline: Date, timeout: Timeout) -> Result<[UInt8], TransportFailure> {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            guard wait(fd, for: POLLIN, until: deadline) else { return .failure(timedOut(timeout)) }
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard n > 0 else {
                return .failure(TransportFailure(kind: .connect, message: "the KDC closed the connection without a complete reply"))
            }
            got += n
        }
        return .success(out)
    }

    /// Whether the socket is ready for `events` before the deadline.
    static func wait(_ fd: Int32, for events: Int32, until deadline: Date) -> Bool {
        while true {
            let ms = deadline.timeIntervalSinceNow * 1000
            guard ms > 0 else { return false }
            var p = pollfd(fd: fd, events: Int16(events), revents: 0)
            let r = poll(&p, 1, Int32(min(ms.rounded(.up), Double(Int32.max))))
            if r < 0 && errno == EINTR { continue }
            return r == 1
        }
    }

    static func timedOut(_ timeout: Timeout) -> TransportFailure {
        TransportFailure(kind: .timeout, message: "no KDC reply within \(timeout)")
    }
}

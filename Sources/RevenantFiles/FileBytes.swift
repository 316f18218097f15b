import Foundation
import RevenantCrypto

/// Reads a whole file straight into a byte array (one copy, not `Data` plus an array).
public enum FileBytes {
    public static func read(_ path: String) -> [UInt8]? {
        guard let (fd, size) = openRegular(path) else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: size)
        guard let done = bytes.withUnsafeMutableBytes({ fill(fd, $0.baseAddress, count: size) }) else { return nil }
        if done < bytes.count { bytes.removeLast(bytes.count - done) }
        return bytes
    }

    /// A regular file opened for reading, and its size; nil when it cannot be opened or is not a
    /// regular file. The caller closes the descriptor.
    static func openRegular(_ path: String) -> (fd: Int32, size: Int)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        return (fd, Int(info.st_size))
    }

    /// Reads `fd` into `buffer` until `count` bytes or the end of the file: how many were read, or
    /// nil on an error.
    static func fill(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, count: Int) -> Int? {
        guard let buffer else { return count == 0 ? 0 : nil }
        var done = 0
        while done < count {
            let n = Foundation.read(fd, buffer + done, count - done)
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

extension FileBytes {
    /// At most `limit` bytes of a file, a pipe or a device (a secret may come from `<(pass show …)`),
    /// or why not: a larger input is refused rather than read whole. Read without blocking, so
    /// nothing waits where it cannot be stopped (found by adversarial runs: a nightly run hung on a
    /// FIFO, deaf to SIGTERM): a FIFO nobody has open for writing reads as empty at once, and a
    /// writer that is slow (a passphrase prompt) is waited for until `interrupted()` says stop.
    public static func read(_ path: String, limit: Int, interrupted: () -> Bool = { false }) -> Result<[UInt8], LimitedReadProblem> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { return .failure(.unreadable("it is a directory")) }
            if (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) > limit { return .failure(.tooLarge(limit)) }
        }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                guard errno == EAGAIN || errno == EWOULDBLOCK else { return .failure(.unreadable(String(cString: strerror(errno)))) }
                // A writer, no data yet: wait a little at a time, asking whether to stop.
                if interrupted() { return .failure(.unreadable("interrupted while waiting for its writer")) }
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&ready, 1, 100)
                continue
            }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        return bytes.count > limit ? .failure(.tooLarge(limit)) : .success(bytes)
    }

    /// Why a bounded read gave nothing.
    public enum LimitedReadProblem: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case tooLarge(Int)

        public var description: String {
            switch self {
            case .unreadable(let why): "cannot be read (\(why))"
            case .tooLarge(let limit): "larger than \(limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit) bytes"): not read (no secret is that long)"
            }
        }
    }
}

extension FileBytes {
    /// The SHA-256 of a file, read 64 KiB at a time (nil if it cannot be read).
    public static func sha256(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let hasher = SHA256Hasher()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { return hasher.finish() }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        }
    }
}

extension FileBytes {
    /// A regular file of at most `limit` bytes, read whole with one `open` and one `fstat` (a scan
    /// of 10,000 certificate files pays no path lookup beside them), or why not. Opened
    /// non-blocking, so a FIFO is refused as not regular instead of waiting for a writer.
    public static func readRegular(_ path: String, limit: Int) -> Result<[UInt8], RegularFileProblem> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            // Only on failure: say why as a stat would (missing, not regular, too large), else unreadable.
            var info = stat()
            guard stat(path, &info) == 0 else { return .failure(.missing(String(cString: strerror(errno)))) }
            return .failure(problem(info, limit: limit) ?? .unreadable)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.unreadable) }
        if let problem = problem(info, limit: limit) { return .failure(problem) }
        let size = Int(info.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            while count < size {
                let n = Foundation.read(fd, buffer.baseAddress! + count, size - count)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    break
                }
                if n == 0 { break }
                count += n
            }
        }
        return failed ? .failure(.unreadable) : .success(bytes)
    }

    static func problem(_ info: stat, limit: Int) -> RegularFileProblem? {
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .notRegular }
        return Int(info.st_size) > limit ? .tooLarge : nil
    }

    /// Why `readRegular` gave nothing.
    public enum RegularFileProblem: Error, Equatable {
        /// The path names nothing that can be looked at: the system's reason (`strerror`).
        case missing(String)
        case notRegular
        case tooLarge
        /// There, but opening or reading it failed.
        case unreadable
    }
}

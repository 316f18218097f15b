import Foundation
import RevenantReports

/// Writes reports to stdout, a file, or `report.<ext>` files in a directory, as they are rendered.
/// A file is written beside its final path and renamed over it when whole, so a reader sees a
/// whole report or none; a write that fails (a closed pipe, a full disk) ends the command with
/// exit 3 and a message, never a crash.
enum ReportOutput {
    static func write(formats: [ReportFormat], output: String?, render: (ReportFormat, ([UInt8]) -> Void) -> Void) throws {
        guard let output else {
            var failure: String?
            for format in formats {
                render(format) { chunk in if failure == nil { failure = writeAll(STDOUT_FILENO, chunk) } }
            }
            if let failure { throw incomplete("cannot write the report to standard output: \(failure)") }
            return
        }
        var paths: [String] = [output]
        if formats.count > 1 {
            do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
                throw failInput(["--output \(output): cannot create the directory"])
            }
            paths = formats.map { URL(fileURLWithPath: output).appendingPathComponent("report.\($0.ext)").path }
        }
        for (format, path) in zip(formats, paths) {
            try writeFile(path, format, render)
        }
    }

    /// Writes one report file: a regular file (or a new one) through a temporary file renamed over
    /// it; anything else (`/dev/null`, a pipe) in place.
    static func writeFile(_ named: String, _ format: ReportFormat, _ render: (ReportFormat, ([UInt8]) -> Void) -> Void) throws {
        // Through a symbolic link to where it points: the link stays a link.
        let path = finalPath(named)
        var info = stat()
        let inPlace = stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG
        let target = inPlace ? path : path + ".partial-\(getpid())"
        let fd = inPlace ? open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) : open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failInput(["--output \(path): cannot write the report there"]) }
        var failure: String?
        render(format) { chunk in if failure == nil { failure = writeAll(fd, chunk) } }
        if failure == nil, !inPlace, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil, !inPlace, rename(target, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            if !inPlace { unlink(target) }
            throw incomplete("cannot write the report to \(path): \(failure)")
        }
    }

    /// Where `path` leads when it is a symbolic link (followed to the end, also when its target
    /// does not exist yet), else `path`.
    static func finalPath(_ path: String) -> String {
        var current = path
        for _ in 0..<32 {
            var info = stat()
            guard lstat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK,
                  let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return current }
            current = target.hasPrefix("/") ? target : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(target).path
        }
        return current
    }

    /// Every byte, or the reason they could not all be written.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            done += n
        }
        return nil
    }

    static func incomplete(_ message: String) -> Error {
        warn("error: " + message)
        return Exit.incomplete
    }

    /// Throws exit 2 when the report could not be written where `--output` says.
    static func checkWritable(formats: [ReportFormat], output: String?) throws {
        guard let path = output else { return }
        let writable = formats.count > 1
            ? (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil
            : canWrite(path)
        if !writable { throw failInput(["--output \(path): cannot write the report there"]) }
    }

    /// Whether `path` can be written: an existing file or device opened for writing (not truncated),
    /// or a new file created in its directory (and removed again).
    static func canWrite(_ path: String) -> Bool {
        if access(path, F_OK) == 0 { return access(path, W_OK) == 0 }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        close(fd)
        unlink(path)
        return true
    }
}

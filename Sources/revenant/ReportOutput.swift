import Foundation
import RevenantCore
import RevenantReports

/// Writes reports to stdout, a file, or `report.<ext>` files in a directory, as they are rendered.
/// A file is written beside its final path and renamed over it when whole, so a reader sees a
/// whole report or none; a write that fails (a closed pipe, a full disk) ends the command with
/// exit 3 and a message, never a crash.
enum ReportOutput {
    /// Writes `report` in the formats, to the place and grouped as `options` say (colour only on a terminal).
    static func write(_ report: RunReport, options: OutputOptions) throws {
        let useColor = options.output == nil && Terminal.stdoutIsTTY && Terminal.colorAllowed
        try write(formats: options.formats, output: options.output) { format, emit in
            format.write(report, color: useColor, groupBy: options.groupBy, failOn: options.threshold, emit: emit)
        }
    }

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

    /// Writes one report file. A regular file (or a new one) is written beside its final path and
    /// renamed over it, keeping the old file's mode and owner; a device, a pipe, a file with other
    /// hard links, or one in a directory revenant cannot create files in is written in place. A
    /// failure here comes after probing: exit 3, with the message.
    static func writeFile(_ named: String, _ format: ReportFormat, _ render: (ReportFormat, ([UInt8]) -> Void) -> Void) throws {
        let (path, inPlace, old) = destination(named)
        var fd: Int32 = -1
        var temporary: String?
        if !inPlace {
            let candidate = path + ".partial-\(getpid())"
            fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, old.map { $0.st_mode & 0o7777 } ?? 0o644)
            if fd >= 0 {
                temporary = candidate
                if let old {
                    _ = fchmod(fd, old.st_mode & 0o7777)
                    _ = fchown(fd, old.st_uid, old.st_gid)
                }
            }
        }
        if fd < 0 { fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw incomplete("cannot write the report to \(named): \(String(cString: strerror(errno)))") }
        var failure: String?
        render(format) { chunk in if failure == nil { failure = writeAll(fd, chunk) } }
        if failure == nil, temporary != nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil, let temporary, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            if let temporary { unlink(temporary) }
            throw incomplete("cannot write the report to \(named): \(failure)")
        }
    }

    /// Where a report named `named` goes: the path to write, whether in place, and the file it replaces.
    static func destination(_ named: String) -> (path: String, inPlace: Bool, old: stat?) {
        var info = stat()
        guard stat(named, &info) == 0 else {
            // New: through a dangling symbolic link, to where it points.
            return (finalPath(named), false, nil)
        }
        // A device or a pipe (/dev/null, /dev/stdout): in place, never followed through /proc.
        guard (info.st_mode & S_IFMT) == S_IFREG else { return (named, true, nil) }
        let real = finalPath(named)
        let directory = URL(fileURLWithPath: real).deletingLastPathComponent().path
        // Other hard links would keep the old report; a directory we cannot create in takes no temporary file.
        let inPlace = info.st_nlink > 1 || access(directory, W_OK) != 0
        return (real, inPlace, info)
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

    /// Whether `path` can take a report: an existing file or device that is writable and not a
    /// directory, or a new file its directory lets revenant create (tried, and removed again).
    static func canWrite(_ path: String) -> Bool {
        var info = stat()
        if stat(path, &info) == 0 {
            return (info.st_mode & S_IFMT) != S_IFDIR && access(path, W_OK) == 0
        }
        let target = finalPath(path)
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        close(fd)
        unlink(target)
        return true
    }
}

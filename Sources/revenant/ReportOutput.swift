import Foundation
import RevenantReports

/// Writes reports to stdout, a file, or `report.<ext>` files in a directory, as they are rendered.
enum ReportOutput {
    static func write(formats: [ReportFormat], output: String?, render: (ReportFormat, ([UInt8]) -> Void) -> Void) throws {
        guard let output else {
            for format in formats { render(format) { FileHandle.standardOutput.write(Data($0)) } }
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
            guard let handle = ReportOutput.openForWriting(path) else {
                throw failInput(["--output \(path): cannot write the report there"])
            }
            render(format) { handle.write(Data($0)) }
            try? handle.close()
        }
    }

    /// Throws exit 2 when the report could not be written where `--output` says.
    static func checkWritable(formats: [ReportFormat], output: String?) throws {
        guard let path = output else { return }
        let writable = formats.count > 1
            ? (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil
            : openForWriting(path) != nil
        if !writable { throw failInput(["--output \(path): cannot write the report there"]) }
    }

    /// Opens `path` for writing in place, created or truncated. Not `FileManager.createFile`: it
    /// writes a new file and renames it over the path, which replaces a device such as `/dev/null`.
    static func openForWriting(_ path: String) -> FileHandle? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        return fd < 0 ? nil : FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
}

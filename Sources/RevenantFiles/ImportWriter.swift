import Foundation
import RevenantCore

/// Writes an imported inventory and its secret files. Secrets go to a directory created 0700
/// beside the inventory, each file created with O_EXCL and mode 0600 (certificates 0644), all
/// first in a staging directory that is renamed into place, so a failed import leaves no half
/// directory; the inventory itself is written to a temporary file and renamed.
public enum ImportWriter {
    /// Why nothing (or nothing more) was written.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ text: String) { description = text }
    }

    /// The secrets directory's name for an inventory: `inv.yaml` → `inv.secrets`.
    public static func secretsDirectoryName(for output: String) -> String {
        URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent + ".secrets"
    }

    /// Refuses an existing output or secrets directory unless `force`.
    public static func check(output: String, needsFiles: Bool, force: Bool) throws(Failure) {
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
        var info = stat()
        if lstat(output, &info) == 0 {
            if (info.st_mode & S_IFMT) != S_IFREG { throw Failure("\(output) exists and is not a regular file") }
            if !force { throw Failure("\(output) exists: not overwritten (use --force to replace it and its secrets directory)") }
        }
        if needsFiles, !force {
            let secrets = directory + "/" + secretsDirectoryName(for: output)
            if lstat(secrets, &info) == 0 { throw Failure("\(secrets) exists: not overwritten (use --force to replace it)") }
        }
    }

    /// Writes `files` (paths relative to the inventory's directory, under one secrets
    /// directory) and then the inventory `text` at `output`.
    public static func write(text: [UInt8], files: [ImportFile], output: String, force: Bool) throws(Failure) {
        try check(output: output, needsFiles: !files.isEmpty, force: force)
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
        if !files.isEmpty {
            let name = secretsDirectoryName(for: output)
            let final = directory + "/" + name
            let staging = directory + "/.\(name).partial-\(getpid())"
            guard mkdir(staging, 0o700) == 0 else { throw Failure("cannot create \(staging): \(String(cString: strerror(errno)))") }
            do throws(Failure) {
                _ = chmod(staging, 0o700)
                for file in files {
                    let leaf = file.relativePath.split(separator: "/").last.map(String.init) ?? file.relativePath
                    try create(staging + "/" + leaf, file.bytes, mode: file.isSecret ? 0o600 : 0o644, sync: false)
                }
                // One syncfs for every file (an fsync each costs minutes for 100,000 secrets), before
                // the rename that makes them the secrets directory.
                try flush(staging)
                var info = stat()
                if lstat(final, &info) == 0 { try remove(directory: final) }
                guard rename(staging, final) == 0 else { throw Failure("cannot move the secrets into \(final): \(String(cString: strerror(errno)))") }
            } catch {
                try? remove(directory: staging)
                throw error
            }
        }
        let temporary = directory + "/.\(URL(fileURLWithPath: output).lastPathComponent).partial-\(getpid())"
        try create(temporary, text, mode: 0o644, sync: true)
        guard rename(temporary, output) == 0 else {
            unlink(temporary)
            throw Failure("cannot write \(output): \(String(cString: strerror(errno)))")
        }
        try? flush(directory)
    }

    /// Flushes the file system holding `path` to disk.
    static func flush(_ path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard syncFileSystem(fd) == 0 else { throw Failure("cannot write to disk under \(path): \(String(cString: strerror(errno)))") }
    }

    /// Linux's syncfs(2) (glibc declares it only under _GNU_SOURCE, which Swift's Glibc module
    /// does not set), else the whole system's sync(2).
    static let syncFileSystem: @Sendable (Int32) -> Int32 = {
        typealias SyncFS = @convention(c) (Int32) -> Int32
        guard let symbol = dlsym(nil, "syncfs") else { return { _ in sync(); return 0 } }
        let call = unsafeBitCast(symbol, to: SyncFS.self)
        return { call($0) }
    }()

    /// A new file (never an existing one, never through a symbolic link) with exactly `mode`;
    /// synced when `sync` (else the caller syncs the file system once).
    static func create(_ path: String, _ bytes: [UInt8], mode: mode_t, sync: Bool) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = fchmod(fd, mode)  // the umask may have narrowed a certificate's 0644; a secret stays 0600
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw Failure("cannot write \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
        if sync, fsync(fd) != 0 { throw Failure("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Removes a secrets directory an earlier import wrote: its regular files, then itself. A
    /// symbolic link or a subdirectory in it is not ours: refused.
    static func remove(directory: String) throws(Failure) {
        var info = stat()
        guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw Failure("\(directory) is not a directory: not replaced")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            let path = directory + "/" + name
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                throw Failure("\(path) is not a regular file: \(directory) not replaced")
            }
        }
        for name in names { unlink(directory + "/" + name) }
        guard rmdir(directory) == 0 else { throw Failure("cannot remove \(directory): \(String(cString: strerror(errno)))") }
    }
}

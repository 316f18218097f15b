import Foundation
import RevenantCore
import RevenantCrypto

// The edge that reads files for the pure core: each loader here reads the bytes and hands them
// to the core's decoder of the same name.

extension InventoryLoader {
    /// Loads and merges inventory files from disk (see `load(files:open:)`).
    public static func load(files: [String]) throws(InputErrors) -> Inventory {
        try load(files: files, open: ReleasableFileBytes.read)
    }

    /// One inventory file from disk.
    public static func load(file: String) throws(InputErrors) -> Inventory {
        try load(files: [file], open: ReleasableFileBytes.read)
    }
}

extension Configuration {
    /// Reads a JSON configuration file; every unknown key or wrong type is reported with its line.
    /// `environment`: the process's unless a caller gives its own (Configuration.parse).
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(InputErrors) -> Configuration {
        guard let data = FileBytes.read(file) else {
            throw InputErrors([InputError(file: file, message: "cannot read the configuration file (missing or unreadable)")])
        }
        return try parse(data, file: file, environment: environment)
    }
}

extension JSONWebKeySet {
    /// Reads a JWK Set file.
    public static func load(file: String) throws(JWTError) -> JSONWebKeySet {
        var info = stat()
        guard stat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw JWTError(.invalidKeySet, "\(file): no such file, or not a regular file")
        }
        guard Int(info.st_size) <= maxSize else {
            throw JWTError(.tooLarge, "\(file): larger than \(maxSize >> 20) MiB: not read as a JWK Set")
        }
        guard let bytes = FileBytes.read(file) else { throw JWTError(.invalidKeySet, "\(file): cannot read the file") }
        return try parse(bytes, source: file)
    }
}

extension KnownHosts {
    /// An OpenSSH known_hosts file, or nil when it cannot be read.
    public static func load(file: String) -> KnownHosts? {
        FileBytes.read(file).map { KnownHosts(text: String(decoding: $0, as: UTF8.self)) }
    }
}

extension JWKSVerifier {
    /// Reads the JWK Set file and verifies; throws only when the file is unusable.
    public static func verify(token: JSONWebToken, jwksFile: String) throws(JWTError) -> JWTVerification {
        verify(token: token, keys: try JSONWebKeySet.load(file: jwksFile))
    }
}

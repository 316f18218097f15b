import Foundation
import RevenantCore
import RevenantFiles

/// Reads secrets from their sources, as bytes. The environment is injected so tests control it.
public struct SecretResolver: SecretReader {
    /// The raw bytes of an environment variable (Foundation's `environment` repairs bad UTF-8
    /// with U+FFFD, which would send a Latin-1 password altered).
    let environment: @Sendable (String) -> [UInt8]?
    /// Whether the run was told to stop: a pipe whose writer has not written yet is no longer waited for.
    var interrupted: @Sendable () -> Bool = { false }

    public init(interrupted: @escaping @Sendable () -> Bool = { false }) {
        environment = { name in getenv(name).map { Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0))) } }
        self.interrupted = interrupted
    }

    public init(environment: [String: String]) {
        self.environment = { environment[$0].map { Array($0.utf8) } }
    }

    public init(environmentBytes: [String: [UInt8]]) {
        self.environment = { environmentBytes[$0] }
    }

    /// Secret files larger than this are not read: no credential is 1 MiB long, and a wrong path
    /// (a disk image, /dev/zero) must not take the machine's memory.
    public static let maxFileBytes = 1 << 20

    /// The secret, or why it cannot be had (the reason names the source, never a value).
    public func resolve(_ source: SecretSource) -> Result<Secret, SecretError> {
        switch source {
        case .value(let v):
            // Exactly as written: a line end in it (a YAML `|` block) is not trimmed, and the planner
            // then refuses it, as it refuses every secret holding a line break.
            return v.isEmpty ? .failure(SecretError("inline secret `value` is empty")) : Self.checked(Array(v.utf8), "inline secret `value`", trimming: false)
        case .environment(let name):
            guard let v = environment(name) else { return .failure(SecretError("environment variable \(name) is not set")) }
            return Self.checked(v, "environment variable \(name)")
        case .file(let path):
            switch FileBytes.read(path, limit: Self.maxFileBytes, interrupted: interrupted) {
            case .failure(let problem): return .failure(SecretError("secret file \(path): \(problem)"))
            case .success(let data):
                var info = stat()
                if data.isEmpty, stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO {
                    return .failure(SecretError("secret file \(path) is a FIFO nobody was writing to when it was read (start its writer first)"))
                }
                return Self.checked(data, "secret file \(path)")
            }
        }
    }

    /// The bytes less the one line ending a file or variable usually carries (`\n` or `\r\n`, as an
    /// editor or `echo` writes it: a password sent with it would be refused and read as "revoked");
    /// refused when empty, or when they begin with a UTF-8 byte order mark, which an editor adds and
    /// no credential holds: sent, a live secret would be refused; stripped, revenant would be
    /// guessing. Nothing else is changed: a lone `\r` or a second line ending stays, and the planner
    /// then refuses the secret as holding a line break (taking them all off, a secret whose bytes end
    /// in `\r` was sent without it, refused, and read as "revoked": found by an adversarial run).
    static func checked(_ raw: [UInt8], _ what: String, trimming: Bool = true) -> Result<Secret, SecretError> {
        var bytes = raw
        if trimming, bytes.last == 0x0A {
            bytes.removeLast()
            if bytes.last == 0x0D { bytes.removeLast() }
        }
        if bytes.isEmpty { return .failure(SecretError("\(what) is empty")) }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return .failure(SecretError("\(what) begins with a UTF-8 byte order mark (EF BB BF), which an editor adds: "
                + "save it without one (revenant sends a secret exactly as stored and does not guess)"))
        }
        return .success(Secret(bytes: bytes))
    }
}

import Foundation
import RevenantCore

/// Reads secrets from their sources. The environment is injected so tests control it.
public struct SecretResolver: Sendable {
    let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The secret, or why it cannot be had (the reason names the source, never a value).
    public func resolve(_ source: SecretSource) -> Result<String, SecretError> {
        switch source {
        case .value(let v):
            return v.isEmpty ? .failure(SecretError("inline secret `value` is empty")) : .success(v)
        case .environment(let name):
            guard let v = environment[name] else { return .failure(SecretError("environment variable \(name) is not set")) }
            let text = Self.trimmingLineEnd(v)
            return text.isEmpty ? .failure(SecretError("environment variable \(name) is empty")) : .success(text)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                return .failure(SecretError("cannot read secret file \(path)"))
            }
            let text = Self.trimmingLineEnd(String(decoding: data, as: UTF8.self))
            return text.isEmpty ? .failure(SecretError("secret file \(path) is empty")) : .success(text)
        }
    }
}

extension SecretResolver {
    /// Without the line ending a file or variable usually carries (`\n`, Windows `\r\n`): a
    /// password sent with it would be refused and read as "revoked". Scalars, not Characters:
    /// `"\r\n"` is one Character, which `hasSuffix("\n")` does not see.
    static func trimmingLineEnd(_ text: String) -> String {
        var scalars = text.unicodeScalars
        while let last = scalars.last, last == "\n" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }

    /// Whether a secret that is not a key still holds a line break or NUL after trimming: sent as
    /// a password or header it would be corrupted (and refused), so it is not sent.
    public static func hasLineBreak(_ secret: String) -> Bool {
        secret.unicodeScalars.contains { $0 == "\n" || $0 == "\r" || $0 == "\0" }
    }
}

/// Why a secret could not be read.
public struct SecretError: Error, Sendable {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
}

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
            return v.isEmpty ? .failure(SecretError("environment variable \(name) is empty")) : .success(v)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                return .failure(SecretError("cannot read secret file \(path)"))
            }
            var text = String(decoding: data, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text.isEmpty ? .failure(SecretError("secret file \(path) is empty")) : .success(text)
        }
    }
}

/// Why a secret could not be read.
public struct SecretError: Error, Sendable {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
}

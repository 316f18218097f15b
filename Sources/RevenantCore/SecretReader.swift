/// Reads a credential's secret from where the inventory says it is (an environment variable, a
/// file, the inventory itself): RevenantFiles' SecretResolver in production. The planner reads
/// secrets through this only.
public protocol SecretReader: Sendable {
    /// The secret's bytes, or why they cannot be had (the reason names the source, never a value).
    func resolve(_ source: SecretSource) -> Result<Secret, SecretError>
}

/// Why a secret could not be read.
public struct SecretError: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

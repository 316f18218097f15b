/// Lifecycle limits the classifier applies (`policy` in the configuration).
public struct Policy: Sendable, Equatable {
    /// Warn when expiry is at most this many days away.
    public var expiryWarningDays: Int
    /// Maximum age in days since `rotated_at` (else `issued_at`), by kind; `default` for the rest.
    public var maxRotationAgeDays: [CredentialKind: Int]
    public var defaultMaxRotationAgeDays: Int

    public init(expiryWarningDays: Int = 30, maxRotationAgeDays: [CredentialKind: Int] = [:], defaultMaxRotationAgeDays: Int = 90) {
        self.expiryWarningDays = expiryWarningDays
        self.maxRotationAgeDays = maxRotationAgeDays
        self.defaultMaxRotationAgeDays = defaultMaxRotationAgeDays
    }

    public func maxRotationAge(for kind: CredentialKind) -> Int {
        maxRotationAgeDays[kind] ?? defaultMaxRotationAgeDays
    }
}

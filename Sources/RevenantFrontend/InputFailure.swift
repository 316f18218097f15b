/// Bad input, found before anything was sent: each line names the file, line or field and what
/// was expected. A command prints them and exits 2.
public struct InputFailure: Error, Sendable {
    public var lines: [String]
    /// Warnings found on the way, shown before the errors (they may say why).
    public var warnings: [String]

    public init(_ lines: [String], warnings: [String] = []) {
        self.lines = lines
        self.warnings = warnings
    }
}

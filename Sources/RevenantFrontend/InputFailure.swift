/// Bad input, found before anything was sent: each line names the file, line or field and what
/// was expected. A command prints them and exits 2.
public struct InputFailure: Error, Sendable {
    public var lines: [String]

    public init(_ lines: [String]) { self.lines = lines }
}

/// A problem in a file the user gave (inventory, probe definition, configuration). Never carries a secret.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// `line 12`, `credentials[3].state`, `line 12, credentials[3].state`, or empty.
    public var location: String
    public var message: String

    public init(file: String, location: String = "", message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String {
        location.isEmpty ? "\(file): \(message)" : "\(file): \(location): \(message)"
    }
}

/// Several input problems reported together, so one pass shows everything to fix.
public struct InputErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [InputError]

    public init(_ errors: [InputError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// An optional kept out of line: one word inline whatever the size of `Wrapped`. For large fields
/// that are rarely set on values held by the hundred thousand (a certificate's files on a
/// credential, a revocation lookup on a check), so that every other value stays small.
public struct OutOfLine<Wrapped: Sendable & Equatable>: Sendable, Equatable {
    // An empty array is a shared static buffer: no allocation when the value is absent.
    private var storage: [Wrapped]

    public init(_ value: Wrapped?) { storage = value.map { [$0] } ?? [] }

    public var value: Wrapped? {
        get { storage.first }
        set { storage = newValue.map { [$0] } ?? [] }
    }
}

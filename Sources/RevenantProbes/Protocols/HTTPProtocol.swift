import RevenantCore

/// An HTTP(S) API: the probe's matchers read the answer (docs/probe-format.md).
public struct HTTPProtocol: HTTPShaped {
    public var authSchemes: [String] { ["bearer", "basic", "header", "query"] }
    public var needsUsername: Bool { false }
}

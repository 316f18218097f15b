import Foundation

/// How long one network exchange may take (a probe, a CRL or OCSP fetch, a TLS scan): the
/// configuration's `timeout_seconds`, passed down to every transport. The one place it is clamped
/// and turned into the units each library takes.
public struct Timeout: Sendable, Hashable, CustomStringConvertible {
    /// The default of `timeout_seconds`.
    public static let `default` = Timeout(seconds: 10)
    /// What `timeout_seconds` may be: below 0.1 s no TLS handshake completes, so every answer would
    /// be a timeout; above an hour a silent server holds a run for good (and seconds that large no
    /// longer fit the milliseconds libcurl takes).
    public static let allowed: ClosedRange<Double> = 0.1...3600

    public let seconds: Double

    /// Clamped into `allowed` (the configuration refuses values outside it before they get here).
    public init(seconds: Double) {
        self.seconds = seconds.isNaN ? Timeout.allowed.lowerBound : min(max(seconds, Timeout.allowed.lowerBound), Timeout.allowed.upperBound)
    }

    /// For libcurl (`CURLOPT_TIMEOUT_MS`).
    public var milliseconds: Int { Int((seconds * 1000).rounded(.up)) }

    /// Whole seconds, rounded up, for libraries that count seconds (libldap, libpq).
    public var wholeSeconds: Int { Int(seconds.rounded(.up)) }

    public var description: String { seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s" }
}

extension Timeout: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    public init(floatLiteral value: Double) { self.init(seconds: value) }
    public init(integerLiteral value: Int) { self.init(seconds: Double(value)) }
}

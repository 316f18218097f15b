import Foundation

/// `allowed_hosts` entries: an exact host name or `*.suffix` (any subdomain, not the bare suffix).
public enum HostPattern {
    public static func allows(_ patterns: [String], _ host: String) -> Bool {
        let host = host.lowercased()
        return patterns.contains { matches($0.lowercased(), host) }
    }

    /// Any host: accepted by the loader only for `tls-client-certificate` probes, which send no secret.
    public static let anyHost = "*"

    static func matches(_ pattern: String, _ host: String) -> Bool {
        if pattern.hasPrefix("*.") {
            let suffix = pattern.dropFirst(1)
            return host.hasSuffix(suffix) && host.count > suffix.count
        }
        return pattern == host
    }

    /// Why a pattern is unusable, or nil.
    public static func problem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "empty host" }
        if pattern.contains("://") || pattern.contains("/") { return "`\(pattern)` must be a host name, without scheme or path" }
        if pattern.contains("@") { return "`\(pattern)` must not contain `@`" }
        let body = pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern
        if body.contains("*") { return "`\(pattern)`: only a leading `*.` is allowed" }
        if pattern.hasPrefix("*.") && !body.contains(".") { return "`\(pattern)` is too broad: name at least a registrable domain (e.g. `*.example.com`)" }
        return nil
    }
}

/// A credential's base URL, checked: a scheme of the probe's protocol (http(s) by default), a
/// host, no user info, query or fragment.
public struct TargetURL: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?
    public var basePath: String

    public static let httpSchemes = ["http": 80, "https": 443]

    public init?(_ text: String, schemes: [String: Int] = TargetURL.httpSchemes) {
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), let defaultPort = schemes[scheme],
              let raw = c.percentEncodedHost?.lowercased(), !raw.isEmpty,
              c.user == nil, c.password == nil, c.query == nil, c.fragment == nil else { return nil }
        // Host-name syntax only: a percent-encoded `/` or `@` must not turn `evil.com%2F.x.net` into a match for `*.x.net`.
        let isIPv6 = raw.hasPrefix("[") && raw.hasSuffix("]")
        let host = isIPv6 ? String(raw.dropFirst().dropLast()) : raw
        let allowed: (Character) -> Bool = isIPv6
            ? { $0.isHexDigit || $0 == ":" || $0 == "." }
            : { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" }
        guard host.allSatisfy(allowed) else { return nil }
        self.scheme = scheme
        self.host = host
        // An explicit default port is the same place as none: keep one spelling, so a control at
        // `https://h:443` and a credential at `https://h` share a (probe, target) pair.
        self.port = c.port == defaultPort ? nil : c.port
        var path = c.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
        let bracketed = self.host.utf8.contains(UInt8(ascii: ":")) ? "[\(self.host)]" : self.host
        authority = "\(bracketed):\(port ?? defaultPort)"
        base = "\(scheme)://\(bracketed)\(port.map { ":\($0)" } ?? "")\(basePath)"
    }

    /// `host:port` with the scheme's default port: the key for per-host limits and controls.
    public private(set) var authority = ""
    /// `scheme://host[:port]/base` as a user reads it.
    public private(set) var base = ""
}

import Foundation

/// Run settings (DESIGN.md §9). Precedence: command-line flag, then config file, then these defaults.
public struct Configuration: Sendable, Equatable {
    public var concurrency = 64
    public var perHost = HostLimits(maxInFlight: 8, requestsPerSecond: nil)
    public var timeout = Timeout.default
    public var retries = RetryPolicy()
    public var policy = Policy()
    public var probesDirs: [String] = []
    public var caBundle: String?
    public var insecureHosts: [String] = []
    public var proxy: String?
    public var revocation = RevocationSettings()
    public var fingerprintKey: SecretSource?
    /// JWK Set that `jwt` credentials' signatures are checked against: an http(s) URL, or a file
    /// (`file://` or a path, relative to the configuration file).
    public var jwks: String?
    /// OpenSSH known_hosts file: the host-key pin of an SSH target the inventory gives none for.
    public var sshKnownHosts: String?
    /// How PostgreSQL logins use TLS (libpq's `sslmode`), and the CA file a `verify-*` mode trusts.
    public var postgres = PostgresTLS()
    /// Where runs are remembered (`--history` wins): a SQLite file (relative to the configuration
    /// file) or a `postgresql://` URL.
    public var history: String?

    public init() {}

    static let keys = ["concurrency", "per_host", "timeout_seconds", "retries", "policy", "probes_dirs",
                       "tls", "proxy", "revocation", "fingerprint_key", "jwt", "ssh", "postgresql", "history"]

    /// Reads a JSON configuration; every unknown key or wrong type is reported with its line.
    /// `file` names it in errors and is the directory relative paths in it start from. `environment`
    /// is the process's, for what it may stand in for (`SSL_CERT_FILE` as the CA file: TrustAnchors).
    public static func parse(_ data: [UInt8], file: String, environment: [String: String] = [:]) throws(InputErrors) -> Configuration {
        let tree: Tree
        do {
            tree = try JSONTreeParser.parse(data, file: file)
        } catch {
            throw InputErrors([error])
        }
        var r = FieldReader(file: file)
        var c = Configuration()
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardized.path
        }
        if let f = r.object(tree, "", allowed: keys) {
            // Every number is range-checked where it enters (Limits says why each bound is what it is).
            c.concurrency = r.integer(f, "concurrency", "", in: Limits.concurrency) ?? c.concurrency
            if let t = f["per_host"], let h = r.object(t, "per_host", allowed: ["max_in_flight", "requests_per_second"]) {
                c.perHost.maxInFlight = r.integer(h, "max_in_flight", "per_host", in: Limits.concurrency) ?? c.perHost.maxInFlight
                c.perHost.requestsPerSecond = r.number(h, "requests_per_second", "per_host", in: Limits.requestsPerSecond) ?? c.perHost.requestsPerSecond
            }
            c.timeout = r.number(f, "timeout_seconds", "", in: Timeout.allowed).map(Timeout.init(seconds:)) ?? c.timeout
            if let t = f["retries"], let h = r.object(t, "retries", allowed: ["attempts", "backoff_ms", "max_retry_after_seconds"]) {
                c.retries.attempts = r.integer(h, "attempts", "retries", in: Limits.attempts) ?? c.retries.attempts
                c.retries.backoffMs = r.integer(h, "backoff_ms", "retries", in: Limits.backoffMs) ?? c.retries.backoffMs
                c.retries.maxRetryAfterSeconds = r.number(h, "max_retry_after_seconds", "retries", in: Limits.retryAfterSeconds) ?? c.retries.maxRetryAfterSeconds
            }
            if let t = f["policy"], let p = r.object(t, "policy", allowed: ["expiry_warning_days", "max_rotation_age_days"]) {
                c.policy.expiryWarningDays = r.integer(p, "expiry_warning_days", "policy", in: Limits.days) ?? c.policy.expiryWarningDays
                if let ages = p["max_rotation_age_days"],
                   let a = r.object(ages, "policy.max_rotation_age_days", allowed: ["default"] + CredentialKind.allCases.map(\.rawValue)) {
                    for (key, _) in a {
                        guard let days = r.integer(a, key, "policy.max_rotation_age_days", in: 1...Limits.days.upperBound) else { continue }
                        if key == "default" { c.policy.defaultMaxRotationAgeDays = days }
                        else if let kind = CredentialKind(rawValue: key) { c.policy.maxRotationAgeDays[kind] = days }
                    }
                }
            }
            c.probesDirs = (r.stringList(f, "probes_dirs", "") ?? []).map(resolve)
            if let t = f["tls"], let h = r.object(t, "tls", allowed: ["ca_bundle", "insecure_hosts"]) {
                c.caBundle = r.string(h, "ca_bundle", "tls").map(resolve)
                c.insecureHosts = r.stringList(h, "insecure_hosts", "tls") ?? []
            }
            c.proxy = r.string(f, "proxy", "")
            c.history = r.string(f, "history", "").map { $0.hasPrefix("postgresql://") || $0.hasPrefix("postgres://") ? $0 : resolve($0) }
            if let t = f["revocation"], let h = r.object(t, "revocation", allowed: ["crl", "ocsp", "soft_fail", "ocsp_method", "ca_issuers_hosts", "ocsp_responders"]) {
                c.revocation.crl = r.bool(h, "crl", "revocation") ?? c.revocation.crl
                c.revocation.ocsp = r.bool(h, "ocsp", "revocation") ?? c.revocation.ocsp
                c.revocation.softFail = r.bool(h, "soft_fail", "revocation") ?? c.revocation.softFail
                if let method = r.string(h, "ocsp_method", "revocation") {
                    if let known = OCSPMethod(rawValue: method) { c.revocation.ocspMethod = known }
                    else { r.fail(h["ocsp_method"]!, "revocation.ocsp_method", "expected post or get") }
                }
                c.revocation.caIssuersHosts = r.stringList(h, "ca_issuers_hosts", "revocation") ?? []
                if let list = h["ocsp_responders"], list.arrayValue == nil {
                    r.fail(list, "revocation.ocsp_responders", "expected a list of {\"url\": …, \"issuer\": …}, found \(list.typeName)")
                } else if let items = h["ocsp_responders"]?.arrayValue {
                    for (i, item) in items.enumerated() {
                        let path = "revocation.ocsp_responders[\(i)]"
                        guard let o = r.object(item, path, allowed: ["url", "issuer"]),
                              let url = r.string(o, "url", path, required: true), let issuer = r.string(o, "issuer", path, required: true) else { continue }
                        let lower = url.lowercased()
                        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
                            r.fail(o["url"], "\(path).url", "expected an http:// or https:// URL (OCSP over HTTP, RFC 6960 appendix A)")
                            continue
                        }
                        c.revocation.ocspResponders.append(OCSPResponderSetting(url: url, issuer: resolve(issuer)))
                    }
                }
            }
            if let t = f["ssh"], let h = r.object(t, "ssh", allowed: ["known_hosts"]) {
                c.sshKnownHosts = r.string(h, "known_hosts", "ssh").map(resolve)
            }
            if let t = f["postgresql"], let h = r.object(t, "postgresql", allowed: ["sslmode", "ca_bundle"]) {
                if let mode = r.string(h, "sslmode", "postgresql") {
                    if let known = PostgresTLS.Mode(rawValue: mode) { c.postgres.mode = known }
                    else { r.fail(h["sslmode"]!, "postgresql.sslmode", "expected one of \(PostgresTLS.Mode.allCases.map(\.rawValue).joined(separator: ", "))") }
                }
                c.postgres.caBundle = r.string(h, "ca_bundle", "postgresql").map(resolve)
                if c.postgres.caBundle != nil && !c.postgres.mode.verifiesServer {
                    r.fail(h["ca_bundle"], "postgresql.ca_bundle", "used only with sslmode verify-ca or verify-full (sslmode is \(c.postgres.mode.rawValue): no certificate is checked)")
                }
                if c.postgres.mode.verifiesServer && c.postgres.caBundle == nil
                    && TrustAnchors.resolve(caBundle: c.caBundle, environment: environment).file == nil {
                    r.fail(t, "postgresql", "sslmode \(c.postgres.mode.rawValue) checks the server against a CA file: give postgresql.ca_bundle or tls.ca_bundle, or set SSL_CERT_FILE")
                }
            }
            if let t = f["jwt"], let h = r.object(t, "jwt", allowed: ["jwks"]), let jwks = r.string(h, "jwks", "jwt") {
                let lower = jwks.lowercased()
                c.jwks = lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("file://") ? jwks : resolve(jwks)
            }
            if let t = f["fingerprint_key"], let k = r.object(t, "fingerprint_key", allowed: ["env", "file"]) {
                if k["env"] != nil && k["file"] != nil { r.fail(t, "fingerprint_key", "give either `env` or `file`, not both") }
                if let name = r.string(k, "env", "fingerprint_key") { c.fingerprintKey = .environment(name) }
                else if let path = r.string(k, "file", "fingerprint_key") { c.fingerprintKey = .file(resolve(path)) }
                else { r.fail(t, "fingerprint_key", "expected {\"env\": NAME} or {\"file\": PATH}") }
            }
        }
        if !r.errors.isEmpty { throw InputErrors(r.errors) }
        return c
    }
}

/// TLS of PostgreSQL logins. `prefer` (libpq's default) encrypts when the server offers TLS but
/// authenticates no one, so a machine in the path can ask for the password in clear (libpq 15
/// sends it); `verify-full` sends nothing to a server whose certificate does not chain to the CA
/// file and name the target host (docs/protocols/postgresql.md).
public struct PostgresTLS: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"

        public var verifiesServer: Bool { self == .verifyCA || self == .verifyFull }
    }

    public var mode = Mode.prefer
    /// The CA file of `verify-*` modes; nil: `tls.ca_bundle`.
    public var caBundle: String?

    public init(mode: Mode = .prefer, caBundle: String? = nil) {
        self.mode = mode
        self.caBundle = caBundle
    }
}

/// Limits for one host: how many requests at once and how many per second.
public struct HostLimits: Sendable, Equatable {
    public var maxInFlight: Int
    public var requestsPerSecond: Double?

    public init(maxInFlight: Int, requestsPerSecond: Double?) {
        self.maxInFlight = maxInFlight
        self.requestsPerSecond = requestsPerSecond
    }

    /// The stricter of two limits.
    public func tightened(by other: HostLimits) -> HostLimits {
        let rps: Double? = switch (requestsPerSecond, other.requestsPerSecond) {
        case let (a?, b?): min(a, b)
        case let (a, b): a ?? b
        }
        return HostLimits(maxInFlight: min(maxInFlight, other.maxInFlight), requestsPerSecond: rps)
    }

    /// This run's share when `n` shard processes (`verify --shard I/N`) hit the same host at once:
    /// the rate divided by `n`, and at least one request in flight (a shard must still get through).
    public func shared(among n: Int) -> HostLimits {
        guard n > 1 else { return self }
        return HostLimits(maxInFlight: max(1, maxInFlight / n), requestsPerSecond: requestsPerSecond.map { $0 / Double(n) })
    }
}

/// How transient answers (429, 503, transport errors) are retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Total attempts including the first.
    public var attempts = 3
    public var backoffMs = 250
    /// A `Retry-After` longer than this is not waited for: the attempt stays inconclusive.
    public var maxRetryAfterSeconds = 10.0

    public init() {}
}

/// Certificate revocation lookups (used by certificate checks).
public struct RevocationSettings: Sendable, Equatable {
    public var crl = true
    public var ocsp = true
    /// When a CRL/OCSP source is unreachable: true = report "cannot prove" without failing the run.
    public var softFail = true
    /// How OCSP requests are sent: POST (GET when the responder refuses POST), or GET first.
    public var ocspMethod = OCSPMethod.post
    /// Hosts (exact, or `*.suffix`) a certificate's caIssuers URL may be fetched from when its issuer
    /// is not given; empty: never fetched.
    public var caIssuersHosts: [String] = []
    /// Responders `certs` checks directly on every run (is each up, answering, signing with a
    /// certificate relying parties accept?), each with the CA whose serials it answers for.
    public var ocspResponders: [OCSPResponderSetting] = []

    public init() {}
}

/// `revocation.ocsp_responders[]`: a responder's URL and its CA's certificate file.
public struct OCSPResponderSetting: Sendable, Equatable {
    public var url: String
    public var issuer: String

    public init(url: String, issuer: String) {
        self.url = url
        self.issuer = issuer
    }
}

/// The HTTP method of OCSP requests (RFC 6960 appendix A.1). Either way a request too long for a
/// GET URL goes by POST, and a responder that refuses POST (405, 501) is asked again by GET.
public enum OCSPMethod: String, Sendable, CaseIterable {
    case post, get
}

/// The ranges configuration numbers (and `--concurrency`) must fall in: beyond them a value is a
/// mistake, and would exhaust memory, overflow a conversion or stall a run.
public enum Limits {
    /// In flight at once, overall and per host: each is a connection and a file descriptor.
    public static let concurrency = 1...4096
    /// A host's rate: from one request in 1,000 s to a million a second.
    public static let requestsPerSecond: ClosedRange<Double> = 0.001...1_000_000
    /// Attempts per check (the backoff doubles each time).
    public static let attempts = 1...10
    /// The first backoff: up to a minute.
    public static let backoffMs = 0...60_000
    /// The longest `Retry-After` waited for: an hour (one exchange's longest timeout too).
    public static let retryAfterSeconds: ClosedRange<Double> = 0...3600
    /// Days in a policy: up to a hundred years.
    public static let days = 0...36_500
}

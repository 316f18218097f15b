import RevenantCore

/// Reads a probe's answer into an outcome. Anything not explicitly matched is inconclusive
/// (DESIGN.md §1): redirects, 429 and 5xx never reach the matchers.
public enum ResponseClassifier {
    public static func alwaysInconclusive(_ status: Int) -> Bool {
        (300...399).contains(status) || status == 429 || status >= 500 || status < 200
    }

    /// `scheme://host[:port]/path` of a URL: query, fragment and user info dropped.
    static func withoutQuery(_ location: String) -> String {
        var text = Substring(location)
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<cut] }
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
           !text[scheme.upperBound..<at].contains("/") {
            text = text[..<scheme.upperBound] + text[text.index(after: at)...]
        }
        return String(text)
    }

    public static func classify(_ result: ProbeResult, probe: ProbeDefinition) -> ProbeOutcome {
        let kind = probe.kind
        if !kind.isHTTP { return classifyLogin(result, protocol: kind) }
        if kind == .tlsClientCertificate, case .failure(let failure) = result, let alert = certificateAlert(failure.message) {
            return .rejected(reason: alertRefusal(alert))
        }
        switch result {
        case .failure(let failure):
            return .inconclusive(reason: "\(failure.kind.rawValue): \(failure.message)")
        case .success(.http(let response)):
            return classify(response, probe: probe)
        case .success(.loginAccepted):
            return .inconclusive(reason: "no HTTP answer to read (a login of another protocol)")
        }
    }

    /// As `classify(_:probe:)`, and for a SCIM lookup of `lookup`: a verdict only when the answer
    /// is about that account. A server that ignores `filter` lists every account, and the first
    /// one's `active: false` must never read as "deprovisioned" (RFC 7644 §3.4.2.2 makes filtering
    /// optional: `filter` support is announced in `/ServiceProviderConfig`).
    public static func classify(_ result: ProbeResult, probe: ProbeDefinition, lookup: String) -> ProbeOutcome {
        let outcome = classify(result, probe: probe)
        guard probe.kind == .scim, case .scim(_, let attribute) = probe.auth, outcome.isAuthenticated || outcome.isRejected,
              case .success(.http(let response)) = result else { return outcome }
        guard let json = try? JSONTreeParser.parse(response.body, file: "response").plain else {
            return .inconclusive(reason: "status \(response.status): SCIM answer is not JSON")
        }
        let total: Int? = if case .number(let n)? = json.value(at: "totalResults") { Int(n) } else { nil }
        var found: [PlainJSON] = []
        if case .array(let list)? = json.value(at: "Resources") { found = list }
        if let total, total > 1 || found.count > 1 {
            return .inconclusive(reason: "status \(response.status): the filter matched \(max(total, found.count)) accounts, not one")
        }
        if total == 0 && found.isEmpty { return outcome }
        guard found.count == 1, case .string(let value)? = found[0].value(at: attribute) else {
            return .inconclusive(reason: "status \(response.status): the SCIM answer does not name the account's \(attribute)")
        }
        // userName is case-insensitive (RFC 7643 §4.1.1, caseExact false); externalId is case-exact.
        let same = attribute == "userName" ? value.lowercased() == lookup.lowercased() : value == lookup
        return same ? outcome : .inconclusive(reason: "status \(response.status): the server answered with another account (its filter was not applied)")
    }

    /// A login protocol's answer: accepted, the protocol's own "wrong credentials", or anything
    /// else (unreachable, timeout, TLS, server errors), which proves nothing.
    static func classifyLogin(_ result: ProbeResult, protocol kind: ProbeProtocol) -> ProbeOutcome {
        switch result {
        case .success(.loginAccepted):
            return .authenticated(reason: "\(kind.rawValue) login accepted")
        case .success(.http(let response)):
            // A login protocol never answers in HTTP: nothing here is about the credentials.
            return .inconclusive(reason: "status \(response.status): an HTTP answer where a \(kind.rawValue) login was expected")
        case .failure(let failure) where failure.kind == .loginDenied:
            return .rejected(reason: "\(kind.rawValue) login denied: \(failure.message)")
        case .failure(let failure):
            return .inconclusive(reason: "\(failure.kind.rawValue): \(failure.message)")
        }
    }

    /// TLS alerts by which a server refuses this client certificate itself (RFC 8446 §6.2). Not
    /// `unknown ca` (the server does not trust the issuer: a wrong endpoint or a missing
    /// intermediate, never a revocation), `certificate required` (none arrived) or `access denied`
    /// (a valid certificate refused by access control): those prove nothing about the certificate,
    /// nor does a handshake failure without an alert (cipher mismatch, our own check of the server).
    static let certificateAlerts = [
        "bad certificate", "certificate revoked", "certificate expired", "certificate unknown", "unsupported certificate",
    ]

    /// Of those, the alerts that say why: revoked, and no client-auth usage (refused wherever it is
    /// checked). The others are also given to a live certificate (VerifyEngine.explainedRefusal).
    static let selfExplainingAlerts = ["certificate revoked", "unsupported certificate"]

    static func alertRefusal(_ alert: String) -> String { "TLS alert `\(alert)`: the server refused the client certificate" }

    /// Whether an mTLS rejection's reason is one of the alerts that say why.
    public static func refusalSaysWhy(_ reason: String) -> Bool {
        selfExplainingAlerts.contains { reason == alertRefusal($0) }
    }

    static func certificateAlert(_ message: String) -> String? {
        let lower = message.lowercased()
        guard lower.contains("alert") else { return nil }
        return certificateAlerts.first { lower.contains("alert " + $0) }
    }

    public static func classify(_ response: HTTPResponse, probe: ProbeDefinition) -> ProbeOutcome {
        let status = response.status
        if (300...399).contains(status) {
            // Only where it points, never its query or user info: a redirect may echo a query-string secret.
            let to = response.redirectLocation.map { " to \(ServerText.quote(ResponseClassifier.withoutQuery($0)))" } ?? ""
            return .inconclusive(reason: "status \(status): redirect\(to) not followed (a secret is never sent on)")
        }
        if status == 429 { return .inconclusive(reason: "status 429: rate limited") }
        if status >= 500 { return .inconclusive(reason: "status \(status): server error") }
        if status < 200 { return .inconclusive(reason: "status \(status): unexpected informational response") }
        var parsed: PlainJSON??
        let json: () -> PlainJSON? = {
            if let parsed { return parsed }
            let value = try? JSONTreeParser.parse(response.body, file: "response").plain
            parsed = .some(value)
            return value
        }
        if let i = probe.authenticated.firstIndex(where: { $0.matches(response, json: json) }) {
            return .authenticated(reason: "status \(status) matched authenticated[\(i)]")
        }
        if let i = probe.rejected.firstIndex(where: { $0.matches(response, json: json) }) {
            return .rejected(reason: "status \(status) matched rejected[\(i)]")
        }
        return .inconclusive(reason: "status \(status) matched no authenticated or rejected matcher")
    }
}

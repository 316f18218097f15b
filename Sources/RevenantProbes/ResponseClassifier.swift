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

    /// What an answer proves, as the probe's protocol reads it (Protocols/).
    public static func classify(_ result: ProbeResult, probe: ProbeDefinition, lookup: String = "") -> ProbeOutcome {
        probe.kind.unit.read(result, probe: probe, lookup: lookup)
    }

    /// An HTTP exchange: no answer proves nothing; an answer goes to the matchers.
    static func readHTTP(_ result: ProbeResult, probe: ProbeDefinition) -> ProbeOutcome {
        switch result {
        case .failure(let failure):
            return .inconclusive(reason: "\(failure.kind.rawValue): \(failure.message)")
        case .success(.http(let response)):
            return classify(response, probe: probe)
        case .success(.loginAccepted):
            return .inconclusive(reason: "no HTTP answer to read (a login of another protocol)")
        }
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

import RevenantCore

/// SCIM 2.0 deprovisioning (docs/protocols/scim.md): the account is looked up by name.
public struct SCIMProtocol: HTTPShaped {
    public var authSchemes: [String] { ["scim"] }
    public var usernameMeaning: String { "the account's userName" }

    /// The operator's token, and SCIM's own media type.
    public func prepare(_ parts: inout RequestParts, probe: ProbeDefinition, authSecret: Secret?) {
        parts.headers.append(("Authorization", "Bearer " + (authSecret?.text ?? "")))
        if !probe.request.headers.keys.contains(where: { $0.lowercased() == "accept" }) {
            parts.headers.append(("Accept", "application/scim+json"))
        }
    }

    /// The account's name in the filter: RFC 7644 §3.4.2.2, a string value in double quotes, with
    /// `"` and `\` escaped (JSON string rules).
    public func place(_ secret: Secret, in parts: inout RequestParts, auth: AuthScheme, context: PlacementContext) {
        guard case .scim(_, let attribute) = auth else { return refuse(&parts) }
        let quoted = JSONText.quote(secret.text ?? "")
        parts.url += parts.querySeparator + "filter=" + ProbeRequestBuilder.percentEncode("\(attribute) eq \(quoted)")
    }

    /// A verdict only when the answer is about the account looked up. A server that ignores
    /// `filter` lists every account, and the first one's `active: false` must never read as
    /// "deprovisioned" (RFC 7644 §3.4.2.2 makes filtering optional: `filter` support is announced
    /// in `/ServiceProviderConfig`).
    public func read(_ result: ProbeResult, probe: ProbeDefinition, lookup: String) -> ProbeOutcome {
        let outcome = ResponseClassifier.readHTTP(result, probe: probe)
        guard case .scim(_, let attribute) = probe.auth, outcome.isAuthenticated || outcome.isRejected,
              case .success(.http(let response)) = result else { return outcome }
        guard let json = try? JSONTreeParser.parse(response.body, file: "response").plain else {
            return .inconclusive(reason: "status \(response.status): SCIM answer is not JSON")
        }
        var total: Int?
        if case .number(let n)? = json.value(at: "totalResults") {
            // The server's number: a count is a whole number from 0 (`Int(1e300)` would trap).
            guard let count = Int(exactly: n), count >= 0 else {
                return .inconclusive(reason: "status \(response.status): the SCIM answer's totalResults is not a count")
            }
            total = count
        }
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
}

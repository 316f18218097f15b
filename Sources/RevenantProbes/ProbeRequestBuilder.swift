import Foundation
import RevenantCore

/// Builds the HTTP request a probe sends for one secret. Pure.
public enum ProbeRequestBuilder {
    public static let userAgent = "revenant/0.1.0 (credential revocation verifier)"

    public static func build(
        _ probe: ProbeDefinition, target: TargetURL, secret: String, username: String?, timeoutSeconds: Double
    ) -> HTTPRequest {
        PreparedProbeRequest(probe, target: target).request(secret: secret, username: username, timeoutSeconds: timeoutSeconds)
    }

    /// The URL as reports show it: base + request path, never the query-string secret (added only to the request).
    public static func displayURL(_ probe: ProbeDefinition, target: TargetURL) -> String {
        target.base + probe.request.path
    }

    public static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

/// Everything of a probe's request that does not depend on the secret, worked out once per
/// (probe, target) pair instead of once per request.
public struct PreparedProbeRequest: Sendable {
    let method: String
    let url: String
    let host: String
    let fixedHeaders: [(name: String, value: String)]
    let body: [UInt8]?
    let auth: AuthScheme
    let querySeparator: String

    public init(_ probe: ProbeDefinition, target: TargetURL) {
        method = probe.request.method
        url = target.base + probe.request.path
        host = target.host
        var headers: [(name: String, value: String)] = [("User-Agent", ProbeRequestBuilder.userAgent)]
        headers += probe.request.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        if probe.request.body != nil, !probe.request.headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        fixedHeaders = headers
        body = probe.request.body.map { Array($0.utf8) }
        auth = probe.auth
        querySeparator = probe.request.path.utf8.contains(UInt8(ascii: "?")) ? "&" : "?"
    }

    /// The request carrying `secret` where the probe's auth scheme puts it.
    public func request(secret: String, username: String?, timeoutSeconds: Double) -> HTTPRequest {
        var url = self.url
        var headers = fixedHeaders
        switch auth {
        case .bearer:
            headers.append(("Authorization", "Bearer \(secret)"))
        case .basic(let defaultUsername, let secretInUsername):
            let pair = secretInUsername ? "\(secret):" : "\(username ?? defaultUsername ?? ""):\(secret)"
            headers.append(("Authorization", "Basic \(Data(pair.utf8).base64EncodedString())"))
        case .header(let name, let prefix):
            headers.append((name, prefix + secret))
        case .query(let name):
            url += querySeparator + ProbeRequestBuilder.percentEncode(name) + "=" + ProbeRequestBuilder.percentEncode(secret)
        }
        return HTTPRequest(method: method, url: url, host: host, headers: headers, body: body, timeoutSeconds: timeoutSeconds)
    }
}

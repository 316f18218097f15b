import Foundation
import RevenantCore

/// Builds the HTTP request a probe sends for one secret. Pure.
public enum ProbeRequestBuilder {
    public static let userAgent = "revenant/0.1.0 (credential revocation verifier)"

    public static func build(
        _ probe: ProbeDefinition, target: TargetURL, secret: String, username: String?, timeoutSeconds: Double
    ) -> HTTPRequest {
        var path = probe.request.path
        var headers: [(name: String, value: String)] = [("User-Agent", userAgent)]
        headers += probe.request.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        switch probe.auth {
        case .bearer:
            headers.append(("Authorization", "Bearer \(secret)"))
        case .basic(let defaultUsername, let secretInUsername):
            let pair = secretInUsername ? "\(secret):" : "\(username ?? defaultUsername ?? ""):\(secret)"
            headers.append(("Authorization", "Basic \(Data(pair.utf8).base64EncodedString())"))
        case .header(let name, let prefix):
            headers.append((name, prefix + secret))
        case .query(let name):
            path += (path.utf8.contains(UInt8(ascii: "?")) ? "&" : "?") + percentEncode(name) + "=" + percentEncode(secret)
        }
        if probe.request.body != nil, !probe.request.headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        return HTTPRequest(
            method: probe.request.method, url: target.base + path, host: target.host, headers: headers,
            body: probe.request.body.map { Array($0.utf8) }, timeoutSeconds: timeoutSeconds)
    }

    /// The URL as reports show it: the query-string secret replaced by its fingerprint's place holder.
    public static func displayURL(_ probe: ProbeDefinition, target: TargetURL) -> String {
        target.base + probe.request.path
    }

    public static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

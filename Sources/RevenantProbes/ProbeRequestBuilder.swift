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

    /// `application/x-www-form-urlencoded` value (RFC 6749 Appendix B): unreserved kept, the rest %XX.
    public static func formEncode(_ s: String) -> String { percentEncode(s) }

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
    let hostKeySHA256: String?

    /// `authSecret`: the secret the probe itself authenticates with (an introspecting client's
    /// secret, a SCIM operator token), resolved by the caller.
    public init(_ probe: ProbeDefinition, target: TargetURL, authSecret: String? = nil, hostKeySHA256: String? = nil) {
        method = probe.request.method
        url = target.base + probe.request.path
        host = target.host
        self.hostKeySHA256 = hostKeySHA256
        var headers: [(name: String, value: String)] = probe.kind.isHTTP ? [("User-Agent", ProbeRequestBuilder.userAgent)] : []
        headers += probe.request.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        let hasContentType = probe.request.headers.keys.contains(where: { $0.lowercased() == "content-type" })
        if probe.request.body != nil, !hasContentType {
            // AWS query APIs take form bodies (`Action=GetCallerIdentity&Version=…`); the rest JSON.
            if case .awsSigV4 = probe.auth {
                headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            } else {
                headers.append(("Content-Type", "application/json"))
            }
        }
        switch probe.auth {
        case .introspection(let client, _, _):
            // RFC 7662 §2.1: form-encoded body; the client authenticates with HTTP basic (RFC 6749 §2.3.1).
            if !hasContentType { headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
            let pair = ProbeRequestBuilder.formEncode(client) + ":" + ProbeRequestBuilder.formEncode(authSecret ?? "")
            headers.append(("Authorization", "Basic \(Data(pair.utf8).base64EncodedString())"))
        case .scim:
            headers.append(("Authorization", "Bearer \(authSecret ?? "")"))
            if !probe.request.headers.keys.contains(where: { $0.lowercased() == "accept" }) {
                headers.append(("Accept", "application/scim+json"))
            }
        default:
            break
        }
        fixedHeaders = headers
        body = probe.request.body.map { Array($0.utf8) }
        auth = probe.auth
        querySeparator = probe.request.path.utf8.contains(UInt8(ascii: "?")) ? "&" : "?"
    }

    /// The request carrying `secret` where the probe's auth scheme puts it. For a negative
    /// control, key and certificate logins present a key made for the attempt instead.
    /// `keyLogin`: whether a `login` is by private key (the credential's kind says so: `ssh_key`);
    /// nil only where no kind is known (a positive control), which then goes by the secret's text.
    public func request(secret: String, username: String?, timeoutSeconds: Double, negativeControl: Bool = false,
                        certificate: [UInt8]? = nil, keyLogin: Bool? = nil) -> HTTPRequest {
        var url = self.url
        var headers = fixedHeaders
        var body = self.body
        var login: Login?
        var sigV4: String?
        var identity: ClientIdentity?
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
        case .login:
            // Never from the text alone for a credential: a PuTTY or SSH2 key does not say "PRIVATE
            // KEY-----", and sending it as a password is both a refusal that proves nothing and a leak.
            let isKey = keyLogin ?? secret.contains("PRIVATE KEY-----")
            login = Login(user: username ?? "", secret: secret, method: isKey ? .privateKey : .password)
            if negativeControl && isKey { login = Login(user: username ?? "", secret: "", method: .generatedKey) }
        case .awsSigV4(let provider):
            login = Login(user: username ?? "", secret: secret)
            sigV4 = provider
        case .introspection(_, _, let hint):
            var form = "token=" + ProbeRequestBuilder.formEncode(secret)
            if let hint { form += "&token_type_hint=" + ProbeRequestBuilder.formEncode(hint) }
            body = Array(form.utf8)
        case .scim(_, let attribute):
            // RFC 7644 §3.4.2.2: a string value in double quotes, with `"` and `\` escaped (JSON string rules).
            let quoted = JSONText.quote(secret)
            url += querySeparator + "filter=" + ProbeRequestBuilder.percentEncode("\(attribute) eq \(quoted)")
        case .clientCertificate:
            identity = negativeControl ? .generated : .pem(certificate: certificate ?? [], key: Array(secret.utf8))
        }
        var request = HTTPRequest(method: method, url: url, host: host, headers: headers, body: body, timeoutSeconds: timeoutSeconds)
        request.login = login
        request.awsSigV4 = sigV4
        request.clientIdentity = identity
        request.hostKeySHA256 = hostKeySHA256
        return request
    }
}

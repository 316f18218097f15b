import Foundation
import RevenantCore

/// Builds the HTTP request a probe sends for one secret. Pure.
public enum ProbeRequestBuilder {
    public static let userAgent = "revenant/0.1.0 (credential revocation verifier)"

    public static func build(
        _ probe: ProbeDefinition, target: TargetURL, secret: Secret, username: String?, timeout: Timeout
    ) -> ProbeRequest {
        PreparedProbeRequest(probe, target: target).request(secret: secret, username: username, timeout: timeout)
    }

    /// The URL as reports show it: base + request path, never the query-string secret (added only to the request).
    public static func displayURL(_ probe: ProbeDefinition, target: TargetURL) -> String {
        target.base + probe.request.path
    }

    /// `application/x-www-form-urlencoded` value (RFC 6749 Appendix B): unreserved kept, the rest %XX.
    public static func formEncode(_ s: String) -> String { percentEncode(s) }

    public static func formEncode(_ bytes: [UInt8]) -> String { percentEncode(bytes) }

    public static func percentEncode(_ s: String) -> String { percentEncode(Array(s.utf8)) }

    /// Every byte but RFC 3986's unreserved ASCII (`A-Z a-z 0-9 - . _ ~`) as `%XX`: the bytes as
    /// stored, whatever their encoding.
    public static func percentEncode(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        for b in bytes {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Why `secret` cannot go out with this auth scheme, or nil: HTTP headers and SCIM filters carry
    /// text, so a secret whose bytes are not UTF-8 is not sent there (re-encoded, a live secret
    /// would be refused and read as revoked). Basic auth, query strings, form bodies, logins and
    /// keys carry the bytes as stored.
    /// A header's value also loses spaces at its edges on the way (RFC 9110 §5.5), so such a
    /// secret would arrive altered: it is not sent in a header either.
    public static func cannotCarry(_ secret: Secret, auth: AuthScheme) -> String? {
        let place: String
        switch auth {
        case .bearer, .header: place = "an HTTP header"
        case .scim: place = "a SCIM filter"
        default: return nil
        }
        if !secret.isUTF8 {
            return "the secret is not valid UTF-8 and this probe sends it as text in \(place): "
                + "not sent (revenant never re-encodes a secret; save it in the encoding the service expects)"
        }
        if place == "an HTTP header", let first = secret.bytes.first, let last = secret.bytes.last,
           [0x20, 0x09].contains(first) || [0x20, 0x09].contains(last) {
            return "the secret begins or ends with a space or tab, which an HTTP header does not carry: not sent (it would arrive altered)"
        }
        // RFC 9110 §5.5: a field value holds no control character but tab (the request builder
        // refuses one, and the reason would have said only that the request could not be built).
        if place == "an HTTP header", let text = secret.text, !HTTPHeaderText.isValue(text) {
            return "the secret holds a control character, which an HTTP header does not carry: not sent"
        }
        return nil
    }
}

/// Everything of a probe's request that does not depend on the secret, worked out once per
/// (probe, target) pair instead of once per request; its protocol unit shapes the rest.
public struct PreparedProbeRequest: Sendable {
    let method: String
    let host: String
    let fixed: RequestParts
    let fixedHeadersSafe: Bool
    let auth: AuthScheme
    let unit: any ProtocolUnit
    let hostKeySHA256: String?

    /// `authSecret`: the secret the probe itself authenticates with (an introspecting client's
    /// secret, a SCIM operator token), resolved by the caller.
    public init(_ probe: ProbeDefinition, target: TargetURL, authSecret: Secret? = nil, hostKeySHA256: String? = nil) {
        method = probe.request.method
        host = target.host
        self.hostKeySHA256 = hostKeySHA256
        unit = probe.kind.unit
        auth = probe.auth
        var headers: [(name: String, value: String)] = probe.kind.isHTTP ? [("User-Agent", ProbeRequestBuilder.userAgent)] : []
        headers += probe.request.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        let hasContentType = probe.request.headers.keys.contains(where: { $0.lowercased() == "content-type" })
        var parts = RequestParts(url: target.base + probe.request.path, headers: headers, body: probe.request.body.map { Array($0.utf8) },
                                 querySeparator: probe.request.path.utf8.contains(UInt8(ascii: "?")) ? "&" : "?", hasContentType: hasContentType)
        unit.prepare(&parts, probe: probe, authSecret: authSecret)
        // A body without a content type of its own is JSON (the protocol sets another where it must).
        if parts.body != nil, !parts.hasContentType, !parts.headers.contains(where: { $0.name == "Content-Type" }) {
            parts.headers.append(("Content-Type", "application/json"))
        }
        fixed = parts
        fixedHeadersSafe = parts.headers.allSatisfy { HTTPHeaderText.isName($0.name) && HTTPHeaderText.isValue($0.value) }
    }

    /// The request carrying `secret` where the probe's auth scheme puts it (its protocol unit
    /// says how). For a negative control, key and certificate logins present a key made for the
    /// attempt instead. `keyLogin`: whether a `login` is by private key (the credential's kind says
    /// so: `ssh_key`); nil only where no kind is known, which then goes by the secret's text.
    public func request(secret: Secret, username: String?, timeout: Timeout, negativeControl: Bool = false,
                        certificate: [UInt8]? = nil, keyLogin: Bool? = nil, now: Date? = nil) -> ProbeRequest {
        var parts = fixed
        unit.place(secret, in: &parts, auth: auth,
                   context: PlacementContext(username: username, negativeControl: negativeControl, certificate: certificate, keyLogin: keyLogin, now: now))
        // Where only text can go and the secret is not text (the planner skips those checks first),
        // a request without a URL: every transport refuses it, an inconclusive answer, never a verdict.
        if ProbeRequestBuilder.cannotCarry(secret, auth: auth) != nil { parts.url = "" }
        // Defence in depth (lint refuses these): a header that could write headers of its own on
        // the wire is not sent. The probe's own headers are checked once (init); per request only
        // those carrying the secret.
        if !fixedHeadersSafe || !parts.headers[fixed.headers.count...].allSatisfy({ HTTPHeaderText.isName($0.name) && HTTPHeaderText.isValue($0.value) }) {
            parts.url = ""
        }
        var request = ProbeRequest(method: method, url: parts.url, host: host, headers: parts.headers, body: parts.body, timeout: timeout)
        request.login = parts.login
        request.awsSigV4 = parts.sigV4
        request.clientIdentity = parts.identity
        request.hostKeySHA256 = hostKeySHA256
        return request
    }
}

/// What may stand in an HTTP header: a name is a token (RFC 9110 §5.1), a value holds no control
/// character but HTAB (§5.5). Anything else would write headers of its own on the wire.
public enum HTTPHeaderText {
    static let tokenSymbols = Set("!#$%&'*+-.^_`|~".utf8)

    public static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || tokenSymbols.contains(b)
        }
    }

    public static func isValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    static func shown(_ text: String) -> String {
        text.count <= 40 && text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) ? "`\(text)`" : "(a \(text.count)-character text)"
    }
}

import Foundation
import RevenantCore

/// An HTTP(S) API: the probe's matchers read the answer (docs/probe-format.md).
public struct HTTPProtocol: HTTPShaped {
    public var authSchemes: [String] { ["bearer", "basic", "header", "query"] }
    public var needsUsername: Bool { false }

    public func place(_ secret: Secret, in parts: inout RequestParts, auth: AuthScheme, context: PlacementContext) {
        switch auth {
        case .bearer:
            parts.headers.append(("Authorization", "Bearer " + (secret.text ?? "")))
        case .basic(let defaultUsername, let secretInUsername):
            // RFC 7617: base64 of the octets `user:password`, the password's bytes as stored.
            let pair = secretInUsername ? secret.bytes + [UInt8(ascii: ":")]
                : Array((context.username ?? defaultUsername ?? "").utf8) + [UInt8(ascii: ":")] + secret.bytes
            parts.headers.append(("Authorization", "Basic \(Data(pair).base64EncodedString())"))
        case .header(let name, let prefix):
            parts.headers.append((name, prefix + (secret.text ?? "")))
        case .query(let name):
            parts.url += parts.querySeparator + ProbeRequestBuilder.percentEncode(name) + "=" + ProbeRequestBuilder.percentEncode(secret.bytes)
        default:
            refuse(&parts)
        }
    }
}

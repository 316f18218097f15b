import Foundation
import RevenantCore

/// Where a login prober connects: host, port and path of the request's URL. The URL's host must
/// be the request's checked `host` (the one `allowed_hosts` let through), or nothing is sent.
struct LoginEndpoint: Equatable {
    var host: String
    var port: Int
    /// The URL path without its leading `/`, percent-decoded (PostgreSQL: the database).
    var path: String
}

extension LoginEndpoint {
    init?(_ request: ProbeRequest, defaultPort: Int) {
        guard let c = URLComponents(string: request.url), let raw = c.host?.lowercased(), !raw.isEmpty else { return nil }
        let host = raw.hasPrefix("[") && raw.hasSuffix("]") ? String(raw.dropFirst().dropLast()) : raw
        guard host == request.host.lowercased(), c.user == nil, c.password == nil else { return nil }
        self.host = host
        port = c.port ?? defaultPort
        guard (1...65535).contains(port) else { return nil }
        path = String((c.path.first == "/" ? c.path.dropFirst() : Substring(c.path)))
    }

    /// The failure when a request's URL does not name its checked host.
    static let refused = TransportFailure(kind: .refusedHost, message: "the login URL does not name the allowed host: nothing sent")
}

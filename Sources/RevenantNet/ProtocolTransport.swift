import Dispatch
import RevenantCore

/// The production transport: URLs libcurl speaks go to the `curl_multi` loop; logins of other
/// protocols (by URL scheme: `ssh`, `postgresql`) go to their probers, each on a worker thread
/// (they block; the engine's concurrency cap and per-host limits bound how many run at once).
public final class ProtocolTransport: CallbackTransport {
    let curl: CurlTransport
    let probers: [String: any LoginProber]
    let workers = DispatchQueue(label: "revenant-logins", attributes: .concurrent)

    public init(curl: CurlTransport, probers: [String: any LoginProber]) {
        self.curl = curl
        self.probers = probers
    }

    public func send(_ request: ProbeRequest) async -> ProbeResult {
        await withCheckedContinuation { continuation in
            start(request) { continuation.resume(returning: $0) }
        }
    }

    public func start(_ request: ProbeRequest, completion: @escaping @Sendable (ProbeResult) -> Void) {
        guard let colon = request.url.firstIndex(of: ":") else {
            completion(.failure(TransportFailure(kind: .refusedHost, message: "request has no URL scheme")))
            return
        }
        let scheme = request.url[..<colon].lowercased()
        if let prober = probers[scheme] {
            workers.async { completion(prober.attempt(request)) }
        } else if CurlTransport.handles(scheme) {
            curl.start(request, completion: completion)
        } else {
            completion(.failure(TransportFailure(kind: .other, message: "no prober for `\(scheme)://` in this build")))
        }
    }

    /// Login attempts in flight end on their own timeouts; curl transfers end now.
    public func cancelAll() { curl.cancelAll() }

    public func close() { curl.close() }
}

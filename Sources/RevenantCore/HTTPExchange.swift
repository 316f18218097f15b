/// One HTTP request as the transport sends it. Built by the probe layer; the secret lives only here.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// The only host this request may reach (checked again by the transport).
    public var host: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var timeoutSeconds: Double

    public init(method: String, url: String, host: String, headers: [(name: String, value: String)], body: [UInt8]? = nil, timeoutSeconds: Double = 10) {
        self.method = method
        self.url = url
        self.host = host
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }
}

/// What a server answered. The body is kept only up to a limit.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// The `Location` of a redirect, for the report (never followed).
    public var redirectLocation: String? { header("location") }

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, case-insensitive.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// One response header.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Why no HTTP response came back.
public struct TransportFailure: Sendable, Equatable, Error {
    public enum Kind: String, Sendable {
        case timeout, dns, connect, tls, refusedHost = "refused_host", other
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// A response or the reason there is none.
public typealias HTTPResult = Result<HTTPResponse, TransportFailure>

/// Sends requests. The engine gets one injected: libcurl in production, a table in unit tests.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async -> HTTPResult
    /// Ends every transfer in flight now (interrupted runs); they complete as failures.
    func cancelAll()
}

extension HTTPTransport {
    public func cancelAll() {}
}

/// A transport that can start a request and call back when it completes, without a task per
/// request (the engine then needs no thread hop per transfer).
public protocol CallbackTransport: HTTPTransport {
    /// `completion` runs once, on a thread of the transport's choosing.
    func start(_ request: HTTPRequest, completion: @escaping @Sendable (HTTPResult) -> Void)
}

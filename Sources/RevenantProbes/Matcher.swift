import RevenantCore

/// One condition on a response; every field present must hold (AND). A list of matchers is OR.
public struct Matcher: Sendable, Equatable {
    public var status: [Int]?
    public var bodyContains: String?
    public var json: JSONCondition?
    public var header: HeaderCondition?

    public init(status: [Int]? = nil, bodyContains: String? = nil, json: JSONCondition? = nil, header: HeaderCondition? = nil) {
        self.status = status
        self.bodyContains = bodyContains
        self.json = json
        self.header = header
    }

    public var isEmpty: Bool { status == nil && bodyContains == nil && json == nil && header == nil }

    /// `body` is parsed lazily and at most once per response by the caller.
    public func matches(_ response: HTTPResponse, json parsed: () -> PlainJSON?) -> Bool {
        if let status, !status.contains(response.status) { return false }
        if let bodyContains, !response.body.containsSubsequence(Array(bodyContains.utf8)) { return false }
        if let header {
            guard let value = response.header(header.name), value.contains(header.contains) else { return false }
        }
        if let json {
            guard let value = parsed()?.value(at: json.path), value == json.equals else { return false }
        }
        return true
    }
}

/// `{"path": "a.b", "equals": value}`.
public struct JSONCondition: Sendable, Equatable {
    public var path: String
    public var equals: PlainJSON

    public init(path: String, equals: PlainJSON) {
        self.path = path
        self.equals = equals
    }
}

/// `{"name": "X-Foo", "contains": "bar"}`.
public struct HeaderCondition: Sendable, Equatable {
    public var name: String
    public var contains: String

    public init(name: String, contains: String) {
        self.name = name
        self.contains = contains
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in these bytes (body_contains, secret redaction).
    public func containsSubsequence(_ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard needle.count <= count else { return false }
        let first = needle[0]
        var i = 0
        while i <= count - needle.count {
            if self[i] == first && self[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

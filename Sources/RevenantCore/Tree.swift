/// A parsed JSON or YAML document with the line each value started on, for precise error messages.
public struct Tree: Sendable {
    public enum Value: Sendable {
        case null
        case bool(Bool)
        /// The number's text as written, so integers and decimals keep their form.
        case number(String)
        case string(String)
        case array([Tree])
        case object([(key: String, value: Tree)])
    }

    public var value: Value
    /// 1-based line, 0 when unknown.
    public var line: Int

    public init(_ value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    public var typeName: String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    public subscript(key: String) -> Tree? {
        if case .object(let members) = value { return members.first { $0.key == key }?.value }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = value { s } else { nil } }
    public var arrayValue: [Tree]? { if case .array(let a) = value { a } else { nil } }
    public var objectValue: [(key: String, value: Tree)]? { if case .object(let o) = value { o } else { nil } }

    /// Converts to plain Swift values (`[String: Any]`-like) for matchers; numbers become Double or Int.
    public var plain: PlainJSON {
        switch value {
        case .null: .null
        case .bool(let b): .bool(b)
        case .number(let n): .number(Double(n) ?? .nan)
        case .string(let s): .string(s)
        case .array(let a): .array(a.map(\.plain))
        case .object(let o): .object(Dictionary(o.map { ($0.key, $0.value.plain) }, uniquingKeysWith: { first, _ in first }))
        }
    }
}

/// A JSON value without positions: what matchers compare.
public enum PlainJSON: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([PlainJSON])
    case object([String: PlainJSON])

    /// The value at a dotted path (`a.b.0.c`); numeric segments index arrays.
    public func value(at path: String) -> PlainJSON? {
        var current = self
        for segment in path.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .object(let o):
                guard let next = o[String(segment)] else { return nil }
                current = next
            case .array(let a):
                guard let i = Int(segment), a.indices.contains(i) else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }

    /// Compact JSON text, for messages.
    public var text: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): JSONText.quote(s)
        case .array(let a): "[" + a.map(\.text).joined(separator: ",") + "]"
        case .object(let o): "{" + o.keys.sorted().map { JSONText.quote($0) + ":" + o[$0]!.text }.joined(separator: ",") + "}"
        }
    }
}

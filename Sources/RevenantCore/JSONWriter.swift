extension Tree {
    /// Builds a JSON value for writing (line numbers do not matter there).
    public static func string(_ s: String) -> Tree { Tree(.string(s), line: 0) }
    public static func int(_ n: Int) -> Tree { Tree(.number(String(n)), line: 0) }
    public static func bool(_ b: Bool) -> Tree { Tree(.bool(b), line: 0) }
    public static let null = Tree(.null, line: 0)
    public static func array(_ items: [Tree]) -> Tree { Tree(.array(items), line: 0) }
    public static func object(_ members: [(String, Tree)]) -> Tree { Tree(.object(members.map { (key: $0.0, value: $0.1) }), line: 0) }
    public static func optional(_ s: String?) -> Tree { s.map(Tree.string) ?? .null }
    public static func optional(_ n: Int?) -> Tree { n.map(Tree.int) ?? .null }

    /// JSON text. `sortedKeys` gives the canonical form the evidence ledger hashes; `indent` pretty-prints.
    public func serialized(sortedKeys: Bool = false, indent: Int? = nil) -> String {
        var out = JSONBytes(indent: indent)
        out.write(self, sortedKeys: sortedKeys, level: 0)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Appends the JSON text to a byte buffer (large reports are built without intermediate strings).
    public func serialize(into bytes: inout [UInt8], sortedKeys: Bool = false, indent: Int? = nil, level: Int = 0) {
        var out = JSONBytes(indent: indent)
        swap(&out.bytes, &bytes)
        out.write(self, sortedKeys: sortedKeys, level: level)
        swap(&out.bytes, &bytes)
    }
}

/// A byte buffer that JSON values are written into.
struct JSONBytes {
    var bytes: [UInt8] = []
    let indent: Int?

    init(indent: Int?) {
        self.indent = indent
        bytes.reserveCapacity(1024)
    }

    mutating func write(_ tree: Tree, sortedKeys: Bool, level: Int) {
        switch tree.value {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .number(let n): append(n)
        case .string(let s): JSONText.appendQuoted(s, to: &bytes)
        case .array(let items):
            if items.isEmpty { append("[]"); return }
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(level + 1)
                write(item, sortedKeys: sortedKeys, level: level + 1)
            }
            newline(level)
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { append("{}"); return }
            bytes.append(UInt8(ascii: "{"))
            let ordered = sortedKeys ? members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : members
            for (i, member) in ordered.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(level + 1)
                JSONText.appendQuoted(member.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                if indent != nil { bytes.append(UInt8(ascii: " ")) }
                write(member.value, sortedKeys: sortedKeys, level: level + 1)
            }
            newline(level)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func newline(_ level: Int) {
        guard let indent else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }
}

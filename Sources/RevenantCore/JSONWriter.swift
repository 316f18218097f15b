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
        var out = ""
        write(into: &out, sortedKeys: sortedKeys, indent: indent, level: 0)
        return out
    }

    func write(into out: inout String, sortedKeys: Bool, indent: Int?, level: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): out += JSONText.quote(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, level + 1)
                item.write(into: &out, sortedKeys: sortedKeys, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            let ordered = sortedKeys ? members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : members
            for (i, member) in ordered.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, level + 1)
                out += JSONText.quote(member.key)
                out += indent == nil ? ":" : ": "
                member.value.write(into: &out, sortedKeys: sortedKeys, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "}"
        }
    }

    private func newline(_ out: inout String, _ indent: Int?, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: " ", count: indent * level)
    }
}

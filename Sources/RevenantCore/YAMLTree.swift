import Yams

/// Converts a YAML document (via Yams/libyaml) into a `Tree` with line numbers. Bounded: a
/// document is read whole, so it may be at most `maxBytes`, and it may expand (through aliases)
/// to no more values than it has bytes: "billion laughs" (a few hundred bytes of nested aliases
/// that expand to billions of values) is refused, not expanded. libyaml bounds the nesting.
enum YAMLTree {
    /// YAML is read whole (JSON and CSV inventories are streamed): 4 MiB holds some 25,000 credentials.
    static let maxBytes = 4 << 20

    static func parse(_ text: String, file: String) throws(InputError) -> Tree {
        guard text.utf8.count <= maxBytes else {
            throw InputError(file: file, message: "a YAML inventory is read whole and may be at most \(maxBytes >> 20) MiB; "
                + "write a larger one as JSON or CSV, which are read one credential at a time")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            // Yams' own description quotes the offending text, which may hold an inline secret.
            throw InputError(file: file, location: location(of: error), message: "invalid YAML: \(problem(of: error))")
        } catch {
            throw InputError(file: file, message: "invalid YAML")
        }
        guard let node else { return Tree(.null, line: 1) }
        var budget = max(10_000, text.utf8.count)
        guard let tree = convert(node, budget: &budget) else {
            throw InputError(file: file, message: "the YAML document expands (through aliases, `*name`) to more values than it has bytes: not read")
        }
        return tree
    }

    /// The tree, or nil once more than `budget` values have been made.
    static func convert(_ node: Node, budget: inout Int) -> Tree? {
        budget -= 1
        if budget < 0 { return nil }
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let scalar):
            // Quoted scalars are always strings; plain ones resolve to null, bool or number.
            if scalar.style == .plain {
                if node.null != nil { return Tree(.null, line: line) }
                if let b = node.bool { return Tree(.bool(b), line: line) }
                // YAML 1.1's base-60 numbers (`1:30` is 90) are left as text: Yams multiplies their
                // digits unchecked, so `-777777777777777777:7` trapped (found by `make fuzz`).
                if !scalar.string.utf8.contains(UInt8(ascii: ":")), node.int != nil || node.float != nil {
                    return Tree(.number(scalar.string), line: line)
                }
            }
            return Tree(.string(scalar.string), line: line)
        case .mapping(let mapping):
            var members: [(key: String, value: Tree)] = []
            for (key, value) in mapping {
                guard let v = convert(value, budget: &budget) else { return nil }
                members.append((key: key.string ?? "", value: v))
            }
            return Tree(.object(members), line: line)
        case .sequence(let sequence):
            var items: [Tree] = []
            for item in sequence {
                guard let v = convert(item, budget: &budget) else { return nil }
                items.append(v)
            }
            return Tree(.array(items), line: line)
        case .alias:
            return Tree(.null, line: line)
        }
    }

    static func location(of error: YamlError) -> String {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            "line \(mark.line)"
        case .duplicatedKeysInMapping(_, let context) where context.mark.line > 0:
            "line \(context.mark.line)"
        default: ""
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            context.map { "\($0.text): \(problem)" } ?? problem
        case .reader(let problem, _, _, _): problem
        case .duplicatedKeysInMapping(let duplicates, _):
            // Only short plain keys are echoed: a megabyte-long key is not copied into the error.
            "duplicate keys: \(duplicates.map { FieldReader.shownKey($0) }.joined(separator: ", "))"
        default: "unreadable document"
        }
    }
}

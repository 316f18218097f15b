import Yams

/// Converts a YAML document (via Yams/libyaml) into a `Tree` with line numbers.
enum YAMLTree {
    static func parse(_ text: String, file: String) throws(InputError) -> Tree {
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
        return convert(node)
    }

    static func convert(_ node: Node) -> Tree {
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let scalar):
            // Quoted scalars are always strings; plain ones resolve to null, bool or number.
            if scalar.style == .plain {
                if node.null != nil { return Tree(.null, line: line) }
                if let b = node.bool { return Tree(.bool(b), line: line) }
                if node.int != nil || node.float != nil { return Tree(.number(scalar.string), line: line) }
            }
            return Tree(.string(scalar.string), line: line)
        case .mapping(let mapping):
            return Tree(.object(mapping.map { (key: $0.key.string ?? "", value: convert($0.value)) }), line: line)
        case .sequence(let sequence):
            return Tree(.array(sequence.map(convert)), line: line)
        case .alias:
            return Tree(.null, line: line)
        }
    }

    static func location(of error: YamlError) -> String {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            "line \(mark.line)"
        default: ""
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            context.map { "\($0.text): \(problem)" } ?? problem
        case .reader(let problem, _, _, _): problem
        case .duplicatedKeysInMapping(let duplicates, _): "duplicate keys: \(duplicates.joined(separator: ", "))"
        default: "unreadable document"
        }
    }
}

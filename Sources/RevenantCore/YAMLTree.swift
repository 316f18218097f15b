import CYaml
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
        try checkExpansion(text, file: file)
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

    /// Refuses a YAML stream that expands (through aliases) to more values than it has bytes (at
    /// least 10,000 are allowed), before Yams composes it: Yams copies what an alias names
    /// wherever it is used and hashes every mapping key, so an alias used as a key costs the size of
    /// what it names, and 358 bytes of nested aliases as keys took 11 s (found by `make fuzz`).
    /// Counted on libyaml's events, as Yams resolves them: an alias stands for the latest node with
    /// its anchor, in this document or an earlier one. Keys count as values here. A syntax error ends
    /// the count; Yams then reports it, having composed no more than was counted.
    static func checkExpansion(_ text: String, file: String) throws(InputError) {
        var text = text
        let limit = max(10_000, text.utf8.count)
        let within = text.withUTF8 { expandsWithin(limit, $0) }
        guard within else {
            throw InputError(file: file, message: "the YAML expands (through aliases, `*name`) to more values than it has bytes: not read")
        }
    }

    private static func expandsWithin(_ limit: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return false }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
        var sizes: [String: Int] = [:]                      // anchor → the values its node stands for
        var open: [(anchor: String?, values: Int)] = []     // the collections being read
        var total = 0
        var event = yaml_event_t()
        while yaml_parser_parse(&parser, &event) == 1 {
            defer { yaml_event_delete(&event) }
            var done: (anchor: String?, values: Int)?
            switch event.type {
            case YAML_SCALAR_EVENT:
                done = (anchorName(event.data.scalar.anchor), 1)
            case YAML_ALIAS_EVENT:
                done = (nil, anchorName(event.data.alias.anchor).flatMap { sizes[$0] } ?? 1)
            case YAML_SEQUENCE_START_EVENT:
                open.append((anchorName(event.data.sequence_start.anchor), 1))
                total += 1
            case YAML_MAPPING_START_EVENT:
                open.append((anchorName(event.data.mapping_start.anchor), 1))
                total += 1
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                if let collection = open.popLast() {
                    if let anchor = collection.anchor { sizes[anchor] = collection.values }
                    if !open.isEmpty { open[open.count - 1].values += collection.values }
                }
            case YAML_STREAM_END_EVENT:
                return true
            default:
                break
            }
            if let node = done {
                total += node.values
                if let anchor = node.anchor { sizes[anchor] = node.values }
                if !open.isEmpty { open[open.count - 1].values += node.values }
            }
            if total > limit { return false }
        }
        return true
    }

    private static func anchorName(_ name: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        name.map { String(cString: $0) }
    }

    /// The tree of a node whose expansion `checkExpansion` has bounded.
    static func convert(_ node: Node) -> Tree {
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

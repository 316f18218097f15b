/// Which probe tries what a source names (a trufflehog detector, a gitleaks rule, a Kubernetes
/// secret key): data shipped in `Probes/import/<source>.json`, extended by `--mapping FILE`.
///
/// ```json
/// {"map": {"Github": {"probe": "github", "kind": "api_key"},
///          "aws-access-token": {"kind": "aws_access_key"}}}
/// ```
/// Names match in any case, with `-`, `_` and `.` taken as equal. An entry without `probe`
/// only sets the kind.
public struct ProbeMapping: Sendable {
    /// One name's probe, the kind its credentials get, and an optional target.
    public struct Entry: Sendable, Equatable {
        public var probe: String?
        public var kind: CredentialKind
        public var target: String?

        public init(probe: String?, kind: CredentialKind, target: String? = nil) {
            self.probe = probe
            self.kind = kind
            self.target = target
        }
    }

    var entries: [String: Entry] = [:]

    public init() {}

    public var count: Int { entries.count }

    public func entry(for name: String) -> Entry? { entries[Self.key(name)] }

    /// Every entry, by its name as normalised for matching.
    public var all: [(name: String, entry: Entry)] { entries.keys.sorted().map { ($0, entries[$0]!) } }

    /// Adds the entries of `other`; a name it has too is replaced.
    public mutating func merge(_ other: ProbeMapping) {
        entries.merge(other.entries) { _, new in new }
    }

    static func key(_ name: String) -> String {
        String(name.lowercased().map { "_.".contains($0) ? "-" : $0 })
    }

    /// Decodes a mapping file; every problem at once, each with its line.
    public static func decode(_ bytes: [UInt8], file: String) throws(InputErrors) -> ProbeMapping {
        let tree: Tree
        do { tree = try JSONTreeParser.parse(bytes, file: file) } catch { throw InputErrors([error]) }
        var reader = FieldReader(file: file)
        var mapping = ProbeMapping()
        if let top = reader.object(tree, "", allowed: ["about", "source", "map"]) {
            if let map = top["map"] {
                if let members = map.objectValue {
                    for (name, value) in members {
                        let path = "map.\(FieldReader.shownKey(name))"
                        guard let f = reader.object(value, path, allowed: ["probe", "kind", "target"]) else { continue }
                        let probe = reader.string(f, "probe", path)
                        let target = reader.string(f, "target", path)
                        if let kind = reader.choice(f, "kind", path, as: CredentialKind.self, required: true) {
                            if target != nil && probe == nil {
                                reader.fail(value, path, "`target` needs a `probe`")
                            }
                            mapping.entries[key(name)] = Entry(probe: probe, kind: kind, target: target)
                        }
                    }
                } else {
                    reader.fail(map, "map", "expected an object of name → {\"probe\": ID, \"kind\": KIND}, found \(map.typeName)")
                }
            } else {
                reader.missing(top, "", "map")
            }
        }
        if !reader.errors.isEmpty { throw InputErrors(reader.errors) }
        return mapping
    }
}

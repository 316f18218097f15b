import Foundation
import Yams

/// Reads Kubernetes Secrets: `kubectl get secrets -A -o json` (a `List` of `items`) or manifest
/// files (YAML or JSON, several documents, a single Secret or a List). `kubernetes.io/tls`
/// secrets become `x509_certificate` credentials (certificate, key and `ca.crt` as the issuer,
/// written as files); other secrets give one credential per key whose name says it holds a
/// token, password or key (`credentialWords`). `data` is base64 and decoded strictly to bytes,
/// kept exactly; `stringData` is taken as it is. See docs/import/kubernetes.md.
public enum KubernetesSecretsImport {
    /// A key whose name contains one of these (any case) is taken as a credential.
    public static let credentialWords = ["token", "password", "passwd", "pwd", "secret", "apikey", "api-key", "api_key",
                                         "accesskey", "access-key", "access_key", "privatekey", "private-key", "private_key",
                                         "credential", "auth"]
    /// Where the owner is read from, in order: annotations, then labels.
    public static let ownerAnnotations = ["revenant.io/owner", "owner"]
    public static let ownerLabels = ["owner", "team"]
    /// Kubernetes refuses a Secret larger than 1 MiB; no value here may be larger.
    static let maxValueBytes = 1 << 20
    /// YAML is read whole: larger clusters are exported with `-o json`.
    static let maxYAMLBytes = 16 << 20

    public static func read(_ bytes: [UInt8], file: String, options: ImportOptions) throws(InputErrors) -> ImportedInventory {
        var documents: [Tree] = []
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        do throws(InputError) {
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                documents = try JSONTreeParser.records(bytes, file: file)
            } else {
                documents = try yamlDocuments(bytes, file: file)
            }
        } catch {
            throw InputErrors([error])
        }
        var state = Reader(file: file, options: options)
        for (i, document) in documents.enumerated() {
            state.object(document, documents.count > 1 ? "document \(i + 1)" : "", depth: 0)
        }
        if !state.reader.errors.isEmpty { throw InputErrors(state.reader.errors) }
        return state.finish()
    }

    static func yamlDocuments(_ bytes: [UInt8], file: String) throws(InputError) -> [Tree] {
        guard bytes.count <= maxYAMLBytes else {
            throw InputError(file: file, message: "YAML is read whole and may be at most \(maxYAMLBytes >> 20) MiB; export with `kubectl get secrets -A -o json` instead")
        }
        if let offset = UTF8Validation.firstInvalid(bytes) {
            throw InputError(file: file, location: "line \(UTF8Validation.line(of: offset, in: bytes))", message: "the file is not valid UTF-8")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        try YAMLTree.checkExpansion(text, file: file)
        var sequence: YamlSequence<Node>
        do { sequence = try Yams.compose_all(yaml: text) } catch { throw InputError(file: file, message: "invalid YAML") }
        var out: [Tree] = []
        while let node = sequence.next() {
            out.append(YAMLTree.convert(node))
        }
        if let error = sequence.error {
            if let yaml = error as? YamlError {
                throw InputError(file: file, location: YAMLTree.location(of: yaml), message: "invalid YAML: \(YAMLTree.problem(of: yaml))")
            }
            throw InputError(file: file, message: "invalid YAML")
        }
        return out
    }

    /// Walks documents and Lists, turning each Secret into credentials.
    struct Reader {
        var reader: FieldReader
        let options: ImportOptions
        var inventory = ImportedInventory()
        var ids = ImportIDs()
        var otherKinds: [String: Int] = [:]
        var skippedKeys = 0
        var dockerConfigs = 0

        init(file: String, options: ImportOptions) {
            reader = FieldReader(file: file)
            self.options = options
        }

        mutating func object(_ tree: Tree, _ path: String, depth: Int) {
            if case .null = tree.value { return }  // an empty YAML document
            guard let f = Fields(members: tree) else {
                return reader.fail(tree, path, "expected a Kubernetes object, found \(tree.typeName)")
            }
            let kind = reader.string(f, "kind", path, required: true) ?? ""
            if kind == "Secret" {
                secret(f, path)
            } else if kind == "List" || kind.hasSuffix("List") {
                guard depth < 4 else { return reader.fail(tree, path, "Lists nested more than 4 deep") }
                guard let itemsTree = f["items"] else { return }
                guard let items = itemsTree.arrayValue else {
                    return reader.fail(itemsTree, reader.join(path, "items"), "expected a list, found \(itemsTree.typeName)")
                }
                for (i, item) in items.enumerated() { object(item, "\(reader.join(path, "items"))[\(i)]", depth: depth + 1) }
            } else if !kind.isEmpty {
                otherKinds[ImportText(secrets: []).clean(kind), default: 0] += 1
            }
        }

        mutating func secret(_ f: Fields, _ path: String) {
            let before = reader.errors.count
            let metaPath = reader.join(path, "metadata")
            guard let metaTree = f["metadata"], let meta = Fields(members: metaTree) else {
                return reader.fail(f["metadata"], metaPath, "a Secret needs `metadata` (an object with `name`)")
            }
            let name = reader.string(meta, "name", metaPath, required: true)
            let namespace = reader.string(meta, "namespace", metaPath) ?? "default"
            let labels = reader.stringMap(meta, "labels", metaPath) ?? [:]
            let annotations = reader.stringMap(meta, "annotations", metaPath) ?? [:]
            let type = reader.string(f, "type", path) ?? "Opaque"
            var values: [(key: String, bytes: [UInt8])] = []
            if let data = f["data"], !reader.isNull(data) {
                if let members = data.objectValue {
                    for (key, value) in members {
                        let p = "\(reader.join(path, "data")).\(FieldReader.shownKey(key))"
                        if reader.isNull(value) { values.append((key, [])); continue }
                        guard let text = value.stringValue else { reader.fail(value, p, "expected a base64 string, found \(value.typeName)"); continue }
                        guard text.utf8.count <= maxValueBytes / 3 * 4 + 4 else { reader.fail(value, p, "larger than Kubernetes' 1 MiB limit for a Secret: not read"); continue }
                        // Strict: no whitespace, no URL alphabet, padding as written by the API server.
                        guard let decoded = Data(base64Encoded: text) else { reader.fail(value, p, "not base64 (the API server writes `data` values base64-encoded)"); continue }
                        values.append((key, [UInt8](decoded)))
                    }
                } else {
                    reader.fail(data, reader.join(path, "data"), "expected an object of key → base64 value, found \(data.typeName)")
                }
            }
            if let stringData = f["stringData"], !reader.isNull(stringData) {
                if let members = stringData.objectValue {
                    for (key, value) in members {
                        let p = "\(reader.join(path, "stringData")).\(FieldReader.shownKey(key))"
                        guard let text = value.stringValue else { reader.fail(value, p, "expected a string, found \(value.typeName)"); continue }
                        guard text.utf8.count <= maxValueBytes else { reader.fail(value, p, "larger than Kubernetes' 1 MiB limit for a Secret: not read"); continue }
                        // stringData is merged over data by the API server: the same key takes its value.
                        values.removeAll { $0.key == key }
                        values.append((key, Array(text.utf8)))
                    }
                } else {
                    reader.fail(stringData, reader.join(path, "stringData"), "expected an object of key → string, found \(stringData.typeName)")
                }
            }
            guard reader.errors.count == before, let name else { return }
            let text = ImportText(secrets: values.filter { !$0.bytes.isEmpty }.map { Secret(bytes: $0.bytes) })
            let owner = options.owner ?? (ownerAnnotations.compactMap { annotations[$0] } + ownerLabels.compactMap { labels[$0] })
                .first { !$0.isEmpty }.map(text.clean)
            let base = "k8s-\(ImportIDs.slug(namespace))-\(ImportIDs.slug(name))"
            func make(_ suffix: String, _ kind: CredentialKind, key: String?) -> ImportedCredential {
                var c = ImportedCredential(id: ids.unique("\(base)-\(suffix)"), kind: kind, state: options.state ?? .active)
                c.owner = owner
                c.tags = text.tags([("source", "kubernetes"), ("namespace", namespace), ("secret", name), ("key", key), ("type", type)])
                return c
            }
            func value(_ key: String) -> [UInt8]? { values.last { $0.key == key }?.bytes }

            switch type {
            case "kubernetes.io/tls":
                guard let crt = value("tls.crt"), !crt.isEmpty else {
                    inventory.notes.append("\(text.clean(namespace))/\(text.clean(name)): a TLS secret without `tls.crt`: not imported")
                    return
                }
                var c = make("tls", .x509Certificate, key: nil)
                c.certificate = crt
                if let key = value("tls.key"), !key.isEmpty { c.privateKey = Secret(bytes: key) }
                if let ca = value("ca.crt"), !ca.isEmpty { c.issuer = ca }
                inventory.credentials.append(c)
            case "kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg":
                dockerConfigs += 1
            default:
                for (key, bytes) in values where !bytes.isEmpty {
                    let lower = key.lowercased()
                    let entry = options.mapping.entry(for: key)
                    let named: CredentialKind? = switch type {
                    case "kubernetes.io/ssh-auth" where key == "ssh-privatekey": .sshKey
                    case "kubernetes.io/basic-auth" where key == "password": .password
                    case "kubernetes.io/service-account-token" where key == "token": .bearerToken
                    default: nil
                    }
                    guard entry != nil || named != nil || credentialWords.contains(where: lower.contains) else {
                        skippedKeys += 1
                        continue
                    }
                    let guessed: CredentialKind = lower.contains("passw") || lower.contains("pwd") ? .password
                        : lower.contains("token") ? .bearerToken : .apiKey
                    var c = make(ImportIDs.slug(key), entry?.kind ?? named ?? guessed, key: key)
                    c.secret = Secret(bytes: bytes)
                    if type == "kubernetes.io/basic-auth", let user = value("username"), let u = String(validating: user, as: UTF8.self) {
                        c.username = u
                    }
                    if let probe = entry?.probe {
                        c.probe = probe
                        c.target = entry?.target
                    } else {
                        inventory.unmapped[text.clean(key), default: 0] += 1
                    }
                    inventory.credentials.append(c)
                }
            }
        }

        func finish() -> ImportedInventory {
            var out = inventory
            if skippedKeys > 0 {
                out.notes.append("\(skippedKeys) secret key\(skippedKeys == 1 ? "" : "s") not taken as credentials: their names do not say token, password, key or secret (docs/import/kubernetes.md)")
            }
            if dockerConfigs > 0 {
                out.notes.append("\(dockerConfigs) registry pull secret\(dockerConfigs == 1 ? "" : "s") (dockerconfigjson) not imported")
            }
            for (kind, n) in otherKinds.sorted(by: { $0.key < $1.key }) {
                out.notes.append("\(n) object\(n == 1 ? "" : "s") of kind \(kind) skipped (only Secrets are read)")
            }
            return out.redactingEverySecret()
        }
    }
}

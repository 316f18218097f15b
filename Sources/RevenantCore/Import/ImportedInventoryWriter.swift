import Foundation

/// A file the writer asks for beside the inventory: a secret (0600) or a certificate.
public struct ImportFile: Sendable {
    /// Relative to the inventory's directory: `<secrets directory>/<credential id>[.ext]`.
    public var relativePath: String
    public var bytes: [UInt8]
    public var isSecret: Bool

    public init(relativePath: String, bytes: [UInt8], isSecret: Bool) {
        self.relativePath = relativePath
        self.bytes = bytes
        self.isSecret = isSecret
    }
}

/// Writes imported credentials as a revenant inventory (docs/inventory.md), YAML or JSON.
/// Every secret goes to a file of its own, referenced as `{"file": …}`; the inventory text holds
/// none. Values are always quoted, so no text from a source can become YAML structure.
public enum ImportedInventoryWriter {
    /// The inventory's format, by `--output`'s extension.
    public enum Format: Sendable { case yaml, json }

    /// revenant reads a YAML inventory whole, up to this size; a larger import is written as JSON.
    public static let maxYAMLBytes = YAMLTree.maxBytes

    /// `text` cut at a character boundary to at most `bytes` UTF-8 bytes, so the inventory
    /// written stays within what revenant reads back (`InventoryDecoder.sizeLimits`).
    static func bounded(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var out = ""
        var used = 0
        for character in text {
            let n = character.utf8.count
            if used + n > bytes - 3 { break }
            out.append(character)
            used += n
        }
        return out + "…"
    }

    /// The inventory's text and the files it references. `secretsDirectory` (relative to the
    /// inventory) is where files go; nil only when `inventory.needsFiles` is false.
    public static func render(_ inventory: ImportedInventory, format: Format, secretsDirectory: String?,
                              source: ImportSource) -> (text: [UInt8], files: [ImportFile]) {
        var files: [ImportFile] = []
        func file(_ id: String, _ ext: String, _ bytes: [UInt8], secret: Bool) -> Tree {
            let path = "\(secretsDirectory ?? ".")/\(id)\(ext)"
            files.append(ImportFile(relativePath: path, bytes: bytes, isSecret: secret))
            return .object([("file", .string(path))])
        }
        let credentials: [Tree] = inventory.credentials.map { c in
            var m: [(String, Tree)] = [("id", .string(c.id)), ("kind", .string(c.kind.rawValue)), ("state", .string(c.state.rawValue))]
            if let owner = c.owner { m.append(("owner", .string(Self.bounded(owner, bytes: InventoryDecoder.sizeLimits.owner)))) }
            if let issued = c.issuedAt { m.append(("issued_at", .string(Timestamp.format(issued)))) }
            if let username = c.username { m.append(("username", .string(username))) }
            if let id = c.accessKeyID { m.append(("access_key_id", .string(id))) }
            if let secret = c.secret {
                m.append(("secret", file(c.id, "", secret.bytes, secret: true)))
            } else if let path = c.secretFile {
                m.append(("secret", .object([("file", .string(path))])))
            }
            if let certificate = c.certificate { m.append(("certificate", file(c.id, ".crt", certificate, secret: false))) }
            if let key = c.privateKey { m.append(("private_key", file(c.id, ".key", key.bytes, secret: true))) }
            if let issuer = c.issuer { m.append(("issuer", file(c.id, ".ca.crt", issuer, secret: false))) }
            if let probe = c.probe { m.append(("probe", .string(probe))) }
            if let target = c.target { m.append(("target", .string(target))) }
            if !c.tags.isEmpty {
                let limits = InventoryDecoder.sizeLimits
                m.append(("tags", .object(c.tags.keys.sorted().prefix(limits.tags).map {
                    (Self.bounded($0, bytes: limits.tagKey), .string(Self.bounded(c.tags[$0]!, bytes: limits.tagValue)))
                })))
            }
            return .object(m)
        }
        switch format {
        case .json:
            let text = Tree.object([("credentials", .array(credentials))]).serialized(indent: 2) + "\n"
            return (Array(text.utf8), files)
        case .yaml:
            var out = "# Written by `revenant import \(source.rawValue)`: one credential per finding, secrets in files beside it.\n"
            out += "# Check it with `revenant inventory lint`, then `revenant verify --inventory … --dry-run`.\n"
            if credentials.isEmpty { return (Array((out + "credentials: []\n").utf8), files) }
            out += "credentials:\n"
            for credential in credentials {
                for (i, member) in (credential.objectValue ?? []).enumerated() {
                    out += (i == 0 ? "  - " : "    ") + member.key + ": " + flow(member.value) + "\n"
                }
            }
            return (Array(out.utf8), files)
        }
    }

    /// A value on one line: strings double-quoted, objects in `{…}`.
    static func flow(_ tree: Tree) -> String {
        switch tree.value {
        case .string(let s): quote(s)
        case .object(let members): "{" + members.map { quote($0.key) + ": " + flow($0.value) }.joined(separator: ", ") + "}"
        case .array(let items): "[" + items.map(flow).joined(separator: ", ") + "]"
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        }
    }

    /// A YAML double-quoted scalar (YAML 1.2 §7.3.1): `"` and `\` escaped, and every character
    /// YAML does not allow as printable text (C0, DEL, C1 but NEL, BOM, U+FFFE/F) plus the line
    /// and paragraph separators as `\uXXXX`, so the value reads back exactly.
    static func quote(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                let v = scalar.value
                if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF || v == 0xFFFE || v == 0xFFFF {
                    let hex = String(v, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

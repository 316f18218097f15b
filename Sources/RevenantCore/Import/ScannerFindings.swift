/// What secret scanners (trufflehog, gitleaks) share: one credential per distinct secret of a
/// detector (the same key found in ten commits is one credential, `occurrences: 10`), its probe
/// from the mapping, its owner from the author's email, and the place it was found in its tags.
struct ScannerFindings {
    /// One finding as a scanner reported it.
    struct Finding {
        /// The detector or rule.
        var name: String
        var secret: Secret?
        var accessKeyID: String?
        /// Author email from the source (git), the default owner.
        var email: String?
        /// Where it was found; the id is a hash of these (never of the secret).
        var idParts: [String]
        var tags: [(String, String?)]
    }

    let tool: String
    let options: ImportOptions
    var reader: FieldReader
    var inventory = ImportedInventory()
    var ids = ImportIDs()
    /// name + access key id + secret → the credential already made for them.
    var seen: [[UInt8]: Int] = [:]
    var withoutSecret: [String: Int] = [:]

    init(tool: String, file: String, options: ImportOptions) {
        self.tool = tool
        self.options = options
        reader = FieldReader(file: file)
    }

    /// Reads each record (an object: `what` names it in errors) through `body`, which reads its
    /// fields with `reader`; a record with a problem adds nothing, and every problem is thrown at once.
    mutating func read(_ records: [Tree], as what: String,
                       _ body: (inout ScannerFindings, Fields, _ path: String, _ index: Int) -> Finding?) throws(InputErrors) -> ImportedInventory {
        for (index, record) in records.enumerated() {
            let path = "[\(index)]"
            guard let fields = Fields(members: record) else {
                reader.fail(record, path, "expected \(what), found \(record.typeName)")
                continue
            }
            let before = reader.errors.count
            let finding = body(&self, fields, path, index)
            if reader.errors.count == before, let finding { add(finding) }
        }
        if !reader.errors.isEmpty { throw InputErrors(reader.errors) }
        return finish()
    }

    mutating func add(_ finding: Finding) {
        let entry = options.mapping.entry(for: finding.name)
        if let secret = finding.secret {
            let key = Array(ProbeMapping.key(finding.name).utf8) + [0] + Array((finding.accessKeyID ?? "").utf8) + [0] + secret.bytes
            if let index = seen[key] {
                let n = (Int(inventory.credentials[index].tags["occurrences"] ?? "1") ?? 1) + 1
                inventory.credentials[index].tags["occurrences"] = String(n)
                return
            }
            seen[key] = inventory.credentials.count
        }
        let kind = entry?.kind ?? .apiKey
        var credential = ImportedCredential(
            id: ids.hashed("\(tool)-\(ImportIDs.slug(finding.name))", finding.idParts),
            kind: kind, state: options.state ?? .active)
        let text = ImportText(secrets: finding.secret.map { [$0] } ?? [])
        credential.secret = finding.secret
        credential.accessKeyID = finding.accessKeyID
        credential.owner = options.owner ?? finding.email.flatMap { $0.isEmpty ? nil : text.clean($0) }
        credential.tags = text.tags([("source", tool)] + finding.tags)
        let usable = finding.secret != nil && (kind != .awsAccessKey || finding.accessKeyID != nil)
        if usable, let probe = entry?.probe {
            credential.probe = probe
            credential.target = entry?.target
        } else if usable {
            inventory.unmapped[text.clean(finding.name), default: 0] += 1
        } else {
            withoutSecret[text.clean(finding.name), default: 0] += 1
        }
        inventory.credentials.append(credential)
    }

    /// The inventory, with a note per name whose findings came without a secret.
    func finish() -> ImportedInventory {
        var out = inventory
        for (name, n) in withoutSecret.sorted(by: { $0.key < $1.key }) {
            out.notes.append("\(n) \(name) finding\(n == 1 ? "" : "s") without a usable secret (redacted, empty, or a key id alone): written without secret or probe")
        }
        return out
    }
}

extension JSONTreeParser {
    /// Every top-level value of a JSON Lines file (or of one JSON array, whose elements are the
    /// records), each with its real line.
    static func records(_ bytes: [UInt8], file: String) throws(InputError) -> [Tree] {
        var parser = JSONTreeParser(bytes: bytes, file: file)
        parser.skipBOM()
        var out: [Tree] = []
        while true {
            parser.skipSpace()
            if parser.peek == nil { break }
            out.append(try parser.parseValue())
        }
        if out.count == 1, let items = out[0].arrayValue { return items }
        return out
    }
}

extension FieldReader {
    /// A string no longer than `ImportLimits.maxSecretBytes` (a longer one is refused by name).
    mutating func bounded(_ fields: Fields, _ key: String, _ path: String, required: Bool = false) -> String? {
        guard let s = string(fields, key, path, required: required) else { return nil }
        if s.utf8.count > ImportLimits.maxSecretBytes {
            fail(fields[key], join(path, key), "longer than \(ImportLimits.maxSecretBytes >> 10) KiB: not read")
            return nil
        }
        return s
    }
}

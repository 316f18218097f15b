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

    /// Reads each record of `bytes` (objects, `what` names one in errors) through `body`, which
    /// reads its fields with `reader`; records are parsed one at a time, so a large report is
    /// never held whole as a tree. A record with a problem adds nothing, and every problem is
    /// thrown at once. `arrayOnly`: the error when the document is not one JSON array.
    mutating func read(_ bytes: [UInt8], file: String, as what: String, arrayOnly: String? = nil,
                       _ body: (inout ScannerFindings, Fields, _ path: String, _ index: Int) -> Finding?) throws(InputErrors) -> ImportedInventory {
        do {
            try JSONTreeParser.forEachRecord(bytes, file: file, arrayOnly: arrayOnly) { record, index throws(InputError) in
                let path = "[\(index)]"
                guard let fields = Fields(members: record) else {
                    reader.fail(record, path, "expected \(what), found \(record.typeName)")
                    return
                }
                let before = reader.errors.count
                let finding = body(&self, fields, path, index)
                if reader.errors.count == before, let finding { add(finding) }
            }
        } catch {
            throw InputErrors(reader.errors + [error])
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
        return out.redactingEverySecret()
    }
}

extension JSONTreeParser {
    /// Hands over each record, one at a time with its real line: the elements of a top-level
    /// array, else every top-level value (JSON Lines). With `arrayOnly` (the error's message),
    /// anything but one array is refused.
    static func forEachRecord(_ bytes: [UInt8], file: String, arrayOnly: String? = nil,
                              _ body: (Tree, Int) throws(InputError) -> Void) throws(InputError) {
        try bytes.withUnsafeBufferPointer { buffer throws(InputError) in try forEachRecord(buffer, file: file, arrayOnly: arrayOnly, body) }
    }

    static func forEachRecord(_ bytes: UnsafeBufferPointer<UInt8>, file: String, arrayOnly: String?,
                              _ body: (Tree, Int) throws(InputError) -> Void) throws(InputError) {
        var parser = JSONTreeParser(bytes: bytes, file: file)
        parser.skipBOM()
        parser.skipSpace()
        var index = 0
        if parser.peek == UInt8(ascii: "[") {
            parser.index += 1
            parser.skipSpace()
            if parser.peek == UInt8(ascii: "]") {
                parser.index += 1
            } else {
                while true {
                    try body(try parser.parseValue(), index)
                    index += 1
                    parser.skipSpace()
                    if parser.peek == UInt8(ascii: ",") { parser.index += 1; continue }
                    try parser.expect(UInt8(ascii: "]"))
                    break
                }
            }
            try parser.expectEnd()
            return
        }
        if let arrayOnly {
            throw InputError(file: file, location: "line \(parser.line)", message: arrayOnly)
        }
        while parser.peek != nil {
            try body(try parser.parseValue(), index)
            index += 1
            parser.skipSpace()
        }
    }

    /// Every record (see `forEachRecord`), for documents read whole.
    static func records(_ bytes: [UInt8], file: String) throws(InputError) -> [Tree] {
        var out: [Tree] = []
        try forEachRecord(bytes, file: file) { tree, _ throws(InputError) in out.append(tree) }
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

import Foundation

/// Reads inventories in JSON, YAML or CSV (DESIGN.md §4) into credentials and controls.
/// JSON credentials are decoded one at a time as the file is parsed, so a large inventory is
/// never held whole as a syntax tree.
public enum InventoryLoader {
    static let credentialFields = [
        "id", "kind", "state", "owner", "issued_at", "rotated_at", "revoked_at", "expires_at",
        "secret", "username", "access_key_id", "probe", "target", "probes", "tags",
        "certificate", "private_key", "issuer", "host_key_sha256",
        "krl",
    ]
    /// Target schemes of every protocol (the probe's protocol narrows them when planning).
    static let targetSchemes = ["http", "https", "ldap", "ldaps", "imap", "imaps", "smtp", "smtps", "ssh", "postgresql", "mysql", "mysqls", "redis", "rediss", "kerberos"]
    static let controlFields = ["probe", "target", "secret", "username", "access_key_id", "certificate"]
    /// An inventory with more errors than this is read no further, and this many are shown.
    public static let maxErrors = 1_000
    static let tooManyErrors = "more than \(maxErrors) errors: the first \(maxErrors) are shown, and the rest of the file was not read (fix these first)"

    /// Loads and merges several files, each opened by `open` (nil: unreadable); duplicate ids across
    /// files are an error. Throws every problem at once. (RevenantFiles reads them from disk.)
    public static func load(files: [String], open: (String) -> (any InventoryBytes)?) throws(InputErrors) -> Inventory {
        var inventory = Inventory()
        var errors: [InputError] = []
        // Ids across files; within one file the decoder already checks.
        var seen: [String: Int] = [:]
        for (fileIndex, file) in files.enumerated() {
            do throws(InputErrors) {
                guard let source = open(file) else {
                    throw InputErrors([InputError(file: file, message: "cannot read the inventory file (missing or unreadable)")])
                }
                let part = try load(buffer: source.buffer, file: file, release: source.release(upTo:))
                withExtendedLifetime(source) {}
                if files.count > 1 {
                    for credential in part.credentials {
                        if let first = seen[credential.id] {
                            errors.append(InputError(file: file, location: credential.origin,
                                                     message: "duplicate credential id `\(credential.id)` (first in \(files[first]))"))
                        } else {
                            seen[credential.id] = fileIndex
                        }
                    }
                }
                if inventory.credentials.isEmpty {
                    inventory.credentials = part.credentials
                } else {
                    inventory.credentials += part.credentials
                }
                inventory.controls += part.controls
                inventory.warnings += part.warnings
                inventory.files.append(file)
            } catch {
                errors += error.errors
            }
        }
        if !errors.isEmpty { throw InputErrors(errors) }
        return inventory
    }

    /// One inventory's bytes; `file` names it in errors, says its format (by extension) and is
    /// the directory relative secret paths start from.
    public static func load(bytes: [UInt8], file: String) throws(InputErrors) -> Inventory {
        try bytes.withUnsafeBufferPointer { buffer throws(InputErrors) in try load(buffer: buffer, file: file, release: { _ in }) }
    }

    /// As `load(bytes:file:)`; `release(offset)` is told, as the parse goes, that the bytes before
    /// `offset` will not be read again.
    static func load(buffer bytes: UnsafeBufferPointer<UInt8>, file: String, release: (Int) -> Void) throws(InputErrors) -> Inventory {
        // Decoded with U+FFFD in place of bad bytes, a Latin-1 `value` would be sent altered, and a
        // live password refused would read as revoked: such a file is refused, with its line.
        if let offset = UTF8Validation.firstInvalid(bytes) {
            throw InputErrors([InputError(file: file, location: "line \(UTF8Validation.line(of: offset, in: bytes))",
                                          message: "the file is not valid UTF-8 (byte \(offset + 1)): save it as UTF-8; "
                                              + "a secret that is not UTF-8 belongs in a `file` or `env` source, which are read as bytes")])
        }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var decoder = InventoryDecoder(file: file, baseDirectory: base)
        // Past `maxErrors` the rest of the file is not read (`stopsAtErrorLimit`); the parse is
        // ended by a throw, and the errors kept so far are what is shown.
        var stopped = false
        do {
            switch Format(file: file) {
            case .json:
                let rest = try JSONTreeParser.parseObject(bytes, file: file, streaming: ["credentials"], element: { _, index, tree throws(InputError) in
                    decoder.credential(tree, index: index)
                    if decoder.stopsAtErrorLimit(tree, "credentials[\(index)]") {
                        stopped = true
                        throw InputError(file: file, message: Self.tooManyErrors)
                    }
                }, consumed: release)
                decoder.topLevel(rest, credentialsStreamed: true)
            case .yaml:
                let tree = try YAMLTree.parse(String(decoding: bytes, as: UTF8.self), file: file)
                decoder.topLevel(tree, credentialsStreamed: false)
            case .csv:
                try CSVRows.forEach(bytes, file: file) { row throws(InputError) in
                    decoder.credential(row.tree, index: row.index, origin: "line \(row.line)")
                    if decoder.stopsAtErrorLimit(row.tree, "") {
                        stopped = true
                        throw InputError(file: file, message: Self.tooManyErrors)
                    }
                }
            }
        } catch {
            // A stop shows the errors kept so far, its notice last; a broken file its own error alone.
            throw InputErrors(stopped ? decoder.reader.errors : [error])
        }
        if !decoder.reader.errors.isEmpty { throw InputErrors(decoder.reader.errors) }
        if let first = decoder.firstInlineSecret {
            let others = decoder.inlineSecrets > 1 ? " and \(decoder.inlineSecrets - 1) more" : ""
            decoder.inventory.warnings.append("\(file): \(first)\(others): secret given inline as `value`; prefer {\"env\": NAME} or {\"file\": PATH}")
        }
        return decoder.inventory
    }

    enum Format {
        case json, yaml, csv
        init(file: String) {
            switch URL(fileURLWithPath: file).pathExtension.lowercased() {
            case "yaml", "yml": self = .yaml
            case "csv": self = .csv
            default: self = .json
            }
        }
    }
}

/// One inventory file's bytes as the loader reads them: once, front to back. A large file's
/// reader can give back the pages already read (`release(upTo:)`), so the file is never held whole
/// beside the credentials made from it.
public protocol InventoryBytes: AnyObject {
    /// The file's bytes, valid for as long as this object lives.
    var buffer: UnsafeBufferPointer<UInt8> { get }
    /// The loader will not read the bytes before `offset` again.
    func release(upTo offset: Int)
}

/// Turns trees into credentials and controls, collecting errors through a `FieldReader`.
struct InventoryDecoder {
    var reader: FieldReader
    var inventory = Inventory()
    let baseDirectory: String
    var ids: [String: String] = [:]
    /// Inline secrets are reported once per file, not once per credential.
    var inlineSecrets = 0
    /// Targets already checked: large inventories repeat a few base URLs.
    var validURLs: Set<String> = []
    /// One shared copy of each repeated text (targets, probes, owners).
    var interned = ValueInterner<String>(limit: 10_000)
    /// One shared copy of each repeated target list: most credentials of a large inventory name one of a few.
    var internedTargets = ValueInterner<[ProbeTarget]>()

    mutating func intern(_ s: String) -> String { interned.intern(s) }
    var firstInlineSecret: String?

    init(file: String, baseDirectory: String) {
        reader = FieldReader(file: file)
        self.baseDirectory = baseDirectory
    }

    mutating func topLevel(_ tree: Tree, credentialsStreamed: Bool) {
        guard let fields = reader.object(tree, "", allowed: ["credentials", "controls"]) else { return }
        if let list = fields["credentials"] {
            guard let items = list.arrayValue else {
                return reader.fail(list, "credentials", "expected a list of credentials, found \(list.typeName)")
            }
            if !credentialsStreamed {
                for (i, item) in items.enumerated() {
                    credential(item, index: i)
                    if stopsAtErrorLimit(item, "credentials[\(i)]") { return }
                }
            }
        } else {
            reader.fail(tree, "credentials", "required field `credentials` (a list) is missing")
        }
        if let list = fields["controls"] {
            guard let items = list.arrayValue else {
                return reader.fail(list, "controls", "expected a list of controls, found \(list.typeName)")
            }
            for (i, item) in items.enumerated() { control(item, path: "controls[\(i)]") }
        }
    }

    /// Past `InventoryLoader.maxErrors` errors: keeps the first ones, adds the notice that the rest
    /// of the file is not read (at `tree`), and says to stop. Five million wrong entries took 26 s
    /// and 2 GB to list, one line each (an adversarial run), and nobody reads past the first.
    mutating func stopsAtErrorLimit(_ tree: Tree, _ path: String) -> Bool {
        guard reader.errors.count > InventoryLoader.maxErrors else { return false }
        reader.keepFirst(InventoryLoader.maxErrors)
        reader.fail(tree, path, InventoryLoader.tooManyErrors)
        return true
    }

    /// Text that every report repeats (ids on each line, owners in headings and metric labels,
    /// tags in JSON and SARIF) is bounded where it enters; the value itself is never echoed.
    static let sizeLimits = (id: 200, owner: 512, tags: 64, tagKey: 128, tagValue: 2048)

    mutating func checkSizes(_ c: Credential, _ f: Fields, _ path: String) {
        let limits = Self.sizeLimits
        if c.id.utf8.count > limits.id {
            reader.fail(f["id"], reader.join(path, "id"), "the id is \(c.id.utf8.count) bytes: at most \(limits.id) (it heads every report line)")
        }
        if let owner = c.owner, owner.utf8.count > limits.owner {
            reader.fail(f["owner"], reader.join(path, "owner"), "the owner is \(owner.utf8.count) bytes: at most \(limits.owner)")
        }
        if c.tags.count > limits.tags {
            reader.fail(f["tags"], reader.join(path, "tags"), "\(c.tags.count) tags: at most \(limits.tags)")
        }
        for (key, value) in c.tags where key.utf8.count > limits.tagKey || value.utf8.count > limits.tagValue {
            let what = key.utf8.count > limits.tagKey ? "a tag name is \(key.utf8.count) bytes: at most \(limits.tagKey)"
                : "a tag value is \(value.utf8.count) bytes: at most \(limits.tagValue)"
            reader.fail(f["tags"], reader.join(path, "tags"), what)
            break
        }
    }

    mutating func credential(_ tree: Tree, index: Int, origin: String? = nil) {
        let path = origin == nil ? "credentials[\(index)]" : ""
        // "line N" is short enough to be stored inline in the String (no allocation per credential).
        let origin = origin ?? (tree.line > 0 ? "line \(tree.line)" : path)
        guard let f = reader.object(tree, path, allowed: InventoryLoader.credentialFields) else { return }
        let id = reader.string(f, "id", path, required: true)
        let kind = reader.choice(f, "kind", path, as: CredentialKind.self, required: true)
        let state = reader.choice(f, "state", path, as: LifecycleState.self, required: true)
        let secret = f["secret"].flatMap { secretSource($0, reader.join(path, "secret")) }
        var targets: [ProbeTarget] = []
        let probe = reader.string(f, "probe", path).map { intern($0) }
        let target = reader.string(f, "target", path).map { intern($0) }
        if let t = target, let tree = f["target"] { validateURL(t, tree, reader.join(path, "target")) }
        let hostKey = hostKeyPin(f, path)
        if let list = f["probes"] {
            if probe != nil || target != nil || hostKey != nil {
                reader.fail(list, reader.join(path, "probes"), "use either `probe` + `target` or `probes`, not both (`host_key_sha256` then goes in each `probes` entry)")
            }
            targets = probeList(list, reader.join(path, "probes"))
        } else if let probe {
            targets = internedTargets.intern([ProbeTarget(probe: probe, target: target, hostKeySHA256: hostKey)])
        } else if target != nil {
            reader.fail(f["target"], reader.join(path, "probe"), "`target` is given but `probe` is missing")
        }
        if let id {
            if let first = ids[id] {
                reader.fail(tree, reader.join(path, "id"), "duplicate credential id `\(id)` (first at \(first))")
            } else {
                ids[id] = origin
            }
        }
        let credential = Credential(
            id: id ?? "", kind: kind ?? .apiKey, state: state ?? .active,
            owner: reader.string(f, "owner", path).map { intern($0) },
            issuedAt: reader.date(f, "issued_at", path), rotatedAt: reader.date(f, "rotated_at", path),
            revokedAt: reader.date(f, "revoked_at", path), expiresAt: reader.date(f, "expires_at", path),
            secret: secret, username: reader.string(f, "username", path),
            accessKeyID: reader.string(f, "access_key_id", path), certificate: certificateFiles(f, path, kind: kind),
            targets: targets, tags: reader.stringMap(f, "tags", path) ?? [:], origin: origin, file: reader.file)
        checkSizes(credential, f, path)
        if kind == .x509Certificate {
            if secret != nil {
                reader.fail(f["secret"], reader.join(path, "secret"), "an x509_certificate has `certificate` and `private_key`, not `secret`")
            }
        } else if kind == .scimAccount {
            // Looked up by userName with the operator's token: the account's own secret is not involved.
            if credential.username == nil && !targets.isEmpty {
                reader.fail(tree, reader.join(path, "username"), "a scim_account is looked up by `username` (its SCIM userName or externalId)")
            }
        } else if secret == nil && !targets.isEmpty {
            reader.fail(tree, reader.join(path, "secret"), "credential `\(credential.id)` names a probe but has no `secret` ({\"env\": NAME}, {\"file\": PATH} or {\"value\": ...})")
        }
        if id != nil && kind != nil && state != nil { inventory.credentials.append(credential) }
    }

    mutating func control(_ tree: Tree, path: String) {
        guard let f = reader.object(tree, path, allowed: InventoryLoader.controlFields) else { return }
        let probe = reader.string(f, "probe", path, required: true)
        let target = reader.string(f, "target", path)
        if let t = target, let tree = f["target"] { validateURL(t, tree, reader.join(path, "target")) }
        guard let secretTree = f["secret"] else {
            return reader.fail(tree, reader.join(path, "secret"), "required field `secret` is missing")
        }
        guard let secret = secretSource(secretTree, reader.join(path, "secret")), let probe else { return }
        var control = PositiveControl(
            // A SigV4 control logs in with its access key id, as a credential does.
            probe: probe, target: target, secret: secret,
            username: reader.string(f, "username", path) ?? reader.string(f, "access_key_id", path),
            origin: "\(reader.file): \(reader.location(tree, path))")
        control.certificate = f["certificate"].flatMap { filePath($0, reader.join(path, "certificate")) }
        inventory.controls.append(control)
    }

    mutating func probeList(_ tree: Tree, _ path: String) -> [ProbeTarget] {
        guard let items = tree.arrayValue else {
            reader.fail(tree, path, "expected a list of {\"probe\": ID, \"target\": URL}, found \(tree.typeName)")
            return []
        }
        if items.isEmpty { reader.fail(tree, path, "`probes` is empty") }
        var out: [ProbeTarget] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            guard let f = reader.object(item, p, allowed: ["probe", "target", "host_key_sha256"]) else { continue }
            let target = reader.string(f, "target", p)
            if let t = target, let tt = f["target"] { validateURL(t, tt, reader.join(p, "target")) }
            let hostKey = hostKeyPin(f, p)
            if let probe = reader.string(f, "probe", p, required: true) {
                out.append(ProbeTarget(probe: probe, target: target, hostKeySHA256: hostKey))
            }
        }
        return out
    }

    mutating func secretSource(_ tree: Tree, _ path: String) -> SecretSource? {
        guard let f = reader.object(tree, path, allowed: ["env", "file", "value"]) else { return nil }
        let given = ["env", "file", "value"].filter { f[$0] != nil }
        guard given.count == 1 else {
            reader.fail(tree, path, "expected exactly one of `env`, `file`, `value`, found \(given.isEmpty ? "none" : given.joined(separator: " and "))")
            return nil
        }
        guard let text = reader.string(f, given[0], path, required: true) else { return nil }
        switch given[0] {
        case "env": return .environment(text)
        case "file":
            let full = text.hasPrefix("/") ? text : URL(fileURLWithPath: baseDirectory).appendingPathComponent(text).standardized.path
            return .file(full)
        default:
            inlineSecrets += 1
            if firstInlineSecret == nil { firstInlineSecret = reader.location(tree, path) }
            return .value(text)
        }
    }

    mutating func validateURL(_ text: String, _ tree: Tree, _ path: String) {
        if validURLs.contains(text) { return }
        // The text is never repeated in these errors: a mistyped target may carry a password.
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), url.host?.isEmpty == false else {
            return reader.fail(tree, path, "not a URL; expected a base URL like https://api.example.com")
        }
        if url.user != nil || url.password != nil {
            return reader.fail(tree, path, "a target must not carry user info (`user:password@`): secrets go in `secret`, never in the URL")
        }
        if url.query != nil || url.fragment != nil {
            return reader.fail(tree, path, "a target is a base URL without query or fragment (the probe adds its own path)")
        }
        if !InventoryLoader.targetSchemes.contains(scheme) {
            return reader.fail(tree, path, "unsupported URL scheme `\(scheme)`; expected one of \(InventoryLoader.targetSchemes.joined(separator: ", "))")
        }
        validURLs.insert(text)
    }

    /// `host_key_sha256`: `SHA256:` + 43 base64 characters, as `ssh-keygen -lf` prints (the prefix may be left out).
    mutating func hostKeyPin(_ f: Fields, _ path: String) -> String? {
        guard let text = reader.string(f, "host_key_sha256", path) else { return nil }
        let body = text.hasPrefix("SHA256:") ? String(text.dropFirst(7)) : text
        let base64 = body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+/".contains($0)) }
        guard body.count == 43, base64 else {
            reader.fail(f["host_key_sha256"], reader.join(path, "host_key_sha256"),
                        "expected `SHA256:` and 43 base64 characters, as `ssh-keygen -lf` prints for the host key")
            return nil
        }
        return "SHA256:" + body
    }

    /// `certificate`, `private_key`, `issuer` of an x509_certificate (files, relative to the inventory).
    mutating func certificateFiles(_ f: Fields, _ path: String, kind: CredentialKind?) -> CertificateFiles? {
        if kind == .sshCertificate { return sshCertificateFiles(f, path) }
        let given = ["certificate", "private_key", "issuer", "krl"].filter { f[$0] != nil }
        guard kind == .x509Certificate else {
            for key in given {
                reader.fail(f[key], reader.join(path, key), key == "krl" ? "`krl` applies to kind ssh_certificate only"
                            : "`\(key)` applies to kind x509_certificate\(key == "certificate" ? " or ssh_certificate" : "") only")
            }
            return nil
        }
        guard let certTree = f["certificate"] else {
            reader.fail(nil, reader.join(path, "certificate"), "an x509_certificate needs `certificate: {\"file\": PATH}`")
            return nil
        }
        guard let certificate = filePath(certTree, reader.join(path, "certificate")) else { return nil }
        let key = f["private_key"].flatMap { secretSource($0, reader.join(path, "private_key")) }
        let issuer = f["issuer"].flatMap { filePath($0, reader.join(path, "issuer")) }
        return CertificateFiles(certificate: certificate, privateKey: key, issuer: issuer)
    }

    /// `certificate` (the `-cert.pub` file, required) and `krl` (the CA's revocation list) of an
    /// ssh_certificate; its private key is the `secret`.
    mutating func sshCertificateFiles(_ f: Fields, _ path: String) -> CertificateFiles? {
        for key in ["private_key", "issuer"] where f[key] != nil {
            reader.fail(f[key], reader.join(path, key), "an ssh_certificate has `secret` (its private key), `certificate` and `krl`, not `\(key)`")
        }
        guard let certTree = f["certificate"] else {
            reader.fail(nil, reader.join(path, "certificate"), "an ssh_certificate needs `certificate: {\"file\": PATH}` (its -cert.pub file)")
            return nil
        }
        guard let certificate = filePath(certTree, reader.join(path, "certificate")) else { return nil }
        return CertificateFiles(certificate: certificate, revocationList: f["krl"].flatMap { filePath($0, reader.join(path, "krl")) })
    }

    /// A field that must be `{"file": PATH}` (a certificate, an issuer, a KRL: files, not secrets).
    mutating func filePath(_ tree: Tree, _ field: String) -> String? {
        guard case .file(let p)? = secretSource(tree, field) else {
            reader.fail(tree, field, "expected `{\"file\": PATH}`")
            return nil
        }
        return p
    }
}

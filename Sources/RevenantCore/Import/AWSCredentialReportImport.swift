import Foundation

/// Reads the IAM credential report (`aws iam get-credential-report`, CSV): one row per user with
/// `access_key_1_active`, `access_key_1_last_rotated`, … `access_key_2_…` (IAM User Guide,
/// "Getting credential reports"). Each key slot that holds a key becomes an `aws_access_key`:
/// active → `active`, inactive → `revoked`; `issued_at` is when the key was created or last
/// changed, so `rotation_overdue` comes without any secret. The report names no key id: a
/// `--keys` CSV (`user,slot,access_key_id,secret_file`) joins one, then the key is probed with
/// `aws-sts`. See docs/import/aws-credential-report.md.
public enum AWSCredentialReportImport {
    /// A key joined from the `--keys` file: its id and where its secret is (never copied).
    public struct Key: Sendable, Equatable {
        public var accessKeyID: String
        public var secretFile: String?
    }

    /// Values the report writes where there is nothing (N/A: no such key; the others: never used or unknown).
    static let empty: Set<String> = ["n/a", "not_supported", "no_information", "none", ""]

    public static func read(_ bytes: [UInt8], file: String, options: ImportOptions,
                            keys: [String: Key] = [:]) throws(InputErrors) -> ImportedInventory {
        if let offset = UTF8Validation.firstInvalid(bytes) {
            throw InputErrors([InputError(file: file, location: "line \(UTF8Validation.line(of: offset, in: bytes))", message: "the report is not valid UTF-8")])
        }
        var reader = FieldReader(file: file)
        var out = ImportedInventory()
        var ids = ImportIDs()
        var certificates = 0
        var joined: Set<String> = []
        do {
            try CSVRows.forEach(bytes, file: file) { row throws(InputError) in
                guard let f = Fields(members: row.tree) else { return }
                let path = ""
                guard let user = reader.string(f, "user", path, required: true) else { return }
                let arn = reader.string(f, "arn", path)
                let account = arn.flatMap(account(ofARN:))
                for slot in 1...2 {
                    let p = "access_key_\(slot)"
                    let active = flag(f, "\(p)_active", path, &reader)
                    let rotated = date(f, "\(p)_last_rotated", path, &reader)
                    guard active == true || rotated != nil else { continue }
                    let name = "aws-\(account.map { "\($0)-" } ?? "")\(ImportIDs.slug(user == "<root_account>" ? "root" : user))-key\(slot)"
                    var credential = ImportedCredential(id: ids.unique(name), kind: .awsAccessKey,
                                                        state: options.state ?? (active == true ? .active : .revoked))
                    credential.owner = options.owner ?? ImportText(secrets: []).clean(user)
                    credential.issuedAt = rotated
                    let text = ImportText(secrets: [])
                    credential.tags = text.tags([
                        ("source", "aws-credential-report"), ("user", user), ("arn", arn), ("slot", String(slot)),
                        ("active_in_report", active == true ? "true" : "false"),
                        ("last_used", usable(f, "\(p)_last_used_date")), ("last_used_service", usable(f, "\(p)_last_used_service")),
                        ("last_used_region", usable(f, "\(p)_last_used_region")),
                    ])
                    if let key = keys["\(user)\u{1F}\(slot)"] {
                        joined.insert("\(user)\u{1F}\(slot)")
                        credential.accessKeyID = key.accessKeyID
                        if let secretFile = key.secretFile {
                            credential.secretFile = secretFile
                            credential.probe = "aws-sts"
                        }
                    }
                    out.credentials.append(credential)
                }
                for slot in 1...2 where flag(f, "cert_\(slot)_active", path, &reader) == true { certificates += 1 }
            }
        } catch {
            throw InputErrors([error])
        }
        if !reader.errors.isEmpty { throw InputErrors(reader.errors) }
        if certificates > 0 {
            out.notes.append("\(certificates) active signing certificate\(certificates == 1 ? "" : "s") not imported: the report holds no certificate")
        }
        let unjoined = Set(keys.keys).subtracting(joined)
        if !unjoined.isEmpty {
            out.notes.append("\(unjoined.count) --keys row\(unjoined.count == 1 ? "" : "s") matched no key in the report: "
                + unjoined.sorted().prefix(5).map { $0.replacingOccurrences(of: "\u{1F}", with: " slot ") }.joined(separator: ", "))
        }
        return out
    }

    /// `true`/`false` (any case); the report's empty words are no value.
    static func flag(_ f: Fields, _ key: String, _ path: String, _ reader: inout FieldReader) -> Bool? {
        guard let text = f[key]?.stringValue?.trimmingCharacters(in: .whitespaces) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        case let t where empty.contains(t): return nil
        default:
            reader.fail(f[key], reader.join(path, key), "expected true or false, found \(FieldReader.shown(text))")
            return nil
        }
    }

    /// An ISO-8601 date, or nil for the report's empty words.
    static func date(_ f: Fields, _ key: String, _ path: String, _ reader: inout FieldReader) -> Date? {
        guard let text = f[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !empty.contains(text.lowercased()) else { return nil }
        if let d = Timestamp.parse(text) { return d }
        reader.fail(f[key], reader.join(path, key), "\(FieldReader.shown(text)) is not a date; expected ISO-8601 like 2026-11-01T09:30:00+00:00 or N/A")
        return nil
    }

    static func usable(_ f: Fields, _ key: String) -> String? {
        guard let text = f[key]?.stringValue, !empty.contains(text.lowercased()) else { return nil }
        return text
    }

    /// The 12-digit account of `arn:aws:iam::123456789012:user/…`.
    static func account(ofARN arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[4].count == 12, parts[4].allSatisfy(\.isNumber) else { return nil }
        return String(parts[4])
    }

    /// The `--keys` file: CSV with columns `user`, `slot` (1 or 2), `access_key_id` and
    /// `secret_file` (optional; relative to the keys file's directory, `base`). Holds no secret.
    public static func readKeys(_ bytes: [UInt8], file: String, base: String) throws(InputErrors) -> [String: Key] {
        var reader = FieldReader(file: file)
        var out: [String: Key] = [:]
        do {
            try CSVRows.forEach(bytes, file: file) { row throws(InputError) in
                let path = ""
                guard let f = reader.object(row.tree, path, allowed: ["user", "slot", "access_key_id", "secret_file"]) else { return }
                let user = reader.string(f, "user", path, required: true)
                let slot = reader.string(f, "slot", path, required: true)
                let id = reader.string(f, "access_key_id", path, required: true)
                let secretFile = reader.string(f, "secret_file", path)
                if let slot, slot != "1" && slot != "2" { reader.fail(f["slot"], reader.join(path, "slot"), "expected 1 or 2") }
                if let id, !id.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) || !(16...128).contains(id.count) {
                    // Not echoed: a secret key pasted into the wrong column must not reach the terminal.
                    reader.fail(f["access_key_id"], reader.join(path, "access_key_id"), "expected an access key id (AKIA… in capitals and digits)")
                }
                guard let user, let slot, let id else { return }
                let key = "\(user)\u{1F}\(slot)"
                if out[key] != nil { reader.fail(row.tree, path, "a second row for this user and slot") }
                let resolved = secretFile.map { $0.hasPrefix("/") ? $0 : URL(fileURLWithPath: base).appendingPathComponent($0).standardized.path }
                out[key] = Key(accessKeyID: id, secretFile: resolved)
            }
        } catch {
            throw InputErrors([error])
        }
        if !reader.errors.isEmpty { throw InputErrors(reader.errors) }
        return out
    }
}

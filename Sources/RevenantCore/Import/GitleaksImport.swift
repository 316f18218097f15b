/// Reads a gitleaks JSON report (`--report-format json`): an array of findings with `RuleID`,
/// `Secret`, `File`, `StartLine`, `Commit`, `Email`, `Date`, `Fingerprint`, … (gitleaks
/// `report/finding.go`). See docs/import/gitleaks.md.
public enum GitleaksImport {
    public static func read(_ bytes: [UInt8], file: String, options: ImportOptions) throws(InputErrors) -> ImportedInventory {
        var findings = ScannerFindings(tool: "gitleaks", file: file, options: options)
        return try findings.read(bytes, file: file, as: "a gitleaks finding object",
                                 arrayOnly: "expected a gitleaks JSON report: a list of findings `[ … ]`") { findings, f, path, index in
            let rule = findings.reader.string(f, "RuleID", path, required: true)
            let secretText = findings.reader.bounded(f, "Secret", path)
            let line = findings.reader.integer(f, "StartLine", path, min: 0)
            var place: [String: String] = [:]
            for key in ["File", "SymlinkFile", "Commit", "Email", "Date", "Link", "Fingerprint"] {
                if let s = findings.reader.bounded(f, key, path) { place[key] = s }
            }
            guard let rule else { return nil }
            // `--redact` writes "REDACTED" (or a prefix and "..."): no secret to probe with.
            let redacted = secretText.map { $0.isEmpty || $0 == "REDACTED" || $0.hasSuffix("...") } ?? true
            var secret = redacted ? nil : secretText.map { Secret($0) }
            var accessKeyID: String?
            if options.mapping.entry(for: rule)?.kind == .awsAccessKey {
                // gitleaks' AWS rule matches the key id (AKIA…) alone, not the secret key.
                accessKeyID = secret?.text
                secret = nil
            }
            let lineText = line.map(String.init)
            let unplaced = place["File"] == nil && place["Commit"] == nil
            return .init(
                name: rule, secret: secret, accessKeyID: accessKeyID, email: place["Email"],
                idParts: [rule, place["File"] ?? "", lineText ?? "", place["Commit"] ?? ""] + (unplaced ? ["record \(index)"] : []),
                tags: [("rule", rule), ("file", place["File"]), ("line", lineText), ("commit", place["Commit"]),
                       ("commit_date", place["Date"]), ("link", place["Link"]), ("gitleaks_fingerprint", place["Fingerprint"])])
        }
    }
}

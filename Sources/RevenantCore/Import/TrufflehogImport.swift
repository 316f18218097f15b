/// Reads trufflehog v3's `--json` output: one object per line (JSON Lines) with `DetectorName`,
/// `Raw`, `RawV2`, `Verified`, `SourceMetadata.Data.<Source>.{file, line, commit, repository,
/// email, link}` (trufflehog `pkg/output/json.go`, `proto/source_metadata.proto`). See
/// docs/import/trufflehog.md.
public enum TrufflehogImport {
    public static func read(_ bytes: [UInt8], file: String, options: ImportOptions) throws(InputErrors) -> ImportedInventory {
        var findings = ScannerFindings(tool: "trufflehog", file: file, options: options)
        return try findings.read(bytes, file: file, as: "a trufflehog result object") { findings, f, path, index in
            let detector = findings.reader.string(f, "DetectorName", path, required: true)
            let raw = findings.reader.bounded(f, "Raw", path)
            let rawV2 = findings.reader.bounded(f, "RawV2", path)
            let verified = findings.reader.bool(f, "Verified", path)
            let decoder = findings.reader.string(f, "DecoderName", path)
            var location = source(f, path, &findings.reader)
            guard let detector else { return nil }
            var secret = raw.flatMap { $0.isEmpty ? nil : Secret($0) }
            var accessKeyID: String?
            if options.mapping.entry(for: detector)?.kind == .awsAccessKey {
                // AWS: Raw is the key id, RawV2 the id, `:` and the secret key (pkg/detectors/aws).
                accessKeyID = raw
                let prefix = (raw ?? "") + ":"
                secret = rawV2.flatMap { $0.hasPrefix(prefix) && $0.count > prefix.count ? Secret(String($0.dropFirst(prefix.count))) : nil }
            }
            let kind = location.removeValue(forKey: "kind")
            var parts = [detector, kind ?? ""] + ["file", "line", "commit", "repository", "link"].map { location[$0] ?? "" }
            if parts.dropFirst().allSatisfy(\.isEmpty) { parts.append("record \(index)") }
            return .init(
                name: detector, secret: secret, accessKeyID: accessKeyID, email: location["email"], idParts: parts,
                tags: [("detector", detector), ("source_kind", kind), ("file", location["file"]), ("line", location["line"]),
                       ("commit", location["commit"]), ("repository", location["repository"]), ("link", location["link"]),
                       ("verified_by_trufflehog", verified.map { $0 ? "true" : "false" }), ("decoder", decoder)])
        }
    }

    /// `SourceMetadata.Data.<Kind>` as text fields: `kind` and `file`, `line`, `commit`, … where given.
    static func source(_ f: Fields, _ path: String, _ reader: inout FieldReader) -> [String: String] {
        let metaPath = reader.join(path, "SourceMetadata")
        guard let meta = f["SourceMetadata"], !reader.isNull(meta) else { return [:] }
        guard case .object = meta.value else {
            reader.fail(meta, metaPath, "expected an object, found \(meta.typeName)")
            return [:]
        }
        guard let data = meta["Data"], !reader.isNull(data) else { return [:] }
        guard let members = data.objectValue else {
            reader.fail(data, metaPath + ".Data", "expected an object, found \(data.typeName)")
            return [:]
        }
        guard let (kind, value) = members.first.map({ ($0.key, $0.value) }) else { return [:] }
        let sourcePath = "\(metaPath).Data.\(FieldReader.shownKey(kind))"
        guard let fields = Fields(members: value) else {
            reader.fail(value, sourcePath, "expected an object, found \(value.typeName)")
            return [:]
        }
        var out = ["kind": kind]
        for key in ["file", "filename", "path", "commit", "repository", "email", "link", "timestamp"] {
            if let s = reader.bounded(fields, key, sourcePath) { out[key == "filename" || key == "path" ? "file" : key] = s }
        }
        if let line = reader.integer(fields, "line", sourcePath, min: 0) { out["line"] = String(line) }
        return out
    }
}

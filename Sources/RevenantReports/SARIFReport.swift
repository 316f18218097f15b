import Foundation
import RevenantCore

/// SARIF 2.1.0 (OASIS), as GitHub code scanning and other SARIF viewers read it: one rule per
/// finding code, one result per finding, located at the credential's line of its inventory and by
/// its id (docs/reports.md, "SARIF").
public enum SARIFReport {
    public static let schemaURI = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"

    /// The key of the credential's fingerprint in `partialFingerprints` (versioned, as SARIF §3.27.17 asks).
    public static let fingerprintKey = "credentialFingerprint/v1"

    /// SARIF `level` of a severity. `info` findings (`ok`, `revocation_verified`) are passes, and a
    /// result whose kind is not `fail` must have level `none` (SARIF §3.27.10).
    static func level(_ s: Severity) -> String {
        switch s {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low: "note"
        case .info: "none"
        }
    }

    /// GitHub's `security-severity` (0.0–10.0; 9.0+ critical, 7.0+ high, 4.0+ medium, 0.1+ low).
    static func securitySeverity(_ s: Severity) -> String {
        switch s {
        case .critical: "9.5"
        case .high: "8.0"
        case .medium: "5.5"
        case .low: "3.0"
        case .info: "0.0"
        }
    }

    static func write(_ report: RunReport, groupBy: ReportGrouping? = nil, emit: ([UInt8]) -> Void) {
        let codes = FindingCode.allCases
        var w = JSONStreamWriter(indent: 2)
        w.beginObject()
        w.field("$schema", schemaURI)
        w.field("version", "2.1.0")
        w.key("runs")
        w.beginArray()
        w.beginObject()
        w.key("tool")
        w.beginObject()
        w.key("driver")
        w.beginObject()
        w.field("name", "revenant")
        w.field("version", JSONReport.version)
        w.field("semanticVersion", JSONReport.version)
        w.key("rules")
        w.beginArray()
        for code in codes { writeRule(code, to: &w) }
        w.endArray()
        w.endObject()
        w.endObject()
        w.key("automationDetails")
        w.value(.object([("id", .string("revenant/\(report.command)/\(report.runID)"))]))
        w.key("invocations")
        w.beginArray()
        w.beginObject()
        w.key("executionSuccessful")
        w.bool(report.complete)
        w.field("startTimeUtc", Timestamp.format(report.startedAt))
        w.field("endTimeUtc", Timestamp.format(report.finishedAt))
        if let why = report.incompleteReason {
            w.key("toolExecutionNotifications")
            w.value(.array([.object([("level", .string("error")), ("message", .object([("text", .string("run incomplete: " + why))]))])]))
        }
        w.endObject()
        w.endArray()
        w.key("results")
        w.beginArray()
        for i in groupBy?.order(report, OwnerSummary(report)) ?? Array(report.results.indices) {
            for finding in report.results[i].findings {
                writeResult(finding, of: report.results[i], ruleIndex: codes.firstIndex(of: finding.code) ?? 0, to: &w)
            }
            w.flush(to: emit)
        }
        w.endArray()
        w.key("properties")
        var properties: [(String, Tree)] = [("run_id", .string(report.runID)), ("complete", .bool(report.complete)),
                                            ("inventories", .array(report.inventories.map(Tree.string)))]
        if let head = report.ledgerHead { properties.append(("ledger_head", .string(head))) }
        w.value(.object(properties))
        w.endObject()
        w.endArray()
        w.endObject()
        w.bytes.append(UInt8(ascii: "\n"))
        emit(w.bytes)
    }

    /// A finding code as a SARIF rule (`reportingDescriptor`): what it means, what to do, and what
    /// auditors map it to; its default severity as level and `security-severity`.
    static func writeRule(_ code: FindingCode, to w: inout JSONStreamWriter) {
        let severity = code.defaultSeverity
        let references = code.references
        var helpText = code.advice
        var helpMarkdown = code.advice
        if !references.isEmpty {
            helpText += "\n\nReferences:\n" + references.map { ref in "- " + ref + (FindingReferences.source(of: ref).map { " (\($0))" } ?? "") }
                .joined(separator: "\n")
            helpMarkdown += "\n\nReferences:\n" + references.map { ref in
                FindingReferences.source(of: ref).map { "- [\(ref)](\($0))" } ?? "- \(ref)"
            }.joined(separator: "\n")
        }
        w.beginObject()
        w.field("id", code.rawValue)
        w.field("name", code.rawValue.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined())
        w.key("shortDescription")
        w.value(.object([("text", .string(code.summary))]))
        w.key("fullDescription")
        w.value(.object([("text", .string(code.summary + " " + code.advice))]))
        if let uri = references.lazy.compactMap(FindingReferences.source(of:)).first { w.field("helpUri", uri) }
        w.key("help")
        w.value(.object([("text", .string(helpText)), ("markdown", .string(helpMarkdown))]))
        w.key("defaultConfiguration")
        w.value(.object([("level", .string(severity == .info ? "note" : level(severity)))]))
        w.key("properties")
        w.value(.object([
            ("tags", .array(["security", "credentials"].map(Tree.string) + references.map(Tree.string))),
            ("security-severity", .string(securitySeverity(severity))),
            ("severity", .string(severity.rawValue)),
        ]))
        w.endObject()
    }

    /// One finding of one credential: where the credential is declared, and its fingerprint.
    static func writeResult(_ f: Finding, of r: CredentialResult, ruleIndex: Int, to w: inout JSONStreamWriter) {
        let c = r.credential
        w.beginObject()
        w.field("ruleId", f.code.rawValue)
        w.field("ruleIndex", ruleIndex)
        w.field("kind", f.severity == .info ? "pass" : "fail")
        w.field("level", level(f.severity))
        w.key("message")
        w.value(.object([("text", .string("\(c.id) (\(c.state.rawValue), owner \(c.owner ?? "none")): \(f.message)"))]))
        w.key("locations")
        w.beginArray()
        w.beginObject()
        if !c.file.isEmpty {
            w.key("physicalLocation")
            var location: [(String, Tree)] = [("artifactLocation", .object([("uri", .string(uri(ofPath: c.file)))]))]
            if let line = c.line { location.append(("region", .object([("startLine", .int(line))]))) }
            w.value(.object(location))
        }
        w.key("logicalLocations")
        w.value(.array([.object([("name", .string(c.id)), ("kind", .string("credential"))])]))
        w.endObject()
        w.endArray()
        if let fp = r.fingerprint {
            w.key("partialFingerprints")
            w.value(.object([(fingerprintKey, .string(fp))]))
        }
        w.key("properties")
        w.value(.object([
            ("severity", .string(f.severity.rawValue)), ("security-severity", .string(securitySeverity(f.severity))),
            ("credential", .string(c.id)), ("kind", .string(c.kind.rawValue)), ("state", .string(c.state.rawValue)),
            ("owner", .optional(c.owner)), ("fingerprint", .optional(r.fingerprint)),
        ]))
        w.endObject()
    }

    /// An inventory path as a SARIF `uri` (a URI reference, RFC 3986): a relative path stays
    /// relative (code scanning resolves it against the repository root), an absolute one becomes a
    /// `file://` URI; anything that is not a path character is percent-encoded.
    static func uri(ofPath path: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~/!$&'()*+,;=@")
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        // A colon is encoded too, so a relative path's first segment never reads as a scheme.
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }
}

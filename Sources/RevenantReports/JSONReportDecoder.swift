import Foundation
import RevenantCore

/// Reads a `revenant.report/v1` file, as `JSONReport` writes it, back into a `RunReport` (for
/// `revenant merge`). Strict: an unknown field, a wrong type, an unknown schema, a check whose
/// recorded verdict does not follow from its outcome and controls: each is an error naming the
/// file, line and field, all collected in one pass. The summary is not read back (every format
/// computes it from the results) but its credential count must match them.
public enum JSONReportDecoder {
    public static func decode(_ bytes: [UInt8], file: String) throws(InputErrors) -> RunReport {
        let tree: Tree
        do { tree = try JSONTreeParser.parse(bytes, file: file) } catch { throw InputErrors([error]) }
        var reader = FieldReader(file: file)
        let report = reader.report(tree)
        if !reader.errors.isEmpty { throw InputErrors(reader.errors) }
        guard let report else { throw InputErrors([InputError(file: file, message: "not a revenant report")]) }
        return report
    }
}

extension FieldReader {
    static let reportKeys = ["schema", "tool", "run", "summary", "changes", "watch", "results"]
    static let runKeys = ["id", "started_at", "finished_at", "complete", "incomplete_reason", "inventories", "ledger_head", "owners",
                          "only", "shard", "inputs"]
    static let credentialKeys = ["id", "kind", "state", "owner", "fingerprint", "expires_at", "revoked_at", "issued_at", "rotated_at",
                                 "file", "origin", "inventory_index", "tags"]
    static let checkKeys = ["type", "probe", "target", "outcome", "http_status", "reason", "verdict", "attempts", "duration_ms",
                            "evidence", "controls", "proof", "revocation"]

    mutating func report(_ tree: Tree) -> RunReport? {
        guard let top = object(tree, "", allowed: Self.reportKeys) else { return nil }
        let schema = string(top, "schema", "", required: true)
        if let schema, schema != JSONReport.schema {
            fail(top["schema"], "schema", "\(FieldReader.shown(schema)) is not a run report; expected \(JSONReport.schema)")
            return nil
        }
        if let t = top["tool"], let tool = object(t, "tool", allowed: ["name", "version"]) {
            if let name = string(tool, "name", "tool", required: true), name != "revenant" {
                fail(tool["name"], "tool.name", "\(FieldReader.shown(name)) did not write this report; expected revenant")
            }
            _ = string(tool, "version", "tool")
        } else if top["tool"] == nil { missing(top, "", "tool") }
        if let w = top["watch"] { fail(w, "watch", "a watch report is not a verify run: it cannot be read back") }
        guard let runTree = top["run"] else { missing(top, "", "run"); return nil }
        guard var report = run(runTree) else { return nil }
        if let changes = top["changes"] {
            if let items = changes.arrayValue {
                report.changes = items.enumerated().compactMap { change($1, "changes[\($0)]") }
            } else { fail(changes, "changes", "expected a list, found \(changes.typeName)") }
        }
        guard let results = top["results"] else { missing(top, "", "results"); return nil }
        guard let items = results.arrayValue else {
            fail(results, "results", "expected a list, found \(results.typeName)")
            return nil
        }
        report.results = items.enumerated().compactMap { result($1, "results[\($0)]") }
        if let s = top["summary"], let summary = object(s, "summary", allowed: ["credentials", "by_severity", "by_code", "owners"]),
           let n = integer(summary, "credentials", "summary", min: 0), n != items.count {
            fail(summary["credentials"], "summary.credentials", "says \(n) credentials but results holds \(items.count)")
        }
        return report
    }

    mutating func run(_ tree: Tree) -> RunReport? {
        guard let run = object(tree, "run", allowed: Self.runKeys) else { return nil }
        let id = string(run, "id", "run", required: true)
        let started = requiredDate(run, "started_at", "run")
        let finished = requiredDate(run, "finished_at", "run")
        let complete = bool(run, "complete", "run")
        if run["complete"] == nil { missing(run, "run", "complete") }
        let inventories = stringList(run, "inventories", "run", required: true)
        guard let id, let started, let finished, let complete, let inventories else { return nil }
        var report = RunReport(runID: id, startedAt: started, finishedAt: finished, complete: complete,
                               incompleteReason: string(run, "incomplete_reason", "run"), inventories: inventories,
                               ledgerHead: string(run, "ledger_head", "run"), results: [])
        report.ownerSelection = stringList(run, "owners", "run") ?? []
        report.onlySelection = Set(stringList(run, "only", "run") ?? []).sorted()
        if let t = run["shard"], let shard = object(t, "run.shard", allowed: ["index", "count"]) {
            let count = integer(shard, "count", "run.shard", in: Shard.counts)
            let index = integer(shard, "index", "run.shard", min: 0)
            if shard["count"] == nil { missing(shard, "run.shard", "count") }
            if shard["index"] == nil { missing(shard, "run.shard", "index") }
            if let count, let index {
                report.shard = Shard(index: index, count: count)
                if report.shard == nil { fail(shard["index"], "run.shard.index", "must be below the count \(count), found \(index)") }
            }
        }
        if let t = run["inputs"], let inputs = object(t, "run.inputs", allowed: ["inventory_sha256", "configuration_sha256"]) {
            report.inputs = RunInputDigests(inventory: string(inputs, "inventory_sha256", "run.inputs"),
                                            configuration: string(inputs, "configuration_sha256", "run.inputs"))
        }
        return report
    }

    mutating func requiredDate(_ fields: Fields, _ key: String, _ path: String) -> Date? {
        if fields[key] == nil { missing(fields, path, key) }
        return date(fields, key, path)
    }

    mutating func result(_ tree: Tree, _ path: String) -> CredentialResult? {
        guard let r = object(tree, path, allowed: ["credential", "checks", "findings"]) else { return nil }
        guard let ct = r["credential"] else { missing(r, path, "credential"); return nil }
        let cpath = join(path, "credential")
        guard let c = object(ct, cpath, allowed: Self.credentialKeys) else { return nil }
        let id = string(c, "id", cpath, required: true)
        let kind = choice(c, "kind", cpath, as: CredentialKind.self, required: true)
        let state = choice(c, "state", cpath, as: LifecycleState.self, required: true)
        var checks: [ProbeCheck] = []
        if let list = list(r, "checks", path) {
            checks = list.enumerated().compactMap { check($1, "\(join(path, "checks"))[\($0)]") }
        }
        var findings: [Finding] = []
        if let list = list(r, "findings", path) {
            findings = list.enumerated().compactMap { finding($1, "\(join(path, "findings"))[\($0)]") }
        }
        let credential = Credential(id: id ?? "", kind: kind ?? .apiKey, state: state ?? .active, owner: string(c, "owner", cpath),
                                    issuedAt: date(c, "issued_at", cpath), rotatedAt: date(c, "rotated_at", cpath),
                                    revokedAt: date(c, "revoked_at", cpath), expiresAt: date(c, "expires_at", cpath),
                                    tags: stringMap(c, "tags", cpath) ?? [:], origin: string(c, "origin", cpath) ?? "",
                                    file: string(c, "file", cpath) ?? "")
        var result = CredentialResult(credential: credential, fingerprint: string(c, "fingerprint", cpath), checks: checks, findings: findings)
        result.inventoryIndex = integer(c, "inventory_index", cpath, in: 0...Int(Int32.max))
        guard id != nil, kind != nil, state != nil else { return nil }
        return result
    }

    /// A required list member.
    mutating func list(_ fields: Fields, _ key: String, _ path: String) -> [Tree]? {
        guard let tree = fields[key] else { missing(fields, path, key); return nil }
        guard let items = tree.arrayValue else {
            fail(tree, join(path, key), "expected a list, found \(tree.typeName)")
            return nil
        }
        return items
    }

    mutating func check(_ tree: Tree, _ path: String) -> ProbeCheck? {
        guard let k = object(tree, path, allowed: Self.checkKeys) else { return nil }
        let probe = string(k, "probe", path, required: true)
        let target = string(k, "target", path, required: true)
        let type = string(k, "type", path, required: true)
        let reason = string(k, "reason", path) ?? ""
        if k["reason"] == nil { missing(k, path, "reason") }
        let outcome = outcome(k, "outcome", path, reason: reason)
        if k["outcome"] == nil { missing(k, path, "outcome") }
        var controls = ControlStatus(negative: nil)
        if let t = k["controls"], let c = object(t, join(path, "controls"),
                                                 allowed: ["negative", "negative_reason", "positive", "positive_reason"]) {
            let cpath = join(path, "controls")
            controls.negative = self.outcome(c, "negative", cpath, reason: string(c, "negative_reason", cpath) ?? "")
            controls.positive = self.outcome(c, "positive", cpath, reason: string(c, "positive_reason", cpath) ?? "")
        }
        _ = string(k, "proof", path)
        var revocation: RevocationLookup?
        switch type {
        case "probe"?, nil: if let t = k["revocation"] { fail(t, join(path, "revocation"), "a probe check has no revocation lookup") }
        case let name?:
            if let source = RevocationSource(rawValue: name) {
                if let t = k["revocation"] { revocation = lookup(t, join(path, "revocation"), source: source, url: target ?? "", reason: reason) }
                else { missing(k, path, "revocation") }
            } else {
                fail(k["type"], join(path, "type"), "\(FieldReader.shown(name)) is not a valid type; expected one of: probe, crl, ocsp")
            }
        }
        guard let probe, let target, let outcome else { return nil }
        let duration = integer(k, "duration_ms", path, min: 0) ?? 0
        revocation?.durationMs = duration
        let check = ProbeCheck(probe: probe, target: target, outcome: outcome, controls: controls,
                               httpStatus: integer(k, "http_status", path, min: 0), attempts: integer(k, "attempts", path, min: 0) ?? 1,
                               durationMs: duration, evidence: string(k, "evidence", path), revocation: revocation)
        // The verdict is recomputed from outcome and controls (ProbeCheck.verdict): what the file says must agree.
        if let said = string(k, "verdict", path), said != check.verdict.name {
            fail(k["verdict"], join(path, "verdict"), "says \(FieldReader.shown(said)) but its outcome and controls give \(check.verdict.name)")
        } else if k["verdict"] == nil { missing(k, path, "verdict") }
        return check
    }

    mutating func outcome(_ fields: Fields, _ key: String, _ path: String, reason: String) -> ProbeOutcome? {
        guard let name = string(fields, key, path) else { return nil }
        switch name {
        case "authenticated": return .authenticated(reason: reason)
        case "rejected": return .rejected(reason: reason)
        case "inconclusive": return .inconclusive(reason: reason)
        case "skipped": return .skipped(reason: reason)
        default:
            fail(fields[key], join(path, key), "\(FieldReader.shown(name)) is not a valid outcome; expected one of: authenticated, rejected, inconclusive, skipped")
            return nil
        }
    }

    mutating func lookup(_ tree: Tree, _ path: String, source: RevocationSource, url: String, reason: String) -> RevocationLookup? {
        guard let r = object(tree, path, allowed: ["status", "revoked_at", "reason", "crl_number", "produced_at", "this_update", "next_update"])
        else { return nil }
        let status: RevocationStatus
        switch string(r, "status", path, required: true) {
        case "good"?: status = .good
        case "revoked"?: status = .revoked(at: date(r, "revoked_at", path), reason: string(r, "reason", path))
        case "unknown"?: status = .unknown
        // The check's reason is "<source>: <why>" (RevocationLookup.outcome).
        case "unavailable"?: status = .unavailable(String(reason.dropFirst(reason.hasPrefix(source.rawValue + ": ") ? source.rawValue.count + 2 : 0)))
        case let other?:
            fail(r["status"], join(path, "status"), "\(FieldReader.shown(other)) is not a valid status; expected one of: good, revoked, unknown, unavailable")
            return nil
        case nil: return nil
        }
        return RevocationLookup(source: source, url: url, status: status, crlNumber: string(r, "crl_number", path),
                                producedAt: date(r, "produced_at", path), thisUpdate: date(r, "this_update", path),
                                nextUpdate: date(r, "next_update", path))
    }

    mutating func finding(_ tree: Tree, _ path: String) -> Finding? {
        guard let f = object(tree, path, allowed: ["code", "severity", "message", "advice", "references"]) else { return nil }
        let code = choice(f, "code", path, as: FindingCode.self, required: true)
        let severity = choice(f, "severity", path, as: Severity.self, required: true)
        let message = string(f, "message", path)
        if f["message"] == nil { missing(f, path, "message") }
        _ = string(f, "advice", path)
        _ = stringList(f, "references", path)
        guard let code, let severity, let message else { return nil }
        return Finding(code: code, severity: severity, message: message)
    }

    mutating func change(_ tree: Tree, _ path: String) -> StateChange? {
        guard let c = object(tree, path, allowed: ["kind", "credential", "fingerprint", "probe", "target", "from", "to", "since_run", "since"])
        else { return nil }
        let kind = choice(c, "kind", path, as: StateChange.Kind.self, required: true)
        let credential = string(c, "credential", path, required: true)
        let fingerprint = string(c, "fingerprint", path, required: true)
        let from = string(c, "from", path, required: true)
        let to = string(c, "to", path, required: true)
        let sinceRun = string(c, "since_run", path, required: true)
        let since = requiredDate(c, "since", path)
        guard let kind, let credential, let fingerprint, let from, let to, let sinceRun, let since else { return nil }
        return StateChange(kind: kind, credential: credential, fingerprint: fingerprint, probe: string(c, "probe", path),
                           target: string(c, "target", path), from: from, to: to, since: RunMoment(run: sinceRun, at: since))
    }
}

import RevenantCore
import RevenantEngine
import RevenantProbes
import RevenantReports

/// `--dry-run`: what would be sent where, with fingerprints only.
enum PlanPrinter {
    /// The formats a plan is printed in (`verify --dry-run` refuses the others).
    static let formats: [ReportFormat] = [.table, .json, .jsonl]

    static func render(_ plan: VerifyPlan, format: ReportFormat, groupBy: ReportGrouping? = nil) -> String {
        var entries: [Tree] = []
        var lines: [String] = []
        let credentials = plan.inventory.credentials
        let order = groupBy == .owner ? byOwner(credentials) : Array(credentials.indices)
        for ci in order {
            let credential = credentials[ci]
            // A secret that is not UTF-8 goes out as its bytes: say so, the bytes themselves never.
            let bytes = plan.secrets[ci].flatMap { !$0.isUTF8 ? " (\($0.bytes.count) bytes, not UTF-8: sent as stored)" : nil } ?? ""
            let fp = (plan.fingerprints[ci] ?? "(no secret)") + bytes
            if plan.checks[ci].isEmpty {
                lines.append("NO PROBE  \(credential.id)  \(fp)  (lifecycle checks only)")
            }
            for check in plan.checks[ci] {
                let probe = check.pair.map { plan.pairs[$0].probe }
                let action = check.skipReason == nil ? "send" : "skip"
                lines.append("\(action.uppercased())  \(credential.id)  \(fp)  \(probe?.request.method ?? "-") \(check.displayURL)"
                             + (check.skipReason.map { "  — \($0)" } ?? "  (auth: \(probe.map { describe($0.auth) } ?? "-"))"))
                entries.append(.object([
                    ("credential", .string(credential.id)), ("fingerprint", .optional(plan.fingerprints[ci])),
                    ("utf8", .bool(plan.secrets[ci]?.isUTF8 ?? true)),
                    ("probe", .string(check.probeID)), ("target", .string(check.displayURL)),
                    ("action", .string(action)), ("reason", .optional(check.skipReason)),
                ]))
            }
        }
        let controls = plan.pairs.map { "CONTROL  negative\($0.positiveSecret == nil ? "" : " + positive")  \($0.probe.id) \($0.target.base)" }
        if format == .jsonl {
            return entries.map { $0.serialized() + "\n" }.joined()
        }
        if format == .json {
            return Tree.object([
                ("schema", .string("revenant.plan/v1")),
                ("checks", .array(entries)),
                ("controls", .array(plan.pairs.map { .object([("probe", .string($0.probe.id)), ("target", .string($0.target.base)),
                                                             ("positive", .bool($0.positiveSecret != nil))]) })),
                ("hosts", .object(plan.hostLimits.sorted { $0.key < $1.key }.map { ($0.key, Tree.object([
                    ("max_in_flight", .int($0.value.maxInFlight)),
                    ("requests_per_second", $0.value.requestsPerSecond.map { Tree(.number(String($0)), line: 0) } ?? .null),
                ])) })),
            ]).serialized(indent: 2) + "\n"
        }
        return "revenant verify --dry-run: nothing is sent\n\n" + (controls + lines).joined(separator: "\n")
            + "\n\n\(plan.sendCount) checks would be sent to \(plan.hostLimits.count) hosts, after \(plan.pairs.count) negative controls\n"
    }

    /// `--group-by owner`: credentials by owner (`OwnerSelection.key`), those with none last, in
    /// inventory order within an owner, as the run's reports order them.
    static func byOwner(_ credentials: [Credential]) -> [Int] {
        let keys = credentials.map { OwnerSelection.key($0.owner) }
        return credentials.indices.sorted { a, b in
            switch (keys[a], keys[b]) {
            case let (x?, y?): x != y ? x < y : a < b
            case (_?, nil): true
            case (nil, _?): false
            case (nil, nil): a < b
            }
        }
    }

    static func describe(_ auth: AuthScheme) -> String {
        switch auth {
        case .bearer: "Authorization: Bearer <secret>"
        case .basic(_, let inUser): inUser ? "basic <secret>:" : "basic <username>:<secret>"
        case .header(let name, let prefix): "\(name): \(prefix)<secret>"
        case .query(let name): "?\(name)=<secret>"
        case .login: "login <username> with <secret>"
        case .awsSigV4(let provider): "AWS SigV4 (\(provider)) signed with <access_key_id>/<secret>"
        case .introspection(let client, _, _): "POST token=<secret>, client \(client)"
        case .scim(_, let attribute): "filter=\(attribute) eq <username>, operator token"
        case .clientCertificate: "TLS client certificate <certificate> + <private_key>"
        case .tokenRequest(let method, let scope): "POST \(method == .jwtBearer ? "grant_type=jwt-bearer, assertion signed with <secret>" : "grant_type=client_credentials, \(method.rawValue) <username>:<secret>")\(scope.map { ", scope \($0)" } ?? "")"
        }
    }
}

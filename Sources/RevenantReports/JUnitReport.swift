import Foundation
import RevenantCore

/// JUnit XML for CI test reports: a test suite per credential, a test case per check (probe, CRL,
/// OCSP), and a `<failure>` per finding at or above `--fail-on` (docs/reports.md, "JUnit XML").
public enum JUnitReport {
    /// Name of the test case that holds a credential's findings no check shows (expiry, rotation,
    /// weak crypto, no owner, or a credential with no check at all).
    public static let lifecycleCase = "lifecycle"

    static func write(_ report: RunReport, failOn: Severity?, groupBy: ReportGrouping? = nil, emit: ([UInt8]) -> Void) {
        let order = groupBy?.order(report, OwnerSummary(report)) ?? Array(report.results.indices)
        var suites: [Suite] = order.map { Suite(report.results[$0], failOn: failOn) }
        if !report.complete {
            // The run did not finish: CI must not read the missing checks as passed.
            suites.append(Suite(name: "revenant", properties: [], cases: [
                Case(name: "run", classname: "revenant", seconds: 0, failures: [], skipped: nil,
                     error: "run incomplete: " + (report.incompleteReason ?? "interrupted"), output: nil),
            ]))
        }
        let all = suites.flatMap(\.cases)
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += "<testsuites" + attributes([
            ("name", "revenant \(report.command)"), ("tests", String(all.count)),
            ("failures", String(all.reduce(0) { $0 + $1.failures.count })), ("errors", String(all.filter { $0.error != nil }.count)),
            ("skipped", String(all.filter { $0.isSkipped }.count)),
            ("time", seconds(report.finishedAt.timeIntervalSince(report.startedAt))), ("timestamp", Timestamp.format(report.startedAt)),
        ]) + ">\n"
        emit(Array(out.utf8))
        for suite in suites {
            emit(Array(suite.xml(timestamp: Timestamp.format(report.startedAt)).utf8))
        }
        emit(Array("</testsuites>\n".utf8))
    }

    /// One credential's test suite.
    struct Suite {
        var name: String
        var properties: [(String, String)]
        var cases: [Case]

        init(name: String, properties: [(String, String)], cases: [Case]) {
            (self.name, self.properties, self.cases) = (name, properties, cases)
        }

        init(_ r: CredentialResult, failOn: Severity?) {
            let c = r.credential
            name = c.id
            properties = [("kind", c.kind.rawValue), ("state", c.state.rawValue), ("owner", c.owner ?? ""),
                          ("fingerprint", r.fingerprint ?? ""), ("inventory", c.file + (c.line.map { ":\($0)" } ?? ""))]
            var failures = Array(repeating: [Finding](), count: r.checks.count)
            var unplaced: [Finding] = []
            for f in r.findings where failOn.map({ f.severity >= $0 }) ?? false {
                if let i = JUnitReport.check(showing: f, in: r) { failures[i].append(f) } else { unplaced.append(f) }
            }
            cases = r.checks.enumerated().map { i, k in
                var unproven: String?
                if case .unproven(let why) = k.verdict { unproven = why }
                return Case(name: "\(k.probe) \(k.target)", classname: c.id, seconds: Double(k.durationMs) / 1000, failures: failures[i],
                            skipped: unproven, error: nil,
                            output: "\(k.outcome.name)" + (k.httpStatus.map { " (HTTP \($0))" } ?? "") + ": \(k.outcome.reason)")
            }
            if r.checks.isEmpty || !unplaced.isEmpty {
                let summary = r.findings.map { "\($0.severity.rawValue) \($0.code.rawValue): \($0.message)" }.joined(separator: "\n")
                cases.append(Case(name: JUnitReport.lifecycleCase, classname: c.id, seconds: 0, failures: unplaced, skipped: nil, error: nil,
                                  output: summary.isEmpty ? nil : summary))
            }
        }

        func xml(timestamp: String) -> String {
            var out = "  <testsuite" + attributes([
                ("name", name), ("tests", String(cases.count)), ("failures", String(cases.reduce(0) { $0 + $1.failures.count })),
                ("errors", String(cases.filter { $0.error != nil }.count)), ("skipped", String(cases.filter(\.isSkipped).count)),
                ("time", seconds(cases.reduce(0) { $0 + $1.seconds })), ("timestamp", timestamp),
            ]) + ">\n"
            if !properties.isEmpty {
                out += "    <properties>\n"
                for (k, v) in properties { out += "      <property" + attributes([("name", k), ("value", v)]) + "/>\n" }
                out += "    </properties>\n"
            }
            for c in cases { out += c.xml }
            return out + "  </testsuite>\n"
        }
    }

    /// One check of one credential.
    struct Case {
        var name: String
        var classname: String
        var seconds: Double
        var failures: [Finding]
        /// Why the check proved nothing (shown as skipped when no failure is on it).
        var skipped: String?
        var error: String?
        var output: String?

        var isSkipped: Bool { failures.isEmpty && error == nil && skipped != nil }

        var xml: String {
            var out = "    <testcase" + attributes([("name", name), ("classname", classname), ("time", JUnitReport.seconds(seconds))])
            var body = ""
            for f in failures {
                body += "      <failure" + attributes([("message", "\(f.severity.rawValue) \(f.code.rawValue): \(f.message)"), ("type", f.code.rawValue)])
                    + ">" + escaped(f.message + "\n\n" + f.code.advice, attribute: false) + "</failure>\n"
            }
            if let error { body += "      <error" + attributes([("message", error), ("type", "incomplete")]) + "/>\n" }
            if isSkipped, let why = skipped { body += "      <skipped" + attributes([("message", why)]) + "/>\n" }
            if let output { body += "      <system-out>" + escaped(output, attribute: false) + "</system-out>\n" }
            out += body.isEmpty ? "/>\n" : ">\n" + body + "    </testcase>\n"
            return out
        }
    }

    /// The check a finding is about: the first whose verdict shows it (an acceptance for a finding
    /// that the credential still works, the CA's "good" for `not_revoked_at_ca`, a check that
    /// proved nothing for `revocation_unverified` and `check_failed`, a rejection for
    /// `inventory_drift`); nil for findings about the credential itself.
    static func check(showing f: Finding, in r: CredentialResult) -> Int? {
        r.checks.firstIndex { k in
            switch f.code {
            case .residualAccess, .expiredStillAccepted, .cameBackToLife: k.revocation == nil && k.verdict == .authenticated
            case .notRevokedAtCA: k.revocation?.status == .good
            case .revocationUnverified, .checkFailed: if case .unproven = k.verdict { true } else { false }
            case .inventoryDrift: k.verdict == .rejected
            case .rotationNotDeployed, .expired, .expiringSoon, .rotationOverdue, .weakCrypto, .ownerless, .revocationVerified, .ok: false
            case .crlStale, .crlExpiring, .ocspResponderDown, .ocspResponderUnauthorized, .ocspResponderCertExpiring: false
            }
        }
    }

    static func seconds(_ s: Double) -> String { String(format: "%.3f", max(0, s)) }

    static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(escaped($0.1, attribute: true))\"" }.joined()
    }

    /// `text` as XML 1.0 character data or an attribute value: markup characters as entities,
    /// characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) removed, and in attributes
    /// tab, line feed and carriage return as character references (a parser would turn them into spaces).
    static func escaped(_ text: String, attribute: Bool) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            switch s {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&apos;"
            case "\t" where attribute: out += "&#9;"
            case "\n" where attribute: out += "&#10;"
            case "\r": out += "&#13;"
            default:
                if isXMLChar(s) { out.unicodeScalars.append(s) }
            }
        }
        return out
    }

    /// XML 1.0 `Char` (§2.2): #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
    static func isXMLChar(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}

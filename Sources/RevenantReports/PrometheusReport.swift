import Foundation
import RevenantCore

/// The Prometheus text exposition format (0.0.4), for node_exporter's textfile collector
/// (docs/prometheus.md): every metric a gauge named `revenant_…` with HELP and TYPE, no
/// timestamps (the collector refuses them), label values escaped as the format says, never a secret.
///
/// Every series carries `command` (`verify`, `certs`, `watch`), so the files of several commands
/// can sit in one textfile directory without two of them writing the same series. Per-credential
/// metrics are capped (`limits`); what a cap leaves out is counted in `revenant_series_truncated`.
public enum PrometheusReport {
    /// At most this many series per per-credential metric: the soonest-expiring certificates, the
    /// first live places and watch targets in report order. One scrape of a file must stay small.
    static let limits = (residualAccess: 1_000, certificateExpiry: 10_000, watchTargets: 1_000)

    static func write(_ report: RunReport, emit: ([UInt8]) -> Void) {
        var out = Exposition(command: report.command)
        let started = report.startedAt.timeIntervalSince1970
        let finished = report.finishedAt.timeIntervalSince1970
        out.metric("revenant_build_info", "The revenant version that wrote this file (always 1).", [(["version": JSONReport.version], 1)])
        out.metric("revenant_run_start_timestamp_seconds", "When the run started, in seconds since the Unix epoch.", [([:], started)])
        out.metric("revenant_run_finish_timestamp_seconds", "When the run finished, in seconds since the Unix epoch.", [([:], finished)])
        out.metric("revenant_run_duration_seconds", "How long the run took.", [([:], max(0, finished - started))])
        out.metric("revenant_run_complete", "1 when the run completed, 0 when it was interrupted or failed part way (results are partial).",
                   [([:], report.complete ? 1 : 0)])

        var byState: [LifecycleState: Int] = [:]
        for r in report.results { byState[r.credential.state, default: 0] += 1 }
        out.metric("revenant_credentials", "Credentials (or certificates) in the run, by the lifecycle state the inventory gives.",
                   LifecycleState.allCases.map { (["state": $0.rawValue], Double(byState[$0] ?? 0)) })

        // Every code is present (0 when absent, at its default severity), so an alert on one reads 0, not nothing.
        var findings: [FindingCode: [Severity: Int]] = [:]
        for r in report.results { for f in r.findings { findings[f.code, default: [:]][f.severity, default: 0] += 1 } }
        out.metric("revenant_findings", "Findings of the run by code and severity.", FindingCode.allCases.flatMap { code in
            let seen = findings[code] ?? [code.defaultSeverity: 0]
            return Severity.allCases.reversed().compactMap { s in seen[s].map { (["code": code.rawValue, "severity": s.rawValue], Double($0)) } }
        })

        var checks: [String: [String: Int]] = [:]
        for r in report.results { for k in r.checks { checks[k.probe, default: [:]][k.outcome.name, default: 0] += 1 } }
        let outcomes = ["authenticated", "rejected", "inconclusive", "skipped"]
        out.metric("revenant_checks", "Checks (probe attempts, CRL and OCSP lookups) by probe and outcome.", checks.keys.sorted().flatMap { probe in
            outcomes.map { (["probe": probe, "outcome": $0], Double(checks[probe]?[$0] ?? 0)) }
        })

        var live: [([String: String], Double)] = []
        var liveCount = 0
        for r in report.results {
            // Not only should-be-dead credentials: an active one past its expiry that still works
            // (`expired_still_accepted`, critical) must reach the residual-access alert too.
            for p in OwnerSummary.livePlaces(of: r) {
                liveCount += 1
                guard live.count < limits.residualAccess else { continue }
                live.append((["credential": p.credential, "owner": r.credential.owner ?? "", "probe": p.probe ?? "", "target": p.target ?? "",
                              "finding": p.finding.rawValue], 1))
            }
        }
        out.metric("revenant_residual_access",
                   "1 for each place a should-be-dead or expired credential still works (credential, owner, probe, target, and the finding that says so).", live)

        let dated = report.results.compactMap { r in r.credential.expiresAt.map { (r.credential, $0) } }.sorted { $0.1 < $1.1 }
        out.metric("revenant_certificate_expiry_timestamp_seconds",
                   "When a certificate (its notAfter) or a credential (its expires_at) expires, in seconds since the Unix epoch.",
                   dated.prefix(limits.certificateExpiry).map { c, at in
                       (["credential": c.id, "owner": c.owner ?? "", "kind": c.kind.rawValue, "state": c.state.rawValue], at.timeIntervalSince1970)
                   })

        var watched = 0
        if let w = report.watch {
            let entries = Array(w.entries.joined())
            watched = entries.count
            out.metric("revenant_watch_rounds", "Rounds the watch ran.", [([:], Double(w.rounds))])
            out.metric("revenant_watch_targets", "Credential×target pairs the watch waited on, by status (dead: proven rejected).",
                       ["live", "dead", "unknown"].map { s in (["status": s], Double(entries.filter { $0.status.rawValue == s }.count)) })
            var latencies: [([String: String], Double)] = []
            for e in entries.prefix(limits.watchTargets) {
                let labels = ["credential": e.credential, "owner": e.owner ?? "", "probe": e.probe, "target": e.target]
                if let s = e.latency(from: w.startedAt) { latencies.append((labels.merging(["since": "watch_start"]) { a, _ in a }, s)) }
                if let revoked = e.revokedAt, let s = e.latency(from: revoked) { latencies.append((labels.merging(["since": "revoked"]) { a, _ in a }, s)) }
            }
            out.metric("revenant_watch_dead_latency_seconds",
                       "Time from the recorded revocation (since=revoked) or the watch's start (since=watch_start) until the target proved the credential dead.",
                       latencies)
        }

        out.metric("revenant_series_truncated", "Series left out of a capped metric (see docs/prometheus.md).", [
            (["metric": "revenant_residual_access"], Double(max(0, liveCount - limits.residualAccess))),
            (["metric": "revenant_certificate_expiry_timestamp_seconds"], Double(max(0, dated.count - limits.certificateExpiry))),
            (["metric": "revenant_watch_dead_latency_seconds"], Double(max(0, watched - limits.watchTargets))),
        ])
        emit(Array(out.text.utf8))
    }

    /// The exposition being written: one block per metric, a series written once.
    struct Exposition {
        let command: String
        var text = ""

        init(command: String) { self.command = command }

        /// A gauge's HELP and TYPE lines, then its series; a label set seen twice is written once
        /// (two identical series make the collector drop the whole file).
        mutating func metric(_ name: String, _ help: String, _ series: [([String: String], Double)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            var written = Set<String>()
            for (labels, value) in series {
                let all = [("command", command)] + labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                let set = "{" + all.map { "\($0.0)=\"\(PrometheusReport.escape($0.1))\"" }.joined(separator: ",") + "}"
                guard written.insert(set).inserted else { continue }
                text += name + set + " " + PrometheusReport.number(value) + "\n"
            }
        }
    }

    /// A label value as the text format wants it: `\` `"` and newline escaped; any other control
    /// character or bidi override (which a scraper could not show honestly) as `?`.
    public static func escape(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ServerText.isControl(scalar) ? "?" : scalar)
            }
        }
        return out
    }

    /// Whole numbers without a fraction, others to the millisecond.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.3f", value)
    }
}

import Foundation

/// What a run means next to the runs before it: `came_back_to_life` and the report's changes.
/// Pure: history's answers for this run's checks are an argument.
public enum HistoryVerdict {
    /// Adds a `came_back_to_life` finding to every should-be-dead credential that authenticates
    /// (controls held) where an earlier run proved it rejected, and lists what changed since the
    /// last run that checked the same secret at the same target.
    public static func apply(to report: inout RunReport, prior: [CheckKey: PriorCheck]) {
        guard !prior.isEmpty else { return }
        var changes: [StateChange] = []
        for i in report.results.indices {
            guard let fingerprint = report.results[i].fingerprint else { continue }
            let credential = report.results[i].credential
            var revived: [String] = []
            var stateChange: StateChange?
            for check in report.results[i].checks {
                guard let before = prior[CheckKey(fingerprint: fingerprint, probe: check.probe, target: check.target)] else { continue }
                if stateChange == nil, let was = before.state, was != credential.state {
                    stateChange = StateChange(kind: .state, credential: credential.id, fingerprint: fingerprint, probe: nil, target: nil,
                                              from: was.rawValue, to: credential.state.rawValue, since: before.last)
                }
                let now = RecordedVerdict(check.verdict)
                guard now != .unproven else { continue }
                if let was = before.definitive, was != now, let since = before.definitiveAt {
                    changes.append(StateChange(kind: .verdict, credential: credential.id, fingerprint: fingerprint, probe: check.probe,
                                               target: check.target, from: was.word, to: now.word, since: since))
                }
                // An active credential that works again is no alarm; one that should be dead is the worst news there is.
                if now == .authenticated, credential.state.shouldBeDead, let dead = before.provenDead {
                    revived.append("\(check.target) (proven dead by run \(dead.run) at \(Timestamp.format(dead.at)))")
                }
            }
            if let stateChange { changes.append(stateChange) }
            if !revived.isEmpty {
                // First among equals: of two criticals, this one says more.
                report.results[i].findings = FindingSet([Finding(
                    code: .cameBackToLife,
                    message: "\(credential.state.rawValue) credential proven dead earlier authenticates again at " + revived.joined(separator: "; "))])
                    .merging(report.results[i].findings).findings
            }
        }
        report.changes = changes
    }
}

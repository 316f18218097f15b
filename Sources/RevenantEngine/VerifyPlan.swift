import RevenantCore
import RevenantProbes

/// One (credential, probe, target) the run will try, or why it will not.
public struct PlannedCheck: Sendable {
    public var probeID: String
    /// What reports show: base URL + request path (never the secret).
    public var displayURL: String
    /// Set when nothing will be sent; becomes a `skipped` outcome.
    public var skipReason: String?
    /// Index into `VerifyPlan.pairs` when the check will be sent.
    public var pair: Int?
}

/// A (probe, target) pair: where controls run and whose results they vouch for.
public struct ControlPair: Sendable {
    public var probe: ProbeDefinition
    public var target: TargetURL
    /// Username for a basic-auth negative control (the first credential's on this pair).
    public var username: String?
    public var positiveSecret: String?
    public var positiveUsername: String?
    /// Set when the inventory names a positive control here that could not be used.
    public var positiveProblem: String?
}

/// Everything resolved before anything is sent: what `--dry-run` prints and `run` executes.
public struct VerifyPlan: Sendable {
    public var inventory: Inventory
    public var secrets: [String?]
    public var fingerprints: [String?]
    public var checks: [[PlannedCheck]]
    public var pairs: [ControlPair]
    public var hostLimits: [String: HostLimits]
    /// Problems that do not stop the run (unreadable positive-control secrets, ...).
    public var warnings: [String]
    /// Problems that must stop the run before anything is sent (exit 2).
    public var inputErrors: [String] = []

    public var sendCount: Int { checks.reduce(0) { $0 + $1.filter { $0.pair != nil }.count } }
}

/// Identifies a (probe, target) pair.
struct PairKey: Hashable {
    var probe: String
    var base: String
}

/// Builds the plan: resolves secrets, probes, targets and allowed hosts; sends nothing.
public enum VerifyPlanner {
    public static func plan(
        inventory: Inventory, probes: [String: ProbeDefinition], configuration: Configuration,
        resolver: SecretResolver, fingerprinter: Fingerprinter
    ) -> VerifyPlan {
        var secrets: [String?] = []
        var fingerprints: [String?] = []
        var checks: [[PlannedCheck]] = []
        var pairs: [ControlPair] = []
        var pairIndex: [PairKey: Int] = [:]
        var hostLimits: [String: HostLimits] = [:]
        var warnings = inventory.warnings
        var inputErrors: [String] = []
        var parsedTargets: [String: TargetURL?] = [:]
        secrets.reserveCapacity(inventory.credentials.count)

        for credential in inventory.credentials {
            var secret: String?
            var secretProblem: String?
            if let source = credential.secret {
                switch resolver.resolve(source) {
                case .success(let s): secret = s
                case .failure(let e): secretProblem = e.reason
                }
            } else {
                secretProblem = "no secret in the inventory"
            }
            secrets.append(secret)
            fingerprints.append(secret.map(fingerprinter.fingerprint))
            var planned: [PlannedCheck] = []
            for t in credential.targets {
                guard let probe = probes[t.probe] else {
                    planned.append(PlannedCheck(probeID: t.probe, displayURL: t.target ?? "", skipReason: "unknown probe `\(t.probe)` (see `revenant probes list`)"))
                    continue
                }
                let text = t.target ?? probe.defaultTarget
                guard let text else {
                    planned.append(PlannedCheck(probeID: probe.id, displayURL: "", skipReason: "no target given and probe `\(probe.id)` has no default_target"))
                    continue
                }
                let parsed = parsedTargets[text] ?? { let t = TargetURL(text); parsedTargets[text] = t; return t }()
                guard let target = parsed else {
                    // The text is not shown: a malformed target may carry a password.
                    planned.append(PlannedCheck(probeID: probe.id, displayURL: "(unusable target)", skipReason: "target is not an http(s) base URL without user info, query or fragment"))
                    continue
                }
                let display = ProbeRequestBuilder.displayURL(probe, target: target)
                var check = PlannedCheck(probeID: probe.id, displayURL: display)
                if !HostPattern.allows(probe.allowedHosts, target.host) {
                    check.skipReason = "host \(target.host) is not in allowed_hosts of probe `\(probe.id)` (\(probe.allowedHosts.joined(separator: ", "))): the secret is not sent there"
                } else if !probe.kinds.contains(credential.kind) {
                    check.skipReason = "probe `\(probe.id)` does not take kind \(credential.kind.rawValue) (it takes \(probe.kinds.map(\.rawValue).joined(separator: ", ")))"
                } else if let secretProblem {
                    check.skipReason = secretProblem
                } else if case .basic(let defaultUser, let secretInUsername) = probe.auth, !secretInUsername,
                          (credential.username ?? defaultUser ?? "").isEmpty {
                    // `:secret` would be rejected whoever holds the password: that proves nothing.
                    check.skipReason = "probe `\(probe.id)` uses basic auth but the credential has no `username` (and the probe no default)"
                } else {
                    let key = PairKey(probe: probe.id, base: target.base)
                    if let i = pairIndex[key] {
                        check.pair = i
                    } else {
                        pairIndex[key] = pairs.count
                        check.pair = pairs.count
                        pairs.append(ControlPair(probe: probe, target: target, username: credential.username))
                    }
                    var limits = hostLimits[target.authority] ?? configuration.perHost
                    if let own = probe.rateLimit { limits = limits.tightened(by: own) }
                    hostLimits[target.authority] = limits
                }
                planned.append(check)
            }
            checks.append(planned)
        }

        for control in inventory.controls {
            guard let probe = probes[control.probe] else {
                // A typo here would silently drop the control that rejections depend on.
                inputErrors.append("\(control.origin): positive control names unknown probe `\(control.probe)`")
                continue
            }
            guard let target = TargetURL(control.target ?? probe.defaultTarget ?? "") else {
                warnings.append("\(control.origin): positive control for \(probe.id) has no usable target")
                continue
            }
            guard HostPattern.allows(probe.allowedHosts, target.host) else {
                warnings.append("\(control.origin): positive control target host \(target.host) is not in allowed_hosts of `\(probe.id)`: not sent")
                continue
            }
            guard let i = pairIndex[PairKey(probe: probe.id, base: target.base)] else {
                warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) matches no credential's probe and target: it checks nothing")
                continue
            }
            switch resolver.resolve(control.secret) {
            case .success(let s):
                pairs[i].positiveSecret = s
                pairs[i].positiveUsername = control.username ?? pairs[i].username
            case .failure(let e):
                // The control was meant to vouch for rejections here: without it, they prove nothing.
                pairs[i].positiveProblem = "the positive control could not be used (\(e.reason))"
                warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not used: \(e.reason); rejections there will not count")
            }
        }
        return VerifyPlan(inventory: inventory, secrets: secrets, fingerprints: fingerprints, checks: checks,
                          pairs: pairs, hostLimits: hostLimits, warnings: warnings, inputErrors: inputErrors)
    }
}

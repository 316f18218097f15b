import Foundation

/// Turns a credential's lifecycle facts and its checks into findings. Pure: `now` is an argument.
public enum Classifier {
    /// No owner, or only whitespace. An owner that begins with a printable ASCII character is not
    /// blank (a Character is whitespace by its first scalar): once per credential, without
    /// breaking the text into Characters.
    static func isBlank(_ owner: String?) -> Bool {
        guard let owner else { return true }
        if let first = owner.utf8.first, first > 0x20 && first < 0x7F { return false }
        return owner.allSatisfy(\.isWhitespace)
    }

    public static func findings(for credential: Credential, checks: [ProbeCheck], policy: Policy, now: Date) -> [Finding] {
        var findings: [Finding] = []
        let accepted = checks.filter { $0.verdict == .authenticated }
        let rejected = checks.filter { $0.verdict == .rejected }
        let unproven = checks.compactMap { check -> String? in
            if case .unproven(let why) = check.verdict { return "\(check.target): \(why)" }
            return nil
        }
        let expiredAt = credential.expiresAt.flatMap { $0 <= now ? $0 : nil }
        let acceptedWhere = accepted.map { check in
            check.controls.acceptanceCaveat.map { "\(check.target) [\($0)]" } ?? check.target
        }.joined(separator: ", ")

        if credential.state.shouldBeDead {
            if !accepted.isEmpty {
                findings.append(Finding(
                    code: .residualAccess,
                    message: "\(credential.state.rawValue) credential still authenticates at \(acceptedWhere)"
                        + (credential.revokedAt.map { " (recorded revoked at \(Timestamp.format($0)))" } ?? "")))
            } else if checks.isEmpty {
                findings.append(Finding(code: .revocationUnverified, message: "\(credential.state.rawValue) credential has no probe: nothing proves it dead"))
            } else if unproven.isEmpty {
                findings.append(Finding(
                    code: .revocationVerified,
                    message: "rejected at every target probed: " + rejected.map(\.target).joined(separator: ", ")))
            } else {
                findings.append(Finding(
                    code: .revocationUnverified,
                    message: "\(credential.state.rawValue) credential not definitively rejected: " + unproven.joined(separator: "; ")))
            }
        } else {
            if let expiredAt {
                findings.append(Finding(code: .expired, message: "active credential expired at \(Timestamp.format(expiredAt))"))
            }
            if !rejected.isEmpty {
                findings.append(Finding(
                    code: .inventoryDrift,
                    message: "inventory says active, but rejected at " + rejected.map(\.target).joined(separator: ", ")))
            }
            if !checks.isEmpty && accepted.isEmpty && rejected.isEmpty {
                // Probes were meant to run and none answered: a nightly run must not be silently partial.
                findings.append(Finding(code: .checkFailed, message: "active credential could not be checked: " + unproven.joined(separator: "; ")))
            }
        }
        if let expiredAt, !accepted.isEmpty {
            findings.append(Finding(
                code: .expiredStillAccepted,
                message: "expired at \(Timestamp.format(expiredAt)) but still authenticates at \(acceptedWhere)"))
        }
        if credential.state == .active {
            findings += lifecycleFindings(for: credential, policy: policy, now: now)
        }
        if Classifier.isBlank(credential.owner) {
            findings.append(Finding(code: .ownerless, message: "no owner recorded: nobody answers for this credential"))
        }
        let worst = findings.map(\.severity).max() ?? .info
        if credential.state == .active, worst <= .low, !accepted.isEmpty, unproven.isEmpty, rejected.isEmpty {
            findings.append(Finding(code: .ok, message: "active, authenticates, within policy"))
        }
        return FindingSet(findings).findings
    }

    /// Expiry warning and rotation age of an active credential.
    static func lifecycleFindings(for credential: Credential, policy: Policy, now: Date) -> [Finding] {
        var findings: [Finding] = []
        if let expires = credential.expiresAt, expires > now {
            let days = expires.timeIntervalSince(now) / 86_400
            if days <= Double(policy.expiryWarningDays) {
                findings.append(Finding(
                    code: .expiringSoon,
                    message: "expires at \(Timestamp.format(expires)) (in \(Int(days.rounded(.down))) days; warning at \(policy.expiryWarningDays))"))
            }
        }
        let limit = policy.maxRotationAge(for: credential.kind)
        if let since = credential.rotatedAt ?? credential.issuedAt {
            let age = now.timeIntervalSince(since) / 86_400
            if age > Double(limit) {
                let field = credential.rotatedAt == nil ? "issued_at" : "rotated_at"
                // Whole days, except just past the limit, where "90 days …; policy allows 90" would read as within it.
                let whole = Int(age.rounded(.down))
                let ageText = whole > limit ? "\(whole) days" : "more than \(limit) days"
                findings.append(Finding(
                    code: .rotationOverdue,
                    message: "\(ageText) since \(field) \(Timestamp.format(since)); policy allows \(limit)"))
            }
        }
        return findings
    }
}

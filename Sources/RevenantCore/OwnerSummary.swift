import Foundation

/// The offboarding view of a run: per owner, how many of their credentials are proven dead, still
/// live, or unverified ("everything Dana owned is dead", or what stands in the way). Pure: built
/// from a `RunReport` alone.
///
/// The rule, per credential (`standing(of:)`), reads the findings the verdict rules gave, never the
/// raw outcomes alone:
/// - `active` credentials are counted apart: nobody claims they are dead.
/// - A should-be-dead credential with any finding that shows it still works (`residual_access`,
///   `expired_still_accepted`, `not_revoked_at_ca`, `rotation_not_deployed`) is **still live**,
///   whatever else it has.
/// - It is **proven dead** only with `revocation_verified`, no finding that doubts it
///   (`revocation_unverified`, `check_failed`), and every probe check a counted rejection.
/// - Anything else is **unverified**: an inconclusive or skipped check, failed controls, no probe,
///   or no finding that says either way. A false "all dead" is the worst thing this report can say,
///   so the absence of proof is never read as proof.
public struct OwnerSummary: Sendable, Equatable {
    /// Every owner of the run, by owner (`OwnerSelection.key`), credentials with no owner last.
    public var owners: [OwnerTally]

    public init(_ report: RunReport) {
        var tallies: [OwnerTally] = []
        var slot: [String?: Int] = [:]
        // By index: a result taken out of the array whole is a copy of all it holds, per result.
        for index in report.results.indices {
            let owner = report.results[index].credential.owner
            let key = OwnerSelection.key(owner)
            let at: Int
            if let known = slot[key] {
                at = known
            } else {
                at = tallies.count
                slot[key] = at
                tallies.append(OwnerTally(owner: key == nil ? nil : owner?.trimmingCharacters(in: .whitespacesAndNewlines), key: key))
            }
            tallies[at].add(index, Self.standing(of: report.results[index]))
        }
        owners = tallies.sorted { a, b in
            switch (a.key, b.key) {
            case let (x?, y?): x < y
            case (_?, nil): true
            case (nil, _): false
            }
        }
    }

    /// Owners with something still live first, then those with something unverified, then the
    /// rest, each in owner order: what a capped list shows first.
    public var worstFirst: [OwnerTally] {
        owners.enumerated().sorted { a, b in
            a.element.urgency != b.element.urgency ? a.element.urgency < b.element.urgency : a.offset < b.offset
        }.map(\.element)
    }

    /// What the run proved about one credential (the rule above).
    public static func standing(of result: CredentialResult) -> CredentialStanding {
        guard result.credential.state.shouldBeDead else { return .active }
        let findings = result.findings
        let alive = findings.filter { $0.code.deathEvidence == .alive }
        if !alive.isEmpty { return .stillLive(livePlaces(result, alive)) }
        let verified = findings.contains { $0.code.deathEvidence == .dead }
        let doubted = findings.contains { $0.code.deathEvidence == .doubt }
        // Belt and braces: the verdict rules only say `revocation_verified` when every probe was a
        // counted rejection; should one ever say it otherwise, the summary still does not.
        let probesRejected = result.checks.allSatisfy { $0.revocation != nil || $0.verdict == .rejected }
        if verified && !doubted && probesRejected { return .provenDead }
        return .unverified(unverifiedReasons(result))
    }

    /// Every place the run shows `result`'s credential still working, whatever its state: for a
    /// should-be-dead credential its still-live places, for an active one past its expiry where it
    /// is still accepted (`expired_still_accepted`). Empty when no finding shows it alive.
    public static func livePlaces(of result: CredentialResult) -> [LivePlace] {
        let alive = result.findings.filter { $0.code.deathEvidence == .alive }
        return alive.isEmpty ? [] : livePlaces(result, alive)
    }

    /// Where each finding that shows the credential alive comes from: the probes that authenticated
    /// it, the CA answers that call it good, the endpoint that serves it.
    static func livePlaces(_ result: CredentialResult, _ alive: [Finding]) -> [LivePlace] {
        let id = result.credential.id
        var places: [LivePlace] = []
        for finding in alive {
            var found: [LivePlace] = []
            switch finding.code {
            case .residualAccess, .expiredStillAccepted:
                found = result.checks.filter { $0.revocation == nil && $0.verdict == .authenticated }
                    .map { LivePlace(credential: id, finding: finding.code, probe: $0.probe, target: $0.target) }
            case .notRevokedAtCA:
                found = result.checks.compactMap { check in
                    guard let lookup = check.revocation, lookup.status == .good else { return nil }
                    return LivePlace(credential: id, finding: finding.code, probe: lookup.source.rawValue, target: lookup.url)
                }
            case .rotationNotDeployed:
                // A `certs` endpoint result is named after the endpoint that served the certificate.
                found = [LivePlace(credential: id, finding: finding.code, probe: "tls", target: id)]
            default:
                break
            }
            if found.isEmpty { found = [LivePlace(credential: id, finding: finding.code, probe: nil, target: nil)] }
            for place in found where !places.contains(where: { $0.probe == place.probe && $0.target == place.target }) {
                places.append(place)
            }
        }
        return places
    }

    /// Why a should-be-dead credential is not proven dead: its probe checks that proved nothing,
    /// else the findings that doubt it, else that nothing here proves it dead.
    static func unverifiedReasons(_ result: CredentialResult) -> [UnverifiedReason] {
        let id = result.credential.id
        let fromChecks = result.checks.compactMap { check -> UnverifiedReason? in
            guard check.revocation == nil, case .unproven(let why) = check.verdict else { return nil }
            return UnverifiedReason(credential: id, probe: check.probe, target: check.target, reason: why)
        }
        if !fromChecks.isEmpty { return fromChecks }
        let fromFindings = result.findings.filter { $0.code.deathEvidence == .doubt }
            .map { UnverifiedReason(credential: id, probe: nil, target: nil, reason: $0.message) }
        if !fromFindings.isEmpty { return fromFindings }
        return [UnverifiedReason(credential: id, probe: nil, target: nil, reason: "nothing in this run proves it dead")]
    }
}

/// One owner's credentials in a run and what the run proved about them.
public struct OwnerTally: Sendable, Equatable {
    /// As first written in the report (trimmed); nil for credentials with no owner.
    public var owner: String?
    /// `OwnerSelection.key` of the owner: how owners are compared and ordered.
    public var key: String?
    /// The owner's results: indices into `RunReport.results`, in report order.
    public var results: [Int] = []
    public var active = 0
    public var provenDead = 0
    public var stillLive = 0
    public var unverified = 0
    /// Where the still-live credentials work, one entry per (credential, probe, target).
    public var live: [LivePlace] = []
    /// Why the unverified credentials are not proven dead, one entry per check or finding.
    public var unverifiedReasons: [UnverifiedReason] = []

    public init(owner: String?, key: String?) {
        self.owner = owner
        self.key = key
    }

    public var credentials: Int { results.count }
    public var shouldBeDead: Int { credentials - active }
    /// At least one should-be-dead credential, and every one of them proven dead.
    public var allProvenDead: Bool { shouldBeDead > 0 && provenDead == shouldBeDead }

    mutating func add(_ index: Int, _ standing: CredentialStanding) {
        results.append(index)
        switch standing {
        case .active: active += 1
        case .provenDead: provenDead += 1
        case .stillLive(let places):
            stillLive += 1
            live += places
        case .unverified(let reasons):
            unverified += 1
            unverifiedReasons += reasons
        }
    }

    /// 0 something still live, 1 something unverified, 2 neither.
    var urgency: Int { stillLive > 0 ? 0 : unverified > 0 ? 1 : 2 }
}

/// What a run proved about one credential, for the offboarding view.
public enum CredentialStanding: Sendable, Equatable {
    /// State `active`: not expected to be dead.
    case active
    case provenDead
    case stillLive([LivePlace])
    case unverified([UnverifiedReason])
}

/// Where a should-be-dead credential was shown to still work.
public struct LivePlace: Sendable, Equatable {
    public var credential: String
    /// The finding that says so.
    public var finding: FindingCode
    /// The probe (`github`), the CA's source (`ocsp`, `crl`), or `tls` for an endpoint serving a
    /// certificate; nil when no check names it.
    public var probe: String?
    public var target: String?

    public init(credential: String, finding: FindingCode, probe: String?, target: String?) {
        self.credential = credential
        self.finding = finding
        self.probe = probe
        self.target = target
    }

    /// The probe, else the finding code: how a one-line summary names the place.
    public var label: String { probe ?? finding.rawValue }
}

/// Why a should-be-dead credential is not proven dead: one check that proved nothing, or one finding.
public struct UnverifiedReason: Sendable, Equatable {
    public var credential: String
    /// The probe whose check proved nothing; nil when the reason is a finding's.
    public var probe: String?
    public var target: String?
    public var reason: String

    public init(credential: String, probe: String?, target: String?, reason: String) {
        self.credential = credential
        self.probe = probe
        self.target = target
        self.reason = reason
    }

    /// `probe: reason` cut short for one line of a table (`ldap: server unreachable`): without the
    /// outcome's name and parenthetical asides, up to the first `; `, and at most `briefLength`
    /// characters, cut after a whole clause where one ends early enough.
    public var brief: String {
        var text = Self.withoutAsides(reason)
        for outcome in ["inconclusive: ", "skipped: "] where text.hasPrefix(outcome) { text.removeFirst(outcome.count) }
        if let cut = text.range(of: "; ") { text = String(text[..<cut.lowerBound]) }
        if text.count > Self.briefLength {
            let head = String(text.prefix(Self.briefLength))
            let clause = [", ", ": "].compactMap { head.range(of: $0, options: .backwards)?.lowerBound }.max()
            if let clause, head.distance(from: head.startIndex, to: clause) >= 20 {
                text = String(head[..<clause])
            } else {
                text = String(head.dropLast()) + "…"
            }
        }
        return probe.map { "\($0): \(text)" } ?? text
    }

    /// The text without its ` (…)` asides (nested ones included).
    static func withoutAsides(_ text: String) -> String {
        var out = ""
        var depth = 0
        for c in text {
            if c == "(" && (depth > 0 || out.hasSuffix(" ")) {
                if depth == 0 { out.removeLast() }
                depth += 1
            } else if c == ")" && depth > 0 {
                depth -= 1
            } else if depth == 0 {
                out.append(c)
            }
        }
        return depth == 0 ? out : text
    }

    /// Long enough for "status 302: redirect to https://sso.example.com/login not followed".
    static let briefLength = 72
}

/// What a finding says about whether a should-be-dead credential is dead. Every code is placed here
/// (the switch is exhaustive): a new finding code must be placed before the summary can count it.
enum DeathEvidence {
    /// It still works somewhere.
    case alive
    /// Definitively rejected everywhere it was tried.
    case dead
    /// Tried, and nothing proved it either way.
    case doubt
    /// Says nothing about whether it is dead.
    case none
}

extension FindingCode {
    var deathEvidence: DeathEvidence {
        switch self {
        case .residualAccess, .cameBackToLife, .expiredStillAccepted, .notRevokedAtCA, .rotationNotDeployed: .alive
        case .revocationVerified: .dead
        case .revocationUnverified, .checkFailed: .doubt
        case .expired, .expiringSoon, .rotationOverdue, .weakCrypto, .inventoryDrift, .ownerless, .ok: .none
        // About the CA's publication, not any one credential.
        case .crlStale, .crlExpiring, .ocspResponderDown, .ocspResponderUnauthorized, .ocspResponderCertExpiring: .none
        }
    }
}

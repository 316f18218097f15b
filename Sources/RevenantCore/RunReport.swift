import Foundation

/// Everything the report says about one credential.
public struct CredentialResult: Sendable {
    /// The credential itself, or its place in the run's inventory: a large run then keeps one
    /// copy of each credential, not one in the plan and another in the results.
    enum Source: Sendable {
        // Boxed: inline, a whole credential would widen every result, `shared` ones too.
        indirect case own(Credential)
        case shared(CredentialList, Int)
    }

    let source: Source
    /// nil when the secret could not be read.
    public var fingerprint: String? {
        get { storedFingerprint?.text }
        set { storedFingerprint = newValue.map(FingerprintText.init) }
    }
    /// Its 8 bytes, not a heap string per result (`FingerprintText`).
    var storedFingerprint: FingerprintText?
    /// `inventoryIndex` in the 4 bytes the fingerprint's tag leaves before the next word (-1: none):
    /// a result takes 48 bytes, not 72 (a run holds a million of them in one block).
    var storedInventoryIndex: Int32 = -1
    public var checks: [ProbeCheck]
    public var findings: [Finding]
    /// The credential's place in the whole inventory (0-based, across the files in order), so
    /// shard reports merge back into a single run's order; nil when not recorded. At most
    /// `Int32.max` (a report that says more is refused when read).
    public var inventoryIndex: Int? {
        get { storedInventoryIndex < 0 ? nil : Int(storedInventoryIndex) }
        set {
            precondition(newValue.map { (0...Int(Int32.max)).contains($0) } ?? true, "an inventory place is from 0 to Int32.max")
            storedInventoryIndex = newValue.map { Int32($0) } ?? -1
        }
    }

    public init(credential: Credential, fingerprint: String?, checks: [ProbeCheck], findings: [Finding]) {
        self.init(source: .own(credential), fingerprint: fingerprint, checks: checks, findings: findings)
    }

    /// The fingerprint is `fingerprints[index]`, taken as it is held (not printed and read back).
    public init(in list: CredentialList, at index: Int, fingerprints: FingerprintList, checks: [ProbeCheck], findings: [Finding]) {
        self.init(source: .shared(list, index), fingerprint: nil, checks: checks, findings: findings)
        storedFingerprint = fingerprints.stored[index]
    }

    init(source: Source, fingerprint: String?, checks: [ProbeCheck], findings: [Finding]) {
        self.source = source
        storedFingerprint = fingerprint.map(FingerprintText.init)
        self.checks = checks
        self.findings = findings
    }

    public var credential: Credential {
        switch source {
        case .own(let c): c
        case .shared(let list, let i): list.credentials[i]
        }
    }
}

/// An inventory's credentials shared by reference between a plan and its results.
public final class CredentialList: Sendable {
    public let credentials: [Credential]

    public init(_ credentials: [Credential]) { self.credentials = credentials }
}

/// One run of `verify`: what every report format is written from.
public struct RunReport: Sendable {
    public var runID: String
    public var startedAt: Date
    public var finishedAt: Date
    /// false when the run was interrupted or failed part way: results are partial.
    public var complete: Bool
    public var incompleteReason: String?
    public var inventories: [String]
    public var ledgerHead: String?
    public var results: [CredentialResult]
    /// The command that produced it (`verify`, `certs`): the table's heading.
    public var command = "verify"
    /// What differs from the last run history has of the same secrets (empty without history).
    public var changes: [StateChange] = []
    /// Set by `watch`: its rounds and each target's `dead_at` and latencies.
    public var watch: WatchState?
    /// The `--owner` names the run was limited to, as given; empty when it covers every owner.
    public var ownerSelection: [String] = []
    /// The `--only` credential ids the run was limited to, sorted, each once; empty when it covers
    /// every credential. A report of part of the inventory says so.
    public var onlySelection: [String] = []
    /// `verify --shard I/N`: which part of the inventory this run checked (nil: all of it).
    public var shard: Shard?
    /// Digests of the inventory and configuration files read (nil when not recorded).
    public var inputs: RunInputDigests?

    public init(runID: String, startedAt: Date, finishedAt: Date, complete: Bool, incompleteReason: String? = nil,
                inventories: [String], ledgerHead: String?, results: [CredentialResult]) {
        self.runID = runID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.complete = complete
        self.incompleteReason = incompleteReason
        self.inventories = inventories
        self.ledgerHead = ledgerHead
        self.results = results
    }

    public var countBySeverity: [Severity: Int] {
        var out: [Severity: Int] = [:]
        for r in results { for f in r.findings { out[f.severity, default: 0] += 1 } }
        return out
    }

    public var countByCode: [FindingCode: Int] {
        var out: [FindingCode: Int] = [:]
        for r in results { for f in r.findings { out[f.code, default: 0] += 1 } }
        return out
    }

    /// The codes found above `info`, worst first, ties in `FindingCode` order (never a
    /// dictionary's, which differs between two equal reports): the "what to do" lists.
    public var adviceCodes: [FindingCode] {
        let found = countByCode
        let listed = FindingCode.allCases.enumerated().filter { found[$0.element] != nil && $0.element.defaultSeverity > .info }
        // By severity, then by place in `FindingCode`: an order that does not rest on the sort being stable.
        return listed.sorted { ($0.element.defaultSeverity, $1.offset) > ($1.element.defaultSeverity, $0.offset) }.map(\.element)
    }

    /// Whether any finding reaches the threshold (nil threshold = never).
    public func hasFinding(atOrAbove threshold: Severity?) -> Bool {
        guard let threshold else { return false }
        return results.contains { $0.findings.contains { $0.severity >= threshold } }
    }
}

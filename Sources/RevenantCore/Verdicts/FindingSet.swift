/// A credential's findings, worst first. The one place findings are merged: `ok` ("active,
/// authenticates, within policy") claims nothing is wrong, so it goes as soon as a finding above
/// `low` joins; findings are kept worst first (a stable sort: equal severities keep their order).
public struct FindingSet: Sendable, Equatable {
    public private(set) var findings: [Finding]

    public init(_ findings: [Finding] = []) {
        self.findings = FindingSet.worstFirst(findings)
    }

    /// Adds `more` under the merge rule.
    public mutating func merge(_ more: [Finding]) {
        guard !more.isEmpty else { return }
        var all = findings
        if more.contains(where: { $0.severity > .low }) { all.removeAll { $0.code == .ok } }
        findings = FindingSet.worstFirst(all + more)
    }

    public func merging(_ more: [Finding]) -> FindingSet {
        var copy = self
        copy.merge(more)
        return copy
    }

    /// Removes every finding with one of these codes (a rule that replaces them with its own).
    public mutating func remove(_ codes: Set<FindingCode>) {
        findings.removeAll { codes.contains($0.code) }
    }

    public func contains(_ code: FindingCode) -> Bool { findings.contains { $0.code == code } }

    public var codes: [FindingCode] { findings.map(\.code) }

    /// Worst first; findings of equal severity keep the order the rules gave them.
    static func worstFirst(_ findings: [Finding]) -> [Finding] {
        findings.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }
}

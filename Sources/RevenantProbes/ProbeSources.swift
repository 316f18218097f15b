import Foundation
import RevenantCore

/// The rule for a probe's `sources`: at least two distinct URLs, one of them independent of the
/// provider (an open-source verifier's check, an RFC, a man page), so that what each answer means
/// was read in two places (docs/probe-format.md, "sources").
public enum ProbeSources {
    /// Distinct URLs a shipped probe lists at least.
    public static let minimum = 2

    /// What the probe's `sources` lack, or nil when they are enough.
    public static func shortfall(_ definition: ProbeDefinition) -> String? {
        let distinct = Set(definition.sources.map(normalized))
        if distinct.count < minimum {
            return "lists \(distinct.count) distinct source(s); list at least \(minimum): the provider's reference and an independent verifier's check (https URLs)"
        }
        if !definition.sources.contains(where: { isIndependent($0, of: definition) }) {
            return "no source is independent of the provider (\(providerDomains(definition).sorted().joined(separator: ", "))): add an open-source verifier's check, an RFC or a man page"
        }
        return nil
    }

    /// The lint problem for `definition`, if any: an error for a shipped probe; for one's own probe
    /// a warning, and only once it lists `sources` (an internal API has no public reference to cite).
    public static func lint(_ definition: ProbeDefinition, shipped: Bool) -> LintProblem? {
        guard shipped || !definition.sources.isEmpty, let message = shortfall(definition) else { return nil }
        return LintProblem(level: shipped ? .error : .warning,
                           error: InputError(file: definition.source, location: "sources", message: message))
    }

    /// A source is independent when it lies outside every domain the provider answers from or
    /// documents on; a repository on a code host counts unless the provider owns it
    /// (`github.com/trufflesecurity/…` is independent of GitHub).
    public static func isIndependent(_ source: String, of definition: ProbeDefinition) -> Bool {
        guard let url = URL(string: source), let host = url.host?.lowercased() else { return false }
        let own = providerDomains(definition)
        let domain = registrableDomain(host)
        guard own.contains(domain) else { return true }
        let owner = url.path.split(separator: "/").first.map { $0.lowercased() } ?? ""
        let providerName = domain.split(separator: ".").first.map(String.init) ?? domain
        // Only the code host itself (`github.com/<owner>/…`), not its own pages (`docs.github.com`).
        return codeHosts.contains(host) && !owner.isEmpty && !owner.hasPrefix(providerName)
    }

    static let codeHosts: Set<String> = ["github.com", "gitlab.com", "codeberg.org", "bitbucket.org"]

    /// Registrable domains of the probe's docs, default target and allowed hosts.
    static func providerDomains(_ definition: ProbeDefinition) -> Set<String> {
        var hosts = definition.allowedHosts.filter { $0 != HostPattern.anyHost }.map { $0.hasPrefix("*.") ? String($0.dropFirst(2)) : $0 }
        for link in [definition.docs, definition.defaultTarget ?? ""] {
            if let host = URL(string: link)?.host { hosts.append(host) }
        }
        return Set(hosts.map { registrableDomain($0.lowercased()) })
    }

    /// The last two labels of a host (`api.github.com` → `github.com`); enough to tell a
    /// provider's own pages from others' for the hosts probes name.
    static func registrableDomain(_ host: String) -> String {
        host.split(separator: ".").suffix(2).joined(separator: ".")
    }

    /// Two spellings of one page count once: fragment and trailing `/` dropped.
    static func normalized(_ source: String) -> String {
        var text = source.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? source
        while text.hasSuffix("/") { text.removeLast() }
        return text.lowercased()
    }
}

import Foundation

/// Which owners a command is limited to (`--owner NAME`, repeatable), and the one rule for when a
/// credential's `owner` is one of them, for every command that selects or groups by owner
/// (`verify`, `certs`, and later `watch` and `history`).
///
/// A name matches an owner when the two are equal as whole names, ignoring letter case and white
/// space around them: `--owner Dana.Okafor@example.com` selects `dana.okafor@example.com`. Not a
/// prefix, not a substring. Case is ignored because inventories are written by many hands and an
/// e-mail address is one person however it is capitalised: a case-sensitive match would leave
/// `Dana.Okafor@…` out of Dana's offboarding check and let a report read "all dead" while one of
/// her credentials was never looked at. A credential with no owner (missing or blank) matches no name.
public struct OwnerSelection: Sendable, Equatable {
    /// The names as given.
    public let names: [String]
    let keys: Set<String>

    public init(_ names: [String]) {
        self.names = names
        keys = Set(names.compactMap(Self.key))
    }

    /// No `--owner` given: everything is selected.
    public var isEmpty: Bool { keys.isEmpty }

    /// The form owners are compared and grouped in: trimmed and lower-cased; nil for no owner.
    public static func key(_ owner: String?) -> String? {
        // The usual owner (ASCII, no capital, nothing to trim at either end) is its own key: asked
        // once per result of a report, Foundation's trimming cost a tenth of writing one.
        if let owner, let first = owner.utf8.first, let last = owner.utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F,
           owner.utf8.allSatisfy({ $0 < 0x80 && !($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) }) {
            return owner
        }
        guard let trimmed = owner?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed.lowercased()
    }

    /// Whether a credential with this owner is selected (always, when no name was given).
    public func matches(_ owner: String?) -> Bool {
        guard !isEmpty else { return true }
        return Self.key(owner).map(keys.contains) ?? false
    }

    /// Why the selection is wrong for credentials with these owners, or nil when every name matches
    /// at least one of them. A name that matches nothing is a typo until shown otherwise: running
    /// on would report "nothing found" for a person who owns credentials under another spelling.
    public func unmatched(among owners: some Sequence<String?>, what: String = "credential") -> String? {
        var known: [String: String] = [:]
        for owner in owners {
            if let key = Self.key(owner), known[key] == nil { known[key] = owner!.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        let missing = names.filter { name in Self.key(name).map { known[$0] == nil } ?? true }
        guard !missing.isEmpty else { return nil }
        let quoted = missing.map { "`\($0)`" }.joined(separator: ", ")
        guard !known.isEmpty else {
            return "--owner \(quoted): no \(what) here has an owner"
        }
        // Owners that contain a missing name come first (`--owner dana` → `dana.okafor@…`), then the rest by name.
        let wanted = missing.compactMap(Self.key)
        let close = known.filter { key, _ in wanted.contains { !$0.isEmpty && key.contains($0) } }
        let ordered = close.keys.sorted() + known.keys.filter { close[$0] == nil }.sorted()
        let shown = ordered.prefix(Self.listedOwners).map { known[$0]! }
        let more = ordered.count > shown.count ? " (and \(ordered.count - shown.count) more)" : ""
        return "--owner \(quoted): no \(what) has this owner (names match whole, ignoring case); "
            + "owners here: \(shown.joined(separator: ", "))\(more)"
    }

    /// How many known owners an error lists: enough to spot a typo, short enough to read.
    static let listedOwners = 20
}

import Foundation

/// The tools `revenant import` reads (docs/import/).
public enum ImportSource: String, Sendable, CaseIterable {
    case trufflehog
    case gitleaks
    case awsCredentialReport = "aws-credential-report"
    case kubernetes
}

/// What the user asks of every importer: a state and an owner for all, and the probe mapping.
public struct ImportOptions: Sendable {
    /// Overrides the state the source implies (`--state`).
    public var state: LifecycleState?
    /// Overrides the owner the source names (`--owner`).
    public var owner: String?
    /// Detector, rule or key name → probe (shipped data, then `--mapping`).
    public var mapping: ProbeMapping

    public init(state: LifecycleState? = nil, owner: String? = nil, mapping: ProbeMapping = ProbeMapping()) {
        self.state = state
        self.owner = owner
        self.mapping = mapping
    }
}

/// One credential an importer found. Its secret is bytes, written to a file of its own by the
/// writer and referenced from the inventory: never inline.
public struct ImportedCredential: Sendable {
    public var id: String
    public var kind: CredentialKind
    public var state: LifecycleState
    public var owner: String?
    public var issuedAt: Date?
    public var secret: Secret?
    /// A secret that stays where it is (e.g. a `--keys` file): referenced, never copied.
    public var secretFile: String?
    public var accessKeyID: String?
    public var username: String?
    public var probe: String?
    public var target: String?
    /// PEM or DER bytes of an x509_certificate (not secret) and of its issuer.
    public var certificate: [UInt8]?
    public var issuer: [UInt8]?
    public var privateKey: Secret?
    /// Where it was found (file, line, commit, …): free text, never the secret.
    public var tags: [String: String] = [:]

    public init(id: String, kind: CredentialKind, state: LifecycleState) {
        self.id = id
        self.kind = kind
        self.state = state
    }

    /// Whether writing it needs files beside the inventory.
    public var needsFiles: Bool { secret != nil || privateKey != nil || certificate != nil }
}

/// What an importer read: the credentials, the names it has no probe for (with counts, so
/// nothing is dropped silently), and notes for stderr.
public struct ImportedInventory: Sendable {
    public var credentials: [ImportedCredential] = []
    /// Detector / rule / key name → how many credentials were written without a probe.
    public var unmapped: [String: Int] = [:]
    public var notes: [String] = []

    public init() {}

    public var needsFiles: Bool { credentials.contains(where: \.needsFiles) }

    /// The inventory with every secret of the import (`secret`, `privateKey`; 6 bytes or more)
    /// taken out of every text it holds: a source may quote one credential's secret in another's
    /// place (a path, a message, a fingerprint, an annotation, even a rule name), which each
    /// credential's own cleaning (`ImportText`) cannot know. Tags, owners, names and notes get
    /// `[redacted]`; an id that holds a secret is replaced by `<first word>-redacted-<n>`.
    public func redactingEverySecret() -> ImportedInventory {
        let finder = SecretFinder(credentials.flatMap { [$0.secret, $0.privateKey].compactMap { $0 } })
        guard !finder.isEmpty else { return self }
        var out = self
        var ids = Set(credentials.map(\.id))
        for i in out.credentials.indices {
            var c = out.credentials[i]
            c.owner = c.owner.map(finder.redact)
            for (key, value) in c.tags { c.tags[key] = finder.redact(value) }
            if finder.redact(c.id) != c.id {
                let stem = c.id.split(separator: "-").first.map(String.init) ?? "imported"
                var n = i + 1
                while ids.contains("\(stem)-redacted-\(n)") { n += credentials.count }
                c.id = "\(stem)-redacted-\(n)"
                ids.insert(c.id)
            }
            out.credentials[i] = c
        }
        out.unmapped = Dictionary(unmapped.map { (finder.redact($0.key), $0.value) }, uniquingKeysWith: +)
        out.notes = notes.map(finder.redact)
        return out
    }
}

/// Ids for imported credentials: a readable prefix and a short hash of where the credential was
/// found (never of the secret), made unique in input order so the same input gives the same ids.
struct ImportIDs {
    private var used: Set<String> = []

    /// `prefix-<12 hex digits of FNV-1a over the parts>`, or `-2`, `-3` … after a repeat.
    mutating func hashed(_ prefix: String, _ parts: [String]) -> String {
        unique("\(prefix)-\(Self.fnv1a(parts.joined(separator: "\u{1F}")))")
    }

    /// `name` itself when unused, else `name-2`, `name-3` ….
    mutating func unique(_ name: String) -> String {
        var candidate = name
        var n = 2
        while used.contains(candidate) { candidate = "\(name)-\(n)"; n += 1 }
        used.insert(candidate)
        return candidate
    }

    /// 48 bits of FNV-1a 64: a location is not secret, so a fast non-cryptographic hash is enough.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash >> 16, radix: 16)
        return String(repeating: "0", count: 12 - hex.count) + hex
    }

    /// Lower-case letters, digits and single dashes, at most 48 characters (ids go into file names).
    static func slug(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty && !out.hasSuffix("-") {
                out += "-"
            }
            if out.count >= 48 { break }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "x" : out
    }
}

/// Tag and owner text taken from a source: cut to 200 characters, control characters shown as
/// `?`, and the credential's secret (whole, in any case) replaced by `[redacted]`: a path or a
/// line may quote it.
struct ImportText {
    let scrubber: SecretScrubber

    /// Whole secrets only (no six-byte runs: see `clean`), so no gram table is built per credential.
    init(secrets: [Secret]) { scrubber = SecretScrubber(grams: SecretGrams([]), own: secrets) }

    func clean(_ text: String) -> String {
        // Unmarked text is scrubbed of whole secrets only: runs of six bytes would also take
        // words a secret happens to share with a path or an email address.
        // Most tags (paths, commits, emails) are short printable ASCII: nothing to cut or replace.
        let plain = text.utf8.count <= ServerText.maxCharacters && text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        let shown = plain ? text : String(ServerText.quote(text).unicodeScalars.filter { !ServerText.isMark($0) })
        return scrubber.isEmpty ? shown : scrubber.scrub(shown)
    }

    /// Tags without empty values, each cleaned.
    func tags(_ pairs: [(String, String?)]) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in pairs {
            guard let value, !value.isEmpty else { continue }
            out[key] = clean(value)
        }
        return out
    }
}

extension Fields {
    /// An object's members without checking their names: a scanner's report gains fields with
    /// its versions, and only the fields read are type-checked.
    init?(members tree: Tree) {
        guard let members = tree.objectValue else { return nil }
        self.init()
        self.members = members
        self.line = tree.line
    }
}

/// The bytes of an import source, bounded like inventories are.
public enum ImportLimits {
    /// The largest source file read (a scanner's report of some 100,000 findings).
    public static let maxInputBytes = 64 << 20
    /// The longest secret taken from a source: longer values are refused with their location.
    public static let maxSecretBytes = 64 << 10
}

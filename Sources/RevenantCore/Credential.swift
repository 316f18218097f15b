import Foundation

/// What a credential is: decides which probes may try it.
public enum CredentialKind: String, Sendable, CaseIterable, Codable {
    case apiKey = "api_key"
    case bearerToken = "bearer_token"
    case oauthToken = "oauth_token"
    case jwt
    case basicAuth = "basic_auth"
    case password
    case awsAccessKey = "aws_access_key"
    case sshKey = "ssh_key"
    case x509Certificate = "x509_certificate"
    case scimAccount = "scim_account"
    /// An OAuth 2.0 client's secret (`username` = its client_id): RFC 6749 §4.4 client credentials.
    case clientSecret = "client_secret"
    /// A Google Cloud service-account key file (JSON): it signs an RFC 7523 JWT bearer assertion.
    case serviceAccountKey = "service_account_key"
    /// An SSH private key (`secret`) with its OpenSSH user certificate (`certificate`).
    case sshCertificate = "ssh_certificate"
}

/// The lifecycle state the organisation believes a credential is in.
public enum LifecycleState: String, Sendable, CaseIterable, Codable {
    case active, rotated, revoked, offboarded, expired

    /// Every state but `active` means the credential must no longer open anything.
    public var shouldBeDead: Bool { self != .active }
}

/// Where the secret of a credential comes from. The secret itself is read only when probing.
public enum SecretSource: Sendable, Equatable {
    case environment(String)
    case file(String)
    case value(String)
}

/// One system a credential is tried against: a probe id and a base URL.
public struct ProbeTarget: Sendable, Equatable, Hashable {
    public var probe: String
    /// Base URL; nil means the probe's `default_target`.
    public var target: String?
    /// SSH: the pinned host key, `SHA256:` + base64 as `ssh-keygen -lf` prints it.
    public var hostKeySHA256: String?

    public init(probe: String, target: String?, hostKeySHA256: String? = nil) {
        self.probe = probe
        self.target = target
        self.hostKeySHA256 = hostKeySHA256
    }
}

/// The files of an `x509_certificate` credential (DESIGN.md §4); paths are absolute.
public struct CertificateFiles: Sendable, Equatable {
    /// PEM or DER; a chain's first certificate is the leaf.
    public var certificate: String
    /// Needed by mTLS probes only.
    public var privateKey: SecretSource?
    /// Else the next certificate of the chain.
    public var issuer: String?
    /// `ssh_certificate`: the CA's key revocation list (OpenSSH KRL), if the inventory names one.
    public var revocationList: String?

    public init(certificate: String, privateKey: SecretSource? = nil, issuer: String? = nil, revocationList: String? = nil) {
        self.revocationList = revocationList
        self.certificate = certificate
        self.privateKey = privateKey
        self.issuer = issuer
    }
}

/// One credential of the inventory, with the lifecycle facts the organisation recorded.
public struct Credential: Sendable, Equatable {
    public var id: String
    public var kind: CredentialKind
    public var state: LifecycleState
    public var owner: String?
    public var issuedAt: Date? { get { storedDates.issuedAt.date } set { storedDates.issuedAt = PackedDate(newValue) } }
    public var rotatedAt: Date? { get { storedDates.rotatedAt.date } set { storedDates.rotatedAt = PackedDate(newValue) } }
    public var revokedAt: Date? { get { storedDates.revokedAt.date } set { storedDates.revokedAt = PackedDate(newValue) } }
    public var expiresAt: Date? { get { storedDates.expiresAt.date } set { storedDates.expiresAt = PackedDate(newValue) } }
    /// 8 bytes a date, not 16 (a `Date?` pads its flag to a word): a run holds a million credentials.
    var storedDates: PackedDates
    public var secret: SecretSource?
    public var username: String?
    public var accessKeyID: String?
    /// Set for `x509_certificate` credentials.
    public var certificate: CertificateFiles? {
        get { storedCertificate.value }
        set { storedCertificate.value = newValue }
    }
    var storedCertificate: OutOfLine<CertificateFiles>
    public var targets: [ProbeTarget]
    public var tags: [String: String]
    /// Where the credential was declared, for messages: "inv.yaml:12" or "inv.json credentials[3]".
    public var origin: String
    /// The inventory file it came from (one shared string per file).
    public var file: String

    /// `file: line N`, for messages that must say where.
    public var location: String { file.isEmpty ? origin : "\(file): \(origin)" }

    /// The line of `file` the credential starts on, when the inventory format records one (JSON,
    /// YAML and CSV do; a credential built in code does not): where a report points to it.
    public var line: Int? {
        guard origin.hasPrefix("line "), let n = Int(origin.dropFirst(5)), n > 0 else { return nil }
        return n
    }

    public init(
        id: String, kind: CredentialKind, state: LifecycleState, owner: String? = nil,
        issuedAt: Date? = nil, rotatedAt: Date? = nil, revokedAt: Date? = nil, expiresAt: Date? = nil,
        secret: SecretSource? = nil, username: String? = nil, accessKeyID: String? = nil, certificate: CertificateFiles? = nil,
        targets: [ProbeTarget] = [], tags: [String: String] = [:], origin: String = "", file: String = ""
    ) {
        self.id = id
        self.kind = kind
        self.state = state
        self.owner = owner
        storedDates = PackedDates(issuedAt: PackedDate(issuedAt), rotatedAt: PackedDate(rotatedAt), revokedAt: PackedDate(revokedAt),
                                  expiresAt: PackedDate(expiresAt))
        self.secret = secret
        self.username = username
        self.accessKeyID = accessKeyID
        storedCertificate = OutOfLine(certificate)
        self.targets = targets
        self.tags = tags
        self.origin = origin
        self.file = file
    }
}

/// An optional date in 8 bytes: the bits of its `timeIntervalSinceReferenceDate` (all a `Date`
/// holds), or a NaN pattern no date arithmetic makes for "none". Compared by bits, so equal dates
/// are equal and "none" equals "none".
public struct PackedDate: Sendable, Equatable {
    static let none: UInt64 = .max
    let bits: UInt64

    public init(_ date: Date?) { bits = date.map { $0.timeIntervalSinceReferenceDate.bitPattern } ?? Self.none }

    public var date: Date? { bits == Self.none ? nil : Date(timeIntervalSinceReferenceDate: Double(bitPattern: bits)) }
}

/// A credential's four dates, 8 bytes each.
struct PackedDates: Sendable, Equatable {
    var issuedAt, rotatedAt, revokedAt, expiresAt: PackedDate
}

/// A known-good credential for one (probe, target): it must authenticate for a rejection there to count.
public struct PositiveControl: Sendable, Equatable {
    public var probe: String
    public var target: String?
    public var secret: SecretSource
    public var username: String?
    public var origin: String
    /// SSH certificate logins: the live certificate (`-cert.pub`) that goes with the control's key.
    public var certificate: String?

    public init(probe: String, target: String?, secret: SecretSource, username: String? = nil, origin: String = "") {
        self.probe = probe
        self.target = target
        self.secret = secret
        self.username = username
        self.origin = origin
    }
}

/// The credentials and controls read from one or more inventory files.
public struct Inventory: Sendable {
    public var credentials: [Credential]
    public var controls: [PositiveControl]
    /// Non-fatal remarks (e.g. a secret given inline as `value`).
    public var warnings: [String]
    /// Files read, in order; relative secret paths resolve against each credential's own file.
    public var files: [String]

    public init(credentials: [Credential] = [], controls: [PositiveControl] = [], warnings: [String] = [], files: [String] = []) {
        self.credentials = credentials
        self.controls = controls
        self.warnings = warnings
        self.files = files
    }
}

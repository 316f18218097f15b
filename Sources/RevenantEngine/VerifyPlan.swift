import Foundation
import RevenantCore
import RevenantCrypto
import RevenantProbes

/// One (credential, probe, target) the run will try, or why it will not.
public struct PlannedCheck: Sendable, Hashable {
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
    public var positiveSecret: Secret?
    public var positiveUsername: String?
    /// Set when the inventory names a positive control here that could not be used.
    public var positiveProblem: String?
    /// The probe's own secret (introspecting client secret, SCIM operator token), resolved.
    public var authSecret: Secret?
    /// SSH: the pinned host key of this target.
    public var hostKeySHA256: String?
    /// A login by private key (`ssh_key`): its negative control presents a generated key. Key and
    /// password credentials of one target are separate pairs, each with its own control.
    public var keyLogin = false
    /// The negative control's secret when it must share the shape of the first credential's (a
    /// service-account key's account and key id, with a fresh RSA key); nil: random text.
    public var negativeSecret: Secret?
    /// A login by private key with an OpenSSH certificate (`ssh_certificate`): its rejections count
    /// only with a positive control of the same kind (docs/protocols/ssh.md, "User certificates").
    public var certificateLogin = false
    /// The positive control's certificate (`-cert.pub` bytes), presented with its key.
    public var positiveCertificate: [UInt8]?
}

/// Everything resolved before anything is sent: what `--dry-run` prints and `run` executes.
public struct VerifyPlan: Sendable {
    /// The credentials planned; after `dropInlineSecretTexts()` their inline (`value`) secrets are
    /// nil, `secrets` holding them as bytes.
    public var inventory: Inventory
    public var secrets: [Secret?]
    public var fingerprints: FingerprintList
    public var checks: [[PlannedCheck]]
    /// The certificate bytes of `x509_certificate` credentials (presented by mTLS probes), by credential index.
    public var certificates: [Int: [UInt8]] = [:]
    /// What was read from each `x509_certificate` credential's certificate (leaf, issuer if known).
    public var certificateInfos: [Int: CertificateInfo] = [:]
    /// What was read from each `ssh_certificate` credential's certificate and KRL.
    public var sshCertificates: [Int: SSHCertificateFacts] = [:]
    /// Findings a credential's secret itself gives (a JWT's `alg: none`), by credential index.
    public var secretFindings: [Int: [Finding]] = [:]
    /// Until when each decodable JWT is valid by its own `exp` (`distantFuture` without one), by
    /// credential index: a resource server that checks it locally accepts it until then.
    public var jwtValidUntil: [Int: Date] = [:]
    /// From when each JWT whose `nbf` or `iat` was still ahead at planning is valid, by credential
    /// index: a refusal answered before then proves nothing.
    public var jwtValidFrom: [Int: Date] = [:]
    public var pairs: [ControlPair]
    public var hostLimits: [String: HostLimits]
    /// Problems that do not stop the run (unreadable positive-control secrets, ...).
    public var warnings: [String]
    /// Problems that must stop the run before anything is sent (exit 2).
    public var inputErrors: [String] = []

    public var sendCount: Int { checks.reduce(0) { $0 + $1.filter { $0.pair != nil }.count } }

    /// Drops the text of each inline (`value`) secret from the planned credentials: `secrets` holds
    /// it as bytes, which is all a run sends, and nothing after planning reads the inventory's copy
    /// (no report prints a secret). A large run then holds each secret once, not twice. Only a
    /// plan whose credentials no one else holds frees anything (else the array is copied first).
    public mutating func dropInlineSecretTexts() {
        for ci in inventory.credentials.indices {
            if case .value? = inventory.credentials[ci].secret { inventory.credentials[ci].secret = nil }
        }
    }
}

/// A target text as one protocol reads it (its schemes decide what parses).
struct TargetKey: Hashable {
    var `protocol`: ProbeProtocol
    var text: String
}

/// Identifies a (probe, target) pair.
struct PairKey: Hashable {
    var probe: String
    var base: String
    /// SSH: key logins and password logins take different paths, so they get controls of their own.
    var keyLogin = false
    /// SSH certificate logins too: a server may take certificates and keys by different rules.
    var certificateLogin = false
}

/// Builds the plan: resolves secrets, probes, targets and allowed hosts; sends nothing.
public enum VerifyPlanner {
    public static func plan(
        inventory: Inventory, probes: [String: ProbeDefinition], configuration: Configuration,
        resolver: any SecretReader, fingerprinter: Fingerprinter, now: Date = Date(), jwks: JSONWebKeySet? = nil,
        certificates: (any CertificateSource)?, knownHosts: KnownHosts? = nil, lintOnly: Bool = false, shardCount: Int = 1
    ) -> VerifyPlan {
        var builder = PlanBuilder(inventory: inventory, probes: probes, configuration: configuration, resolver: resolver,
                                  fingerprinter: fingerprinter, now: now, jwks: jwks, certificateSource: certificates, knownHosts: knownHosts)
        builder.lintOnly = lintOnly
        builder.shardCount = shardCount
        return builder.build()
    }

    /// The positive controls a run narrowed to `selected` (by `--only`, `--owner`, or `watch`'s
    /// should-be-dead credentials) still needs: a control at a (probe, place) none of the selected
    /// credentials is tried at, but some credential of the whole inventory is, vouches for checks
    /// this run does not make, and is left out rather than sent and warned about. A control that
    /// matches no credential of the whole inventory is kept, so the planner still says it checks nothing.
    public static func controlsInUse(_ controls: [PositiveControl], selected: [Credential], all: [Credential],
                                     probes: [String: ProbeDefinition]) -> [PositiveControl] {
        guard selected.count < all.count, !controls.isEmpty else { return controls }
        let bases = regionBases(probes)
        func places(_ credentials: [Credential]) -> Set<PairKey> {
            var out: Set<PairKey> = []
            for c in credentials {
                for t in targets(of: c, probes: probes, regionBases: bases) {
                    guard let probe = probes[t.probe], let url = TargetURL(t.target ?? probe.defaultTarget ?? "", schemes: probe.kind.schemes) else { continue }
                    out.insert(PairKey(probe: t.probe, base: url.base))
                }
            }
            return out
        }
        let wanted = places(selected)
        let everywhere = places(all)
        return controls.filter { control in
            guard let probe = probes[control.probe],
                  let url = TargetURL(control.target ?? probe.defaultTarget ?? "", schemes: probe.kind.schemes) else { return true }
            let key = PairKey(probe: control.probe, base: url.base)
            return wanted.contains(key) || !everywhere.contains(key)
        }
    }

    /// The base URL of each region, per probe with `regions`: parsed once per run, for `targets(of:)`.
    public static func regionBases(_ probes: [String: ProbeDefinition]) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for (id, probe) in probes where !probe.regions.isEmpty {
            out[id] = Set(probe.regions.compactMap { TargetURL($0, schemes: probe.kind.schemes)?.base })
        }
        return out
    }

    /// The (probe, target)s a credential is tried at. A should-be-dead credential of a probe with
    /// `regions` is tried in every region (and at its own target, if that is none of them): each
    /// region refuses another region's live credential as it refuses a dead one, so only a refusal
    /// everywhere proves it dead, and an acceptance anywhere is residual access. An active one is
    /// tried only where the inventory says (its other regions would all report drift).
    public static func targets(of credential: Credential, probes: [String: ProbeDefinition],
                               regionBases: [String: Set<String>]) -> [ProbeTarget] {
        guard credential.state.shouldBeDead else { return credential.targets }
        var out: [ProbeTarget] = []
        var seen: Set<ProbeTarget> = []
        for t in credential.targets {
            guard let probe = probes[t.probe], !probe.regions.isEmpty else {
                out.append(t)
                continue
            }
            let schemes = probe.kind.schemes
            let bases = regionBases[t.probe] ?? []
            var expanded = probe.regions.map { ProbeTarget(probe: t.probe, target: $0, hostKeySHA256: t.hostKeySHA256) }
            if let given = t.target, !bases.contains(TargetURL(given, schemes: schemes)?.base ?? given) { expanded.append(t) }
            out += expanded.filter { seen.insert($0).inserted }
        }
        return out
    }

    /// `localhost`, `::1` or an IPv4 address in 127.0.0.0/8 (a name such as `127.example.com` is not).
    /// Read byte by byte: every check of a plan asks it (a split into Substrings cost 23 % of planning).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        var dots = 0, digits = 0, value = 0, first = -1
        for byte in host.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return false }
                if dots == 0 { first = value }
                dots += 1
                digits = 0
                value = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                guard digits <= 3, value <= 255 else { return false }
            } else {
                return false
            }
        }
        return dots == 3 && digits > 0 && first == 127
    }

    /// Plain http to any host but loopback (tests, local tunnels): refused. Every HTTP probe puts a
    /// secret in its request, which any hop on the way would read. (Only probes whose default
    /// target said https were refused once, and the shipped templates without one, such as okta
    /// and atlassian, sent `http://` secrets in clear: found by an adversarial run.)
    static func wouldSendInClear(_ probe: ProbeDefinition, _ target: TargetURL) -> Bool {
        target.scheme == "http" && !isLoopback(target.host)
    }

    /// Whether a username holds a line break, a Unicode line or paragraph separator, or another
    /// control character: never what the account is called.
    static func hasLineBreakOrControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }
    }

    /// The name a probe logs in with: the access key id for SigV4, else `username`.
    public static func loginName(_ credential: Credential, probe: ProbeDefinition) -> String? {
        probe.kind == .awsSigV4 ? (credential.accessKeyID ?? credential.username) : credential.username
    }

    /// The secret a probe authenticates itself with, if its scheme has one.
    static func authSource(_ probe: ProbeDefinition) -> SecretSource? {
        switch probe.auth {
        case .introspection(_, let secret, _): secret
        case .scim(let token, _): token
        default: nil
        }
    }

    /// What a failed JWKS check says (nil when it verified): the token is forged, or signed by a key
    /// the issuer no longer publishes (a rotated signing key it may still honour).
    static func describe(_ verification: JWTVerification) -> String? {
        switch verification {
        case .verified: nil
        case .failed(let reason): "signature does not verify against the JWKS: \(reason)"
        case .noMatchingKey(let reason): "no key of the JWKS can check its signature: \(reason)"
        case .unsupportedAlgorithm(let alg): "signature algorithm \(alg) cannot be checked against the JWKS"
        }
    }

    static func describe(_ source: SecretSource) -> String {
        switch source {
        case .environment(let name): "env \(name)"
        case .file(let path): "file \(path)"
        case .value: "inline value"
        }
    }
}

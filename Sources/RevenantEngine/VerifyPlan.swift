import Foundation
import RevenantCore
import RevenantFiles
import RevenantCrypto
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
}

/// Everything resolved before anything is sent: what `--dry-run` prints and `run` executes.
public struct VerifyPlan: Sendable {
    public var inventory: Inventory
    public var secrets: [Secret?]
    public var fingerprints: [String?]
    public var checks: [[PlannedCheck]]
    /// The certificate bytes of `x509_certificate` credentials (presented by mTLS probes), by credential index.
    public var certificates: [Int: [UInt8]] = [:]
    /// What was read from each `x509_certificate` credential's certificate (leaf, issuer if known).
    public var certificateInfos: [Int: CertificateInfo] = [:]
    /// Findings a credential's secret itself gives (a JWT's `alg: none`), by credential index.
    public var secretFindings: [Int: [Finding]] = [:]
    /// Until when each decodable JWT is valid by its own `exp` (`distantFuture` without one), by
    /// credential index: a resource server that checks it locally accepts it until then.
    public var jwtValidUntil: [Int: Date] = [:]
    public var pairs: [ControlPair]
    public var hostLimits: [String: HostLimits]
    /// Problems that do not stop the run (unreadable positive-control secrets, ...).
    public var warnings: [String]
    /// Problems that must stop the run before anything is sent (exit 2).
    public var inputErrors: [String] = []

    public var sendCount: Int { checks.reduce(0) { $0 + $1.filter { $0.pair != nil }.count } }
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
}

/// Builds the plan: resolves secrets, probes, targets and allowed hosts; sends nothing.
public enum VerifyPlanner {
    public static func plan(
        inventory: Inventory, probes: [String: ProbeDefinition], configuration: Configuration,
        resolver: SecretResolver, fingerprinter: Fingerprinter, now: Date = Date(), jwks: JSONWebKeySet? = nil,
        certificates certificateSource: (any CertificateSource)? = nil
    ) -> VerifyPlan {
        var inventory = inventory
        var certificateInfos: [Int: CertificateInfo] = [:]
        var secretFindings: [Int: [Finding]] = [:]
        var jwtValidUntil: [Int: Date] = [:]
        var secrets: [Secret?] = []
        var fingerprints: [String?] = []
        var checks: [[PlannedCheck]] = []
        var pairs: [ControlPair] = []
        var pairIndex: [PairKey: Int] = [:]
        var hostLimits: [String: HostLimits] = [:]
        var warnings = inventory.warnings
        var inputErrors: [String] = []
        // The base URL of each region of each probe with `regions`, parsed once for the whole plan.
        let regionBases = VerifyPlanner.regionBases(probes)
        var parsedTargets: [TargetKey: TargetURL?] = [:]
        secrets.reserveCapacity(inventory.credentials.count)

        var knownHosts: KnownHosts?
        if let path = configuration.sshKnownHosts {
            knownHosts = KnownHosts.load(file: path)
            if knownHosts == nil { inputErrors.append("ssh.known_hosts: cannot read \(path)") }
        }
        var certificates: [Int: [UInt8]] = [:]
        var authSecrets: [String: Result<Secret, SecretError>] = [:]
        for (ci, credential) in inventory.credentials.enumerated() {
            var secret: Secret?
            var secretProblem: String?
            var source = credential.secret
            if credential.kind == .x509Certificate, let files = credential.certificate {
                // The private key is what an mTLS probe proves possession of: it is the secret.
                source = files.privateKey
                let file = certificateSource?.certificates(inFile: files.certificate) ?? ([], "no certificate reader in this build")
                if let leaf = file.certificates.first {
                    // The issuer goes with the leaf, PEM or DER alike: a server that trusts only the
                    // root needs the intermediate from the client, or refuses a live certificate
                    // (nginx: 400 "The SSL certificate error", which mTLS probes read as a refusal).
                    let chain = files.issuer.map { certificateSource?.certificates(inFile: $0).certificates ?? [] } ?? []
                    certificates[ci] = (file.certificates + chain).flatMap(\.pem)
                    certificateInfos[ci] = leaf.info
                    // DESIGN §4: a certificate's dates come from the certificate itself.
                    inventory.credentials[ci].issuedAt = leaf.info.notBefore
                    inventory.credentials[ci].expiresAt = leaf.info.notAfter
                } else {
                    let why = file.problem ?? "no certificate in it"
                    secretProblem = "cannot read certificate file \(files.certificate): \(why)"
                    inputErrors.append("\(credential.location): `certificate` \(files.certificate): \(why)")
                }
            }
            if credential.kind == .scimAccount, source == nil, let user = credential.username {
                // Looked up by name with the operator's token; the name stands where a secret would.
                secret = Secret(user)
            } else if secretProblem == nil {  // (set when a certificate could not be read: its key is not read either)
                if let source {
                    switch resolver.resolve(source) {
                    case .success(let s): secret = s
                    case .failure(let e): secretProblem = e.reason
                    }
                } else {
                    secretProblem = credential.kind == .x509Certificate ? "no `private_key` in the inventory (an mTLS probe needs it)" : "no secret in the inventory"
                }
            }
            // Keys are multi-line by nature; any other secret with a line break would be sent corrupted.
            if let s = secret, credential.kind != .sshKey, credential.kind != .x509Certificate, s.hasLineBreakOrNUL {
                secret = nil
                secretProblem = "the secret contains a line break or NUL: not sent (a login or header carrying it would be refused, which proves nothing)"
            }
            if credential.kind == .jwt, let token = secret.map({ $0.text ?? "" }) {
                // The token's own dates and algorithm feed the lifecycle findings.
                do {
                    let decoded = try JSONWebToken.decode(token)
                    jwtValidUntil[ci] = decoded.claims.expiresAt ?? .distantFuture
                    let verification = jwks.map { JWKSVerifier.verify(token: decoded, keys: $0) }
                    if let verification, let problem = VerifyPlanner.describe(verification) {
                        warnings.append("\(credential.location): \(credential.id): \(problem)")
                    }
                    let facts = JWTLifecycle.facts(for: decoded, credential: credential, now: now, verification: verification)
                    inventory.credentials[ci] = facts.applied(to: credential)
                    if !facts.findings.isEmpty { secretFindings[ci] = facts.findings }
                    warnings += facts.notes.map { "\(credential.location): \(credential.id): \($0)" }
                } catch {
                    warnings.append("\(credential.location): \(credential.id): \(error.message); its dates come from the inventory only")
                }
            }
            secrets.append(secret)
            fingerprints.append(secret.map(fingerprinter.fingerprint))
            var planned: [PlannedCheck] = []
            for t in VerifyPlanner.targets(of: credential, probes: probes, regionBases: regionBases) {
                guard let probe = probes[t.probe] else {
                    planned.append(PlannedCheck(probeID: t.probe, displayURL: t.target ?? "", skipReason: "unknown probe `\(t.probe)` (see `revenant probes list`)"))
                    continue
                }
                // A secret that names its host (Mailchimp's `…-us6`) goes there and nowhere else.
                let ownHost = probe.hostFromSecret.flatMap { rule in secret?.text.flatMap { rule.host(for: $0) } }
                let text = t.target ?? probe.defaultTarget ?? ownHost.map { "https://\($0)" }
                guard let text else {
                    if probe.hostFromSecret != nil, let secretProblem {
                        // The host comes from the secret: the secret's own problem is the reason.
                        planned.append(PlannedCheck(probeID: probe.id, displayURL: "", skipReason: secretProblem))
                        continue
                    }
                    let regions = probe.regions.isEmpty ? "" : ": name the credential's region (one of \(probe.regions.joined(separator: ", ")))"
                    planned.append(PlannedCheck(probeID: probe.id, displayURL: "", skipReason: "no target given and probe `\(probe.id)` has no default_target\(regions)"))
                    continue
                }
                let proto = probe.kind
                // A target text names the same place for every probe of a protocol: parsed once.
                let targetKey = TargetKey(protocol: proto, text: text)
                let parsed = parsedTargets[targetKey] ?? {
                    let t = TargetURL(text, schemes: proto.schemes)
                    parsedTargets[targetKey] = t
                    return t
                }()
                guard let target = parsed else {
                    // The text is not shown: a malformed target may carry a password.
                    let what = proto.targetDescription.replacingOccurrences(of: " URL", with: " base URL")
                    planned.append(PlannedCheck(probeID: probe.id, displayURL: "(unusable target)", skipReason: "target is not \(what) without user info, query or fragment"))
                    continue
                }
                // SSH: the inventory's pin, else the known_hosts file's.
                let pin = proto == .ssh ? (t.hostKeySHA256 ?? knownHosts?.pin(host: target.host, port: target.port ?? 22)) : t.hostKeySHA256
                let display = ProbeRequestBuilder.displayURL(probe, target: target)
                var check = PlannedCheck(probeID: probe.id, displayURL: display)
                let login = VerifyPlanner.loginName(credential, probe: probe)
                var authSecret: Secret?
                if let source = VerifyPlanner.authSource(probe) {
                    let key = probe.id
                    let resolved = authSecrets[key] ?? resolver.resolve(source).flatMap { own in
                        // A SCIM operator token goes in a header: text only.
                        if case .scim = probe.auth, own.text == nil { return .failure(SecretError("the operator token is not valid UTF-8")) }
                        return .success(own)
                    }
                    authSecrets[key] = resolved
                    authSecret = try? resolved.get()
                }
                if VerifyPlanner.wouldSendInClear(probe, target) {
                    check.skipReason = "plain http to \(target.host): probe `\(probe.id)` talks https (or carries an operator secret); the secret is not sent in clear text"
                } else if probe.allowedHosts.isEmpty {
                    check.skipReason = "probe `\(probe.id)` lists no allowed_hosts: copy \(probe.source) into your probes_dirs and list the hosts it may reach"
                } else if !probe.allows(host: target.host) {
                    check.skipReason = "host \(target.host) is not in allowed_hosts of probe `\(probe.id)` (\(probe.allowedHosts.joined(separator: ", "))): the secret is not sent there"
                } else if !probe.kinds.contains(credential.kind) {
                    check.skipReason = "probe `\(probe.id)` does not take kind \(credential.kind.rawValue) (it takes \(probe.kinds.map(\.rawValue).joined(separator: ", ")))"
                } else if let secretProblem {
                    check.skipReason = secretProblem
                } else if let secret, let why = ProbeRequestBuilder.cannotCarry(secret, auth: probe.auth) {
                    check.skipReason = why
                } else if case .basic(let defaultUser, let secretInUsername) = probe.auth, !secretInUsername,
                          (credential.username ?? defaultUser ?? "").isEmpty {
                    // `:secret` would be rejected whoever holds the password: that proves nothing.
                    check.skipReason = "probe `\(probe.id)` uses basic auth but the credential has no `username` (and the probe no default)"
                } else if let login, VerifyPlanner.hasLineBreakOrControl(login) {
                    // Sent as is, a stray `\n` (a YAML block, a pasted value) makes a live credential look dead.
                    check.skipReason = "credential `\(credential.id)`: its username contains a line break or another control character: not sent"
                } else if let format = probe.usernameRefused(login) {
                    // The provider refuses a live credential sent with another username as it refuses a dead one.
                    check.skipReason = "credential `\(credential.id)`: probe `\(probe.id)` needs the username to be \(format.meaning); "
                        + "with another one a live credential is refused too, so nothing would be proved: not sent"
                } else if let rule = probe.hostFromSecret, ownHost == nil {
                    check.skipReason = "credential `\(credential.id)`: the secret does not name its host as probe `\(probe.id)` expects (\(rule.host)): not sent"
                } else if let ownHost, target.host != ownHost {
                    check.skipReason = "credential `\(credential.id)`: the key belongs to \(ownHost), not \(target.host); "
                        + "another host refuses a live key as it refuses a dead one, so it is not sent there"
                } else if proto.needsUsername, (login ?? "").isEmpty {
                    check.skipReason = "protocol \(proto.rawValue) logs in by name, but the credential has no \(proto == .awsSigV4 ? "`access_key_id`" : "`username` (\(proto.usernameMeaning))")"
                } else if proto == .awsSigV4, login?.hasPrefix("ASIA") == true {
                    // Temporary credentials sign with a session token revenant does not send: STS would
                    // answer InvalidClientTokenId, the dead-key answer, whatever the key's state.
                    check.skipReason = "access key id ASIA… is a temporary (STS) credential: its session token is not sent, so no answer would prove anything"
                } else if let source = VerifyPlanner.authSource(probe), authSecret == nil {
                    let why = (authSecrets[probe.id].flatMap { if case .failure(let e) = $0 { e.reason } else { nil } }) ?? "unreadable"
                    check.skipReason = "probe `\(probe.id)` cannot authenticate itself: \(why) (\(VerifyPlanner.describe(source)))"
                } else if proto == .ssh, pin == nil {
                    check.skipReason = "the SSH host key of \(target.base) is not pinned (`host_key_sha256`, or ssh.known_hosts in the config): nothing is sent to an unpinned host"
                } else {
                    let keyLogin = proto == .ssh && credential.kind == .sshKey
                    let key = PairKey(probe: probe.id, base: target.base, keyLogin: keyLogin)
                    if let i = pairIndex[key] {
                        if pairs[i].hostKeySHA256 != pin {
                            check.skipReason = "host_key_sha256 for \(target.base) differs from the one given first (\(pairs[i].probe.id)): not sent"
                            planned.append(check)
                            continue
                        }
                        check.pair = i
                    } else {
                        pairIndex[key] = pairs.count
                        check.pair = pairs.count
                        pairs.append(ControlPair(probe: probe, target: target, username: login,
                                                 authSecret: authSecret, hostKeySHA256: pin, keyLogin: keyLogin))
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
            if probe.kind == .tlsClientCertificate {
                warnings.append("\(control.origin): positive controls are not supported for mTLS probes (`\(probe.id)`): ignored")
                continue
            }
            guard let target = TargetURL(control.target ?? probe.defaultTarget ?? "", schemes: probe.kind.schemes) else {
                warnings.append("\(control.origin): positive control for \(probe.id) has no usable target")
                continue
            }
            guard probe.allows(host: target.host) else {
                warnings.append("\(control.origin): positive control target host \(target.host) is not in allowed_hosts of `\(probe.id)`: not sent")
                continue
            }
            // SSH: a control that is a private key vouches for key logins only, a password for
            // password logins only; a key is never sent as a password (nor the other way round).
            let resolved = resolver.resolve(control.secret)
            let isKey = probe.kind == .ssh && ((try? resolved.get()).map(VerifyPlanner.looksLikePrivateKey) ?? false)
            guard let i = pairIndex[PairKey(probe: probe.id, base: target.base, keyLogin: isKey)] else {
                let which = probe.kind == .ssh ? (isKey ? " with a key" : " with a password") : ""
                warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) matches no credential's probe and target\(which): it checks nothing")
                continue
            }
            let controlUser = control.username ?? pairs[i].username
            if let format = probe.usernameRefused(controlUser) {
                pairs[i].positiveProblem = "the positive control's username is not \(format.meaning)"
                warnings.append("\(control.origin): positive control for \(probe.id) not sent: its username is not \(format.meaning); rejections there will not count")
                continue
            }
            switch resolved {
            case .success(let s) where ProbeRequestBuilder.cannotCarry(s, auth: probe.auth) != nil:
                pairs[i].positiveProblem = "the positive control's secret cannot go out unaltered with this probe"
                warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not sent: its secret cannot go out unaltered (not UTF-8, or spaces at its edges, where the probe sends text in a header); rejections there will not count")
            case .success(let s) where probe.hostFromSecret.map({ $0.host(for: s.text ?? "") != target.host }) ?? false:
                // A key that names another host is refused here as a dead one is: it vouches for nothing, and is not sent.
                pairs[i].positiveProblem = "the positive control's key belongs to another host than \(target.host)"
                warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not sent: its key names another host; rejections there will not count")
            case .success(let s):
                pairs[i].positiveSecret = s
                pairs[i].positiveUsername = controlUser
            case .failure(let e):
                // The control was meant to vouch for rejections here: without it, they prove nothing.
                pairs[i].positiveProblem = "the positive control could not be used (\(e.reason))"
                warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not used: \(e.reason); rejections there will not count")
            }
        }
        // Introspection and SCIM answer "not active" / "no such account" alike for a revoked token
        // or a removed account and for one the server simply does not know (another issuer, a
        // client not allowed to see it, an identifier in another format): only a known-good
        // control on the same pair shows the server would have known this one.
        for i in pairs.indices where [.oauth2Introspection, .scim].contains(pairs[i].probe.kind)
            && pairs[i].positiveSecret == nil && pairs[i].positiveProblem == nil {
            let what = pairs[i].probe.kind == .scim ? "a known-active account" : "a known-active token"
            pairs[i].positiveProblem = "no positive control (\(what) in `controls`) for \(pairs[i].probe.id) at \(pairs[i].target.base): "
                + "this server answers alike for what it revoked and for what it does not know, so a rejection proves nothing alone"
        }
        // Passwords in clear text over the network (ldap://, imap://, smtp://): say once where.
        let clear = Set(pairs.filter { ["ldap", "imap", "smtp"].contains($0.target.scheme) && !VerifyPlanner.isLoopback($0.target.host) }
            .map { "\($0.target.scheme)://\($0.target.host)" }).sorted()
        if !clear.isEmpty {
            warnings.append("logins to \(clear.joined(separator: ", ")) send the password in clear text (no TLS, no STARTTLS): "
                + "use ldaps://, imaps:// or smtps:// where the server offers it")
        }
        // PostgreSQL without a verified server: say once which hosts get passwords that way.
        if !configuration.postgres.mode.verifiesServer {
            let hosts = Set(pairs.filter { $0.probe.kind == .postgresql && !VerifyPlanner.isLoopback($0.target.host) }.map(\.target.host)).sorted()
            if !hosts.isEmpty {
                warnings.append("PostgreSQL logins to \(hosts.joined(separator: ", ")) use sslmode \(configuration.postgres.mode.rawValue): the server is not "
                    + "authenticated, so a machine in the path could read a password or forge a refusal; set postgresql.sslmode to verify-full")
            }
        }
        var plan = VerifyPlan(inventory: inventory, secrets: secrets, fingerprints: fingerprints, checks: checks,
                              pairs: pairs, hostLimits: hostLimits, warnings: warnings, inputErrors: inputErrors)
        plan.certificates = certificates
        plan.certificateInfos = certificateInfos
        plan.secretFindings = secretFindings
        plan.jwtValidUntil = jwtValidUntil
        return plan
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
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) && Int(p)! <= 255 }
    }

    /// Plain http to a system that speaks https (the probe's default target is https), or for a
    /// protocol whose request carries an operator's or client's secret (SCIM, introspection,
    /// SigV4): refused, except on loopback (tests, local tunnels).
    static func wouldSendInClear(_ probe: ProbeDefinition, _ target: TargetURL) -> Bool {
        guard target.scheme == "http" else { return false }
        if isLoopback(target.host) { return false }
        if probe.defaultTarget?.lowercased().hasPrefix("https://") == true { return true }
        // A secret that names its own https host, or a provider whose regions all speak https.
        if probe.hostFromSecret != nil { return true }
        if !probe.regions.isEmpty && probe.regions.allSatisfy({ $0.lowercased().hasPrefix("https://") }) { return true }
        return [.scim, .oauth2Introspection, .awsSigV4].contains(probe.kind)
    }

    /// Whether a username holds a line break, a Unicode line or paragraph separator, or another
    /// control character: never what the account is called.
    /// Whether a secret is a private key's text (OpenSSH, PEM, PuTTY, SSH2), or bytes that are no
    /// text at all: such a secret is never sent as a password.
    static func looksLikePrivateKey(_ secret: Secret) -> Bool {
        guard let text = secret.text else { return false }
        return ["PRIVATE KEY-----", "PuTTY-User-Key-File", "BEGIN SSH2 ENCRYPTED PRIVATE KEY"].contains { text.contains($0) }
    }

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

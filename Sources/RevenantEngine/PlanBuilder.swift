import Foundation
import RevenantCore
import RevenantCrypto
import RevenantProbes

/// VerifyPlanner's work, in named steps: for each credential its secret (with its certificate or
/// token), then each of its targets (where, whether it may be sent, the host's pin, its control
/// pair, the host's limits); then the positive controls and the run's warnings. Sends nothing.
struct PlanBuilder {
    let probes: [String: ProbeDefinition]
    let configuration: Configuration
    let resolver: any SecretReader
    let fingerprinter: Fingerprinter
    let now: Date
    let jwks: JSONWebKeySet?
    let certificateSource: (any CertificateSource)?
    /// The base URL of each region of each probe with `regions`, parsed once for the whole plan.
    let regionBases: [String: Set<String>]

    var inventory: Inventory
    var secrets: [Secret?] = []
    var fingerprints = FingerprintList()
    var checks: [[PlannedCheck]] = []
    /// Credentials on the same targets plan the same checks: one copy of each list.
    var sharedChecks = ValueInterner<[PlannedCheck]>()
    var certificates: [Int: [UInt8]] = [:]
    var certificateInfos: [Int: CertificateInfo] = [:]
    var sshCertificates: [Int: SSHCertificateFacts] = [:]
    /// The public key blob each `ssh_certificate` certifies: its fingerprint is the credential's.
    var sshCertificateKeys: [Int: [UInt8]] = [:]
    var secretFindings: [Int: [Finding]] = [:]
    var jwtValidUntil: [Int: Date] = [:]
    var jwtValidFrom: [Int: Date] = [:]
    /// Where each pair's positive control was given: a pair takes one.
    var controlOrigin: [Int: String] = [:]
    var pairs: [ControlPair] = []
    var pairIndex: [PairKey: Int] = [:]
    var hostLimits: [String: HostLimits] = [:]
    var warnings: [String]
    var inputErrors: [String] = []
    /// SSH host keys (`ssh.known_hosts`, read by the caller).
    let knownHosts: KnownHosts?
    /// A target text names the same place for every probe of a protocol: parsed once.
    var parsedTargets: [TargetKey: TargetURL?] = [:]
    /// Each probe's own secret (operator token, client secret), resolved once.
    var authSecrets: [String: Result<Secret, SecretError>] = [:]
    /// `inventory lint`: the same rules, with no secret read (the resolver gives placeholders), so
    /// the rules that read a secret (its host, a JWT's claims, what a control is) are left out.
    var lintOnly = false
    /// `verify --shard I/N`: N processes share each host, so each takes 1/N of its limits.
    var shardCount = 1

    init(inventory: Inventory, probes: [String: ProbeDefinition], configuration: Configuration, resolver: any SecretReader,
         fingerprinter: Fingerprinter, now: Date, jwks: JSONWebKeySet?, certificateSource: (any CertificateSource)?, knownHosts: KnownHosts?) {
        self.knownHosts = knownHosts
        self.inventory = inventory
        self.probes = probes
        self.configuration = configuration
        self.resolver = resolver
        self.fingerprinter = fingerprinter
        self.now = now
        self.jwks = jwks
        self.certificateSource = certificateSource
        regionBases = VerifyPlanner.regionBases(probes)
        warnings = inventory.warnings
    }

    /// What a credential's secret step left: the secret, or why there is none.
    struct ResolvedSecret {
        var secret: Secret?
        var problem: String?
    }

    mutating func build() -> VerifyPlan {
        secrets.reserveCapacity(inventory.credentials.count)
        for ci in inventory.credentials.indices {
            let resolved = resolveSecret(ci)
            if !lintOnly, let secret = resolved.secret, let field = Self.fieldHolding(secret, of: inventory.credentials[ci]) {
                // Named by place, not id: the id may be what holds it.
                inputErrors.append("\(inventory.credentials[ci].location): `\(field)` holds the credential's own secret, "
                                   + "and every report and the ledger would print it: take it out")
            }
            secrets.append(resolved.secret)
            fingerprints.append(sshCertificateKeys[ci].map { fingerprinter.fingerprint(bytes: $0) } ?? resolved.secret.map(fingerprinter.fingerprint))
            let credential = inventory.credentials[ci]
            checks.append(sharedChecks.intern(VerifyPlanner.targets(of: credential, probes: probes, regionBases: regionBases).map {
                planCheck(credential, $0, resolved)
            }))
        }
        attachPositiveControls()
        requireControlsWhereAnswersAreAlike()
        warnings += clearTextWarnings()
        var plan = VerifyPlan(inventory: inventory, secrets: secrets, fingerprints: fingerprints, checks: checks,
                              pairs: pairs, hostLimits: hostLimits.mapValues { $0.shared(among: shardCount) },
                              warnings: warnings, inputErrors: inputErrors)
        plan.certificates = certificates
        plan.certificateInfos = certificateInfos
        plan.sshCertificates = sshCertificates
        plan.secretFindings = secretFindings
        plan.jwtValidUntil = jwtValidUntil
        plan.jwtValidFrom = jwtValidFrom
        return plan
    }

    // MARK: step 1, the secret (and the certificate or token it belongs to)

    /// The text field of `credential` that holds `secret` whole (`SecretFinder`'s rule: bytes, ASCII
    /// letters in any case, six bytes or more), if any: reports print ids, owners and tags as written.
    static func fieldHolding(_ secret: Secret, of credential: Credential) -> String? {
        // A SCIM account's "secret" is its user name, which ids and tags may well name.
        let needle = secret.bytes.map(SecretFinder.fold)
        guard needle.count >= SecretFinder.minimum, credential.kind != .scimAccount else { return nil }
        func holds(_ text: String) -> Bool { SecretFinder.occurs(needle, in: text) }
        if holds(credential.id) { return "id" }
        if let owner = credential.owner, holds(owner) { return "owner" }
        for (key, value) in credential.tags.sorted(by: { $0.key < $1.key }) where holds(value) || holds(key) { return "tags.\(holds(key) ? "…" : key)" }
        // A target is printed in every check and ledger record (a webhook URL pasted whole).
        if credential.targets.contains(where: { $0.target.map(holds) ?? false }) { return "target" }
        return nil
    }

    mutating func resolveSecret(_ ci: Int) -> ResolvedSecret {
        let credential = inventory.credentials[ci]
        var out = ResolvedSecret()
        var source = credential.secret
        if credential.kind == .x509Certificate, let files = credential.certificate {
            // The private key is what an mTLS probe proves possession of: it is the secret.
            source = files.privateKey
            out.problem = readCertificate(ci, files)
        }
        if credential.kind == .sshCertificate, !lintOnly, let files = credential.certificate {
            out.problem = readSSHCertificate(ci, files)
        }
        if credential.kind == .scimAccount, source == nil, let user = credential.username {
            // Looked up by name with the operator's token; the name stands where a secret would.
            out.secret = Secret(user)
        } else if out.problem == nil {  // (set when a certificate could not be read: its key is not read either)
            if let source {
                switch resolver.resolve(source) {
                case .success(let s): out.secret = s
                case .failure(let e): out.problem = e.reason
                }
            } else {
                out.problem = credential.kind == .x509Certificate ? "no `private_key` in the inventory (an mTLS probe needs it)" : "no secret in the inventory"
            }
        }
        // Keys are multi-line by nature; any other secret with a line break would be sent corrupted.
        if let s = out.secret, ![.sshKey, .sshCertificate, .x509Certificate, .serviceAccountKey].contains(credential.kind), s.hasLineBreakOrNUL {
            out.secret = nil
            out.problem = "the secret contains a line break or NUL: not sent (a login or header carrying it would be refused, which proves nothing)"
        }
        if credential.kind == .jwt, !lintOnly, let token = out.secret.map({ $0.text ?? "" }) {
            readToken(ci, token)
        } else if [.oauthToken, .bearerToken].contains(credential.kind), !lintOnly, let token = out.secret?.text, token.hasPrefix("eyJ"),
                  let decoded = try? JSONWebToken.decode(token) {
            // An access token that is a JWT, whatever kind it was listed as: its own dates bound
            // what a refusal proves (found by an adversarial run: as `oauth_token`, an
            // introspection's `active: false` read as dead while the token's exp was a day away).
            noteValidity(ci, decoded.claims)
        }
        if credential.kind == .serviceAccountKey, !lintOnly, let s = out.secret, let why = Self.keyProblem(s) {
            out.secret = nil
            out.problem = why
        }
        return out
    }

    /// Why a service-account key file cannot sign an assertion, or nil (no value of the file is quoted).
    static func keyProblem(_ secret: Secret) -> String? {
        switch ServiceAccountKey.decode(secret.bytes) {
        case .failure(let e): return "service-account key: \(e.message)"
        case .success(let key): return RSASigner.canSign(privateKeyPEM: key.privateKeyPEM) ? nil
            : "service-account key: `private_key` is not an RSA private key OpenSSL can sign with"
        }
    }

    /// Reads an `x509_certificate`'s certificate (and issuer, sent along); its dates become the
    /// credential's. Returns why it could not be read.
    mutating func readCertificate(_ ci: Int, _ files: CertificateFiles) -> String? {
        let credential = inventory.credentials[ci]
        let file = certificateSource?.certificates(inFile: files.certificate) ?? ([], "no certificate reader in this build")
        guard let leaf = file.certificates.first else {
            let why = file.problem ?? "no certificate in it"
            inputErrors.append("\(credential.location): `certificate` \(files.certificate): \(why)")
            return "cannot read certificate file \(files.certificate): \(why)"
        }
        // The issuer goes with the leaf, PEM or DER alike: a server that trusts only the root needs
        // the intermediate from the client, or refuses a live certificate (nginx: 400 "The SSL
        // certificate error", which mTLS probes read as a refusal).
        let chain = files.issuer.map { certificateSource?.certificates(inFile: $0).certificates ?? [] } ?? []
        certificates[ci] = (file.certificates + chain).flatMap(\.pem)
        certificateInfos[ci] = leaf.info
        // DESIGN §4: a certificate's dates come from the certificate itself.
        inventory.credentials[ci].issuedAt = leaf.info.notBefore
        inventory.credentials[ci].expiresAt = leaf.info.notAfter
        return nil
    }

    /// Reads an `ssh_certificate`'s `-cert.pub` (and its CA's KRL): its validity window becomes the
    /// credential's dates, its bytes go with the key to SSH probes. Returns why no probe may use it:
    /// unreadable, a host certificate, not for the login user, or not valid yet — a server refuses
    /// those for that reason alone, and a refusal that proves nothing about the certificate must
    /// not read as its death (docs/protocols/ssh.md, "User certificates").
    mutating func readSSHCertificate(_ ci: Int, _ files: CertificateFiles) -> String? {
        let credential = inventory.credentials[ci]
        let cert: SSHCertificate
        do {
            let bytes = try resolver.resolve(.file(files.certificate)).get().bytes
            cert = try SSHCertificate.parse(file: bytes)
            certificates[ci] = bytes
        } catch let error as SSHFormatError {
            inputErrors.append("\(credential.location): `certificate` \(files.certificate): not an OpenSSH certificate: \(error.message)")
            return "cannot read SSH certificate \(files.certificate): \(error.message)"
        } catch {
            let why = (error as? SecretError)?.reason ?? "unreadable"
            inputErrors.append("\(credential.location): `certificate` \(files.certificate): \(why)")
            return "cannot read SSH certificate \(files.certificate): \(why)"
        }
        sshCertificateKeys[ci] = cert.publicKeyBlob
        inventory.credentials[ci].issuedAt = cert.notBefore ?? credential.issuedAt
        inventory.credentials[ci].expiresAt = cert.notAfter
        var facts = SSHCertificateFacts(summary: cert.summary, notAfter: cert.notAfter)
        if let path = files.revocationList {
            do {
                let krl = try SSHKeyRevocationList.parse(try resolver.resolve(.file(path)).get().bytes)
                facts.krlRead = true
                facts.revokedBy = krl.revocation(of: cert, sha256: Digest.sha256, sha1: Digest.sha1)
            } catch {
                let why = (error as? SSHFormatError)?.message ?? (error as? SecretError)?.reason ?? "unreadable"
                warnings.append("\(credential.location): \(credential.id): KRL \(path) not read (\(why)): the CA's revocation is not known")
            }
        }
        sshCertificates[ci] = facts
        guard cert.isUser else { return "\(cert.summary) is a host certificate, not a user certificate: no login uses it" }
        // TrustedUserCAKeys without AuthorizedPrincipalsFile (the usual setup) refuses it ("Certificate lacks principal
        // list"); only an authorized_keys cert-authority line takes it: a refusal cannot tell which.
        if cert.principals.isEmpty {
            return "\(cert.summary) names no principal: sshd refuses it for that alone where it trusts the CA through TrustedUserCAKeys "
                + "(\"Certificate lacks principal list\") and takes it only through an authorized_keys cert-authority line, so a refusal proves nothing"
        }
        // Byte for byte, as sshd compares them: String's == would take `e` + U+0301 for `é`, and sshd refuses that.
        if let user = credential.username, !cert.principals.contains(where: { $0.utf8.elementsEqual(user.utf8) }) {
            return "\(cert.summary) is not valid for user \(ServerText.quote(user)) (principals: "
                + cert.principals.map { ServerText.quote($0) }.joined(separator: ", ")
                + "): a server refuses it for that alone, which proves nothing about the certificate; probe it as one of its principals"
        }
        // sshd refuses a certificate whose source-address does not list the probing host, or with a critical
        // option it does not know (or verify-required without a user-verified signature): a refusal for that
        // alone proves nothing. force-command refuses no login.
        let restricting = cert.criticalOptions.filter { $0 != "force-command" }
        if !restricting.isEmpty {
            return "\(cert.summary) carries the critical option " + restricting.map { ServerText.quote($0) }.joined(separator: ", ")
                + ": sshd refuses it for that alone where the option does not allow this login (a source-address without the probing host, "
                + "an option it does not support), which proves nothing about the certificate"
        }
        // A valid_after past year 9999 has no date (notBefore nil) but is in the future all the same.
        if cert.validAfter != 0, cert.notBefore.map({ $0 > now }) ?? true {
            let from = cert.notBefore.map(Timestamp.format) ?? "a time past the year 9999 (valid_after \(cert.validAfter))"
            return "\(cert.summary) is not valid before \(from): a refusal now proves nothing about later"
        }
        return nil
    }

    /// A JWT's own validity: until its `exp`, and from its `nbf` or `iat` when that is still ahead
    /// (a server refuses it until then, live or not).
    mutating func noteValidity(_ ci: Int, _ claims: JSONWebToken.Claims) {
        jwtValidUntil[ci] = claims.expiresAt ?? .distantFuture
        if let from = [claims.notBefore, claims.issuedAt].compactMap({ $0 }).max(), from > now { jwtValidFrom[ci] = from }
    }

    /// A JWT's own dates and algorithm feed the lifecycle findings.
    mutating func readToken(_ ci: Int, _ token: String) {
        let credential = inventory.credentials[ci]
        do {
            let decoded = try JSONWebToken.decode(token)
            noteValidity(ci, decoded.claims)
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

    // MARK: step 2, each target: where, whether, the pin, the pair, the host's limits

    mutating func planCheck(_ credential: Credential, _ t: ProbeTarget, _ resolved: ResolvedSecret) -> PlannedCheck {
        guard let probe = probes[t.probe] else {
            return PlannedCheck(probeID: t.probe, displayURL: t.target ?? "", skipReason: "unknown probe `\(t.probe)` (see `revenant probes list`)")
        }
        // A secret that names its host (Mailchimp's `…-us6`) goes there and nowhere else; lint,
        // reading no secret, cannot say where that is.
        if lintOnly, probe.hostFromSecret != nil, t.target == nil { return PlannedCheck(probeID: probe.id, displayURL: "") }
        // So may a service-account key (its token_uri), which lint does not read either.
        if lintOnly, case .tokenRequest(.jwtBearer, _) = probe.auth, t.target == nil { return PlannedCheck(probeID: probe.id, displayURL: "") }
        let ownHost = probe.hostFromSecret.flatMap { rule in resolved.secret?.text.flatMap { rule.host(for: $0) } }
        // A service-account key names its token endpoint: used when the probe allows its host, else nothing is sent.
        var keyBase: String?
        if let secret = resolved.secret, !lintOnly {
            switch OAuth2TokenProtocol.keyTarget(secret, probe: probe) {
            case .refused(let why): return PlannedCheck(probeID: probe.id, displayURL: t.target ?? probe.defaultTarget ?? "", skipReason: why)
            case .base(let base): keyBase = base
            case .unnamed: break
            }
        }
        guard let text = t.target ?? keyBase ?? probe.defaultTarget ?? ownHost.map({ "https://\($0)" }) else {
            if probe.hostFromSecret != nil, let problem = resolved.problem {
                // The host comes from the secret: the secret's own problem is the reason.
                return PlannedCheck(probeID: probe.id, displayURL: "", skipReason: problem)
            }
            let regions = probe.regions.isEmpty ? "" : ": name the credential's region (one of \(probe.regions.joined(separator: ", ")))"
            return PlannedCheck(probeID: probe.id, displayURL: "", skipReason: "no target given and probe `\(probe.id)` has no default_target\(regions)")
        }
        guard let target = parseTarget(text, probe.kind) else {
            // The text is not shown: a malformed target may carry a password.
            let what = probe.kind.targetDescription.replacingOccurrences(of: " URL", with: " base URL")
            return PlannedCheck(probeID: probe.id, displayURL: "(unusable target)", skipReason: "target is not \(what) without user info, query or fragment")
        }
        // SSH: the inventory's pin, else the known_hosts file's.
        let pin = probe.kind == .ssh ? (t.hostKeySHA256 ?? knownHosts?.pin(host: target.host, port: target.port ?? 22)) : t.hostKeySHA256
        var check = PlannedCheck(probeID: probe.id, displayURL: ProbeRequestBuilder.displayURL(probe, target: target))
        let login = VerifyPlanner.loginName(credential, probe: probe)
        let authSecret = resolveAuthSecret(probe)
        check.skipReason = skipReason(credential, probe, target, resolved, login: login, ownHost: ownHost, authSecret: authSecret, pin: pin)
        guard check.skipReason == nil else { return check }
        let keyLogin = probe.kind == .ssh && [.sshKey, .sshCertificate].contains(credential.kind)
        let key = PairKey(probe: probe.id, base: target.base, keyLogin: keyLogin,
                          certificateLogin: probe.kind == .ssh && credential.kind == .sshCertificate)
        if let i = pairIndex[key] {
            if pairs[i].hostKeySHA256 != pin {
                check.skipReason = "host_key_sha256 for \(target.base) differs from the one given first (\(pairs[i].probe.id)): not sent"
                return check
            }
            check.pair = i
        } else {
            pairIndex[key] = pairs.count
            check.pair = pairs.count
            pairs.append(ControlPair(probe: probe, target: target, username: login,
                                     authSecret: authSecret, hostKeySHA256: pin, keyLogin: keyLogin))
            pairs[pairs.count - 1].negativeSecret = resolved.secret.flatMap { probe.kind.unit.negativeControlSecret(like: $0, probe: probe) }
            pairs[pairs.count - 1].certificateLogin = key.certificateLogin
        }
        var limits = hostLimits[target.authority] ?? configuration.perHost
        if let own = probe.rateLimit { limits = limits.tightened(by: own) }
        hostLimits[target.authority] = limits
        return check
    }

    mutating func parseTarget(_ text: String, _ proto: ProbeProtocol) -> TargetURL? {
        let key = TargetKey(protocol: proto, text: text)
        if let known = parsedTargets[key] { return known }
        let parsed = TargetURL(text, schemes: proto.schemes)
        parsedTargets[key] = parsed
        return parsed
    }

    /// The probe's own secret (an introspecting client's, a SCIM operator token), read once per probe.
    mutating func resolveAuthSecret(_ probe: ProbeDefinition) -> Secret? {
        guard let source = VerifyPlanner.authSource(probe) else { return nil }
        let resolved = authSecrets[probe.id] ?? resolver.resolve(source).flatMap { own in
            // A SCIM operator token goes in a header: text only.
            if case .scim = probe.auth, !own.isUTF8 { return .failure(SecretError("the operator token is not valid UTF-8")) }
            return .success(own)
        }
        authSecrets[probe.id] = resolved
        return try? resolved.get()
    }

    /// Why this check is not sent, or nil: each rule keeps a secret from where it must not go, or
    /// from an answer that could prove nothing.
    func skipReason(_ credential: Credential, _ probe: ProbeDefinition, _ target: TargetURL, _ resolved: ResolvedSecret,
                    login: String?, ownHost: String?, authSecret: Secret?, pin: String?) -> String? {
        let proto = probe.kind
        if VerifyPlanner.wouldSendInClear(probe, target) {
            return "plain http to \(target.host): the secret is not sent in clear text over a network (write https://, or reach the host through a loopback tunnel)"
        }
        if probe.allowedHosts.isEmpty {
            return "probe `\(probe.id)` lists no allowed_hosts: copy \(probe.source) into your probes_dirs and list the hosts it may reach"
        }
        if !probe.allows(host: target.host) {
            return "host \(target.host) is not in allowed_hosts of probe `\(probe.id)` (\(probe.allowedHosts.joined(separator: ", "))): the secret is not sent there"
        }
        if !probe.kinds.contains(credential.kind) {
            return "probe `\(probe.id)` does not take kind \(credential.kind.rawValue) (it takes \(probe.kinds.map(\.rawValue).joined(separator: ", ")))"
        }
        if let problem = resolved.problem { return problem }
        if let secret = resolved.secret, let why = ProbeRequestBuilder.cannotCarry(secret, auth: probe.auth) { return why }
        if case .basic(let defaultUser, let secretInUsername) = probe.auth, !secretInUsername, (credential.username ?? defaultUser ?? "").isEmpty {
            // `:secret` would be rejected whoever holds the password: that proves nothing.
            return "probe `\(probe.id)` uses basic auth but the credential has no `username` (and the probe no default)"
        }
        if let login, VerifyPlanner.hasLineBreakOrControl(login) {
            // Sent as is, a stray `\n` (a YAML block, a pasted value) makes a live credential look dead.
            return "credential `\(credential.id)`: its username contains a line break or another control character: not sent"
        }
        if let format = probe.usernameRefused(login) {
            // The provider refuses a live credential sent with another username as it refuses a dead one.
            return "credential `\(credential.id)`: probe `\(probe.id)` needs the username to be \(format.meaning); "
                + "with another one a live credential is refused too, so nothing would be proved: not sent"
        }
        if let rule = probe.hostFromSecret, ownHost == nil, !lintOnly {
            return "credential `\(credential.id)`: the secret does not name its host as probe `\(probe.id)` expects (\(rule.host)): not sent"
        }
        if let ownHost, target.host != ownHost, !lintOnly {
            return "credential `\(credential.id)`: the key belongs to \(ownHost), not \(target.host); "
                + "another host refuses a live key as it refuses a dead one, so it is not sent there"
        }
        if OAuth2TokenProtocol.needsClientID(probe.auth), (login ?? "").isEmpty {
            return "probe `\(probe.id)` sends a client secret with its client id, but the credential has no `username` (the client_id)"
        }
        if proto.needsUsername, (login ?? "").isEmpty {
            return "protocol \(proto.rawValue) logs in by name, but the credential has no \(proto == .awsSigV4 ? "`access_key_id`" : "`username` (\(proto.usernameMeaning))")"
        }
        if proto == .awsSigV4, login?.hasPrefix("ASIA") == true {
            // Temporary credentials sign with a session token revenant does not send: STS would
            // answer InvalidClientTokenId, the dead-key answer, whatever the key's state.
            return "access key id ASIA… is a temporary (STS) credential: its session token is not sent, so no answer would prove anything"
        }
        if let source = VerifyPlanner.authSource(probe), authSecret == nil {
            let why = (authSecrets[probe.id].flatMap { if case .failure(let e) = $0 { e.reason } else { nil } }) ?? "unreadable"
            return "probe `\(probe.id)` cannot authenticate itself: \(why) (\(VerifyPlanner.describe(source)))"
        }
        if proto == .ssh, pin == nil {
            return "the SSH host key of \(target.base) is not pinned (`host_key_sha256`, or ssh.known_hosts in the config): nothing is sent to an unpinned host"
        }
        return nil
    }

    // MARK: step 3, controls and the run's warnings

    /// Each positive control joins the pair of its probe and target (SSH: of its kind of login).
    mutating func attachPositiveControls() {
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
            // What a control is (a key, a password) and where its key points need its secret.
            if lintOnly { continue }
            if control.certificate != nil, probe.kind != .ssh {
                warnings.append("\(control.origin): `certificate` of a control applies to SSH certificate logins only: ignored for \(probe.id)")
            }
            if probe.kind == .ssh, let certificate = control.certificate {
                attachCertificateControl(control, certificate, probe: probe, target: target)
                continue
            }
            // SSH: a control that is a private key vouches for key logins only, a password for
            // password logins only; a key is never sent as a password (nor the other way round).
            let resolved = resolver.resolve(control.secret)
            let isKey = probe.kind == .ssh && ((try? resolved.get()).map(\.looksLikePrivateKey) ?? false)
            let both = [false, true].compactMap { pairIndex[PairKey(probe: probe.id, base: target.base, keyLogin: $0)] }
            if probe.kind == .ssh, case .failure(let e) = resolved {
                // Meant to vouch for the rejections here, of whichever login: without it, none of them counts.
                for i in both where pairs[i].positiveSecret == nil {
                    pairs[i].positiveProblem = "the positive control could not be used (\(e.reason))"
                }
                if !both.isEmpty {
                    warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not used: \(e.reason); rejections there will not count")
                    continue
                }
            }
            guard let i = pairIndex[PairKey(probe: probe.id, base: target.base, keyLogin: isKey)] else {
                if probe.kind == .ssh, !both.isEmpty {
                    // A control of the other kind of login cannot vouch here, and is not sent: rejections there do not count.
                    let what = isKey ? "a private key, and the credentials here log in by password" : "a password, and the credentials here log in by key"
                    for i in both where pairs[i].positiveSecret == nil { pairs[i].positiveProblem = "the positive control is \(what)" }
                    warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not sent: it is \(what); rejections there will not count")
                    continue
                }
                warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) matches no credential's probe and target: it checks nothing")
                continue
            }
            attach(control, resolved, to: i, probe: probe, target: target)
        }
    }

    /// A positive control of SSH certificate logins: a live key and certificate of the same CA for
    /// the same user. It vouches for the certificate pair only (a bare key proves nothing about
    /// whether the server trusts the CA, and a certificate nothing about bare keys).
    mutating func attachCertificateControl(_ control: PositiveControl, _ path: String, probe: ProbeDefinition, target: TargetURL) {
        guard let i = pairIndex[PairKey(probe: probe.id, base: target.base, keyLogin: true, certificateLogin: true)] else {
            warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) has a certificate, and no ssh_certificate credential goes there: it checks nothing")
            return
        }
        do {
            let bytes = try resolver.resolve(.file(path)).get().bytes
            _ = try SSHCertificate.parse(file: bytes)
            pairs[i].positiveCertificate = bytes
        } catch {
            let why = (error as? SSHFormatError)?.message ?? (error as? SecretError)?.reason ?? "unreadable"
            pairs[i].positiveProblem = "the positive control's certificate could not be read (\(why))"
            warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not used: certificate \(path): \(why); rejections there will not count")
            return
        }
        attach(control, resolver.resolve(control.secret), to: i, probe: probe, target: target)
    }

    mutating func attach(_ control: PositiveControl, _ resolved: Result<Secret, SecretError>, to i: Int, probe: ProbeDefinition, target: TargetURL) {
        // Found by an adversarial run: a live control then an unreadable one for the same pair
        // warned that rejections would not count, and they did; the last one given replaced the first.
        if let first = controlOrigin[i] {
            inputErrors.append("\(control.origin): a second positive control for \(probe.id) at \(target.base) (the first: \(first)): "
                               + "each probe and target takes one, or which one vouches would depend on their order")
            return
        }
        controlOrigin[i] = control.origin
        let controlUser = control.username ?? pairs[i].username
        let notCounted = "rejections there will not count"
        if let format = probe.usernameRefused(controlUser) {
            pairs[i].positiveProblem = "the positive control's username is not \(format.meaning)"
            warnings.append("\(control.origin): positive control for \(probe.id) not sent: its username is not \(format.meaning); \(notCounted)")
            return
        }
        switch resolved {
        case .success(let s) where ProbeRequestBuilder.cannotCarry(s, auth: probe.auth) != nil:
            pairs[i].positiveProblem = "the positive control's secret cannot go out unaltered with this probe"
            warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not sent: its secret cannot go out unaltered "
                + "(not UTF-8, spaces at its edges or a control character, where the probe sends text in a header); \(notCounted)")
        case .success(let s) where probe.hostFromSecret.map({ $0.host(for: s.text ?? "") != target.host }) ?? false:
            // A key that names another host is refused here as a dead one is: it vouches for nothing, and is not sent.
            pairs[i].positiveProblem = "the positive control's key belongs to another host than \(target.host)"
            warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not sent: its key names another host; \(notCounted)")
        case .success(let s) where credentialKind(of: probe) == .serviceAccountKey && Self.keyProblem(s) != nil:
            pairs[i].positiveProblem = "the positive control is not a usable service-account key"
            warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not sent: \(Self.keyProblem(s)!); \(notCounted)")
        case .success(let s):
            pairs[i].positiveSecret = s
            pairs[i].positiveUsername = controlUser
        case .failure(let e):
            // The control was meant to vouch for rejections here: without it, they prove nothing.
            pairs[i].positiveProblem = "the positive control could not be used (\(e.reason))"
            warnings.append("\(control.origin): positive control for \(probe.id) at \(target.base) not used: \(e.reason); \(notCounted)")
        }
    }

    /// Introspection and SCIM answer "not active" / "no such account" alike for a revoked token or
    /// a removed account and for one the server simply does not know (another issuer, a client not
    /// allowed to see it, an identifier in another format): only a known-good control on the same
    /// pair shows the server would have known this one.
    mutating func requireControlsWhereAnswersAreAlike() {
        for i in pairs.indices where pairs[i].certificateLogin && pairs[i].positiveSecret == nil && pairs[i].positiveProblem == nil {
            pairs[i].positiveProblem = "no positive control (a live key and certificate of the same CA for the same user, in `controls`) for "
                + "\(pairs[i].probe.id) at \(pairs[i].target.base): a server that does not trust the CA, or whose TrustedUserCAKeys is "
                + "broken, refuses every certificate alike, so a rejection proves nothing alone"
        }
        for i in pairs.indices where [.oauth2Introspection, .scim, .oauth2Token].contains(pairs[i].probe.kind)
            && pairs[i].positiveSecret == nil && pairs[i].positiveProblem == nil {
            let what = switch pairs[i].probe.kind {
            case .scim: "a known-active account"
            case .oauth2Token: "a known-good client secret or key"
            default: "a known-active token"
            }
            pairs[i].positiveProblem = "no positive control (\(what) in `controls`) for \(pairs[i].probe.id) at \(pairs[i].target.base): "
                + "this server answers alike for what it revoked and for what it does not know, so a rejection proves nothing alone"
        }
    }

    /// The kind of credential a token probe sends, if it is one.
    func credentialKind(of probe: ProbeDefinition) -> CredentialKind? {
        if case .tokenRequest(let method, _) = probe.auth { return method.credentialKind }
        return nil
    }

    /// Passwords in clear text over the network, and PostgreSQL logins to unverified servers: said once each.
    func clearTextWarnings() -> [String] {
        var out: [String] = []
        let clear = Set(pairs.filter { ["ldap", "imap", "smtp"].contains($0.target.scheme) && !VerifyPlanner.isLoopback($0.target.host) }
            .map { "\($0.target.scheme)://\($0.target.host)" }).sorted()
        if !clear.isEmpty {
            out.append("logins to \(clear.joined(separator: ", ")) send the password in clear text (no TLS, no STARTTLS): "
                + "use ldaps://, imaps:// or smtps:// where the server offers it")
        }
        if !configuration.postgres.mode.verifiesServer {
            let hosts = Set(pairs.filter { $0.probe.kind == .postgresql && !VerifyPlanner.isLoopback($0.target.host) }.map(\.target.host)).sorted()
            if !hosts.isEmpty {
                out.append("PostgreSQL logins to \(hosts.joined(separator: ", ")) use sslmode \(configuration.postgres.mode.rawValue): the server is not "
                    + "authenticated, so a machine in the path could read a password or forge a refusal; set postgresql.sslmode to verify-full")
            }
        }
        // Redis has no challenge-response: redis:// carries the password as it is. mysql:// never
        // sends it, but authenticates no server (docs/protocols/mysql.md, redis.md).
        let remote = { (scheme: String) in
            Set(pairs.filter { $0.target.scheme == scheme && !VerifyPlanner.isLoopback($0.target.host) }.map(\.target.host)).sorted()
        }
        if !remote("redis").isEmpty {
            out.append("Redis logins to \(remote("redis").joined(separator: ", ")) send the password in clear text: use rediss://")
        }
        if !remote("mysql").isEmpty {
            out.append("MySQL logins to \(remote("mysql").joined(separator: ", ")) use mysql://: the server is not authenticated, "
                + "so a machine in the path could forge a refusal; use mysqls://")
        }
        return out
    }
}

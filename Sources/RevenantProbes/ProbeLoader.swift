import Foundation
import RevenantCore
import RevenantFiles

/// One problem `probes lint` reports.
public struct LintProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Level: String, Sendable { case error, warning }

    public var level: Level
    public var error: InputError

    public var description: String { "\(level.rawValue): \(error)" }
}

/// Reads probe definition files and checks every rule of docs/probe-format.md in one pass.
public enum ProbeLoader {
    static let topFields = ["id", "title", "kinds", "protocol", "default_target", "allowed_hosts", "request", "auth",
                            "authenticated", "rejected", "negative_control", "rate_limit", "docs", "username_format",
                            "host_from_secret", "regions", "rejection_unproven", "sources"]
    public static let supportedProtocols = ProbeProtocol.allCases.map(\.rawValue)

    /// The JSON files named: directories are searched (not recursively) for `*.json`.
    public static func files(in paths: [String]) -> (files: [String], problems: [LintProblem]) {
        var files: [String] = []
        var problems: [LintProblem] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                problems.append(LintProblem(level: .error, error: InputError(file: path, message: "no such file or directory")))
                continue
            }
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".json") }.sorted().map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
            } else {
                files.append(path)
            }
        }
        return (files, problems)
    }

    /// Loads every definition in `paths`; a later file with the same id replaces an earlier one (with a warning).
    public static func load(paths: [String]) -> (definitions: [String: ProbeDefinition], problems: [LintProblem]) {
        var (files, problems) = files(in: paths)
        var definitions: [String: ProbeDefinition] = [:]
        for file in files {
            let (definition, found) = load(file: file)
            problems += found
            guard let definition, !found.contains(where: { $0.level == .error }) else { continue }
            if let earlier = definitions[definition.id] {
                problems.append(LintProblem(level: .warning, error: InputError(
                    file: file, location: "id", message: "probe `\(definition.id)` replaces the one in \(earlier.source)")))
            }
            definitions[definition.id] = definition
        }
        return (definitions, problems)
    }

    public static func load(file: String) -> (ProbeDefinition?, [LintProblem]) {
        guard let data = FileBytes.read(file) else {
            return (nil, [LintProblem(level: .error, error: InputError(file: file, message: "cannot read the file"))])
        }
        return load(bytes: data, file: file)
    }

    /// One definition from its bytes; `file` names it in problems (and its stem must be the id).
    public static func load(bytes data: [UInt8], file: String) -> (ProbeDefinition?, [LintProblem]) {
        let tree: Tree
        do {
            tree = try JSONTreeParser.parse(data, file: file)
        } catch {
            return (nil, [LintProblem(level: .error, error: error)])
        }
        var decoder = ProbeDecoder(reader: FieldReader(file: file), file: file)
        let definition = decoder.decode(tree)
        let problems = decoder.reader.errors.map { LintProblem(level: .error, error: $0) }
            + decoder.warnings.map { LintProblem(level: .warning, error: $0) }
        return (definition, problems)
    }
}

/// Decodes and lints one probe definition.
struct ProbeDecoder {
    var reader: FieldReader
    let file: String
    var warnings: [InputError] = []

    mutating func warn(_ tree: Tree?, _ path: String, _ message: String) {
        warnings.append(InputError(file: file, location: reader.location(tree, path), message: message))
    }

    mutating func decode(_ tree: Tree) -> ProbeDefinition? {
        guard let f = reader.object(tree, "", allowed: ProbeLoader.topFields) else { return nil }
        let id = reader.string(f, "id", "", required: true) ?? ""
        let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if !id.isEmpty {
            if !ProbeDecoder.isKebabCase(id) { reader.fail(f["id"], "id", "`\(id)` is not kebab-case (lowercase words joined by `-`)") }
            if id != stem { reader.fail(f["id"], "id", "id `\(id)` must equal the file name `\(stem)`") }
        }
        let title = reader.string(f, "title", "", required: true) ?? ""
        var kinds: [CredentialKind] = []
        if let names = reader.stringList(f, "kinds", "", required: true) {
            if names.isEmpty { reader.fail(f["kinds"], "kinds", "`kinds` must list at least one credential kind") }
            for (i, name) in names.enumerated() {
                if let kind = CredentialKind(rawValue: name) { kinds.append(kind) } else {
                    reader.fail(f["kinds"], "kinds[\(i)]", "`\(name)` is not a credential kind; expected one of: \(CredentialKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
        }
        let protoName = reader.string(f, "protocol", "", required: true) ?? "http"
        let proto = ProbeProtocol(rawValue: protoName)
        if proto == nil {
            reader.fail(f["protocol"], "protocol", "protocol `\(protoName)` is not supported; expected one of: \(ProbeLoader.supportedProtocols.joined(separator: ", "))")
        }
        let kind = proto ?? .http
        let hosts = reader.stringList(f, "allowed_hosts", "", required: true) ?? []
        for (i, host) in hosts.enumerated() {
            // mTLS sends no secret (the key only signs the handshake): any host may be asked.
            if host == HostPattern.anyHost && kind == .tlsClientCertificate { continue }
            if let problem = HostPattern.problem(host) { reader.fail(f["allowed_hosts"], "allowed_hosts[\(i)]", problem) }
        }
        let defaultTarget = reader.string(f, "default_target", "")
        if f["allowed_hosts"] != nil && hosts.isEmpty {
            if defaultTarget != nil || kind == .http {
                reader.fail(f["allowed_hosts"], "allowed_hosts", "`allowed_hosts` must not be empty: a secret may only go to hosts listed here")
            } else {
                // A template for an organisation's own systems (LDAP, SSH, ...): usable once a
                // probe of the same id in `probes_dirs` names the hosts.
                warn(f["allowed_hosts"], "allowed_hosts", "empty: nothing is sent until a probe with id `\(id)` in your probes_dirs lists your hosts")
            }
        }
        if let t = defaultTarget {
            if let host = TargetURL(t, schemes: kind.schemes)?.host {
                let anyHost = kind == .tlsClientCertificate && hosts.contains(HostPattern.anyHost)
                if !hosts.isEmpty && !anyHost && !HostPattern.allows(hosts, host) {
                    reader.fail(f["default_target"], "default_target", "host `\(host)` of default_target is not in allowed_hosts")
                }
            } else {
                reader.fail(f["default_target"], "default_target", "`\(t)` is not \(kind.targetDescription)")
            }
        }
        var request: RequestTemplate?
        var auth: AuthScheme?
        var authenticated: [Matcher] = []
        var rejected: [Matcher] = []
        if kind.isHTTP {
            request = f["request"].flatMap { decodeRequest($0) }
            if f["request"] == nil { reader.fail(tree, "request", "required field `request` is missing") }
            auth = f["auth"].flatMap { decodeAuth($0, protocol: kind) }
            if f["auth"] == nil {
                if kind == .tlsClientCertificate { auth = .clientCertificate } else { reader.fail(tree, "auth", "required field `auth` is missing") }
            }
            authenticated = decodeMatchers(f, "authenticated")
            rejected = decodeMatchers(f, "rejected")
            for (i, m) in rejected.enumerated() where authenticated.contains(m) {
                warn(f["rejected"], "rejected[\(i)]", "same matcher as in `authenticated`: it can never match (authenticated is tried first)")
            }
        } else {
            // The protocol itself says what a login answer means (docs/protocols/): no matchers.
            for key in ["request", "authenticated", "rejected"] where f[key] != nil {
                reader.fail(f[key], key, "`\(key)` does not apply to protocol `\(kind.rawValue)`: its login answer is read by the protocol itself")
            }
            request = RequestTemplate(path: "")
            auth = f["auth"] == nil ? .login : decodeAuth(f["auth"]!, protocol: kind)
        }
        let negative = f["negative_control"].flatMap { decodeNegativeControl($0) } ?? NegativeControlShape()
        let rateLimit = f["rate_limit"].flatMap { decodeRateLimit($0) }
        let docs = reader.string(f, "docs", "", required: true) ?? ""
        if docs.contains("://") && !(docs.hasPrefix("https://") || docs.hasPrefix("http://")) {
            reader.fail(f["docs"], "docs", "`docs` should link to the provider's documentation (an https:// URL or a project document)")
        }
        if let request, let auth { checkAuthAgainstRequest(auth, request, f) }
        if case .tokenRequest(let method, _)? = auth { checkTokenProbe(method, kinds: kinds, authenticated: authenticated, rejected: rejected, f) }
        let usernameFormat = f["username_format"].flatMap { decodeUsernameFormat($0, auth: auth, protocol: kind) }
        let hostFromSecret = f["host_from_secret"].flatMap { decodeHostFromSecret($0, hosts: hosts) }
        if hostFromSecret != nil && defaultTarget != nil {
            reader.fail(f["default_target"], "default_target", "a probe with `host_from_secret` has no default_target: each secret names its own host")
        }
        let regions = f["regions"].map { decodeRegions($0, f, hosts: hosts, protocol: kind) } ?? []
        if hostFromSecret != nil && !regions.isEmpty {
            reader.fail(f["regions"], "regions", "a probe with `host_from_secret` sends each secret to its own host only, so it has no `regions`")
        }
        if let defaultTarget, !regions.isEmpty, let base = TargetURL(defaultTarget, schemes: kind.schemes)?.base,
           !regions.contains(where: { TargetURL($0, schemes: kind.schemes)?.base == base }) {
            reader.fail(f["default_target"], "default_target", "must be one of `regions` (a should-be-dead credential without a target is tried in every region)")
        }
        let rejectionUnproven = reader.string(f, "rejection_unproven", "")
        if let why = rejectionUnproven, why.trimmingCharacters(in: .whitespaces).isEmpty {
            reader.fail(f["rejection_unproven"], "rejection_unproven", "say why a refusal proves nothing (it is shown in every such check)")
        }
        let sources = reader.stringList(f, "sources", "") ?? []
        for (index, source) in sources.enumerated() where !(source.hasPrefix("https://") || source.hasPrefix("http://")) {
            reader.fail(f["sources"], "sources[\(index)]", "each source is a URL (https://…) of a page that documents the check")
        }
        guard let request, let auth else { return nil }
        var definition = ProbeDefinition(
            id: id, title: title, kinds: kinds, protocol: kind.rawValue, defaultTarget: defaultTarget, allowedHosts: hosts,
            request: request, auth: auth, authenticated: authenticated, rejected: rejected,
            negativeControl: negative, rateLimit: rateLimit, docs: docs, source: file)
        definition.usernameFormat = usernameFormat
        definition.hostFromSecret = hostFromSecret
        definition.regions = regions
        definition.rejectionUnproven = rejectionUnproven
        definition.sources = sources
        return definition
    }

    /// `{"pattern": REGEX, "meaning": TEXT}`: the whole username must match.
    mutating func decodeUsernameFormat(_ tree: Tree, auth: AuthScheme?, protocol kind: ProbeProtocol) -> UsernameFormat? {
        guard let f = reader.object(tree, "username_format", allowed: ["pattern", "meaning"]) else { return nil }
        let pattern = reader.string(f, "pattern", "username_format", required: true)
        let meaning = reader.string(f, "meaning", "username_format", required: true)
        guard let pattern, let meaning else { return nil }
        if (try? NSRegularExpression(pattern: pattern)) == nil {
            reader.fail(f["pattern"], "username_format.pattern", "`\(pattern)` is not a regular expression")
            return nil
        }
        let format = UsernameFormat(pattern: pattern, meaning: meaning)
        switch auth {
        case .basic(let user, false)?:
            if let user, !format.accepts(user) {
                reader.fail(f["pattern"], "username_format.pattern", "the probe's own `auth.username` `\(user)` does not match it")
            }
        case .login?, .awsSigV4?:
            break
        case nil:
            return format
        default:
            reader.fail(tree, "username_format", "applies only where the credential's username is sent (`basic` with the secret as password, `login`, `aws_sigv4`)")
        }
        return format
    }

    /// `{"pattern": REGEX with one group, "host": "$1.example.com"}`.
    mutating func decodeHostFromSecret(_ tree: Tree, hosts: [String]) -> HostFromSecret? {
        guard let f = reader.object(tree, "host_from_secret", allowed: ["pattern", "host"]) else { return nil }
        let pattern = reader.string(f, "pattern", "host_from_secret", required: true)
        let host = reader.string(f, "host", "host_from_secret", required: true)
        guard let pattern, let host else { return nil }
        guard let regex = try? NSRegularExpression(pattern: pattern) else {
            reader.fail(f["pattern"], "host_from_secret.pattern", "`\(pattern)` is not a regular expression")
            return nil
        }
        if regex.numberOfCaptureGroups < 1 {
            reader.fail(f["pattern"], "host_from_secret.pattern", "needs a capture group: its text is put for `$1` in `host`")
        }
        // Every host the rule can name must be one the probe allows.
        let sample = host.replacingOccurrences(of: "$1", with: "x1")
        if !host.contains("$1") {
            reader.fail(f["host"], "host_from_secret.host", "`\(host)` has no `$1` (where the secret's part goes)")
        } else if TargetURL("https://\(sample)") == nil || !HostPattern.allows(hosts, sample) {
            reader.fail(f["host"], "host_from_secret.host", "`\(host)` does not name a host in allowed_hosts")
        }
        return HostFromSecret(pattern: pattern, host: host)
    }

    /// Base URLs of a provider's separate regions: at least two, each on an allowed host.
    mutating func decodeRegions(_ tree: Tree, _ f: Fields, hosts: [String], protocol kind: ProbeProtocol) -> [String] {
        guard let list = reader.stringList(f, "regions", "") else { return [] }
        if list.count < 2 { reader.fail(tree, "regions", "list at least two regions (a single one is a default_target)") }
        var bases: Set<String> = []
        for (i, text) in list.enumerated() {
            guard let url = TargetURL(text, schemes: kind.schemes) else {
                reader.fail(tree, "regions[\(i)]", "`\(text)` is not \(kind.targetDescription)")
                continue
            }
            if !HostPattern.allows(hosts, url.host) { reader.fail(tree, "regions[\(i)]", "host `\(url.host)` is not in allowed_hosts") }
            if !bases.insert(url.base).inserted { reader.fail(tree, "regions[\(i)]", "`\(text)` is listed twice") }
        }
        return list
    }

    static func isKebabCase(_ s: String) -> Bool {
        !s.isEmpty && s.split(separator: "-", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        }
    }

    mutating func decodeRequest(_ tree: Tree) -> RequestTemplate? {
        guard let f = reader.object(tree, "request", allowed: ["method", "path", "headers", "body", "read_only"]) else { return nil }
        let method = (reader.string(f, "method", "request", required: true) ?? "GET").uppercased()
        let readOnly = reader.bool(f, "read_only", "request") ?? false
        switch method {
        case "GET", "HEAD":
            if f["body"] != nil { reader.fail(f["body"], "request.body", "a \(method) request has no body") }
        case "POST":
            if !readOnly {
                reader.fail(f["method"], "request.method", "POST can change state: set `\"read_only\": true` only if the provider documents this call as side-effect free")
            }
        case "PUT", "PATCH", "DELETE":
            reader.fail(f["method"], "request.method", "\(method) changes state; probes must be read-only (GET, HEAD, or a documented read-only POST)")
        default:
            reader.fail(f["method"], "request.method", "unknown method `\(method)`; expected GET, HEAD or POST")
        }
        var path = reader.string(f, "path", "request", required: true) ?? "/"
        // Not echoed: a line break in it would break the error's own line (and reach the report's
        // target column raw, where the request builder refused it with an unrelated reason).
        if path.unicodeScalars.contains(where: { $0 == " " || ServerText.isControl($0) }) {
            reader.fail(f["path"], "request.path", "the path holds a space, a line break or another control character: percent-encode it (`%20`)")
            path = "/"
        }
        if !path.hasPrefix("/") { reader.fail(f["path"], "request.path", "`\(path)` must start with `/`") }
        if path.hasPrefix("//") { reader.fail(f["path"], "request.path", "`\(path)` must not start with `//`") }
        if path.contains("#") { reader.fail(f["path"], "request.path", "`\(path)` must not contain `#`: anything after it (a query-string secret too) is never sent") }
        let headers = reader.stringMap(f, "headers", "request") ?? [:]
        for name in headers.keys where ["authorization", "cookie", "host"].contains(name.lowercased()) {
            reader.fail(f["headers"], "request.headers.\(name)", "`\(name)` is set by the auth scheme or the transport, not by the probe")
        }
        // A line break in a header would add headers (or a body) of its own on the wire.
        for (name, value) in headers {
            if !HTTPHeaderText.isName(name) {
                reader.fail(f["headers"], "request.headers", "header name \(HTTPHeaderText.shown(name)) is not an HTTP token (RFC 9110 §5.1)")
            }
            if !HTTPHeaderText.isValue(value) {
                reader.fail(f["headers"], "request.headers.\(HTTPHeaderText.isName(name) ? name : "(name)")", "the value holds a line break or another control character")
            }
        }
        return RequestTemplate(method: method, path: path, headers: headers, body: reader.string(f, "body", "request"), readOnly: readOnly)
    }

    /// A secret the request would not carry makes every credential look rejected: refuse those.
    mutating func checkAuthAgainstRequest(_ auth: AuthScheme, _ request: RequestTemplate, _ f: Fields) {
        switch auth {
        case .header(let name, _):
            if request.headers.keys.contains(where: { $0.lowercased() == name.lowercased() }) {
                reader.fail(f["request"], "request.headers.\(name)", "`\(name)` carries the secret (auth.name): the request must not set it too")
            }
        case .query(let name):
            let query = request.path.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
            if query.split(separator: "&").contains(where: { $0.split(separator: "=").first.map(String.init) == name }) {
                reader.fail(f["request"], "request.path", "the query already has `\(name)`, which carries the secret (auth.name)")
            }
        case .basic(let username, _):
            if let username, username.contains(":") {
                reader.fail(f["auth"], "auth.username", "a basic-auth username cannot contain `:`")
            }
        case .introspection:
            if request.method != "POST" { reader.fail(f["request"], "request.method", "token introspection is a POST (RFC 7662 §2.1)") }
            if request.body != nil { reader.fail(f["request"], "request.body", "the introspection body (`token=…`) is built by revenant: leave `body` out") }
        case .scim:
            if request.method != "GET" { reader.fail(f["request"], "request.method", "a SCIM lookup is a GET (RFC 7644 §3.4.2)") }
            if request.path.contains("?") { reader.fail(f["request"], "request.path", "the SCIM `filter` query is built by revenant: give the Users endpoint only (e.g. `/Users`)") }
        case .tokenRequest:
            if request.method != "POST" { reader.fail(f["request"], "request.method", "a token request is a POST (RFC 6749 §3.2)") }
            if request.body != nil { reader.fail(f["request"], "request.body", "the token request's form body is built by revenant: leave `body` out") }
        case .bearer, .login, .awsSigV4, .clientCertificate:
            break
        }
    }

    /// An `oauth2-token` probe: its kinds are what its method sends, it counts a token issued as
    /// acceptance, and only RFC 6749 §5.2's `invalid_client` / `invalid_grant` (400 or 401) as refusal:
    /// `unauthorized_client`, `invalid_scope`, `unsupported_grant_type` say nothing about the secret.
    mutating func checkTokenProbe(_ method: TokenRequestMethod, kinds: [CredentialKind], authenticated: [Matcher], rejected: [Matcher], _ f: Fields) {
        if kinds != [method.credentialKind] {
            reader.fail(f["kinds"], "kinds", "scheme `\(method.rawValue)` sends a `\(method.credentialKind.rawValue)`: kinds must be exactly [\"\(method.credentialKind.rawValue)\"]")
        }
        for (i, m) in authenticated.enumerated() where m.status != [200] {
            reader.fail(f["authenticated"], "authenticated[\(i)].status", "a token is issued with status 200 (RFC 6749 §5.1): give `\"status\": [200]`")
        }
        for (i, m) in rejected.enumerated() {
            let codes = OAuth2TokenProtocol.refusalCodes.map { PlainJSON.string($0) }
            if m.json?.path != "error" || !codes.contains(m.json?.equals ?? .null) {
                reader.fail(f["rejected"], "rejected[\(i)].json", "a refusal is `error` equal to `invalid_client` or `invalid_grant` (RFC 6749 §5.2); other errors prove nothing")
            }
            if let status = m.status, !Set(status).isSubset(of: [400, 401]) {
                reader.fail(f["rejected"], "rejected[\(i)].status", "RFC 6749 §5.2 errors come with status 400 or 401")
            }
        }
    }

    /// The auth schemes each protocol takes (its ProtocolUnit says).
    static func schemes(for kind: ProbeProtocol) -> [String] { kind.unit.authSchemes }

    mutating func decodeAuth(_ tree: Tree, protocol kind: ProbeProtocol) -> AuthScheme? {
        let fields = ["scheme", "name", "prefix", "username", "secret_in", "provider", "client_id", "client_secret",
                      "token_type_hint", "token", "attribute", "scope"]
        guard let f = reader.object(tree, "auth", allowed: fields) else { return nil }
        let scheme = reader.string(f, "scheme", "auth", required: true) ?? ""
        let own: [String: [String]] = [
            "bearer": [], "basic": ["username", "secret_in"], "header": ["name", "prefix"], "query": ["name"], "login": [],
            "client_certificate": [], "aws_sigv4": ["provider"], "introspection": ["client_id", "client_secret", "token_type_hint"],
            "scim": ["token", "attribute"],
            "client_secret_basic": ["scope"], "client_secret_post": ["scope"], "jwt_bearer": ["scope"],
        ]
        if let allowed = own[scheme] {
            for key in fields where key != "scheme" && !allowed.contains(key) && f[key] != nil {
                reader.fail(f[key], "auth.\(key)", "`\(key)` does not apply to scheme `\(scheme)`")
            }
        }
        let expected = ProbeDecoder.schemes(for: kind)
        if !scheme.isEmpty && !expected.contains(scheme) {
            let what = own[scheme] == nil ? "unknown scheme `\(scheme)`" : "scheme `\(scheme)` does not apply to protocol `\(kind.rawValue)`"
            reader.fail(f["scheme"], "auth.scheme", "\(what); expected \(expected.joined(separator: ", "))")
            return nil
        }
        switch scheme {
        case "bearer":
            return .bearer
        case "basic":
            let secretIn = reader.string(f, "secret_in", "auth") ?? "password"
            if !["password", "username"].contains(secretIn) {
                reader.fail(f["secret_in"], "auth.secret_in", "expected `password` or `username`, found `\(secretIn)`")
            }
            return .basic(defaultUsername: reader.string(f, "username", "auth"), secretInUsername: secretIn == "username")
        case "header":
            guard let name = reader.string(f, "name", "auth", required: true) else { return nil }
            let prefix = reader.string(f, "prefix", "auth") ?? ""
            if !HTTPHeaderText.isName(name) { reader.fail(f["name"], "auth.name", "\(HTTPHeaderText.shown(name)) is not an HTTP header name (RFC 9110 §5.1)") }
            if !HTTPHeaderText.isValue(prefix) { reader.fail(f["prefix"], "auth.prefix", "the prefix holds a line break or another control character") }
            return .header(name: name, prefix: prefix)
        case "query":
            guard let name = reader.string(f, "name", "auth", required: true) else { return nil }
            return .query(name: name)
        case "login":
            return .login
        case "client_certificate":
            return .clientCertificate
        case "aws_sigv4":
            guard let provider = reader.string(f, "provider", "auth", required: true) else { return nil }
            // libcurl's form: provider1[:provider2[:region[:service]]]; all four make the scope explicit.
            let parts = provider.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count != 4 || parts.contains(where: \.isEmpty) {
                reader.fail(f["provider"], "auth.provider", "expected `aws:amz:REGION:SERVICE` (e.g. `aws:amz:us-east-1:sts`), found `\(provider)`")
            }
            return .awsSigV4(provider: provider)
        case "introspection":
            let client = reader.string(f, "client_id", "auth", required: true)
            let secret = decodeSecretSource(f, "client_secret")
            guard let client, let secret else { return nil }
            return .introspection(clientID: client, clientSecret: secret, tokenTypeHint: reader.string(f, "token_type_hint", "auth"))
        case "scim":
            let attribute = reader.string(f, "attribute", "auth") ?? "userName"
            if !["userName", "externalId"].contains(attribute) {
                reader.fail(f["attribute"], "auth.attribute", "expected `userName` or `externalId`, found `\(attribute)`")
            }
            guard let token = decodeSecretSource(f, "token") else { return nil }
            return .scim(token: token, attribute: attribute)
        case let name where TokenRequestMethod(rawValue: name) != nil:
            let scope = reader.string(f, "scope", "auth")
            if let scope, scope.isEmpty || !scope.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "\\" && $0 != "\"" }) {
                // RFC 6749 §3.3: space-separated %x21 / %x23-5B / %x5D-7E.
                reader.fail(f["scope"], "auth.scope", "a scope is printable ASCII words separated by spaces (RFC 6749 §3.3)")
            }
            return .tokenRequest(TokenRequestMethod(rawValue: name)!, scope: scope)
        default:
            return nil
        }
    }

    /// `{"env": NAME}` or `{"file": PATH}` (relative to the probe file): never the secret itself.
    mutating func decodeSecretSource(_ f: Fields, _ key: String) -> SecretSource? {
        guard let tree = f[key] else {
            reader.fail(nil, "auth.\(key)", "required field `auth.\(key)` is missing (`{\"env\": NAME}` or `{\"file\": PATH}`)")
            return nil
        }
        guard let s = reader.object(tree, "auth.\(key)", allowed: ["env", "file"]) else { return nil }
        if let name = reader.string(s, "env", "auth.\(key)"), s["file"] == nil { return .environment(name) }
        if let path = reader.string(s, "file", "auth.\(key)"), s["env"] == nil {
            let base = URL(fileURLWithPath: file).deletingLastPathComponent()
            return .file(path.hasPrefix("/") ? path : base.appendingPathComponent(path).path)
        }
        reader.fail(tree, "auth.\(key)", "expected exactly one of `env` or `file` (a probe file never holds a secret itself)")
        return nil
    }

    mutating func decodeMatchers(_ f: Fields, _ key: String) -> [Matcher] {
        guard let tree = f[key] else {
            reader.fail(nil, key, "required field `\(key)` (a list of matchers) is missing")
            return []
        }
        guard let items = tree.arrayValue else {
            reader.fail(tree, key, "expected a list of matchers, found \(tree.typeName)")
            return []
        }
        if items.isEmpty { reader.fail(tree, key, "`\(key)` must hold at least one matcher") }
        var out: [Matcher] = []
        for (i, item) in items.enumerated() {
            let path = "\(key)[\(i)]"
            guard let m = reader.object(item, path, allowed: ["status", "body_contains", "json", "header"]) else { continue }
            var matcher = Matcher()
            if let statusTree = m["status"] {
                if let codes = statusTree.arrayValue, !codes.isEmpty {
                    var list: [Int] = []
                    for code in codes {
                        guard case .number(let text) = code.value, let n = Int(text), (100...599).contains(n) else {
                            reader.fail(code, "\(path).status", "expected HTTP status codes (100-599)")
                            continue
                        }
                        if ResponseClassifier.alwaysInconclusive(n) {
                            warn(code, "\(path).status", "status \(n) is always inconclusive (redirects, 429 and 5xx prove nothing): this matcher never sees it")
                        }
                        list.append(n)
                    }
                    matcher.status = list
                } else {
                    reader.fail(statusTree, "\(path).status", "expected a non-empty list of status codes")
                }
            }
            if let s = reader.string(m, "body_contains", path) {
                if s.isEmpty { reader.fail(m["body_contains"], "\(path).body_contains", "must not be empty") }
                matcher.bodyContains = s
            }
            if let j = m["json"], let jf = reader.object(j, "\(path).json", allowed: ["path", "equals"]) {
                let p = reader.string(jf, "path", "\(path).json", required: true)
                if jf["equals"] == nil { reader.fail(j, "\(path).json.equals", "required field `equals` is missing") }
                if let p, p.contains("[") {
                    // `Resources[0].active` would look for a key named `Resources[0]` and never match.
                    warn(jf["path"], "\(path).json.path", "`\(p)`: array elements are dotted numbers (`\(p.replacingOccurrences(of: "[", with: ".").replacingOccurrences(of: "]", with: ""))`); brackets are part of a key name")
                }
                if let p, let e = jf["equals"] { matcher.json = JSONCondition(path: p, equals: e.plain) }
            }
            if let h = m["header"], let hf = reader.object(h, "\(path).header", allowed: ["name", "contains"]) {
                let name = reader.string(hf, "name", "\(path).header", required: true)
                let contains = reader.string(hf, "contains", "\(path).header", required: true)
                if let name, let contains { matcher.header = HeaderCondition(name: name, contains: contains) }
            }
            if matcher.isEmpty {
                reader.fail(item, path, "empty matcher: it would match every response; give status, body_contains, json or header")
            }
            out.append(matcher)
        }
        return out
    }

    mutating func decodeNegativeControl(_ tree: Tree) -> NegativeControlShape? {
        guard let f = reader.object(tree, "negative_control", allowed: ["prefix", "length", "alphabet"]) else { return nil }
        var shape = NegativeControlShape()
        shape.prefix = reader.string(f, "prefix", "negative_control") ?? ""
        // A random credential longer than any real one is a typo (10⁹ would allocate gigabytes).
        shape.length = reader.integer(f, "length", "negative_control", in: 8...4096) ?? max(32, shape.prefix.count + 16)
        if shape.length < shape.prefix.count + 8 {
            reader.fail(f["length"], "negative_control.length", "length \(shape.length) leaves fewer than 8 random characters after the prefix")
        }
        shape.alphabet = reader.choice(f, "alphabet", "negative_control", as: NegativeControlShape.Alphabet.self) ?? .alphanumeric
        return shape
    }

    mutating func decodeRateLimit(_ tree: Tree) -> HostLimits? {
        guard let f = reader.object(tree, "rate_limit", allowed: ["requests_per_second", "max_in_flight"]) else { return nil }
        return HostLimits(
            maxInFlight: reader.integer(f, "max_in_flight", "rate_limit", min: 1) ?? Int.max,
            requestsPerSecond: reader.number(f, "requests_per_second", "rate_limit", min: 0.001))
    }
}

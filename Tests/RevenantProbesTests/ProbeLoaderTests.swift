import Foundation
import Testing
import RevenantCore
import TestSupport
@testable import RevenantProbes

/// `ProbeLoader`: decoding probe definitions and linting every rule of docs/probe-format.md in one pass.
@Suite struct ProbeLoaderTests {
    // MARK: helpers

    static let baseFields: [(String, String)] = [
        ("id", #""sample""#),
        ("title", #""Sample API key""#),
        ("kinds", #"["api_key"]"#),
        ("protocol", #""http""#),
        ("default_target", #""https://api.example.com""#),
        ("allowed_hosts", #"["api.example.com"]"#),
        ("request", #"{"method": "GET", "path": "/v1/me"}"#),
        ("auth", #"{"scheme": "bearer"}"#),
        ("authenticated", #"[{"status": [200]}]"#),
        ("rejected", #"[{"status": [401]}]"#),
        ("docs", #""https://docs.example.com/me""#),
    ]

    /// A valid probe with some fields replaced (raw JSON text), removed (nil) or added.
    static func probeJSON(_ overrides: [String: String?] = [:]) -> String {
        var lines: [String] = []
        for (key, value) in baseFields {
            if let override = overrides[key] {
                if let override { lines.append("  \"\(key)\": \(override)") }
            } else {
                lines.append("  \"\(key)\": \(value)")
            }
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) where !baseFields.contains(where: { $0.0 == key }) {
            if let value { lines.append("  \"\(key)\": \(value)") }
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    static func lint(_ text: String, name: String = "sample.json") -> (file: String, definition: ProbeDefinition?, problems: [LintProblem]) {
        let dir = TemporaryDirectory()
        let file = dir.write(name, text)
        let (definition, problems) = ProbeLoader.load(file: file)
        return (file, definition, problems)
    }

    static func describe(_ problems: [LintProblem]) -> String { problems.map(\.description).joined(separator: "\n") }

    // MARK: valid definitions

    @Test func validProbeHasNoProblems() {
        let (_, definition, problems) = Self.lint(Self.probeJSON())
        #expect(problems.isEmpty, "\(Self.describe(problems))")
        #expect(definition?.id == "sample")
    }

    @Test func everyFieldIsDecoded() throws {
        let (file, definition, problems) = Self.lint(Self.probeJSON([
            "kinds": #"["api_key", "bearer_token"]"#,
            "allowed_hosts": #"["api.example.com", "*.eu.example.com"]"#,
            "request": #"{"method": "post", "path": "/v1/introspect?x=1", "headers": {"Accept": "application/json"}, "body": "{}", "read_only": true}"#,
            "auth": #"{"scheme": "header", "name": "X-Api-Key", "prefix": "Token "}"#,
            "authenticated": #"[{"status": [200], "json": {"path": "data.0.active", "equals": true}}, {"header": {"name": "X-Auth", "contains": "ok"}}]"#,
            "rejected": #"[{"status": [401, 403], "body_contains": "invalid"}]"#,
            "negative_control": #"{"prefix": "sk_", "length": 40, "alphabet": "hex"}"#,
            "rate_limit": #"{"requests_per_second": 2.5, "max_in_flight": 3}"#,
        ]))
        #expect(problems.isEmpty, "\(Self.describe(problems))")
        let d = try #require(definition)
        #expect(d.title == "Sample API key")
        #expect(d.kinds == [.apiKey, .bearerToken])
        #expect(d.protocol == "http")
        #expect(d.defaultTarget == "https://api.example.com")
        #expect(d.allowedHosts == ["api.example.com", "*.eu.example.com"])
        #expect(d.request == RequestTemplate(method: "POST", path: "/v1/introspect?x=1", headers: ["Accept": "application/json"], body: "{}", readOnly: true))
        #expect(d.auth == .header(name: "X-Api-Key", prefix: "Token "))
        #expect(d.authenticated == [
            Matcher(status: [200], json: JSONCondition(path: "data.0.active", equals: .bool(true))),
            Matcher(header: HeaderCondition(name: "X-Auth", contains: "ok")),
        ])
        #expect(d.rejected == [Matcher(status: [401, 403], bodyContains: "invalid")])
        #expect(d.negativeControl == NegativeControlShape(prefix: "sk_", length: 40, alphabet: .hex))
        #expect(d.rateLimit == HostLimits(maxInFlight: 3, requestsPerSecond: 2.5))
        #expect(d.docs == "https://docs.example.com/me")
        #expect(d.source == file)
    }

    /// (auth JSON, scheme)
    static let authSchemes: [(String, AuthScheme)] = [
        (#"{"scheme": "bearer"}"#, .bearer),
        (#"{"scheme": "basic"}"#, .basic(defaultUsername: nil, secretInUsername: false)),
        (#"{"scheme": "basic", "username": "api"}"#, .basic(defaultUsername: "api", secretInUsername: false)),
        (#"{"scheme": "basic", "secret_in": "username"}"#, .basic(defaultUsername: nil, secretInUsername: true)),
        (#"{"scheme": "basic", "secret_in": "password"}"#, .basic(defaultUsername: nil, secretInUsername: false)),
        (#"{"scheme": "header", "name": "X-Key"}"#, .header(name: "X-Key", prefix: "")),
        (#"{"scheme": "query", "name": "api_key"}"#, .query(name: "api_key")),
    ]

    @Test(arguments: authSchemes)
    func authSchemesDecode(json: String, scheme: AuthScheme) {
        let (_, definition, problems) = Self.lint(Self.probeJSON(["auth": json]))
        #expect(problems.isEmpty, "\(Self.describe(problems))")
        #expect(definition?.auth == scheme)
    }

    @Test func negativeControlDefaultsToThirtyTwoAlphanumerics() {
        let (_, definition, _) = Self.lint(Self.probeJSON())
        #expect(definition?.negativeControl == NegativeControlShape(prefix: "", length: 32, alphabet: .alphanumeric))
        #expect(definition?.rateLimit == nil)
    }

    @Test func negativeControlWithPrefixOnlyKeepsSixteenRandomCharacters() {
        let (_, definition, problems) = Self.lint(Self.probeJSON(["negative_control": #"{"prefix": "xoxb-0123456789-0123456789-"}"#]))
        #expect(problems.isEmpty, "\(Self.describe(problems))")
        #expect(definition?.negativeControl.length == 27 + 16)
    }

    // MARK: one rule at a time

    /// (what, overrides, file name, expected location suffix, message fragment)
    static let singleProblems: [(String, [String: String?], String, String, String)] = [
        ("unknown field", ["colour": #""red""#], "sample", "colour", "unknown field `colour`"),
        // A line break in a header would put headers of its own on the wire.
        ("CRLF in a header value", ["request": #"{"method": "GET", "path": "/v1/me", "headers": {"Accept": "a\r\nX-Evil: 1"}}"#], "sample",
         "request.headers.Accept", "holds a line break"),
        ("CRLF in a header name", ["request": #"{"method": "GET", "path": "/v1/me", "headers": {"X-A\r\nX-Evil": "1"}}"#], "sample",
         "request.headers", "is not an HTTP token"),
        ("CRLF in auth.name", ["auth": #"{"scheme": "header", "name": "X-Key\r\nX-Evil: 1"}"#], "sample", "auth.name", "is not an HTTP header name"),
        ("CRLF in auth.prefix", ["auth": #"{"scheme": "header", "name": "X-Key", "prefix": "Token\r\nX-Evil: 1 "}"#], "sample", "auth.prefix",
         "holds a line break"),
        ("a negative control of a billion characters", ["negative_control": #"{"length": 1000000000}"#], "sample", "negative_control.length",
         "must be from 8 to 4096"),
        ("misspelt field", ["allowed_host": #"["a.example.com"]"#], "sample", "allowed_host", "(did you mean `allowed_hosts`?)"),
        ("id is not the file name", ["id": #""other""#], "sample", "id", "id `other` must equal the file name `sample`"),
        ("id not kebab-case", ["id": #""Sample_Key""#], "Sample_Key", "id", "`Sample_Key` is not kebab-case"),
        ("id with a trailing dash", ["id": #""sample-""#], "sample-", "id", "is not kebab-case"),
        ("id with a double dash", ["id": #""a--b""#], "a--b", "id", "is not kebab-case"),
        ("id missing", ["id": nil], "sample", "id", "required field `id` is missing"),
        ("title missing", ["title": nil], "sample", "title", "required field `title` is missing"),
        ("no kinds", ["kinds": "[]"], "sample", "kinds", "`kinds` must list at least one credential kind"),
        ("unknown kind", ["kinds": #"["api_key", "api-key"]"#], "sample", "kinds[1]", "`api-key` is not a credential kind"),
        ("unsupported protocol", ["protocol": #""smb""#], "sample", "protocol", "protocol `smb` is not supported"),
        ("allowed_hosts missing", ["allowed_hosts": nil], "sample", "allowed_hosts", "required field `allowed_hosts` is missing"),
        ("allowed_hosts empty", ["allowed_hosts": "[]"], "sample", "allowed_hosts", "`allowed_hosts` must not be empty"),
        ("host pattern *", ["allowed_hosts": #"["api.example.com", "*"]"#], "sample", "allowed_hosts[1]", "only a leading `*.` is allowed"),
        ("host pattern with scheme", ["allowed_hosts": #"["https://x"]"#, "default_target": nil], "sample", "allowed_hosts[0]", "must be a host name, without scheme or path"),
        ("host pattern too broad", ["allowed_hosts": #"["*.com"]"#, "default_target": nil], "sample", "allowed_hosts[0]", "is too broad"),
        ("host pattern with user", ["allowed_hosts": #"["u@api.example.com"]"#, "default_target": nil], "sample", "allowed_hosts[0]", "must not contain `@`"),
        ("default_target host not allowed", ["default_target": #""https://evil.example.net""#], "sample", "default_target",
         "host `evil.example.net` of default_target is not in allowed_hosts"),
        ("default_target not a URL", ["default_target": #""api.example.com""#], "sample", "default_target", "`api.example.com` is not an http(s) URL"),
        ("default_target with user info", ["default_target": #""https://me@api.example.com""#], "sample", "default_target", "is not an http(s) URL"),
        ("request missing", ["request": nil], "sample", "request", "required field `request` is missing"),
        ("POST without read_only", ["request": #"{"method": "POST", "path": "/v1/me"}"#], "sample", "request.method", "POST can change state"),
        ("POST with read_only false", ["request": #"{"method": "POST", "path": "/v1/me", "read_only": false}"#], "sample", "request.method", "POST can change state"),
        ("DELETE", ["request": #"{"method": "DELETE", "path": "/v1/me", "read_only": true}"#], "sample", "request.method", "DELETE changes state"),
        ("PUT", ["request": #"{"method": "PUT", "path": "/v1/me"}"#], "sample", "request.method", "PUT changes state"),
        ("PATCH", ["request": #"{"method": "patch", "path": "/v1/me"}"#], "sample", "request.method", "PATCH changes state"),
        ("unknown method", ["request": #"{"method": "FETCH", "path": "/v1/me"}"#], "sample", "request.method", "unknown method `FETCH`"),
        ("GET with a body", ["request": #"{"method": "GET", "path": "/v1/me", "body": "x"}"#], "sample", "request.body", "a GET request has no body"),
        ("path without slash", ["request": #"{"method": "GET", "path": "v1/me"}"#], "sample", "request.path", "`v1/me` must start with `/`"),
        ("path with double slash", ["request": #"{"method": "GET", "path": "//evil.example.net/x"}"#], "sample", "request.path", "must not start with `//`"),
        // Passed lint, then was refused at send time with an unrelated reason, the raw CRLF in the report.
        ("CRLF in the path", ["request": #"{"method": "GET", "path": "/v1/me\r\nX-Evil: 1"}"#], "sample", "request.path",
         "holds a space, a line break or another control character"),
        ("a space in the path", ["request": #"{"method": "GET", "path": "/v1/my key"}"#], "sample", "request.path", "percent-encode it"),
        ("request field unknown", ["request": #"{"method": "GET", "path": "/", "header": {}}"#], "sample", "request.header", "(did you mean `headers`?)"),
        ("Authorization header", ["request": #"{"method": "GET", "path": "/", "headers": {"Authorization": "x"}}"#], "sample",
         "request.headers.Authorization", "is set by the auth scheme or the transport"),
        ("Cookie header", ["request": #"{"method": "GET", "path": "/", "headers": {"cookie": "x"}}"#], "sample", "request.headers.cookie", "is set by the auth scheme"),
        ("Host header", ["request": #"{"method": "GET", "path": "/", "headers": {"Host": "x"}}"#], "sample", "request.headers.Host", "is set by the auth scheme"),
        ("auth missing", ["auth": nil], "sample", "auth", "required field `auth` is missing"),
        ("unknown scheme", ["auth": #"{"scheme": "digest"}"#], "sample", "auth.scheme", "unknown scheme `digest`; expected bearer, basic, header, query"),
        ("bearer with name", ["auth": #"{"scheme": "bearer", "name": "X"}"#], "sample", "auth.name", "`name` does not apply to scheme `bearer`"),
        ("bearer with prefix", ["auth": #"{"scheme": "bearer", "prefix": "Token "}"#], "sample", "auth.prefix", "`prefix` does not apply to scheme `bearer`"),
        ("bearer with username", ["auth": #"{"scheme": "bearer", "username": "u"}"#], "sample", "auth.username", "does not apply to scheme `bearer`"),
        ("basic with name", ["auth": #"{"scheme": "basic", "name": "X"}"#], "sample", "auth.name", "`name` does not apply to scheme `basic`"),
        ("basic with prefix", ["auth": #"{"scheme": "basic", "prefix": "P"}"#], "sample", "auth.prefix", "`prefix` does not apply to scheme `basic`"),
        ("basic secret_in unknown", ["auth": #"{"scheme": "basic", "secret_in": "both"}"#], "sample", "auth.secret_in", "expected `password` or `username`, found `both`"),
        ("header without name", ["auth": #"{"scheme": "header", "prefix": "Token "}"#], "sample", "auth.name", "required field `name` is missing"),
        ("header with username", ["auth": #"{"scheme": "header", "name": "X", "username": "u"}"#], "sample", "auth.username", "does not apply to scheme `header`"),
        ("header with secret_in", ["auth": #"{"scheme": "header", "name": "X", "secret_in": "username"}"#], "sample", "auth.secret_in", "does not apply to scheme `header`"),
        ("query without name", ["auth": #"{"scheme": "query"}"#], "sample", "auth.name", "required field `name` is missing"),
        ("query with prefix", ["auth": #"{"scheme": "query", "name": "k", "prefix": "p"}"#], "sample", "auth.prefix", "does not apply to scheme `query`"),
        ("auth without scheme", ["auth": #"{"name": "X"}"#], "sample", "auth.scheme", "required field `scheme` is missing"),
        ("authenticated missing", ["authenticated": nil], "sample", "authenticated", "required field `authenticated` (a list of matchers) is missing"),
        ("authenticated empty", ["authenticated": "[]"], "sample", "authenticated", "`authenticated` must hold at least one matcher"),
        ("rejected empty", ["rejected": "[]"], "sample", "rejected", "`rejected` must hold at least one matcher"),
        ("rejected not a list", ["rejected": #"{"status": [401]}"#], "sample", "rejected", "expected a list of matchers, found an object"),
        ("empty matcher", ["rejected": #"[{"status": [401]}, {}]"#], "sample", "rejected[1]", "empty matcher: it would match every response"),
        ("empty status list", ["authenticated": #"[{"status": []}]"#], "sample", "authenticated[0].status", "expected a non-empty list of status codes"),
        ("status out of range", ["authenticated": #"[{"status": [200, 700]}]"#], "sample", "authenticated[0].status", "expected HTTP status codes (100-599)"),
        ("status as text", ["authenticated": #"[{"status": ["200"]}]"#], "sample", "authenticated[0].status", "expected HTTP status codes (100-599)"),
        ("empty body_contains", ["rejected": #"[{"body_contains": ""}]"#], "sample", "rejected[0].body_contains", "must not be empty"),
        ("json without equals", ["authenticated": #"[{"json": {"path": "ok"}}]"#], "sample", "authenticated[0].json.equals", "required field `equals` is missing"),
        ("json without path", ["authenticated": #"[{"json": {"equals": true}}]"#], "sample", "authenticated[0].json.path", "required field `path` is missing"),
        ("header matcher without contains", ["authenticated": #"[{"header": {"name": "X"}}]"#], "sample", "authenticated[0].header.contains", "required field `contains` is missing"),
        ("unknown matcher field", ["authenticated": #"[{"statuses": [200]}]"#], "sample", "authenticated[0].statuses", "(did you mean `status`?)"),
        ("negative control too short", ["negative_control": #"{"length": 4}"#], "sample", "negative_control.length", "must be from 8 to 4096, found 4"),
        ("negative control prefix leaves too little", ["negative_control": #"{"prefix": "sk_live_", "length": 12}"#], "sample",
         "negative_control.length", "length 12 leaves fewer than 8 random characters after the prefix"),
        ("negative control alphabet", ["negative_control": #"{"alphabet": "base64-url"}"#], "sample", "negative_control.alphabet",
         "`base64-url` is not a valid alphabet (did you mean `base64url`?)"),
        ("negative control alphabet far off", ["negative_control": #"{"alphabet": "emoji"}"#], "sample", "negative_control.alphabet",
         "`emoji` is not a valid alphabet; expected one of: alphanumeric, hex, base64url, lower-alphanumeric"),
        ("rate limit zero", ["rate_limit": #"{"requests_per_second": 0}"#], "sample", "rate_limit.requests_per_second", "must be at least"),
        ("max in flight zero", ["rate_limit": #"{"max_in_flight": 0}"#], "sample", "rate_limit.max_in_flight", "must be at least 1, found 0"),
        ("docs missing", ["docs": nil], "sample", "docs", "required field `docs` is missing"),
        ("docs not a web link", ["docs": #""ftp://docs.example.com""#], "sample", "docs", "`docs` should link to the provider's documentation"),
    ]

    @Test(arguments: singleProblems)
    func eachLintRuleIsAnErrorWithItsField(what: String, overrides: [String: String?], stem: String, location: String, message: String) {
        let (file, _, problems) = Self.lint(Self.probeJSON(overrides.merging(["id": .some("\"\(stem)\"")]) { mine, _ in mine }), name: "\(stem).json")
        let errors = problems.filter { $0.level == .error }
        #expect(!errors.isEmpty, "\(what): no error")
        let match = errors.first {
            $0.error.file == file && ($0.error.location == location || $0.error.location.hasSuffix(", \(location)"))
                && $0.error.message.contains(message)
        }
        #expect(match != nil, "\(what): expected `\(location)`: …\(message)… in\n\(Self.describe(problems))")
    }

    @Test func matcherWhoseOnlyFieldIsNullIsAnEmptyMatcher() {
        // `{"body_contains": null}` decodes to a matcher with no condition, which matches every
        // response: in `rejected` it would turn any unmatched answer into proof of revocation.
        let (_, _, problems) = Self.lint(Self.probeJSON(["rejected": #"[{"body_contains": null}]"#]))
        #expect(problems.contains { $0.level == .error && $0.error.location.hasSuffix("rejected[0]") },
                "no error for a null-only matcher:\n\(Self.describe(problems))")
    }

    // MARK: warnings

    @Test(arguments: [500, 503, 429, 302, 101])
    func matcherOnAnAlwaysInconclusiveStatusIsAWarning(status: Int) {
        let (_, definition, problems) = Self.lint(Self.probeJSON(["rejected": "[{\"status\": [401]}, {\"status\": [\(status)]}]"]))
        #expect(problems.count == 1, "\(Self.describe(problems))")
        let warning = problems.first
        #expect(warning?.level == .warning)
        #expect(warning?.error.location.hasSuffix("rejected[1].status") == true)
        #expect(warning?.error.message.contains("status \(status) is always inconclusive") == true)
        #expect(definition != nil)
    }

    @Test func rejectedMatcherIdenticalToAnAuthenticatedOneIsAWarning() {
        let (_, _, problems) = Self.lint(Self.probeJSON(["rejected": #"[{"status": [200]}]"#]))
        #expect(problems.count == 1)
        #expect(problems.first?.level == .warning)
        #expect(problems.first?.error.message.contains("same matcher as in `authenticated`") == true)
    }

    // MARK: everything in one pass

    @Test func everyProblemOfAFileIsReportedInOnePass() {
        let (file, _, problems) = Self.lint("""
            {
              "id": "Bad_Probe",
              "title": "Bad",
              "kinds": ["api_key", "api-key"],
              "protocol": "http",
              "colour": "red",
              "default_target": "https://evil.example.net",
              "allowed_hosts": ["api.example.com", "*", "https://x", "*.com"],
              "request": {"method": "POST", "path": "v1/me", "headers": {"Authorization": "x"}},
              "auth": {"scheme": "bearer", "name": "X-Key"},
              "authenticated": [{}, {"status": [500]}],
              "rejected": [],
              "negative_control": {"length": 2},
              "docs": "https://example.com/docs"
            }
            """, name: "bad-probe.json")
        let expected: [(LintProblem.Level, String, String)] = [
            (.error, "line 6, colour", "unknown field `colour`"),
            (.error, "line 2, id", "`Bad_Probe` is not kebab-case"),
            (.error, "line 2, id", "id `Bad_Probe` must equal the file name `bad-probe`"),
            (.error, "line 4, kinds[1]", "`api-key` is not a credential kind"),
            (.error, "line 8, allowed_hosts[1]", "only a leading `*.` is allowed"),
            (.error, "line 8, allowed_hosts[2]", "must be a host name"),
            (.error, "line 8, allowed_hosts[3]", "is too broad"),
            (.error, "line 7, default_target", "host `evil.example.net` of default_target is not in allowed_hosts"),
            (.error, "line 9, request.method", "POST can change state"),
            (.error, "line 9, request.path", "must start with `/`"),
            (.error, "line 9, request.headers.Authorization", "is set by the auth scheme"),
            (.error, "line 10, auth.name", "does not apply to scheme `bearer`"),
            (.error, "line 11, authenticated[0]", "empty matcher"),
            (.warning, "line 11, authenticated[1].status", "status 500 is always inconclusive"),
            (.error, "line 12, rejected", "must hold at least one matcher"),
            (.error, "line 13, negative_control.length", "must be from 8 to 4096, found 2"),
        ]
        for (level, location, message) in expected {
            #expect(problems.contains { $0.level == level && $0.error.file == file && $0.error.location == location && $0.error.message.contains(message) },
                    "missing \(level) `\(location)`: …\(message)… in\n\(Self.describe(problems))")
        }
        #expect(problems.count == expected.count, "\(Self.describe(problems))")
    }

    @Test func bracketedArrayIndexInAJSONPathIsFlaggedWithTheDottedForm() {
        let (_, definition, problems) = Self.lint(Self.probeJSON([
            "authenticated": #"[{"status": [200], "json": {"path": "Resources[0].active", "equals": true}}]"#,
            "rejected": #"[{"status": [200], "json": {"path": "Resources.0.active", "equals": false}}]"#,
        ]))
        #expect(definition != nil)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.level == .warning)
        #expect(problems.first?.error.message.contains("`Resources.0.active`") == true, "\(problems)")
    }

    @Test func lintingADirectoryReportsEveryFileInOnePass() {
        let dir = TemporaryDirectory()
        let good = dir.write("good.json", Self.probeJSON(["id": #""good""#]))
        let noHosts = dir.write("no-hosts.json", Self.probeJSON(["id": #""no-hosts""#, "allowed_hosts": nil, "default_target": nil]))
        let delete = dir.write("delete.json", Self.probeJSON(["id": #""delete""#, "request": #"{"method": "DELETE", "path": "/v1/keys/me"}"#]))
        let header = dir.write("header.json", Self.probeJSON(["id": #""header""#, "auth": #"{"scheme": "header"}"#]))
        let broken = dir.write("broken.json", "{\n  \"id\": \"broken\",\n  \"title\": \n}\n")
        let warned = dir.write("warned.json", Self.probeJSON(["id": #""warned""#, "rejected": #"[{"status": [401, 503]}]"#]))
        dir.write("README.md", "not a probe")

        let (definitions, problems) = ProbeLoader.load(paths: [dir.path])
        #expect(Set(definitions.keys) == ["good", "warned"])
        #expect(definitions["good"]?.source == good)
        func has(_ level: LintProblem.Level, _ file: String, _ message: String) -> Bool {
            problems.contains { $0.level == level && $0.error.file == file && $0.error.message.contains(message) }
        }
        #expect(has(.error, noHosts, "required field `allowed_hosts` is missing"))
        #expect(has(.error, delete, "DELETE changes state"))
        #expect(has(.error, header, "required field `name` is missing"))
        #expect(has(.error, broken, "invalid JSON"))
        #expect(problems.first { $0.error.file == broken }?.error.location == "line 4")
        #expect(has(.warning, warned, "status 503 is always inconclusive"))
        #expect(!problems.contains { $0.error.file == good })
        #expect(problems.filter { $0.level == .error }.count == 4, "\(Self.describe(problems))")
    }

    @Test func missingPathIsAnError() {
        let (definitions, problems) = ProbeLoader.load(paths: ["/nonexistent/revenant-probes"])
        #expect(definitions.isEmpty)
        #expect(problems == [LintProblem(level: .error, error: InputError(file: "/nonexistent/revenant-probes", message: "no such file or directory"))])
    }

    @Test func laterDirectoryReplacesAProbeWithAWarning() {
        let first = TemporaryDirectory()
        let second = TemporaryDirectory()
        let a = first.write("sample.json", Self.probeJSON(["title": #""First""#]))
        let b = second.write("sample.json", Self.probeJSON(["title": #""Second""#]))
        let (definitions, problems) = ProbeLoader.load(paths: [first.path, second.path])
        #expect(definitions["sample"]?.title == "Second")
        #expect(definitions["sample"]?.source == b)
        #expect(problems.count == 1)
        #expect(problems.first?.level == .warning)
        #expect(problems.first?.error.file == b)
        #expect(problems.first?.error.message.contains("replaces the one in \(a)") == true)
    }

    @Test func singleFilesCanBeNamedDirectly() {
        let dir = TemporaryDirectory()
        let file = dir.write("sample.json", Self.probeJSON())
        let (files, problems) = ProbeLoader.files(in: [file])
        #expect(files == [file])
        #expect(problems.isEmpty)
    }

    @Test func lintProblemDescriptionStartsWithItsLevel() {
        let p = LintProblem(level: .warning, error: InputError(file: "p.json", location: "line 3, id", message: "m"))
        #expect(p.description == "warning: p.json: line 3, id: m")
    }
}

/// Probe definitions that would never carry the secret make every credential look rejected.
@Suite struct ProbeSecretPlacementLintTests {
    @Test(arguments: [
        ("fragment swallows a query secret", #"{"method": "GET", "path": "/me#x"}"#, #"{"scheme": "query", "name": "api_key"}"#, "must not contain `#`"),
        ("header set twice", #"{"method": "GET", "path": "/me", "headers": {"x-api-key": "placeholder"}}"#, #"{"scheme": "header", "name": "X-API-Key"}"#, "must not set it too"),
        ("query set twice", #"{"method": "GET", "path": "/me?api_key=x"}"#, #"{"scheme": "query", "name": "api_key"}"#, "already has `api_key`"),
        ("colon in username", #"{"method": "GET", "path": "/me"}"#, #"{"scheme": "basic", "username": "a:b"}"#, "cannot contain `:`"),
    ])
    func refused(what: String, request: String, auth: String, message: String) {
        let (_, _, problems) = ProbeLoaderTests.lint(ProbeLoaderTests.probeJSON(["request": request, "auth": auth]))
        #expect(problems.contains { $0.level == .error && $0.error.message.contains(message) }, "\(what): \(ProbeLoaderTests.describe(problems))")
    }
}

/// `username_format`, `host_from_secret`, `regions`: what a provider refuses a live credential for,
/// in data. Each is checked before anything runs.
@Suite struct ProviderShapeLintTests {
    static let basic = #"{"scheme": "basic"}"#

    @Test func validRulesDecode() throws {
        let (_, definition, problems) = ProbeLoaderTests.lint(ProbeLoaderTests.probeJSON([
            "default_target": nil,
            "allowed_hosts": #"["*.example.com"]"#,
            "auth": #"{"scheme": "basic", "username": "api"}"#,
            "username_format": #"{"pattern": "api|[a-z]+", "meaning": "a lowercase name"}"#,
            "host_from_secret": #"{"pattern": "-([a-z]+[0-9]+)$", "host": "$1.example.com"}"#,
        ]))
        #expect(problems.isEmpty, "\(ProbeLoaderTests.describe(problems))")
        let probe = try #require(definition)
        #expect(probe.usernameFormat?.accepts("dana") == true)
        #expect(probe.usernameFormat?.accepts("dana@example.com") == false, "the whole username must match")
        #expect(probe.hostFromSecret?.host(for: "0123abcd-us6") == "us6.example.com")
        #expect(probe.hostFromSecret?.host(for: "0123abcd") == nil)
    }

    @Test func regionsDecode() {
        let (_, definition, problems) = ProbeLoaderTests.lint(ProbeLoaderTests.probeJSON([
            "allowed_hosts": #"["api.example.com", "api.eu.example.com"]"#,
            "regions": #"["https://api.example.com", "https://api.eu.example.com"]"#,
        ]))
        #expect(problems.isEmpty, "\(ProbeLoaderTests.describe(problems))")
        #expect(definition?.regions.count == 2)
    }

    @Test func rejectionUnprovenDecodes() {
        let (_, definition, problems) = ProbeLoaderTests.lint(ProbeLoaderTests.probeJSON([
            "rejection_unproven": #""some live tokens are refused too""#,
        ]))
        #expect(problems.isEmpty, "\(ProbeLoaderTests.describe(problems))")
        #expect(definition?.rejectionUnproven == "some live tokens are refused too")
    }

    @Test(arguments: [
        ("not a regex", ["auth": basic, "username_format": #"{"pattern": "([a-z", "meaning": "m"}"#], "not a regular expression"),
        ("no meaning", ["auth": basic, "username_format": #"{"pattern": "api"}"#], "`meaning`"),
        ("own username refused", ["auth": #"{"scheme": "basic", "username": "anystring"}"#, "username_format": #"{"pattern": "api", "meaning": "m"}"#], "does not match it"),
        ("no username sent", ["username_format": #"{"pattern": "api", "meaning": "m"}"#], "applies only where"),
        ("no capture group", ["default_target": nil, "allowed_hosts": #"["*.example.com"]"#, "host_from_secret": #"{"pattern": "-[a-z]+$", "host": "$1.example.com"}"#], "capture group"),
        ("host not allowed", ["default_target": nil, "host_from_secret": #"{"pattern": "-([a-z]+)$", "host": "$1.evil.test"}"#], "allowed_hosts"),
        ("no $1", ["default_target": nil, "allowed_hosts": #"["*.example.com"]"#, "host_from_secret": #"{"pattern": "-([a-z]+)$", "host": "us.example.com"}"#], "has no `$1`"),
        ("default target too", ["allowed_hosts": #"["*.example.com", "api.example.com"]"#, "host_from_secret": #"{"pattern": "-([a-z]+)$", "host": "$1.example.com"}"#], "names its own host"),
        ("one region", ["regions": #"["https://api.example.com"]"#], "at least two"),
        ("region off the list", ["regions": #"["https://api.example.com", "https://api.evil.test"]"#], "not in allowed_hosts"),
        ("region twice", ["regions": #"["https://api.example.com", "https://api.example.com/"]"#], "listed twice"),
        ("unproven without a reason", ["rejection_unproven": #"" ""#], "say why a refusal proves nothing"),
        ("host from secret and regions", ["default_target": nil, "allowed_hosts": #"["*.example.com"]"#,
                                          "host_from_secret": #"{"pattern": "-([a-z]+)$", "host": "$1.example.com"}"#,
                                          "regions": #"["https://a.example.com", "https://b.example.com"]"#], "has no `regions`"),
        ("default target outside the regions", ["allowed_hosts": #"["api.example.com", "a.example.com", "b.example.com"]"#,
                                                "regions": #"["https://a.example.com", "https://b.example.com"]"#], "must be one of `regions`"),
    ] as [(String, [String: String?], String)])
    func refused(what: String, overrides: [String: String?], message: String) {
        let (_, _, problems) = ProbeLoaderTests.lint(ProbeLoaderTests.probeJSON(overrides))
        #expect(problems.contains { $0.level == .error && $0.error.message.contains(message) }, "\(what): \(ProbeLoaderTests.describe(problems))")
    }
}

/// `sources`: a shipped probe without two distinct URLs, one independent of the provider, is an
/// error; one's own probe gets a warning, and only once it lists sources.
@Suite struct ProbeSourcesLintTests {
    static func probe(docs: String = "https://docs.acme.example/whoami", sources: [String]) -> ProbeDefinition {
        var probe = ProbeDefinition(
            id: "acme", title: "ACME", kinds: [.apiKey], defaultTarget: "https://api.acme.example", allowedHosts: ["api.acme.example"],
            request: RequestTemplate(path: "/whoami"), auth: .bearer, authenticated: [Matcher(status: [200])], rejected: [Matcher(status: [401])],
            docs: docs, source: "acme.json")
        probe.sources = sources
        return probe
    }

    @Test(arguments: [
        ([], "lists 0 distinct"),
        (["https://docs.acme.example/whoami"], "lists 1 distinct"),
        (["https://docs.acme.example/whoami", "https://docs.acme.example/whoami#top"], "lists 1 distinct"),
        (["https://docs.acme.example/whoami", "https://status.acme.example/api"], "no source is independent"),
    ])
    func shippedProbeWithoutTwoSourcesIsAnError(sources: [String], message: String) throws {
        let problem = try #require(ProbeSources.lint(Self.probe(sources: sources), shipped: true))
        #expect(problem.level == .error)
        #expect(problem.error.location == "sources")
        #expect(problem.error.message.contains(message), "\(problem)")
    }

    @Test func ownProbeGetsAWarningOnlyOnceItListsSources() throws {
        #expect(ProbeSources.lint(Self.probe(sources: []), shipped: false) == nil)
        let problem = try #require(ProbeSources.lint(Self.probe(sources: ["https://docs.acme.example/whoami"]), shipped: false))
        #expect(problem.level == .warning)
    }

    @Test func aVerifierRepositoryOnACodeHostIsIndependentUnlessTheProviderOwnsIt() {
        var own = Self.probe(docs: "https://docs.github.com/rest/users", sources: [])
        own.allowedHosts = ["api.github.com"]
        #expect(ProbeSources.isIndependent("https://github.com/trufflesecurity/trufflehog/blob/main/x.go", of: own))
        #expect(!ProbeSources.isIndependent("https://github.com/github/rest-api-description/blob/main/x.json", of: own))
        #expect(!ProbeSources.isIndependent("https://docs.github.com/en/rest", of: own))
        #expect(ProbeSources.isIndependent("https://www.rfc-editor.org/rfc/rfc6750", of: own))
        #expect(ProbeSources.lint(Self.probe(sources: ["https://docs.acme.example/whoami", "https://www.rfc-editor.org/rfc/rfc6750"]), shipped: true) == nil)
    }
}

import Testing
import RevenantProbes

/// `allowed_hosts` patterns: exact hosts and `*.suffix` globs (docs/probe-format.md).
@Suite struct HostPatternTests {
    /// (patterns, host, allowed)
    static let cases: [([String], String, Bool)] = [
        (["*.example.com"], "a.example.com", true),
        (["*.example.com"], "b.a.example.com", true),
        (["*.example.com"], "example.com", false),
        (["*.example.com"], "evilexample.com", false),
        (["*.example.com"], "a.example.com.evil.net", false),
        (["*.example.com"], ".example.com", false),
        (["*.example.com"], "A.EXAMPLE.COM", true),
        (["*.EXAMPLE.com"], "a.example.com", true),
        (["api.github.com"], "api.github.com", true),
        (["api.github.com"], "API.GitHub.com", true),
        (["api.github.com"], "xapi.github.com", false),
        (["api.github.com"], "api.github.com.evil.net", false),
        (["api.github.com"], "github.com", false),
        (["api.github.com"], "uploads.api.github.com", false),
        (["api.github.com", "*.slack.com"], "hooks.slack.com", true),
        (["api.github.com", "*.slack.com"], "slack.com", false),
        ([], "api.github.com", false),
        (["127.0.0.1"], "127.0.0.1", true),
        (["127.0.0.1"], "127.0.0.10", false),
    ]

    @Test(arguments: cases)
    func hostIsAllowedOnlyByAnExactNameOrASubdomainGlob(patterns: [String], host: String, allowed: Bool) {
        #expect(HostPattern.allows(patterns, host) == allowed)
    }

    /// (pattern, problem fragment or nil)
    static let patterns: [(String, String?)] = [
        ("api.github.com", nil),
        ("*.example.com", nil),
        ("*.eu.example.com", nil),
        ("127.0.0.1", nil),
        ("", "empty host"),
        ("*", "only a leading `*.` is allowed"),
        ("*example.com", "only a leading `*.` is allowed"),
        ("a.*.example.com", "only a leading `*.` is allowed"),
        ("*.*.example.com", "only a leading `*.` is allowed"),
        ("*.com", "is too broad"),
        ("https://x", "must be a host name, without scheme or path"),
        ("api.example.com/v1", "must be a host name, without scheme or path"),
        ("user@api.example.com", "must not contain `@`"),
    ]

    @Test(arguments: patterns)
    func unusablePatternsAreNamed(pattern: String, problem: String?) {
        let found = HostPattern.problem(pattern)
        if let problem {
            #expect(found?.contains(problem) == true, "\(pattern): \(String(describing: found))")
        } else {
            #expect(found == nil)
        }
    }
}

/// A credential's base URL: http(s), a host, no user info, query or fragment.
@Suite struct TargetURLTests {
    /// (text, scheme, host, port, basePath, authority, base)
    static let valid: [(String, String, String, Int?, String, String, String)] = [
        ("https://api.github.com", "https", "api.github.com", nil, "", "api.github.com:443", "https://api.github.com"),
        ("https://api.github.com/", "https", "api.github.com", nil, "", "api.github.com:443", "https://api.github.com"),
        ("HTTPS://API.Example.COM/v1//", "https", "api.example.com", nil, "/v1", "api.example.com:443", "https://api.example.com/v1"),
        ("http://127.0.0.1:18080", "http", "127.0.0.1", 18080, "", "127.0.0.1:18080", "http://127.0.0.1:18080"),
        ("http://example.com", "http", "example.com", nil, "", "example.com:80", "http://example.com"),
        ("https://example.com:8443/api/v2", "https", "example.com", 8443, "/api/v2", "example.com:8443", "https://example.com:8443/api/v2"),
        ("http://[::1]:8080/x", "http", "::1", 8080, "/x", "[::1]:8080", "http://[::1]:8080/x"),
    ]

    @Test(arguments: valid)
    func validTargetsAreSplitIntoTheirParts(
        text: String, scheme: String, host: String, port: Int?, basePath: String, authority: String, base: String
    ) throws {
        let url = try #require(TargetURL(text))
        #expect(url.scheme == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.basePath == basePath)
        #expect(url.authority == authority)
        #expect(url.base == base)
    }

    static let invalid = [
        "https://a@b.example.com",
        "https://user:pw@api.github.com",
        "https://:pw@api.github.com",
        "https://api.github.com?x=1",
        "https://api.github.com/?",
        "https://api.github.com#frag",
        "https://api.github.com/#",
        "ftp://files.example.com",
        "file:///etc/passwd",
        "ws://api.example.com",
        "javascript:alert(1)",
        "api.github.com",
        "//api.github.com",
        "https://",
        "",
        "not a url",
    ]

    @Test(arguments: invalid)
    func unsafeOrUnusableTargetsAreRefused(text: String) {
        #expect(TargetURL(text) == nil)
    }

    /// `URLComponents.host` is percent-decoded: `evil.com%2F.atlassian.net` reads as the host
    /// `evil.com/.atlassian.net`, which matches `*.atlassian.net`, while the URL built from it
    /// (`https://evil.com/.atlassian.net/...`) connects to evil.com. A host with a decoded
    /// delimiter is not a host name and must be refused before any allow-list check.
    @Test(arguments: [
        "https://evil.com%2F.atlassian.net",
        "https://evil.com%2f.atlassian.net/rest",
        "https://evil.com%23.atlassian.net",
        "https://evil.com%3F.atlassian.net",
        "https://evil.com%40.atlassian.net",
        "https://evil.com%3A443%2F.atlassian.net",
        "https://evil.com%00.atlassian.net",
        "https://evil.com%20.atlassian.net",
    ])
    func percentEncodedDelimitersInTheHostAreRefused(text: String) {
        let url = TargetURL(text)
        #expect(url == nil, "accepted host \(String(reflecting: url?.host)) with base \(url?.base ?? "")")
        if let url {
            #expect(!HostPattern.allows(["*.atlassian.net"], url.host), "a secret for *.atlassian.net would go to \(url.base)")
        }
    }
}

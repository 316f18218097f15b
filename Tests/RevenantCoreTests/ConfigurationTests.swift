import Foundation
import Testing
import RevenantCore
import RevenantFiles
import TestSupport

/// `Configuration.load(file:)`: every key of DESIGN.md §9 that exists, and the errors for the rest.
/// (Precedence of flags over the file is tested with the CLI.)
@Suite struct ConfigurationTests {
    static func errors(_ text: String) -> (file: String, errors: [InputError]) {
        let dir = TemporaryDirectory()
        let file = dir.write("config.json", text)
        do {
            _ = try Configuration.load(file: file, environment: [:])
            return (file, [])
        } catch {
            return (file, error.errors)
        }
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let c = Configuration()
        #expect(c.concurrency == 64)
        #expect(c.perHost == HostLimits(maxInFlight: 8, requestsPerSecond: nil))
        #expect(c.timeout.seconds == 10)
        #expect(c.retries.attempts == 3)
        #expect(c.retries.backoffMs == 250)
        #expect(c.retries.maxRetryAfterSeconds == 10)
        #expect(c.policy == Policy(expiryWarningDays: 30, maxRotationAgeDays: [:], defaultMaxRotationAgeDays: 90))
        #expect(c.probesDirs.isEmpty)
        #expect(c.caBundle == nil)
        #expect(c.insecureHosts.isEmpty)
        #expect(c.proxy == nil)
        #expect(c.revocation == RevocationSettings())
        #expect(c.revocation.crl && c.revocation.ocsp && c.revocation.softFail)
        #expect(c.fingerprintKey == nil)
    }

    @Test func emptyObjectGivesTheDefaults() throws {
        let dir = TemporaryDirectory()
        #expect(try Configuration.load(file: dir.write("c.json", "{}")) == Configuration())
    }

    @Test func everyKeyIsRead() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("etc/config.json", """
            {
              "concurrency": 16,
              "per_host": {"max_in_flight": 2, "requests_per_second": 1.5},
              "timeout_seconds": 2.5,
              "retries": {"attempts": 5, "backoff_ms": 100, "max_retry_after_seconds": 30},
              "policy": {
                "expiry_warning_days": 14,
                "max_rotation_age_days": {"default": 180, "ssh_key": 365, "api_key": 60}
              },
              "probes_dirs": ["probes", "/opt/probes", "../shared/probes"],
              "tls": {"ca_bundle": "ca.pem", "insecure_hosts": ["localhost", "127.0.0.1"]},
              "proxy": "http://proxy.internal:3128",
              "revocation": {"crl": false, "ocsp": true, "soft_fail": false},
              "fingerprint_key": {"env": "REVENANT_FP_KEY"},
              "postgresql": {"sslmode": "verify-full", "ca_bundle": "pg-ca.pem"}
            }
            """)
        let c = try Configuration.load(file: file)
        let etc = dir.path + "/etc"
        #expect(c.concurrency == 16)
        #expect(c.perHost == HostLimits(maxInFlight: 2, requestsPerSecond: 1.5))
        #expect(c.timeout.seconds == 2.5)
        #expect(c.retries.attempts == 5)
        #expect(c.retries.backoffMs == 100)
        #expect(c.retries.maxRetryAfterSeconds == 30)
        #expect(c.policy.expiryWarningDays == 14)
        #expect(c.policy.defaultMaxRotationAgeDays == 180)
        #expect(c.policy.maxRotationAgeDays == [.sshKey: 365, .apiKey: 60])
        #expect(c.policy.maxRotationAge(for: .sshKey) == 365)
        #expect(c.policy.maxRotationAge(for: .jwt) == 180)
        #expect(c.probesDirs == [etc + "/probes", "/opt/probes", dir.path + "/shared/probes"])
        #expect(c.caBundle == etc + "/ca.pem")
        #expect(c.insecureHosts == ["localhost", "127.0.0.1"])
        #expect(c.proxy == "http://proxy.internal:3128")
        #expect(c.revocation.crl == false)
        #expect(c.revocation.ocsp == true)
        #expect(c.revocation.softFail == false)
        #expect(c.fingerprintKey == .environment("REVENANT_FP_KEY"))
        #expect(c.postgres == PostgresTLS(mode: .verifyFull, caBundle: etc + "/pg-ca.pem"))
    }

    /// `SSL_CERT_FILE` stands in for the CA file of PostgreSQL's verify modes, as it does for every
    /// TLS path; an empty one is unset.
    @Test func sslCertFileIsTheCAFileOfPostgresVerifyModes() throws {
        let text = Array("{\"postgresql\": {\"sslmode\": \"verify-full\"}}".utf8)
        let c = try Configuration.parse(text, file: "/etc/revenant/config.json", environment: ["SSL_CERT_FILE": "/etc/ca.pem"])
        #expect(c.postgres == PostgresTLS(mode: .verifyFull, caBundle: nil))
        #expect(throws: InputErrors.self) { try Configuration.parse(text, file: "/etc/revenant/config.json", environment: ["SSL_CERT_FILE": ""]) }
    }

    @Test func fingerprintKeyFromAFileResolvesAgainstTheConfigDirectory() throws {
        let dir = TemporaryDirectory()
        let c = try Configuration.load(file: dir.write("c.json", #"{"fingerprint_key": {"file": "keys/fp.key"}}"#))
        #expect(c.fingerprintKey == .file(dir.path + "/keys/fp.key"))
    }

    @Test func partialSectionsKeepTheOtherDefaults() throws {
        let dir = TemporaryDirectory()
        let c = try Configuration.load(file: dir.write("c.json", """
            {"per_host": {"requests_per_second": 4}, "retries": {"attempts": 1}, "policy": {"max_rotation_age_days": {"jwt": 7}}}
            """))
        #expect(c.perHost == HostLimits(maxInFlight: 8, requestsPerSecond: 4))
        #expect(c.retries.attempts == 1)
        #expect(c.retries.backoffMs == 250)
        #expect(c.policy.expiryWarningDays == 30)
        #expect(c.policy.defaultMaxRotationAgeDays == 90)
        #expect(c.policy.maxRotationAge(for: .jwt) == 7)
    }

    /// (what, content, expected location, expected message fragment)
    static let badConfigs: [(String, String, String, String)] = [
        ("unknown top-level key", "{\n  \"concurrncy\": 4\n}", "line 2, concurrncy",
         "unknown field `concurrncy` (did you mean `concurrency`?); expected one of: concurrency, per_host"),
        ("unknown nested key", "{\"per_host\": {\n  \"max_inflight\": 2}}", "line 2, per_host.max_inflight",
         "unknown field `max_inflight` (did you mean `max_in_flight`?)"),
        ("unknown credential kind in rotation ages", "{\"policy\": {\"max_rotation_age_days\": {\n\"api_keys\": 3}}}",
         "line 2, policy.max_rotation_age_days.api_keys", "unknown field `api_keys` (did you mean `api_key`?)"),
        ("tls key misspelt", "{\"tls\": {\"ca_bundel\": \"x\"}}", "line 1, tls.ca_bundel", "unknown field `ca_bundel`"),
        ("concurrency as a string", "{\"concurrency\": \"8\"}", "line 1, concurrency", "expected a whole number, found a string"),
        ("concurrency as a decimal", "{\"concurrency\": 1.5}", "line 1, concurrency", "expected a whole number, found `1.5`"),
        ("concurrency zero", "{\"concurrency\": 0}", "line 1, concurrency", "must be from 1 to 4096, found 0"),
        ("per_host not an object", "{\"per_host\": 5}", "line 1, per_host", "expected an object, found a number"),
        ("requests per second zero", "{\"per_host\": {\"requests_per_second\": 0}}", "line 1, per_host.requests_per_second", "must be from 0.001 to"),
        ("timeout as a string", "{\"timeout_seconds\": \"10\"}", "line 1, timeout_seconds", "expected a number, found a string"),
        ("concurrency beyond any machine", "{\"concurrency\": 9223372036854775807}", "line 1, concurrency", "must be from 1 to 4096"),
        ("retry-after cap beyond an hour", "{\"retries\": {\"max_retry_after_seconds\": 1e29}}", "line 1, retries.max_retry_after_seconds", "must be from 0 to 3,600"),
        ("attempts beyond ten", "{\"retries\": {\"attempts\": 1000000}}", "line 1, retries.attempts", "must be from 1 to 10"),
        ("timeout beyond an hour", "{\"timeout_seconds\": 1e18}", "line 1, timeout_seconds", "must be from 0.1 to 3,600"),
        ("timeout too short", "{\"timeout_seconds\": 0.01}", "line 1, timeout_seconds", "must be from 0.1 to 3,600"),
        ("negative backoff", "{\"retries\": {\"backoff_ms\": -1}}", "line 1, retries.backoff_ms", "must be from 0 to 60000, found -1"),
        ("rotation age zero", "{\"policy\": {\"max_rotation_age_days\": {\"default\": 0}}}",
         "line 1, policy.max_rotation_age_days.default", "must be from 1 to 36500, found 0"),
        ("warning days negative", "{\"policy\": {\"expiry_warning_days\": -3}}", "line 1, policy.expiry_warning_days", "must be from 0 to 36500"),
        ("probes_dirs a string", "{\"probes_dirs\": \"probes\"}", "line 1, probes_dirs", "expected a list of strings, found a string"),
        ("insecure host a number", "{\"tls\": {\"insecure_hosts\": [\"a\",\n 7]}}", "line 2, tls.insecure_hosts[1]", "expected a string, found a number"),
        ("crl as a string", "{\"revocation\": {\"crl\": \"yes\"}}", "line 1, revocation.crl", "expected true or false, found a string"),
        ("proxy as an object", "{\"proxy\": {}}", "line 1, proxy", "expected a string, found an object"),
        ("fingerprint key with no source", "{\"fingerprint_key\": {}}", "line 1, fingerprint_key", "expected {\"env\": NAME} or {\"file\": PATH}"),
        ("fingerprint key inline", "{\"fingerprint_key\": {\"value\": \"k\"}}", "line 1, fingerprint_key.value", "unknown field `value`"),
        ("postgresql sslmode unknown", "{\"postgresql\": {\"sslmode\": \"verify\"}}", "line 1, postgresql.sslmode",
         "expected one of prefer, require, verify-ca, verify-full"),
        ("postgresql verify-full without a CA file", "{\"postgresql\": {\"sslmode\": \"verify-full\"}}", "line 1, postgresql",
         "give postgresql.ca_bundle or tls.ca_bundle, or set SSL_CERT_FILE"),
        ("postgresql CA file without a verify mode", "{\"postgresql\": {\"ca_bundle\": \"ca.pem\"}}", "line 1, postgresql.ca_bundle",
         "used only with sslmode verify-ca or verify-full"),
        ("OCSP responder not over HTTP", "{\"revocation\": {\"ocsp_responders\": [{\"url\": \"ldap://ca\", \"issuer\": \"ca.pem\"}]}}",
         "line 1, revocation.ocsp_responders[0].url", "expected an http:// or https:// URL"),
        ("OCSP responder without its CA", "{\"revocation\": {\"ocsp_responders\": [{\"url\": \"http://ca\"}]}}",
         "line 1, revocation.ocsp_responders[0].issuer", "required field `issuer` is missing"),
        ("OCSP responders not a list", "{\"revocation\": {\"ocsp_responders\": {}}}", "line 1, revocation.ocsp_responders", "expected a list"),
        ("not an object", "[]", "line 1", "expected an object, found a list"),
        ("invalid JSON", "{\n  \"concurrency\": 4,\n}", "line 3", "invalid JSON: expected a quoted member name"),
    ]

    @Test(arguments: badConfigs)
    func badConfigurationNamesLineFieldAndProblem(what: String, content: String, location: String, message: String) {
        let (file, errors) = Self.errors(content)
        let match = errors.first { $0.file == file && $0.location == location && $0.message.contains(message) }
        #expect(match != nil, "\(what): expected `\(location)`: …\(message)… in \(errors.map(\.description))")
    }

    @Test func everyConfigurationProblemIsReportedAtOnce() {
        let (_, errors) = Self.errors("""
            {
              "concurrency": 0,
              "timeout_seconds": "slow",
              "retires": {},
              "revocation": {"ocsp": 1}
            }
            """)
        #expect(errors.map(\.location).sorted() == ["line 2, concurrency", "line 3, timeout_seconds", "line 4, retires", "line 5, revocation.ocsp"])
    }

    @Test func missingConfigurationFileIsAnError() {
        let dir = TemporaryDirectory()
        let file = dir.path + "/absent.json"
        #expect {
            try Configuration.load(file: file)
        } throws: { error in
            let errors = (error as? InputErrors)?.errors ?? []
            return errors.count == 1 && errors[0].file == file && errors[0].message.contains("cannot read the configuration file")
        }
    }
}

/// The timeout is clamped in one place and converted there for every library.
@Suite struct TimeoutTests {
    @Test func valuesOutsideTheRangeAreClampedAndUnitsRoundUp() {
        #expect(Timeout(seconds: 1e18).seconds == 3600)
        #expect(Timeout(seconds: -5).seconds == 0.1)
        #expect(Timeout(seconds: .nan).seconds == 0.1)
        #expect(Timeout(seconds: 2.5).milliseconds == 2500)
        #expect(Timeout(seconds: 2.5).wholeSeconds == 3)
        #expect(Timeout(seconds: 0.1).wholeSeconds == 1)
        #expect(Timeout(seconds: 3600).milliseconds == 3_600_000)
        #expect(Timeout.default.seconds == Configuration().timeout.seconds)
    }
}

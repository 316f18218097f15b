import Foundation
import Testing
import RevenantCore
import RevenantProbes

/// Every file in `Probes/` is validated like code (STYLE.md habit 10), and every probe's matchers
/// are replayed against the responses in `Fixtures/replay/<id>.json` (docs/probe-format.md).
@Suite struct ShippedProbesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let probesDir = root.appendingPathComponent("Probes").path
    static let replayDir = root.appendingPathComponent("Fixtures/replay").path

    static func stems(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static let probeIDs = stems(in: probesDir)
    static let replayIDs = stems(in: replayDir)
    static let loaded = ProbeLoader.load(paths: [probesDir])

    /// A probe with no `allowed_hosts` and no `default_target` is a template for an
    /// organisation's own systems: it sends nothing as shipped, so it has no replay file, and its
    /// one expected lint warning is the empty `allowed_hosts`.
    static func isTemplate(_ id: String) -> Bool {
        guard let probe = loaded.definitions[id] else { return false }
        return probe.allowedHosts.isEmpty && probe.defaultTarget == nil
    }

    static let replayedIDs = probeIDs.filter { !isTemplate($0) }

    // MARK: lint

    @Test func everyShippedProbeLintsWithoutErrorsOrWarnings() {
        let unexpected = Self.loaded.problems.filter { problem in
            !(problem.level == .warning && problem.error.message.hasPrefix("empty: nothing is sent")
              && Self.probeIDs.contains { Self.isTemplate($0) && problem.error.file.hasSuffix("/\($0).json") })
        }
        #expect(unexpected.isEmpty, "\(unexpected.map(\.description).joined(separator: "\n"))")
    }

    @Test func probesForOnesOwnSystemsShipAsTemplates() {
        let templates = Self.probeIDs.filter(Self.isTemplate)
        #expect(templates == ["imap", "kerberos", "ldap", "mysql", "oauth2-introspection", "oauth2-token", "postgresql", "redis", "scim", "smtp", "ssh"], "\(templates)")
    }

    /// The SMTP template logs in with AUTH (RFC 4954) and names where its reading of 535 was checked.
    @Test func smtpTemplateIsAnAuthLoginWithSources() throws {
        let probe = try #require(Self.loaded.definitions["smtp"])
        #expect(probe.kind == .smtp)
        #expect(Set(probe.kinds) == [.password, .basicAuth])
        #expect(probe.sources.count >= 2)
        #expect(probe.sources.allSatisfy { $0.hasPrefix("https://") })
        #expect(probe.sources.contains { $0.contains("rfc4954") })
    }

    @Test func atLeastThirtyProbesShip() {
        #expect(Self.probeIDs.count >= 30)
        #expect(Self.loaded.definitions.count == Self.probeIDs.count)
    }

    @Test(arguments: probeIDs)
    func shippedProbeIsDocumentedAndSafe(id: String) throws {
        let probe = try #require(Self.loaded.definitions[id], "\(id) did not load")
        #expect(probe.id == id)
        #expect(probe.docs.hasPrefix("https://"), "docs: \(probe.docs)")
        #expect(URL(string: probe.docs)?.host?.isEmpty == false)
        #expect(!probe.title.isEmpty)
        #expect(!probe.kinds.isEmpty)
        #expect(["GET", "HEAD"].contains(probe.request.method) || (probe.request.method == "POST" && probe.request.readOnly))
        #expect(!probe.allowedHosts.isEmpty || Self.isTemplate(id))
        // `*` only where no secret leaves the machine (an mTLS key only signs the handshake).
        for host in probe.allowedHosts where !(host == HostPattern.anyHost && probe.kind == .tlsClientCertificate) {
            #expect(HostPattern.problem(host) == nil, "\(host)")
        }
        if let target = probe.defaultTarget {
            let url = try #require(TargetURL(target))
            #expect(url.scheme == "https", "shipped probes talk TLS: \(target)")
            #expect(HostPattern.allows(probe.allowedHosts, url.host))
        }
    }

    /// Every shipped probe was checked in two places: the provider's reference and an independent
    /// source (an open-source verifier's check, an RFC, a man page) — docs/probe-format.md, `sources`.
    @Test(arguments: probeIDs)
    func shippedProbeListsTwoSourcesOneIndependent(id: String) throws {
        let probe = try #require(Self.loaded.definitions[id], "\(id) did not load")
        #expect(Set(probe.sources).count >= ProbeSources.minimum, "\(id): sources \(probe.sources)")
        #expect(probe.sources.allSatisfy { $0.hasPrefix("https://") }, "\(id): \(probe.sources)")
        #expect(probe.sources.contains { ProbeSources.isIndependent($0, of: probe) }, "\(id): no independent source in \(probe.sources)")
        #expect(ProbeSources.lint(probe, shipped: true) == nil)
    }

    // MARK: replay

    struct ReplayCase {
        var name: String
        var expect: String
        var response: HTTPResponse
    }

    static func replayCases(_ id: String) throws -> (probe: String, cases: [ReplayCase]) {
        let file = "\(replayDir)/\(id).json"
        let data = try #require(FileManager.default.contents(atPath: file), "no replay file for \(id)")
        let tree = try JSONTreeParser.parse([UInt8](data), file: file)
        let probe = try #require(tree["probe"]?.stringValue, "\(file): `probe` missing")
        #expect(tree["source"]?.stringValue?.isEmpty == false, "\(file): `source` missing")
        let items = try #require(tree["cases"]?.arrayValue, "\(file): `cases` missing")
        var cases: [ReplayCase] = []
        for item in items {
            let name = try #require(item["name"]?.stringValue, "\(file): case without name")
            let expect = try #require(item["expect"]?.stringValue, "\(file): \(name) without expect")
            let response = try #require(item["response"], "\(file): \(name) without response")
            guard case .number(let statusText)? = response["status"]?.value, let status = Int(statusText) else {
                Issue.record("\(file): \(name): status is not a number")
                continue
            }
            let headers = (response["headers"]?.objectValue ?? []).map { HTTPHeader(name: $0.key, value: $0.value.stringValue ?? "") }
            let body = Array((response["body"]?.stringValue ?? "").utf8)
            cases.append(ReplayCase(name: name, expect: expect, response: HTTPResponse(status: status, headers: headers, body: body)))
        }
        return (probe, cases)
    }

    @Test func everyProbeHasAReplayFileAndEveryReplayFileAProbe() {
        #expect(Set(Self.replayedIDs).subtracting(Self.replayIDs).isEmpty, "probes without replay: \(Set(Self.replayedIDs).subtracting(Self.replayIDs).sorted())")
        #expect(Set(Self.replayIDs).subtracting(Self.replayedIDs).isEmpty, "replays without probe (or of a template): \(Set(Self.replayIDs).subtracting(Self.replayedIDs).sorted())")
    }

    @Test(arguments: replayedIDs)
    func replayedResponsesGiveTheExpectedOutcome(id: String) throws {
        let probe = try #require(Self.loaded.definitions[id], "\(id) did not load")
        let (named, cases) = try Self.replayCases(id)
        #expect(named == id)
        let names = Set(cases.map(\.name))
        #expect(names.isSuperset(of: ["live", "dead", "unexpected"]), "\(id): cases \(names.sorted())")
        #expect(names.count == cases.count, "\(id): duplicate case names")
        #expect(cases.first { $0.name == "live" }?.expect == "authenticated")
        #expect(cases.first { $0.name == "dead" }?.expect == "rejected")
        #expect(cases.first { $0.name == "unexpected" }?.expect == "inconclusive")
        for c in cases {
            #expect(["authenticated", "rejected", "inconclusive"].contains(c.expect), "\(id)/\(c.name): expect `\(c.expect)`")
            // As a run reads it: through the probe's protocol (an oauth2-token 200 needs an access_token).
            let outcome = ResponseClassifier.classify(.success(.http(c.response)), probe: probe)
            #expect(outcome.name == c.expect, "\(id)/\(c.name): expected \(c.expect), got \(outcome.name) (\(outcome.reason))")
        }
    }
}

import Foundation
import Testing
import RevenantCore
import RevenantFiles
import TestSupport

/// `InventoryLoader.load(file:)` / `load(files:)` over JSON, YAML and CSV written at test time.
@Suite struct InventoryLoaderTests {
    // MARK: helpers

    /// Loads `text` written as `name` and returns every error reported (none means the load succeeded).
    static func errors(_ name: String, _ text: String) -> (file: String, errors: [InputError]) {
        let dir = TemporaryDirectory()
        let file = dir.write(name, text)
        do {
            _ = try InventoryLoader.load(file: file)
            return (file, [])
        } catch {
            return (file, error.errors)
        }
    }

    static func date(_ text: String) -> Date { Timestamp.parse(text)! }

    /// Five million wrong entries took 26 s and 2 GB to list, one error line each (an adversarial
    /// run): past `maxErrors` the rest of the file is not read, in every format.
    @Test(arguments: ["json", "yaml", "csv"])
    func aFileOfWrongEntriesStopsAtTheErrorLimit(format: String) {
        let n = 200_000
        let text: String
        switch format {
        case "json": text = "{\"credentials\": [" + (0..<n).map(String.init).joined(separator: ",") + "]}"
        case "yaml": text = "credentials:\n" + String(repeating: "- 7\n", count: n)
        default: text = "id,kind,state\n" + String(repeating: "x,not-a-kind,active\n", count: n)
        }
        let (_, errors) = Self.errors("many.\(format)", text)
        #expect(errors.count == InventoryLoader.maxErrors + 1, "\(format): \(errors.count) errors")
        #expect(errors.last?.message.contains("the rest of the file was not read") == true, "\(errors.last?.description ?? "")")
        #expect(errors.first?.location.contains("line") == true || errors.first?.location.contains("credentials[0]") == true)
    }

    @Test(arguments: [InventoryLoader.maxErrors - 1, InventoryLoader.maxErrors])
    func upToTheLimitEveryErrorIsShownAndNoStopIsSaid(count: Int) {
        let text = "{\"credentials\": [" + (0..<count).map(String.init).joined(separator: ",") + "]}"
        let (_, errors) = Self.errors("some.json", text)
        #expect(errors.count == count)
        #expect(!errors.contains { $0.message.contains("not read") })
    }

    /// A file larger than the steps in which the reader gives its pages back (`ReleasableFileBytes`):
    /// every credential is read whole, and an error after the pages given back still names its line.
    @Test func aLargeFileIsReadWholeWhileItsPagesAreGivenBack() throws {
        let count = 60_000
        let entries = (0..<count).map { i in
            #"{"id": "c-\#(i)", "kind": "api_key", "state": "revoked", "owner": "o", "secret": {"env": "E\#(i)"}, "probe": "p", "tags": {"note": "\#(String(repeating: "n", count: 40))"}}"#
        }
        let text = "{\"credentials\": [\n" + entries.joined(separator: ",\n") + "\n]}\n"
        #expect(text.utf8.count > 8 << 20, "more than two steps of pages")
        let dir = TemporaryDirectory()
        let inventory = try InventoryLoader.load(file: dir.write("big.json", text))
        #expect(inventory.credentials.count == count)
        #expect(inventory.credentials.last?.id == "c-\(count - 1)" && inventory.credentials.last?.line == count + 1)
        #expect(inventory.credentials.last?.secret == .environment("E\(count - 1)"))
        #expect(inventory.credentials.allSatisfy { $0.tags["note"]?.utf8.count == 40 })
        let broken = text.replacingOccurrences(of: #""state": "revoked", "owner": "o", "secret": {"env": "E\#(count - 1)"}"#,
                                               with: #""state": "gone", "owner": "o", "secret": {"env": "E\#(count - 1)"}"#)
        let (file, errors) = Self.errors("broken.json", broken)
        #expect(errors.map(\.description).count == 1)
        #expect(errors.first?.description.hasPrefix("\(file): line \(count + 1)") == true, "\(errors)")
    }

    // MARK: valid inventories

    static let jsonInventory = """
        {
          "credentials": [
            {
              "id": "gh-deploy-bot-2024",
              "kind": "api_key",
              "state": "revoked",
              "owner": "team-payments",
              "issued_at": "2024-01-03T00:00:00Z",
              "rotated_at": null,
              "revoked_at": "2026-11-01T09:30:00Z",
              "expires_at": null,
              "secret": {"env": "OLD_GH_TOKEN"},
              "username": null,
              "probe": "github",
              "target": "https://api.github.com",
              "tags": {"ticket": "SEC-1234", "team": "payments"}
            },
            {
              "id": "dana-everywhere",
              "kind": "bearer_token",
              "state": "offboarded",
              "secret": {"file": "secrets/dana.token"},
              "probes": [
                {"probe": "github"},
                {"probe": "slack", "target": "https://slack.com"}
              ]
            },
            {
              "id": "aws-old",
              "kind": "aws_access_key",
              "state": "rotated",
              "rotated_at": "2026-01-02",
              "expires_at": "2027-01-02T03:04:05.250Z",
              "access_key_id": "AKIAEXAMPLE",
              "username": "deploy",
              "secret": {"file": "/etc/revenant/aws.key"}
            }
          ],
          "controls": [
            {"probe": "github", "target": "https://api.github.com", "secret": {"env": "GH_CANARY"}},
            {"probe": "slack", "secret": {"file": "../canaries/slack"}, "username": "bot"}
          ]
        }
        """

    /// Ids, owners and tags are repeated by every report (lines, headings, metric labels): each is
    /// bounded where it enters, the error names the field and line and never echoes the value.
    @Test func oversizedIdOwnerAndTagsAreRefusedWithoutEchoingThem() {
        func entry(_ id: String, owner: String = "dana", tags: [String: String] = [:]) -> String {
            let tagText = tags.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
            return #"{"id": "\#(id)", "kind": "api_key", "state": "revoked", "owner": "\#(owner)", "tags": {\#(tagText)}}"#
        }
        let long = String(repeating: "q", count: 300)
        let manyTags = Dictionary(uniqueKeysWithValues: (0..<65).map { ("t\($0)", "v") })
        let text = #"{"credentials": [\#n"# + [
            entry(long), entry("b", owner: String(repeating: "o", count: 600)), entry("c", tags: manyTags),
            entry("d", tags: ["note": String(repeating: "n", count: 3000)]), entry("e", tags: [String(repeating: "k", count: 200): "v"]),
            entry(String(repeating: "f", count: 200), owner: String(repeating: "o", count: 512), tags: ["note": String(repeating: "n", count: 2048)]),
        ].joined(separator: ",\n") + "\n]}"
        let errors: [String]
        do {
            _ = try InventoryLoader.load(bytes: Array(text.utf8), file: "big.json")
            errors = []
        } catch { errors = error.errors.map(\.description) }
        #expect(errors.count == 5, "\(errors)")
        #expect(errors.contains { $0.contains("line 2") && $0.contains("the id is 300 bytes: at most 200") })
        #expect(errors.contains { $0.contains("line 3") && $0.contains("the owner is 600 bytes: at most 512") })
        #expect(errors.contains { $0.contains("line 4") && $0.contains("65 tags: at most 64") })
        #expect(errors.contains { $0.contains("line 5") && $0.contains("a tag value is 3000 bytes") })
        #expect(errors.contains { $0.contains("line 6") && $0.contains("a tag name is 200 bytes") })
        #expect(!errors.joined().contains("qqqqqqqqqq") && !errors.joined().contains("oooooooooo"), "no value echoed")
    }

    @Test func jsonInventoryLoadsEveryField() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.json", Self.jsonInventory)
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.warnings.isEmpty)
        #expect(inventory.credentials.map(\.id) == ["gh-deploy-bot-2024", "dana-everywhere", "aws-old"])

        let gh = inventory.credentials[0]
        #expect(gh.kind == .apiKey)
        #expect(gh.state == .revoked)
        #expect(gh.owner == "team-payments")
        #expect(gh.issuedAt == Self.date("2024-01-03T00:00:00Z"))
        #expect(gh.rotatedAt == nil)
        #expect(gh.revokedAt == Self.date("2026-11-01T09:30:00Z"))
        #expect(gh.expiresAt == nil)
        #expect(gh.secret == .environment("OLD_GH_TOKEN"))
        #expect(gh.username == nil)
        #expect(gh.targets == [ProbeTarget(probe: "github", target: "https://api.github.com")])
        #expect(gh.tags == ["ticket": "SEC-1234", "team": "payments"])
        #expect(gh.origin == "line 3")

        let dana = inventory.credentials[1]
        #expect(dana.owner == nil)
        #expect(dana.secret == .file(dir.path + "/secrets/dana.token"))
        #expect(dana.targets == [ProbeTarget(probe: "github", target: nil), ProbeTarget(probe: "slack", target: "https://slack.com")])

        let aws = inventory.credentials[2]
        #expect(aws.kind == .awsAccessKey)
        #expect(aws.accessKeyID == "AKIAEXAMPLE")
        #expect(aws.username == "deploy")
        #expect(aws.rotatedAt == Self.date("2026-01-02T00:00:00Z"))
        #expect(aws.expiresAt == Date(timeIntervalSince1970: Self.date("2027-01-02T03:04:05Z").timeIntervalSince1970 + 0.25))
        #expect(aws.secret == .file("/etc/revenant/aws.key"))
        #expect(aws.targets.isEmpty)

        #expect(inventory.controls.count == 2)
        #expect(inventory.controls[0] == PositiveControl(
            probe: "github", target: "https://api.github.com", secret: .environment("GH_CANARY"),
            origin: inventory.controls[0].origin))
        #expect(inventory.controls[0].origin.contains("controls[0]"))
        let parent = URL(fileURLWithPath: dir.path).deletingLastPathComponent().path
        #expect(inventory.controls[1].secret == .file(parent + "/canaries/slack"))
        #expect(inventory.controls[1].target == nil)
        #expect(inventory.controls[1].username == "bot")
    }

    static let yamlInventory = """
        # offboarding of Dana
        credentials:
          - id: dana-deploy-token
            kind: bearer_token
            state: offboarded
            owner: dana@example.com
            issued_at: 2025-03-04T09:12:00Z
            revoked_at: "2026-10-31T17:00:00Z"
            secret: {file: run/secrets/bearer}
            probe: demo-bearer
            target: "http://127.0.0.1:18080"
            tags:
              team: platform
              ticket: OFFB-2291
              priority: "1"

          - id: dana-everywhere
            kind: oauth_token
            state: revoked
            owner: ~
            secret:
              env: DANA_OAUTH
            probes:
              - probe: github
                target: https://api.github.com
              - probe: slack

          - id: "12345"
            kind: password
            state: active
            secret: {value: "hunter2-inline-secret"}
            probe: demo-basic
        controls:
          - probe: demo-bearer
            target: "http://127.0.0.1:18080"
            secret: {env: CANARY}
        """

    @Test func yamlInventoryLoadsWithTagsProbesControlsAndLines() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.yaml", Self.yamlInventory)
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.credentials.map(\.id) == ["dana-deploy-token", "dana-everywhere", "12345"])

        let deploy = inventory.credentials[0]
        #expect(deploy.kind == .bearerToken)
        #expect(deploy.state == .offboarded)
        #expect(deploy.issuedAt == Self.date("2025-03-04T09:12:00Z"))
        #expect(deploy.revokedAt == Self.date("2026-10-31T17:00:00Z"))
        #expect(deploy.secret == .file(dir.path + "/run/secrets/bearer"))
        #expect(deploy.targets == [ProbeTarget(probe: "demo-bearer", target: "http://127.0.0.1:18080")])
        #expect(deploy.tags == ["team": "platform", "ticket": "OFFB-2291", "priority": "1"])
        #expect(deploy.origin == "line 3")

        let everywhere = inventory.credentials[1]
        #expect(everywhere.owner == nil)
        #expect(everywhere.secret == .environment("DANA_OAUTH"))
        #expect(everywhere.targets == [ProbeTarget(probe: "github", target: "https://api.github.com"), ProbeTarget(probe: "slack", target: nil)])
        #expect(everywhere.origin == "line 17")

        #expect(inventory.credentials[2].secret == .value("hunter2-inline-secret"))
        #expect(inventory.controls == [PositiveControl(
            probe: "demo-bearer", target: "http://127.0.0.1:18080", secret: .environment("CANARY"),
            origin: inventory.controls.first?.origin ?? "")])
    }

    @Test func inlineSecretValueIsAcceptedWithAWarningThatDoesNotRepeatIt() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.yaml", Self.yamlInventory)
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.warnings.count == 1)
        let warning = try #require(inventory.warnings.first)
        #expect(warning.hasPrefix(file + ": line 31, credentials[2].secret: "))
        #expect(warning.contains("inline as `value`"))
        #expect(!warning.contains("hunter2"))
    }

    @Test func severalInlineSecretsGiveOneWarningPerFile() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.yaml", """
            credentials:
              - {id: a, kind: jwt, state: revoked, secret: {value: first-inline}, probe: p}
              - {id: b, kind: jwt, state: revoked, secret: {env: B}, probe: p}
              - {id: c, kind: jwt, state: revoked, secret: {value: second-inline}, probe: p}
              - {id: d, kind: jwt, state: revoked, secret: {value: third-inline}, probe: p}
            """)
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.warnings.count == 1)
        let warning = try #require(inventory.warnings.first)
        #expect(warning.hasPrefix("\(file): line 2, credentials[0].secret and 2 more: "))
        #expect(!warning.contains("inline-"), "\(warning)")
    }

    @Test func ymlExtensionIsReadAsYAML() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.yml", "credentials:\n  - {id: a, kind: jwt, state: expired}\n")
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.credentials.map(\.kind) == [.jwt])
        #expect(inventory.credentials.map(\.state) == [.expired])
    }

    /// Found by `make fuzz` (import-kubernetes, then reproduced with `inventory lint`): a plain
    /// YAML scalar that YAML 1.1 reads as a base-60 number too large for Int made Yams trap
    /// (SIGILL, exit 132). Such scalars are text; an id that looks like one is just an id.
    @Test func aBase60LookingScalarIsTextAndNoLongerCrashes() throws {
        let text = "credentials:\n  - {id: -777777777777777777:7, kind: api_key, state: revoked, tags: {window: 1:30}}\n"
        let inventory = try InventoryLoader.load(bytes: Array(text.utf8), file: "inv.yaml")
        #expect(inventory.credentials.map(\.id) == ["-777777777777777777:7"])
        #expect(inventory.credentials.first?.tags["window"] == "1:30")
    }

    @Test func sshCertificateTakesItsCertificateAndKRLFiles() throws {
        let text = """
            credentials:
              - {id: c, kind: ssh_certificate, state: revoked, username: alice, secret: {file: k}, certificate: {file: k-cert.pub}, krl: {file: ca.krl}}
            controls:
              - {probe: ssh, target: "ssh://h", username: alice, secret: {file: live}, certificate: {file: live-cert.pub}}
            """
        let inventory = try InventoryLoader.load(bytes: Array(text.utf8), file: "/inv/inv.yaml")
        let files = try #require(inventory.credentials.first?.certificate)
        #expect(files.certificate == "/inv/k-cert.pub" && files.revocationList == "/inv/ca.krl")
        #expect(inventory.credentials.first?.secret == .file("/inv/k"))
        #expect(inventory.controls.first?.certificate == "/inv/live-cert.pub")
    }

    @Test func sshCertificateFieldsAreCheckedByKind() {
        let text = """
            credentials:
              - {id: a, kind: ssh_certificate, state: revoked, secret: {file: k}}
              - {id: b, kind: ssh_key, state: revoked, secret: {file: k}, krl: {file: ca.krl}}
              - {id: c, kind: ssh_certificate, state: revoked, secret: {file: k}, certificate: {env: CERT}}
              - {id: d, kind: ssh_certificate, state: revoked, secret: {file: k}, certificate: {file: c}, private_key: {file: k}}
            """
        var errors: [String] = []
        do { _ = try InventoryLoader.load(bytes: Array(text.utf8), file: "inv.yaml") } catch { errors = error.errors.map(\.description) }
        #expect(errors.contains { $0.contains("needs `certificate") && $0.contains("-cert.pub") }, "\(errors)")
        #expect(errors.contains { $0.contains("`krl` applies to kind ssh_certificate only") }, "\(errors)")
        #expect(errors.contains { $0.contains("certificate") && $0.contains("expected `{\"file\": PATH}`") }, "\(errors)")
        #expect(errors.contains { $0.contains("not `private_key`") }, "\(errors)")
    }

    @Test func csvInventoryExpandsSecretAndTagsCells() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.csv", """
            id,kind,state,owner,issued_at,secret,probe,target,tags
            csv-env,api_key,revoked,"Payments, EU",2024-01-03,env:OLD_GH_TOKEN,github,https://api.github.com,ticket=SEC-1;team=payments
            csv-file,ssh_key,active,,,file:keys/id_ed25519,,,
            csv-value,password,rotated,ops,,value:pa:ss,,,env=prod
            """)
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.credentials.map(\.id) == ["csv-env", "csv-file", "csv-value"])

        let env = inventory.credentials[0]
        #expect(env.kind == .apiKey)
        #expect(env.state == .revoked)
        #expect(env.owner == "Payments, EU")
        #expect(env.issuedAt == Self.date("2024-01-03T00:00:00Z"))
        #expect(env.secret == .environment("OLD_GH_TOKEN"))
        #expect(env.targets == [ProbeTarget(probe: "github", target: "https://api.github.com")])
        #expect(env.tags == ["ticket": "SEC-1", "team": "payments"])
        #expect(env.origin == "line 2")

        let key = inventory.credentials[1]
        #expect(key.owner == nil)  // empty cells are absent
        #expect(key.issuedAt == nil)
        #expect(key.secret == .file(dir.path + "/keys/id_ed25519"))
        #expect(key.targets.isEmpty)
        #expect(key.tags.isEmpty)

        #expect(inventory.credentials[2].secret == .value("pa:ss"))  // only the first colon splits
        #expect(inventory.credentials[2].tags == ["env": "prod"])
        #expect(inventory.warnings.count == 1)
        #expect(inventory.warnings.first?.contains("line 4") == true)
        #expect(inventory.warnings.first?.contains("pa:ss") == false)
    }

    @Test func csvQuotedCellsMayHoldNewlinesAndQuotes() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.csv", "\u{FEFF}id,kind,state,owner\r\n\"q-1\",jwt,revoked,\"line one\nsaid \"\"hi\"\"\"\r\n\r\nq-2,jwt,revoked,x\r\n")
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.credentials.map(\.id) == ["q-1", "q-2"])
        #expect(inventory.credentials[0].owner == "line one\nsaid \"hi\"")
        #expect(inventory.credentials[1].origin == "line 5")
    }

    @Test func loadFilesMergesInOrderAndRecordsFiles() throws {
        let dir = TemporaryDirectory()
        let a = dir.write("a.json", #"{"credentials": [{"id": "a1", "kind": "jwt", "state": "revoked"}]}"#)
        let b = dir.write("b.yaml", "credentials:\n  - {id: b1, kind: jwt, state: active}\ncontrols:\n  - {probe: p, secret: {value: v}}\n")
        let inventory = try InventoryLoader.load(files: [a, b])
        #expect(inventory.credentials.map(\.id) == ["a1", "b1"])
        #expect(inventory.controls.map(\.probe) == ["p"])
        #expect(inventory.files == [a, b])
        #expect(inventory.warnings.count == 1)
    }

    @Test func emptyCredentialListIsValid() throws {
        let dir = TemporaryDirectory()
        let inventory = try InventoryLoader.load(file: dir.write("inv.json", #"{"credentials": []}"#))
        #expect(inventory.credentials.isEmpty)
    }

    // MARK: errors: one per rule, each with file, location and message

    /// (what, file name, content, expected location, expected message fragment)
    static let singleErrors: [(String, String, String, String, String)] = [
        ("unknown field", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked",
               "onwer": "x"}
            ]}
            """, "line 3, credentials[0].onwer", "unknown field `onwer` (did you mean `owner`?)"),
        ("unknown top-level field", "inv.json", """
            {"credentials": [],
             "control": []}
            """, "line 2, control", "unknown field `control` (did you mean `controls`?)"),
        ("bad kind", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api-key", "state": "revoked"}
            ]}
            """, "line 2, credentials[0].kind", "`api-key` is not a valid kind (did you mean `api_key`?)"),
        ("bad state", "inv.yaml", """
            credentials:
              - id: a
                kind: api_key
                state: revokd
            """, "line 4, credentials[0].state", "`revokd` is not a valid state (did you mean `revoked`?)"),
        ("missing state", "inv.json", #"{"credentials": [{"id": "a", "kind": "api_key"}]}"#,
         "line 1, credentials[0].state", "required field `state` is missing"),
        ("a YAML key given twice", "inv.yaml", "credentials:\n  - id: a\n    kind: api_key\n    kind: jwt\n    state: revoked\n",
         "line 3", "duplicate keys: kind"),
        ("a number where a string goes", "inv.yaml", "credentials:\n  - id: 12345\n    kind: api_key\n    state: revoked\n",
         "line 2, credentials[0].id", "expected a string, found a number"),
        ("a numeric tag value", "inv.json", #"{"credentials": [{"id": "a", "kind": "api_key", "state": "revoked", "tags": {"n": 5}}]}"#,
         "line 1, credentials[0].tags.n", "expected a string, found a number"),
        ("a megabyte-long key", "inv.json", "{\"credentials\": [{\"" + String(repeating: "k", count: 1_000_000) + "\": 1, \"id\": \"a\", \"kind\": \"api_key\", \"state\": \"revoked\"}]}",
         "line 1, credentials[0].(a 1000000-character key)", "unknown field a 1000000-character value"),
        ("bad date", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked",
               "revoked_at": "2026-13-45"}
            ]}
            """, "line 3, credentials[0].revoked_at", "`2026-13-45` is not a date; expected ISO-8601 like 2026-11-01T09:30:00Z"),
        ("date in words", "inv.yaml", """
            credentials:
              - {id: a, kind: api_key, state: active, expires_at: next tuesday}
            """, "line 2, credentials[0].expires_at", "`next tuesday` is not a date"),
        ("duplicate id in one file", "inv.json", """
            {"credentials": [
              {"id": "dup", "kind": "api_key", "state": "revoked"},
              {"id": "dup", "kind": "jwt", "state": "revoked"}
            ]}
            """, "line 3, credentials[1].id", "duplicate credential id `dup` (first at line 2)"),
        ("duplicate id in CSV", "inv.csv", "id,kind,state\ndup,jwt,revoked\ndup,jwt,revoked\n",
         "line 3, id", "duplicate credential id `dup` (first at line 2)"),
        ("probe and probes", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked", "secret": {"env": "A"}, "probe": "github",
               "probes": [{"probe": "slack"}]}
            ]}
            """, "line 3, credentials[0].probes", "use either `probe` + `target` or `probes`, not both"),
        ("empty probes", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked", "secret": {"env": "A"}, "probes": []}
            ]}
            """, "line 2, credentials[0].probes", "`probes` is empty"),
        ("probes entry without probe", "inv.yaml", """
            credentials:
              - id: a
                kind: api_key
                state: revoked
                secret: {env: A}
                probes:
                  - target: https://api.github.com
            """, "line 7, credentials[0].probes[0].probe", "required field `probe` is missing"),
        ("target without probe", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked", "secret": {"env": "A"},
               "target": "https://api.github.com"}
            ]}
            """, "line 3, credentials[0].probe", "`target` is given but `probe` is missing"),
        ("probe without secret", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked", "probe": "github"}
            ]}
            """, "line 2, credentials[0].secret", "credential `a` names a probe but has no `secret`"),
        ("secret with two sources", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked",
               "secret": {"env": "A", "file": "a.key"}}
            ]}
            """, "line 3, credentials[0].secret", "expected exactly one of `env`, `file`, `value`, found env and file"),
        ("secret with no source", "inv.yaml", """
            credentials:
              - {id: a, kind: api_key, state: revoked, secret: {}}
            """, "line 2, credentials[0].secret", "expected exactly one of `env`, `file`, `value`, found none"),
        ("secret as a bare string", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked", "secret": "OLD_TOKEN"}
            ]}
            """, "line 2, credentials[0].secret", "expected an object, found a string"),
        ("unknown secret source", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked", "secret": {"enviroment": "A"}}
            ]}
            """, "line 2, credentials[0].secret.enviroment", "unknown field `enviroment`"),
        ("target that is not a URL", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked", "secret": {"env": "A"}, "probe": "github",
               "target": "api.github.com/v3"}
            ]}
            """, "line 3, credentials[0].target", "not a URL; expected a base URL like https://api.example.com"),
        ("target with another scheme", "inv.yaml", """
            credentials:
              - id: a
                kind: api_key
                state: revoked
                secret: {env: A}
                probe: github
                target: ftp://files.example.com
            """, "line 7, credentials[0].target", "unsupported URL scheme `ftp`; expected one of http, https, ldap"),
        ("bad URL in probes list", "inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api_key", "state": "revoked", "secret": {"env": "A"},
               "probes": [{"probe": "github", "target": "not a url"}]}
            ]}
            """, "line 3, credentials[0].probes[0].target", "not a URL"),
        ("bad URL in controls", "inv.json", """
            {"credentials": [],
             "controls": [{"probe": "github", "target": "mailto:x@example.com", "secret": {"env": "C"}}]}
            """, "line 2, controls[0].target", "not a URL"),
        ("control without secret", "inv.json", """
            {"credentials": [],
             "controls": [{"probe": "github"}]}
            """, "line 2, controls[0].secret", "required field `secret` is missing"),
        ("tags not strings", "inv.yaml", """
            credentials:
              - id: a
                kind: api_key
                state: revoked
                tags:
                  list: [1, 2]
            """, "line 6, credentials[0].tags.list", "expected a string, found a list"),
        ("credentials missing", "inv.yaml", "controls: []\n", "line 1, credentials", "required field `credentials` (a list) is missing"),
        ("credentials not a list (YAML)", "inv.yaml", "credentials:\n  id: a\n", "line 2, credentials", "expected a list of credentials, found an object"),
        ("document not an object", "inv.json", "[1, 2]", "line 1", "invalid JSON: expected the document to be an object"),
        ("invalid JSON: missing comma", "inv.json", """
            {"credentials": [
              {"id": "a",
               "kind": "api_key"
               "state": "revoked"}
            ]}
            """, "line 4", "invalid JSON: expected `}` but found `\"`"),
        ("invalid JSON: unterminated", "inv.json", "{\"credentials\": [\n  {\"id\": \"a\",\n", "line 3", "invalid JSON"),
        ("invalid YAML", "inv.yaml", """
            credentials:
              - id: a
                kind: [api_key
                state: revoked
            """, "line 4", "invalid YAML: while parsing a flow sequence"),
        ("invalid YAML indentation", "inv.yaml", """
            credentials:
              - id: a
                kind: api_key
               state: revoked
            """, "line 4", "invalid YAML"),
        ("CSV row with too few cells", "inv.csv", "id,kind,state,owner\na,jwt,revoked,x\nb,jwt,revoked\n",
         "line 3", "expected 4 cells like the header, found 3"),
        ("CSV row with too many cells", "inv.csv", "id,kind,state\na,jwt,revoked,extra\n",
         "line 2", "expected 3 cells like the header, found 4"),
        ("CSV unterminated quote", "inv.csv", "id,kind,state\n\"a,jwt,revoked\n", "line 2", "unterminated quoted cell"),
        ("CSV unknown column", "inv.csv", "id,kind,state,ownr\na,jwt,revoked,x\n", "line 2, ownr", "unknown field `ownr` (did you mean `owner`?)"),
        ("CSV secret without a source", "inv.csv", "id,kind,state,secret\na,jwt,revoked,OLD_TOKEN\n", "line 2, secret", "expected an object, found a string"),
        ("CSV secret with unknown source", "inv.csv", "id,kind,state,secret\na,jwt,revoked,envv:OLD\n",
         "line 2, secret.envv", "unknown field `envv` (did you mean `env`?)"),
    ]

    @Test(arguments: singleErrors)
    func malformedInventoryNamesFileLocationAndProblem(what: String, name: String, content: String, location: String, message: String) {
        let (file, errors) = Self.errors(name, content)
        #expect(!errors.isEmpty, "\(what): loaded without error")
        let match = errors.first { $0.file == file && $0.location == location && $0.message.contains(message) }
        #expect(match != nil, "\(what): expected `\(location)`: …\(message)… in \(errors.map(\.description))")
    }

    /// Foundation's ISO-8601 parser rolls 2026-02-30 over to 2026-03-02: a typo in an expiry
    /// date must be an error, not a silently different date.
    @Test(arguments: ["2026-02-30", "2026-02-30T00:00:00Z", "2026-04-31T12:00:00Z", "2026-11-01T24:00:00Z", "2026-11-01T09:61:00Z"])
    func impossibleCalendarDateIsAnError(text: String) {
        let (_, errors) = Self.errors("inv.json", """
            {"credentials": [{"id": "a", "kind": "jwt", "state": "active", "expires_at": "\(text)"}]}
            """)
        #expect(errors.contains { $0.location == "line 1, credentials[0].expires_at" && $0.message.contains("is not a date") },
                "\(text) was accepted: \(errors)")
    }

    /// A malformed `tags` cell is bad input (exit 2 with a message), not a crash.
    @Test func csvTagsCellWithoutKeyDoesNotCrash() async {
        await #expect(processExitsWith: .success) {
            let dir = NSTemporaryDirectory() + "/revenant-csv-\(UUID().uuidString)"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let file = dir + "/inv.csv"
            for cell in ["=", "a=1;=", "=;="] {
                try? Data("id,kind,state,tags\na,jwt,revoked,\(cell)\n".utf8).write(to: URL(fileURLWithPath: file))
                _ = try? InventoryLoader.load(file: file)
            }
        }
    }

    @Test func credentialsGivenAsAnObjectInJSONIsAnError() {
        let (_, errors) = Self.errors("inv.json", """
            {"credentials": {"id": "a", "kind": "api_key", "state": "revoked"}}
            """)
        #expect(errors.contains { $0.message.contains("expected a list of credentials, found an object") },
                "a JSON inventory whose `credentials` is not a list must not load as empty: \(errors)")
    }

    @Test func duplicateIdAcrossFilesNamesBothPlaces() throws {
        let dir = TemporaryDirectory()
        let a = dir.write("a.json", """
            {"credentials": [
              {"id": "shared", "kind": "jwt", "state": "revoked"}
            ]}
            """)
        let b = dir.write("b.yaml", """
            credentials:
              - id: other
                kind: jwt
                state: revoked
              - id: shared
                kind: jwt
                state: active
            """)
        let thrown = #expect(throws: InputErrors.self) { try InventoryLoader.load(files: [a, b]) }
        let errors = try #require(thrown).errors
        #expect(errors.count == 1)
        let error = try #require(errors.first)
        #expect(error.file == b)
        #expect(error.location == "line 5")
        #expect(error.message == "duplicate credential id `shared` (first in \(a))")
    }

    @Test func everyErrorIsReportedInOnePass() {
        let (file, errors) = Self.errors("inv.json", """
            {"credentials": [
              {"id": "a", "kind": "api-key", "state": "revoked", "colour": "red"},
              {"id": "b", "kind": "jwt", "state": "gone", "issued_at": "yesterday"},
              {"id": "a", "kind": "jwt", "state": "revoked", "secret": {"env": "X", "value": "v"}},
              {"kind": "jwt", "state": "revoked", "target": "https://x.example.com"}
            ],
             "controls": [{"probe": "p", "secret": {"env": "C"}, "extra": 1}]}
            """)
        let expected: [(String, String)] = [
            ("line 2, credentials[0].colour", "unknown field `colour`"),
            ("line 2, credentials[0].kind", "`api-key` is not a valid kind"),
            ("line 3, credentials[1].state", "`gone` is not a valid state"),
            ("line 3, credentials[1].issued_at", "`yesterday` is not a date"),
            ("line 4, credentials[2].id", "duplicate credential id `a`"),
            ("line 4, credentials[2].secret", "expected exactly one of `env`, `file`, `value`, found env and value"),
            ("line 5, credentials[3].id", "required field `id` is missing"),
            ("line 5, credentials[3].probe", "`target` is given but `probe` is missing"),
            ("line 7, controls[0].extra", "unknown field `extra`"),
        ]
        for (location, message) in expected {
            #expect(errors.contains { $0.file == file && $0.location == location && $0.message.contains(message) },
                    "missing `\(location)`: …\(message)… in \(errors.map(\.description))")
        }
        #expect(errors.count == expected.count, "\(errors.map(\.description))")
    }

    @Test func loadFilesReportsProblemsOfEveryFile() {
        let dir = TemporaryDirectory()
        let missing = dir.path + "/nope.json"
        let bad = dir.write("bad.yaml", "credentials:\n  - {id: a, kind: nope, state: revoked}\n")
        let good = dir.write("good.json", #"{"credentials": [{"id": "g", "kind": "jwt", "state": "revoked"}]}"#)
        do {
            _ = try InventoryLoader.load(files: [missing, bad, good])
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.count == 2)
            #expect(error.errors.contains { $0.file == missing && $0.message.contains("cannot read the inventory file") })
            #expect(error.errors.contains { $0.file == bad && $0.location == "line 2, credentials[0].kind" })
            #expect(error.description.contains("\(bad): line 2, credentials[0].kind: `nope` is not a valid kind"))
        }
    }

    // MARK: no secret in any error

    static let secret = "sk_live_SUPERSECRET0123456789"

    /// Malformed files holding an inline secret value; no error or warning may repeat it.
    static let filesWithInlineSecrets: [(String, String)] = [
        ("unterminated-quote.yaml", """
            credentials:
              - id: a
                kind: api_key
                state: revoked
                secret: {value: "\(secret)}
            """),
        ("unclosed-flow.yaml", """
            credentials:
              - id: a
                kind: api_key
                state: revoked
                secret: {value: \(secret)
                probe: github
            """),
        ("bad-indent.yaml", """
            credentials:
              - id: a
                kind: api_key
                secret:
                  value: \(secret)
                 state: revoked
            """),
        ("colon-in-plain.yaml", """
            credentials:
              - id: a
                secret: {value: \(secret): more}
            """),
        ("duplicate-key.yaml", """
            credentials:
              - id: a
                kind: api_key
                state: revoked
                secret: {value: \(secret), value: \(secret)}
            """),
        ("tab.yaml", "credentials:\n  - id: a\n\tsecret: {value: \(secret)}\n"),
        ("two-sources.yaml", """
            credentials:
              - {id: a, kind: api_key, state: revoked, secret: {env: X, value: \(secret)}}
            """),
        ("secret-list.yaml", """
            credentials:
              - {id: a, kind: api_key, state: revoked, secret: {value: [\(secret)]}}
            """),
        ("json-missing-comma.json", """
            {"credentials": [{"id": "a", "kind": "api_key", "state": "revoked",
              "secret": {"value": "\(secret)"} "probe": "github"}]}
            """),
        ("json-bad-escape.json", """
            {"credentials": [{"id": "a", "kind": "api_key", "state": "revoked", "secret": {"value": "\(secret)\\q"}}]}
            """),
        ("json-newline-in-string.json", "{\"credentials\": [{\"id\": \"a\", \"secret\": {\"value\": \"\(secret)\n\"}}]}"),
        ("json-unterminated.json", "{\"credentials\": [{\"id\": \"a\", \"secret\": {\"value\": \"\(secret)"),
        ("json-unknown-field.json", """
            {"credentials": [{"id": "a", "kind": "api_key", "state": "revoked", "secret": {"value": "\(secret)"}, "probez": "x"}]}
            """),
        ("cells.csv", "id,kind,state,secret\na,api_key,revoked,value:\(secret),extra\n"),
        ("quote.csv", "id,kind,state,secret\na,api_key,revoked,\"value:\(secret)\n"),
        ("unknown-source.csv", "id,kind,state,secret\na,api_key,revokd,valeu:\(secret)\n"),
    ]

    @Test(arguments: filesWithInlineSecrets)
    func noErrorMessageRepeatsAnInlineSecret(name: String, content: String) {
        let dir = TemporaryDirectory()
        let file = dir.write(name, content)
        do {
            let inventory = try InventoryLoader.load(file: file)
            Issue.record("\(name) loaded without error")
            #expect(!inventory.warnings.joined().contains("SUPERSECRET"))
        } catch {
            #expect(!error.errors.isEmpty)
            for e in error.errors {
                #expect(!e.description.contains("SUPERSECRET"), "\(name): \(e)")
                #expect(e.file == file)
            }
            #expect(!error.description.contains("SUPERSECRET"))
        }
    }
}

/// An inventory's bytes are read exactly: a secret written into it reaches the wire as written,
/// or the file is refused with its line.
@Suite struct InventoryBytesTests {
    static func write(_ name: String, _ bytes: [UInt8]) -> (TemporaryDirectory, String) {
        let dir = TemporaryDirectory()
        let path = dir.write(name, "")
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
        return (dir, path)
    }

    @Test(arguments: ["inv.json", "inv.yaml", "inv.csv"])
    func aLatin1InlineSecretIsRefusedWithItsLine(name: String) {
        let latin1: [UInt8] = [0x70, 0xE4, 0x73, 0x73]  // "päss" in Latin-1
        let text: [UInt8]
        switch name {
        case "inv.json": text = Array("{\"credentials\": [\n{\"id\": \"a\", \"kind\": \"password\", \"state\": \"revoked\",\n\"secret\": {\"value\": \"".utf8) + latin1 + Array("\"}}]}\n".utf8)
        case "inv.yaml": text = Array("credentials:\n  - id: a\n    kind: password\n    state: revoked\n    secret: {value: ".utf8) + latin1 + Array("}\n".utf8)
        default: text = Array("id,kind,state,secret\na,password,revoked,value:".utf8) + latin1 + [0x0A]
        }
        let (dir, path) = Self.write(name, text)
        _ = dir
        #expect(throws: InputErrors.self) { try InventoryLoader.load(file: path) }
        do { _ = try InventoryLoader.load(file: path) } catch {
            let message = error.errors.first?.description ?? ""
            #expect(message.contains("not valid UTF-8") && message.contains("line \(name == "inv.csv" ? 2 : name == "inv.json" ? 3 : 5)"), "\(message)")
        }
    }

    @Test func aQuotedCSVSecretKeepsItsSpacesAndAnUnquotedCellIsTrimmed() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.csv", "id,kind,state,secret,username\na,password,revoked,\"value: Tr4il-and-lead-space \", dana \n")
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.credentials[0].secret == .value(" Tr4il-and-lead-space "))
        #expect(inventory.credentials[0].username == "dana")
    }

    @Test func aJSONEscapeOfALoneSurrogateInAnInventoryIsRefused() {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.json", #"{"credentials": [{"id": "a", "kind": "password", "state": "revoked", "secret": {"value": "p\udc80ss"}}]}"#)
        #expect(throws: InputErrors.self) { try InventoryLoader.load(file: file) }
    }
}

/// YAML is read whole: its size and what its aliases expand to are bounded.
@Suite struct YAMLBoundsTests {
    @Test func billionLaughsIsRefusedNotExpanded() {
        var lines = [#"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        for i in 1..<10 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]") }
        lines.append("credentials: [*a9]")
        let dir = TemporaryDirectory()
        let file = dir.write("laughs.yaml", lines.joined(separator: "\n") + "\n")
        let start = ContinuousClock.now
        do { _ = try InventoryLoader.load(file: file); Issue.record("a billion laughs was read") } catch {
            #expect(error.errors.first?.message.contains("expands (through aliases") == true, "\(error.errors)")
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// Found by `make fuzz`: Yams hashes every mapping key as it composes, so a key that is an alias
    /// costs the size of what it names; 358 bytes of such keys took 11 s. Keys count as values, an
    /// alias in a later document stands for an anchor of an earlier one (as Yams resolves it), and
    /// a syntax error after the keys does not let them through.
    @Test(arguments: [(levels: 10, split: false, tail: ""), (10, false, "]]] not YAML\n"), (4, true, "")])
    func aliasesUsedAsKeysAreRefusedBeforeTheyAreRead(levels: Int, split: Bool, tail: String) {
        var text = #"? &k0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"# + "\n: 0\n"
        for i in 1..<levels { text += "? &k\(i) [" + Array(repeating: "*k\(i - 1)", count: 9).joined(separator: ", ") + "]\n: \(i)\n" }
        if split { text += "---\n? [" + Array(repeating: "*k\(levels - 1)", count: 9).joined(separator: ", ") + "]\n: x\n" }
        text += tail
        let dir = TemporaryDirectory()
        let file = dir.write("laughs.yaml", text)
        let start = ContinuousClock.now
        do { _ = try InventoryLoader.load(file: file); Issue.record("aliases as keys were read") } catch {
            #expect(error.errors.first?.message.contains("expands (through aliases") == true, "\(error.errors)")
        }
        do { _ = try KubernetesSecretsImport.read(Array(text.utf8), file: "laughs.yaml", options: ImportTest.options()); Issue.record("read") } catch {
            #expect(error.errors.first?.message.contains("expands (through aliases") == true, "\(error.errors)")
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func anAliasThatExpandsALittleIsFine() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("inv.yaml", """
            credentials:
              - {id: a, kind: api_key, state: revoked, tags: &t {team: payments}}
              - {id: b, kind: api_key, state: revoked, tags: *t}
            """)
        let inventory = try InventoryLoader.load(file: file)
        #expect(inventory.credentials.map(\.tags) == [["team": "payments"], ["team": "payments"]])
    }

    @Test func aYAMLInventoryOverFourMiBIsRefusedWithWhatToDo() {
        let dir = TemporaryDirectory()
        let file = dir.write("big.yaml", "credentials:\n" + String(repeating: "  - 1\n", count: 800_000))
        do { _ = try InventoryLoader.load(file: file); Issue.record("a 5 MB YAML list was read") } catch {
            #expect(error.errors.first?.message.contains("JSON or CSV") == true, "\(error.errors)")
        }
    }
}

import Foundation
import Testing
@testable import RevenantCore

/// gitleaks JSON reports, written here in the shape of gitleaks' report/finding.go.
@Suite struct GitleaksImportTests {
    static let mapping = #"{"map": {"github-pat": {"probe": "github", "kind": "api_key"}, "aws-access-token": {"kind": "aws_access_key"}}}"#

    static func finding(_ rule: String, secret: String, file: String = "scripts/release.sh", line: Any = 3, commit: String = "5e6f7a8b") -> String {
        #"{"RuleID": "\#(rule)", "Description": "d", "StartLine": \#(line), "EndLine": 3, "StartColumn": 1, "EndColumn": 9, "Match": "TOKEN=\#(secret)", "Secret": "\#(secret)", "File": "\#(file)", "SymlinkFile": "", "Commit": "\#(commit)", "Entropy": 4.2, "Author": "Dana", "Email": "dana@example.com", "Date": "2026-05-04T08:09:10Z", "Message": "m", "Tags": [], "Fingerprint": "\#(commit):\#(file):\#(rule):3"}"#
    }

    static func read(_ findings: [String], state: LifecycleState? = nil) throws(InputErrors) -> ImportedInventory {
        try GitleaksImport.read(Array(("[\n" + findings.joined(separator: ",\n") + "\n]").utf8), file: "gitleaks.json",
                                options: ImportTest.options(mapping, state: state))
    }

    @Test func aMappedRuleGetsItsProbeAndTheAuthorAsOwner() throws {
        let token = "ghp_" + String(repeating: "q7", count: 18)
        let inventory = try Self.read([Self.finding("github-pat", secret: token)], state: .revoked)
        let c = try #require(inventory.credentials.first)
        #expect(c.probe == "github" && c.state == .revoked && c.owner == "dana@example.com")
        #expect(c.secret?.bytes == Array(token.utf8))
        #expect(c.tags["file"] == "scripts/release.sh" && c.tags["line"] == "3" && c.tags["commit"] == "5e6f7a8b" && c.tags["rule"] == "github-pat")
        #expect(c.id.hasPrefix("gitleaks-github-pat-") && !c.id.contains("q7q7"))
        #expect(!c.tags.values.contains { $0.contains(token) })
    }

    /// Found by `make fuzz` (import-gitleaks): a finding whose fingerprint, file or rule quotes
    /// another finding's secret put that secret in the inventory's tags; every secret of the
    /// import is now taken out of every text, ids included.
    @Test func aPlaceThatQuotesAnotherFindingsSecretIsRedacted() throws {
        let token = "ghp_" + String(repeating: "k3", count: 18)
        let other = "glpat-" + String(repeating: "Zx", count: 10)
        let inventory = try Self.read([
            Self.finding("github-pat", secret: token),
            Self.finding("gitlab-pat", secret: other, file: "notes/GITHUB_TOKEN=\(token.uppercased())", commit: "c0ffee"),
            Self.finding(other, secret: "sk_live_" + String(repeating: "9", count: 24), file: "x/\(token)/y"),
        ])
        #expect(inventory.credentials.count == 3)
        let text = inventory.credentials.flatMap { [$0.id, $0.owner ?? ""] + $0.tags.values } + inventory.unmapped.keys + inventory.notes
        for secret in [token, other] {
            #expect(!text.contains { $0.lowercased().contains(secret.lowercased()) }, "\(secret.prefix(6))… in \(text)")
        }
        #expect(inventory.credentials[1].tags["file"] == "notes/GITHUB_TOKEN=[redacted]", "\(inventory.credentials[1].tags)")
        #expect(inventory.credentials[2].id.hasPrefix("gitleaks-redacted-"), "\(inventory.credentials[2].id)")
        #expect(inventory.credentials[0].secret?.bytes == Array(token.utf8), "the secrets themselves are kept, for their files")
    }

    @Test func theAWSRuleHoldsTheKeyIDAloneSoItIsNotProbed() throws {
        let inventory = try Self.read([Self.finding("aws-access-token", secret: "AKIAABCDEFGHIJKLMNOP")])
        let c = try #require(inventory.credentials.first)
        #expect(c.kind == .awsAccessKey && c.accessKeyID == "AKIAABCDEFGHIJKLMNOP" && c.secret == nil && c.probe == nil)
        #expect(inventory.notes.count == 1)
    }

    @Test(arguments: ["REDACTED", "ghp_abc...", ""])
    func aRedactedReportGivesCredentialsWithoutSecret(_ shown: String) throws {
        let inventory = try Self.read([Self.finding("github-pat", secret: shown)])
        #expect(inventory.credentials.count == 1 && inventory.credentials[0].secret == nil && inventory.credentials[0].probe == nil)
        #expect(inventory.notes.contains { $0.contains("without a usable secret") })
    }

    @Test func unmappedRulesAreCounted() throws {
        let inventory = try Self.read([Self.finding("generic-api-key", secret: "gen_1111111111"), Self.finding("generic-api-key", secret: "gen_2222222222", line: 9)])
        #expect(inventory.unmapped == ["generic-api-key": 2] && inventory.credentials.count == 2)
        #expect(Set(inventory.credentials.map(\.id)).count == 2)
    }

    @Test func wrongTypesAreNamedWithTheirIndexAndLine() {
        let errors = ImportTest.errors { () throws(InputErrors) in
            try Self.read([Self.finding("github-pat", secret: "ghp_x"), Self.finding("github-pat", secret: "ghp_y", line: #""three""#)])
        }
        #expect(errors.count == 1)
        #expect(errors[0].location == "line 3, [1].StartLine" && errors[0].message.contains("whole number"))
    }

    @Test(arguments: [#"{"RuleID": "x"}"#, "[1, 2]", #"[{"RuleID": 7}]"#, "not json", "[" + String(repeating: "{\"a\":", count: 300)])
    func aReportOfTheWrongShapeIsAnError(_ text: String) {
        let errors = ImportTest.errors { () throws(InputErrors) in
            try GitleaksImport.read(Array(text.utf8), file: "gitleaks.json", options: ImportTest.options())
        }
        #expect(!errors.isEmpty)
    }
}

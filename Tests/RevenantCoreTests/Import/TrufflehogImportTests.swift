import Foundation
import Testing
@testable import RevenantCore

/// trufflehog v3 `--json` lines, written here in the shape of trufflehog's pkg/output/json.go.
@Suite struct TrufflehogImportTests {
    static let mapping = #"{"map": {"Github": {"probe": "github", "kind": "api_key"}, "AWS": {"probe": "aws-sts", "kind": "aws_access_key"}}}"#

    static func line(_ detector: String, raw: String, rawV2: String = "", file: String = "deploy/ci.env", line: Int = 4,
                     commit: String = "9f1c2d3e", email: String = "dana@example.com") -> String {
        let meta = #"{"Data":{"Git":{"commit":"\#(commit)","file":"\#(file)","email":"\#(email)","repository":"https://example.test/shop.git","line":\#(line)}}}"#
        return #"{"SourceMetadata":\#(meta),"SourceID":1,"SourceType":16,"SourceName":"git","DetectorType":8,"DetectorName":"\#(detector)","DecoderName":"PLAIN","Verified":false,"Raw":"\#(raw)","RawV2":"\#(rawV2)","Redacted":"","ExtraData":null,"StructuredData":null}"#
    }

    static func read(_ lines: [String], state: LifecycleState? = nil, owner: String? = nil) throws(InputErrors) -> ImportedInventory {
        try TrufflehogImport.read(Array(lines.joined(separator: "\n").utf8), file: "th.jsonl",
                                  options: ImportTest.options(mapping, state: state, owner: owner))
    }

    @Test func gitFindingsBecomeProbedCredentialsOwnedByTheirAuthor() throws {
        let token = "ghp_" + String(repeating: "a1", count: 18)
        let inventory = try Self.read([Self.line("Github", raw: token)])
        let c = try #require(inventory.credentials.first)
        #expect(c.probe == "github")
        #expect(c.kind == .apiKey)
        #expect(c.state == .active)
        #expect(c.secret?.bytes == Array(token.utf8))
        #expect(c.owner == "dana@example.com")
        #expect(c.tags["file"] == "deploy/ci.env" && c.tags["line"] == "4" && c.tags["commit"] == "9f1c2d3e")
        #expect(c.tags["repository"] == "https://example.test/shop.git" && c.tags["source_kind"] == "Git")
        #expect(c.id.hasPrefix("trufflehog-github-"))
        #expect(!c.id.contains("a1a1"))
    }

    @Test func awsRawIsTheKeyIDAndRawV2CarriesTheSecret() throws {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"
        let inventory = try Self.read([Self.line("AWS", raw: "AKIAABCDEFGHIJKLMNOP", rawV2: "AKIAABCDEFGHIJKLMNOP:\(secret)")])
        let c = try #require(inventory.credentials.first)
        #expect(c.kind == .awsAccessKey && c.probe == "aws-sts")
        #expect(c.accessKeyID == "AKIAABCDEFGHIJKLMNOP")
        #expect(c.secret?.bytes == Array(secret.utf8))
    }

    @Test func awsWithoutItsSecretIsKeptWithoutProbeAndNoted() throws {
        let inventory = try Self.read([Self.line("AWS", raw: "AKIAABCDEFGHIJKLMNOP")])
        let c = try #require(inventory.credentials.first)
        #expect(c.secret == nil && c.probe == nil && c.accessKeyID == "AKIAABCDEFGHIJKLMNOP")
        #expect(inventory.notes.contains { $0.contains("1 AWS finding without a usable secret") })
    }

    @Test func theSameSecretInManyCommitsIsOneCredential() throws {
        let token = "ghp_" + String(repeating: "b2", count: 18)
        let inventory = try Self.read([Self.line("Github", raw: token, commit: "c1"), Self.line("Github", raw: token, commit: "c2"),
                                       Self.line("Github", raw: token, commit: "c3")])
        #expect(inventory.credentials.count == 1)
        #expect(inventory.credentials[0].tags["occurrences"] == "3")
        #expect(inventory.credentials[0].tags["commit"] == "c1")
    }

    @Test func idsComeFromTheLocationNeverFromTheSecret() throws {
        let one = try Self.read([Self.line("Github", raw: "ghp_first_secret_value_000000000000000")])
        let other = try Self.read([Self.line("Github", raw: "ghp_other_secret_value_111111111111111")])
        #expect(one.credentials[0].id == other.credentials[0].id)
        let moved = try Self.read([Self.line("Github", raw: "ghp_first_secret_value_000000000000000", line: 5)])
        #expect(moved.credentials[0].id != one.credentials[0].id)
        // Two secrets at one place: distinct, stable ids in input order.
        let both = try Self.read([Self.line("Github", raw: "ghp_first_secret_value_000000000000000"),
                                  Self.line("Github", raw: "ghp_other_secret_value_111111111111111")])
        #expect(both.credentials.map(\.id) == [one.credentials[0].id, one.credentials[0].id + "-2"])
    }

    @Test func unmappedDetectorsAreCountedAndStillWritten() throws {
        let inventory = try Self.read([Self.line("Acmecorp", raw: "acme_1111111111"), Self.line("Acmecorp", raw: "acme_2222222222", line: 9)])
        #expect(inventory.credentials.count == 2)
        #expect(inventory.credentials.allSatisfy { $0.probe == nil && $0.secret != nil })
        #expect(inventory.unmapped == ["Acmecorp": 2])
    }

    @Test func stateAndOwnerOptionsApplyToAll() throws {
        let inventory = try Self.read([Self.line("Github", raw: "ghp_cccccccccccccccccccccccccccccccccccc")], state: .revoked, owner: "sec-team")
        #expect(inventory.credentials[0].state == .revoked && inventory.credentials[0].owner == "sec-team")
    }

    @Test func aSecretQuotedInATagIsRemoved() throws {
        let token = "ghp_dddddddddddddddddddddddddddddddddddd"
        let inventory = try Self.read([Self.line("Github", raw: token, file: "leak-\(token).txt")])
        #expect(inventory.credentials[0].tags["file"] == "leak-[redacted].txt")
    }

    @Test func wrongTypesAreNamedWithTheirLine() {
        let good = Self.line("Github", raw: "ghp_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")
        let errors = ImportTest.errors { () throws(InputErrors) in
            try Self.read([good, #"{"DetectorName": "Github", "Raw": 5, "Verified": "yes"}"#, #"["not", "an", "object"]"#])
        }
        #expect(errors.contains { $0.location == "line 2, [1].Raw" && $0.message.contains("expected a string") })
        #expect(errors.contains { $0.location == "line 2, [1].Verified" })
        #expect(errors.contains { $0.location.hasPrefix("line 3") && $0.message.contains("expected a trufflehog result object") })
    }

    @Test func aHugeSecretIsRefusedNotRead() {
        let errors = ImportTest.errors { () throws(InputErrors) in
            try Self.read([Self.line("Github", raw: String(repeating: "x", count: 70_000))])
        }
        #expect(errors.count == 1 && errors[0].message.contains("longer than 64 KiB"))
        #expect(!errors[0].description.contains("xxxxxx"))
    }

    @Test(arguments: ["{", "[[[[[[[[", "\u{0}\u{1}garbage", "{\"DetectorName\": null}", "42", "\"text\"", "{\"DetectorName\": \"Github\", \"SourceMetadata\": 7}"])
    func hostileInputIsAnErrorNotACrash(_ text: String) {
        let errors = ImportTest.errors { () throws(InputErrors) in
            try TrufflehogImport.read(Array(text.utf8), file: "th.jsonl", options: ImportTest.options())
        }
        #expect(!errors.isEmpty)
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        let errors = ImportTest.errors { () throws(InputErrors) in
            try TrufflehogImport.read(Array(String(repeating: "[", count: 100_000).utf8), file: "th.jsonl", options: ImportTest.options())
        }
        #expect(errors.count == 1 && errors[0].message.contains("nested more than"))
    }

    @Test func anEmptyFileIsAnEmptyInventory() throws {
        #expect(try TrufflehogImport.read([], file: "th.jsonl", options: ImportTest.options()).credentials.isEmpty)
    }

    @Test func aJSONArrayOfResultsIsReadToo() throws {
        let text = "[" + Self.line("Github", raw: "ghp_ffffffffffffffffffffffffffffffffffff") + "]"
        let inventory = try TrufflehogImport.read(Array(text.utf8), file: "th.json", options: ImportTest.options(Self.mapping))
        #expect(inventory.credentials.count == 1 && inventory.credentials[0].probe == "github")
    }
}

import Foundation
import Testing
import RevenantCore
import RevenantCrypto

/// A service-account key file is read strictly and capped; errors never quote it.
@Suite struct ServiceAccountKeyTests {
    /// An RSA key made for this run (nothing real is committed).
    static let pem = String(decoding: RSASigner.generatePrivateKeyPEM() ?? [], as: UTF8.self)
    static let fields: [(String, String)] = [
        ("type", #""service_account""#), ("project_id", #""proj-7""#), ("private_key_id", #""abc123def456""#),
        ("private_key", JSONText.quote(pem)), ("client_email", #""svc-key-owner@proj-7.iam.gserviceaccount.com""#),
        ("token_uri", #""https://oauth2.googleapis.com/token""#), ("universe_domain", #""googleapis.com""#),
    ]

    static func file(_ changes: [String: String?] = [:], extra: String = "") -> [UInt8] {
        var parts: [String] = []
        for (key, value) in fields {
            if let change = changes[key] { if let change { parts.append("\"\(key)\":\(change)") } } else { parts.append("\"\(key)\":\(value)") }
        }
        return Array(("{" + parts.joined(separator: ",") + extra + "}").utf8)
    }

    @Test func aGoogleKeyFileIsRead() throws {
        let key = try ServiceAccountKey.decode(Self.file()).get()
        #expect(key.clientEmail == "svc-key-owner@proj-7.iam.gserviceaccount.com")
        #expect(key.keyID == "abc123def456")
        #expect(key.tokenURI == "https://oauth2.googleapis.com/token")
        #expect(String(decoding: key.privateKeyPEM, as: UTF8.self) == Self.pem)
    }

    @Test(arguments: [
        (["type": #""authorized_user""#], "`type`"),
        (["type": nil], "`type`"),
        (["client_email": #""not-an-address""#], "`client_email`"),
        (["client_email": "42"], "`client_email` is a number"),
        (["private_key_id": #""a b""#], "`private_key_id`"),
        (["private_key_id": nil], "`private_key_id`"),
        (["private_key": #""just text""#], "`private_key`"),
        (["private_key": JSONText.quote(pem.replacingOccurrences(of: "PRIVATE KEY", with: "ENCRYPTED PRIVATE KEY"))], "`private_key`"),
        (["token_uri": #""ftp://proj-7.example/token""#], "`token_uri`"),
    ] as [([String: String?], String)])
    func aFileThatIsNotAKeyIsRefusedByFieldWithoutQuotingIt(changes: [String: String?], field: String) {
        guard case .failure(let error) = ServiceAccountKey.decode(Self.file(changes)) else {
            Issue.record("accepted")
            return
        }
        #expect(error.message.contains(field), "\(error.message)")
        for value in ["proj-7", "svc-key-owner", "MIIEvQ", "not-a-real-key", "abc123", "authorized_user", "a b"] {
            #expect(!error.message.contains(value), "\(error.message) quotes \(value)")
        }
    }

    @Test func duplicatesOversizeAndNonJSONAreRefused() {
        #expect(throws: ServiceAccountKeyError.self) { try ServiceAccountKey.decode(Self.file(extra: #","client_email":"x@evil.example""#)).get() }
        #expect(throws: ServiceAccountKeyError.self) { try ServiceAccountKey.decode(Self.file(extra: ",\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"")).get() }
        #expect(throws: ServiceAccountKeyError.self) { try ServiceAccountKey.decode(Array("svc-key-owner not json {".utf8)).get() }
        #expect(throws: ServiceAccountKeyError.self) { try ServiceAccountKey.decode(Array("[1,2]".utf8)).get() }
        if case .failure(let e) = ServiceAccountKey.decode(Array("svc-key-owner not json {".utf8)) {
            #expect(!e.message.contains("svc-key-owner"))
        }
    }
}

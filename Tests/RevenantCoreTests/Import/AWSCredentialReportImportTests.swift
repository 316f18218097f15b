import Foundation
import Testing
@testable import RevenantCore

/// The IAM credential report, written here with the columns of the IAM User Guide ("Getting credential reports").
@Suite struct AWSCredentialReportImportTests {
    static let header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

    static func row(_ user: String, key1: (String, String) = ("false", "N/A"), key2: (String, String) = ("false", "N/A"), cert1: String = "false") -> String {
        "\(user),arn:aws:iam::123456789012:user/\(user),2021-02-03T04:05:06+00:00,true,no_information,N/A,N/A,true,"
            + "\(key1.0),\(key1.1),N/A,N/A,N/A,\(key2.0),\(key2.1),2025-07-01T08:00:00+00:00,eu-west-1,sts,\(cert1),N/A,false,N/A"
    }

    static func read(_ rows: [String], state: LifecycleState? = nil, keys: [String: AWSCredentialReportImport.Key] = [:]) throws(InputErrors) -> ImportedInventory {
        try AWSCredentialReportImport.read(Array(([header] + rows).joined(separator: "\n").utf8), file: "report.csv",
                                           options: ImportTest.options(state: state), keys: keys)
    }

    @Test func eachKeySlotThatHoldsAKeyIsACredentialWithItsDate() throws {
        let inventory = try Self.read([
            Self.row("dana", key1: ("true", "2024-01-10T12:00:00+00:00"), key2: ("false", "2025-06-01T12:00:00+00:00")),
            Self.row("sam"),
            Self.row("<root_account>", key1: ("false", "N/A")),
        ])
        #expect(inventory.credentials.map(\.id) == ["aws-123456789012-dana-key1", "aws-123456789012-dana-key2"])
        let (one, two) = (inventory.credentials[0], inventory.credentials[1])
        #expect(one.kind == .awsAccessKey && one.state == .active && one.owner == "dana" && one.probe == nil && one.secret == nil)
        #expect(one.issuedAt == Timestamp.parse("2024-01-10T12:00:00Z"))
        #expect(two.state == .revoked && two.tags["last_used_service"] == "sts" && two.tags["slot"] == "2")
        #expect(one.tags["last_used"] == nil)
    }

    @Test func theStateOptionOverridesTheActiveFlag() throws {
        let inventory = try Self.read([Self.row("dana", key1: ("true", "2024-01-10T12:00:00+00:00"))], state: .offboarded)
        #expect(inventory.credentials[0].state == .offboarded)
    }

    @Test func aJoinedKeyIsProbedWithAWSSTS() throws {
        let keys = ["dana\u{1F}2": AWSCredentialReportImport.Key(accessKeyID: "AKIAABCDEFGHIJKLMNOP", secretFile: "/keys/dana.secret")]
        let inventory = try Self.read([Self.row("dana", key2: ("false", "2025-06-01T12:00:00+00:00"))], keys: keys)
        let c = inventory.credentials[0]
        #expect(c.probe == "aws-sts" && c.accessKeyID == "AKIAABCDEFGHIJKLMNOP" && c.secretFile == "/keys/dana.secret")
    }

    @Test func activeSigningCertificatesAreNoted() throws {
        let inventory = try Self.read([Self.row("dana", cert1: "true")])
        #expect(inventory.credentials.isEmpty && inventory.notes.count == 1)
    }

    @Test func aBadFlagOrDateIsNamedWithItsLine() {
        let errors = ImportTest.errors { () throws(InputErrors) in
            try Self.read([Self.row("dana", key1: ("maybe", "2024-01-10T12:00:00+00:00")), Self.row("sam", key1: ("true", "yesterday"))])
        }
        #expect(errors.map(\.location) == ["line 2, access_key_1_active", "line 3, access_key_1_last_rotated"])
    }

    @Test func aRowWithTheWrongNumberOfCellsIsAnError() {
        let errors = ImportTest.errors { () throws(InputErrors) in try Self.read(["dana,arn"]) }
        #expect(errors.count == 1 && errors[0].location == "line 2")
    }

    @Test func theKeysFileIsCheckedAndResolvedBesideItself() throws {
        let keys = try AWSCredentialReportImport.readKeys(Array("user,slot,access_key_id,secret_file\ndana,1,AKIAABCDEFGHIJKLMNOP,secrets/dana\n".utf8),
                                                          file: "/base/keys.csv", base: "/base")
        #expect(keys["dana\u{1F}1"] == .init(accessKeyID: "AKIAABCDEFGHIJKLMNOP", secretFile: "/base/secrets/dana"))
        var errors: [InputError] = []
        do {
            _ = try AWSCredentialReportImport.readKeys(Array("user,slot,access_key_id,secret_key\ndana,3,wJalrXUtnFEMI/K7MDENG,x\n".utf8), file: "k.csv", base: "/")
        } catch { errors = error.errors }
        #expect(errors.contains { $0.message.contains("unknown field") })
        #expect(errors.contains { $0.location.hasSuffix("slot") })
        #expect(errors.contains { $0.location.hasSuffix("access_key_id") })
        #expect(!errors.contains { $0.description.contains("wJalrXUtnFEMI") })
    }
}

import Foundation
import Testing

/// `--output` writes into the path it is given: through a symlink, into a device such as
/// `/dev/null`, never replacing what is there by a new file.
@Suite struct OutputFileTests {
    @Test func reportIsWrittenThroughASymlinkWhichStaysASymlink() async throws {
        let work = try WorkDirectory("output-symlink")
        defer { work.remove() }
        _ = try await makeSelfSignedCertificate(in: work, subject: "output-test")
        let target = try work.write("reports-kept-here.json", "old")
        let link = work.file("report.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let r = try await revenant(["certs", work.file("c.pem").path, "--format", "json", "--output", link])
        #expect(r.exited && r.status == 0, "\(r)")
        let attributes = try FileManager.default.attributesOfItem(atPath: link)
        #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink)
        #expect(work.read("reports-kept-here.json").contains("revenant.report/v1"), "the report went through the link")
    }

    static func inventory(_ work: WorkDirectory) throws -> String {
        // Lifecycle only (no probe): nothing is sent, and the report has a finding (exit 1).
        try work.writeJSON("inventory.json", ["credentials": [["id": "c", "kind": "api_key", "state": "revoked", "owner": "o", "secret": ["env": "UNSET"]]]])
    }

    @Test func anExistingDirectoryIsNoPlaceForOneReportAndNothingIsSent() async throws {
        let work = try WorkDirectory("output-dir")
        defer { work.remove() }
        let r = try await revenant(["verify", "--inventory", try Self.inventory(work), "--format", "json", "--output", work.path])
        #expect(r.exited && r.status == 2, "\(r)")
        #expect(r.stderr.contains("cannot write the report there"))
    }

    @Test func aReplacedReportKeepsItsModeAndADanglingLinkIsFollowed() async throws {
        let work = try WorkDirectory("output-mode")
        defer { work.remove() }
        let inventory = try Self.inventory(work)
        let existing = try work.write("report.json", "old")
        chmod(existing, 0o600)
        let r = try await revenant(["verify", "--inventory", inventory, "--format", "json", "--output", existing])
        #expect(r.exited && r.status == 1, "\(r)")
        let mode = (try FileManager.default.attributesOfItem(atPath: existing)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "a private report stays private: \(String(mode ?? 0, radix: 8))")
        #expect(work.read("report.json").contains("revenant.report/v1"))
        // A link to a report not written yet: the report goes where it points.
        let link = work.file("latest.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: work.file("run-2.json").path)
        let linked = try await revenant(["verify", "--inventory", inventory, "--format", "json", "--output", link])
        #expect(linked.exited && linked.status == 1, "\(linked)")
        #expect(work.read("run-2.json").contains("revenant.report/v1"))
        #expect((try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType) == .typeSymbolicLink)
    }

    @Test func devStdoutOnAPipeTakesTheReport() async throws {
        let work = try WorkDirectory("output-stdout")
        defer { work.remove() }
        let script = "\"$0\" verify --inventory \"$1\" --format json --output /dev/stdout | cat"
        let r = try await run("/bin/bash", ["-c", script, Package.binary.path, try Self.inventory(work)])
        #expect(r.stdout.contains("revenant.report/v1"), "\(r)")
    }
}

import Foundation
import Testing

/// `--output` writes into the path it is given: through a symlink, into a device such as
/// `/dev/null`, never replacing what is there by a new file.
@Suite struct OutputFileTests {
    @Test func reportIsWrittenThroughASymlinkWhichStaysASymlink() async throws {
        let work = try WorkDirectory("output-symlink")
        defer { work.remove() }
        let make = try await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                      "-keyout", work.file("k.pem").path, "-out", work.file("c.pem").path,
                                                      "-subj", "/CN=output-test", "-days", "30"])
        #expect(make.ok, "\(make)")
        let target = try work.write("reports-kept-here.json", "old")
        let link = work.file("report.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let r = try await revenant(["certs", work.file("c.pem").path, "--format", "json", "--output", link])
        #expect(r.exited && r.status == 0, "\(r)")
        let attributes = try FileManager.default.attributesOfItem(atPath: link)
        #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink)
        #expect(work.read("reports-kept-here.json").contains("revenant.report/v1"), "the report went through the link")
    }
}

import Foundation
import Testing
import RevenantCore
import RevenantFiles
import TestSupport

/// `ImportWriter`: the secrets directory 0700, secrets 0600, certificates 0644, nothing overwritten
/// without `force`, and nothing of another's replaced even with it.
@Suite struct ImportWriterTests {
    static func mode(_ path: String) -> Int? { (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int }

    static let files = [
        ImportFile(relativePath: "inv.secrets/a", bytes: [0xFF, 0x00, 0x0A], isSecret: true),
        ImportFile(relativePath: "inv.secrets/a.crt", bytes: Array("CERT".utf8), isSecret: false),
    ]

    @Test func secretsAre0600InA0700DirectoryAndCertificates0644() throws {
        let dir = TemporaryDirectory()
        let output = dir.path + "/inv.yaml"
        let old = umask(0o077)
        defer { umask(old) }
        try ImportWriter.write(text: Array("credentials: []\n".utf8), files: Self.files, output: output, force: false)
        #expect(Self.mode(dir.path + "/inv.secrets") == 0o700)
        #expect(Self.mode(dir.path + "/inv.secrets/a") == 0o600)
        #expect(Self.mode(dir.path + "/inv.secrets/a.crt") == 0o644, "set exactly, whatever the umask")
        #expect(FileManager.default.contents(atPath: dir.path + "/inv.secrets/a") == Data([0xFF, 0x00, 0x0A]))
        #expect(FileManager.default.contents(atPath: output) == Data("credentials: []\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["inv.secrets", "inv.yaml"])
    }

    @Test func nothingIsOverwrittenWithoutForce() throws {
        let dir = TemporaryDirectory()
        dir.write("inv.yaml", "mine")
        #expect(throws: ImportWriter.Failure.self) {
            try ImportWriter.write(text: [], files: Self.files, output: dir.path + "/inv.yaml", force: false)
        }
        #expect(FileManager.default.contents(atPath: dir.path + "/inv.yaml") == Data("mine".utf8))
        let other = TemporaryDirectory()
        other.write("inv.secrets/someone-else", "x")
        #expect(throws: ImportWriter.Failure.self) {
            try ImportWriter.write(text: [], files: Self.files, output: other.path + "/inv.yaml", force: false)
        }
        #expect(!FileManager.default.fileExists(atPath: other.path + "/inv.yaml"))
    }

    @Test func forceReplacesOnlyARegularSecretsDirectory() throws {
        let dir = TemporaryDirectory()
        let target = TemporaryDirectory()
        target.write("precious", "keep")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/inv.secrets", withDestinationPath: target.path)
        #expect(throws: ImportWriter.Failure.self) {
            try ImportWriter.write(text: [], files: Self.files, output: dir.path + "/inv.yaml", force: true)
        }
        #expect(FileManager.default.contents(atPath: target.path + "/precious") == Data("keep".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["inv.secrets"], "no staging directory left behind")

        let nested = TemporaryDirectory()
        nested.write("inv.secrets/sub/file", "x")
        #expect(throws: ImportWriter.Failure.self) {
            try ImportWriter.write(text: [], files: Self.files, output: nested.path + "/inv.yaml", force: true)
        }
        #expect(FileManager.default.fileExists(atPath: nested.path + "/inv.secrets/sub/file"))

        let earlier = TemporaryDirectory()
        earlier.write("inv.secrets/old-id", "old")
        earlier.write("inv.yaml", "old")
        try ImportWriter.write(text: Array("new".utf8), files: Self.files, output: earlier.path + "/inv.yaml", force: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: earlier.path + "/inv.secrets").sorted() == ["a", "a.crt"])
    }
}

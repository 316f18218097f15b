import Foundation
import Testing

/// Every input in Fixtures/fuzz/regressions/TARGET/ (docs/fuzzing.md) replays through its fuzz
/// target, with the plain build of `revenant-fuzz`, without a crash, a hang or a broken oracle.
@Suite struct FuzzRegressionTests {
    static let fuzzer = Package.binary.deletingLastPathComponent().appendingPathComponent("revenant-fuzz").path
    static let regressions = Package.root.appendingPathComponent("Fixtures/fuzz/regressions")

    static func targets() async throws -> [String] {
        let usage = try await run(fuzzer, [])
        let line = try #require(usage.stderr.split(separator: "\n").first { $0.hasPrefix("targets: ") }, "\(usage)")
        return line.dropFirst("targets: ".count).split(separator: " ").map(String.init)
    }

    @Test func everyRegressionDirectoryNamesATargetAndReplaysClean() async throws {
        let targets = try await Self.targets()
        #expect(targets.count >= 16, "\(targets)")
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.regressions.path).filter { $0 != "README.md" }.sorted()
        #expect(directories.count >= 7, "\(directories)")
        for directory in directories {
            #expect(targets.contains(directory), "Fixtures/fuzz/regressions/\(directory) is not a fuzz target")
            let inputs = try FileManager.default.contentsOfDirectory(atPath: Self.regressions.appendingPathComponent(directory).path)
            let r = try await run(Self.fuzzer, [directory, Self.regressions.appendingPathComponent(directory).path], timeout: 120)
            #expect(r.ok && r.stdout.contains("\(directory): \(inputs.count) inputs replayed, no crash"), "\(directory): \(r)")
        }
    }

    /// The scrubber target's oracle is live: server text that quotes the fuzz secret is checked
    /// (a replay that read nothing, or an oracle that could not see the secret, would pass vacuously).
    @Test func theScrubberOracleSeesTheSecretInItsInputs() async throws {
        let inputs = Self.regressions.appendingPathComponent("scrubber")
        let source = try String(contentsOf: Package.root.appendingPathComponent("Sources/revenant-fuzz/Fuzz.swift"), encoding: .utf8)
        let secret = try #require(source.split(separator: "\n").first { $0.contains("let secret = \"") }?
            .split(separator: "\"").dropFirst().first.map(String.init))
        var quoting = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: inputs.path) {
            let text = try String(contentsOf: inputs.appendingPathComponent(name), encoding: .utf8)
            if text.contains(secret.prefix(10)) { quoting += 1 }
        }
        #expect(quoting >= 2, "the scrubber regressions quote the fuzz secret `\(secret.prefix(6))…`")
    }
}

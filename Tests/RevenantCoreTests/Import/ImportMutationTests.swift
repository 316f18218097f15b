import Foundation
import Testing
@testable import RevenantCore

/// Every importer over thousands of damaged copies of its sample (bytes flipped, cut, repeated):
/// each copy is read or refused with errors, never a crash, and never an error that quotes a
/// secret of the sample.
@Suite struct ImportMutationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// SplitMix64: a seeded generator, so a failure is repeatable.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func damaged(_ bytes: [UInt8], _ rng: inout Seeded) -> [UInt8] {
        var out = bytes
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            guard !out.isEmpty else { break }
            let i = Int.random(in: 0..<out.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: out[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: out.removeSubrange(i..<min(out.count, i + Int.random(in: 1...40, using: &rng)))
            case 2: out.insert(contentsOf: out[i..<min(out.count, i + 30)], at: i)
            default: out.insert(contentsOf: Array("\"[{:,}]\n---\u{0}".utf8).shuffled(using: &rng).prefix(3), at: i)
            }
        }
        return out
    }

    @Test(arguments: ImportSource.allCases)
    func damagedSamplesAreReadOrRefusedNeverACrash(_ source: ImportSource) throws {
        let name = switch source {
        case .trufflehog: "trufflehog.jsonl"
        case .gitleaks: "gitleaks-report.json"
        case .awsCredentialReport: "credential-report.csv"
        case .kubernetes: "kubernetes-manifests.yaml"
        }
        let sample = Array(try Data(contentsOf: Self.root.appendingPathComponent("Fixtures/import/\(name)")))
        let secrets = ["ghp_EXAMPLEexample0000000000000000000000", "wJalrXUtnFEMIEXAMPLEKEYexampleexample0000",
                       "ghp_EXAMPLEgitleaks00000000000000000000", "sk_test_EXAMPLE00000000000000000"]
        let options = ImportOptions(mapping: try ProbeMapping.decode(
            Array(try Data(contentsOf: Self.root.appendingPathComponent("Probes/import/\(source == .awsCredentialReport ? "gitleaks" : source.rawValue).json"))),
            file: "mapping.json"))
        var rng = Seeded(state: 0x5EED_0000 + UInt64(name.utf8.count))
        var read = 0, refused = 0
        for _ in 0..<1_500 {
            let bytes = Self.damaged(sample, &rng)
            do {
                switch source {
                case .trufflehog: _ = try TrufflehogImport.read(bytes, file: name, options: options)
                case .gitleaks: _ = try GitleaksImport.read(bytes, file: name, options: options)
                case .awsCredentialReport: _ = try AWSCredentialReportImport.read(bytes, file: name, options: options)
                case .kubernetes: _ = try KubernetesSecretsImport.read(bytes, file: name, options: options)
                }
                read += 1
            } catch {
                refused += 1
                for e in error.errors { #expect(!secrets.contains { e.description.contains($0) }, "\(e)") }
            }
        }
        #expect(read + refused == 1_500 && refused > 0)
    }
}

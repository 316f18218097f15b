import Foundation
import RevenantCore
import RevenantFiles

/// `revenant import SOURCE FILE`: reads a scanner's report, the IAM credential report or
/// Kubernetes Secrets, and writes a revenant inventory whose secrets are files beside it.
public enum ImportFrontend {
    /// What `revenant import` was asked: the source, its file, and the options.
    public struct Request: Sendable {
        public var source: ImportSource
        public var file: String
        public var state: LifecycleState?
        public var owner: String?
        /// Extra mapping files, after the shipped `Probes/import/<source>.json`.
        public var mappings: [String]
        /// aws-credential-report: the CSV joining key ids and secret files.
        public var keys: String?
        public var output: String?
        public var force: Bool

        public init(source: ImportSource, file: String, state: LifecycleState? = nil, owner: String? = nil, mappings: [String] = [],
                    keys: String? = nil, output: String? = nil, force: Bool = false) {
            self.source = source
            self.file = file
            self.state = state
            self.owner = owner
            self.mappings = mappings
            self.keys = keys
            self.output = output
            self.force = force
        }
    }

    /// What was read, and where it went.
    public struct Outcome: Sendable {
        public var inventory: ImportedInventory
        /// The inventory's text when it goes to stdout (no `--output`).
        public var printed: [UInt8]?
        /// Files written beside the inventory, and where.
        public var files: Int
        public var secretsDirectory: String?
    }

    /// The shipped mapping for a source, if it has one.
    public static func shippedMapping(_ source: ImportSource) -> String? {
        guard let dir = ShippedProbes.directory() else { return nil }
        let path = dir + "/import/\(source.rawValue).json"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Reads the source, then writes the inventory and its files (or prints an inventory that
    /// holds no secret). Any problem is an `InputFailure` (exit 2), and then nothing is written.
    public static func run(_ request: Request) throws(InputFailure) -> Outcome {
        let format: ImportedInventoryWriter.Format
        switch request.output.map({ URL(fileURLWithPath: $0).pathExtension.lowercased() }) {
        case nil, "yaml", "yml": format = .yaml
        case "json": format = .json
        default: throw InputFailure(["--output must end in .yaml, .yml or .json (an imported inventory is YAML or JSON)"])
        }
        var mapping = ProbeMapping()
        for file in (shippedMapping(request.source).map { [$0] } ?? []) + request.mappings {
            guard let bytes = FileBytes.read(file) else { throw InputFailure(["\(file): cannot read the mapping file"]) }
            do { mapping.merge(try ProbeMapping.decode(bytes, file: file)) } catch { throw InputFailure(error.errors.map(\.description)) }
        }
        let options = ImportOptions(state: request.state, owner: request.owner, mapping: mapping)
        let bytes: [UInt8]
        switch FileBytes.read(request.file, limit: ImportLimits.maxInputBytes) {
        case .success(let b): bytes = b
        case .failure(.tooLarge): throw InputFailure(["\(request.file): larger than \(ImportLimits.maxInputBytes >> 20) MiB: not read"])
        case .failure(let problem): throw InputFailure(["\(request.file): \(problem)"])
        }
        if request.keys != nil && request.source != .awsCredentialReport {
            throw InputFailure(["--keys applies to aws-credential-report only"])
        }
        let inventory: ImportedInventory
        do throws(InputErrors) {
            switch request.source {
            case .trufflehog: inventory = try TrufflehogImport.read(bytes, file: request.file, options: options)
            case .gitleaks: inventory = try GitleaksImport.read(bytes, file: request.file, options: options)
            case .kubernetes: inventory = try KubernetesSecretsImport.read(bytes, file: request.file, options: options)
            case .awsCredentialReport:
                var keys: [String: AWSCredentialReportImport.Key] = [:]
                if let keysFile = request.keys {
                    guard let keyBytes = FileBytes.read(keysFile) else { throw InputErrors([InputError(file: keysFile, message: "cannot read the keys file")]) }
                    let base = URL(fileURLWithPath: keysFile).deletingLastPathComponent().path
                    keys = try AWSCredentialReportImport.readKeys(keyBytes, file: keysFile, base: base)
                }
                inventory = try AWSCredentialReportImport.read(bytes, file: request.file, options: options, keys: keys)
            }
        } catch {
            throw InputFailure(error.errors.map(\.description))
        }
        guard let output = request.output else {
            if inventory.needsFiles {
                let n = inventory.credentials.filter(\.needsFiles).count
                throw InputFailure(["\(n) imported credential\(n == 1 ? " holds" : "s hold") a secret or certificate: give --output FILE.yaml "
                    + "so they are written to files (mode 0600) beside it; a secret is never printed"], warnings: inventory.notes)
            }
            let (text, _) = ImportedInventoryWriter.render(inventory, format: format, secretsDirectory: nil, source: request.source)
            try readable(text, format: format, inventory)
            return Outcome(inventory: inventory, printed: text, files: 0, secretsDirectory: nil)
        }
        let directoryName = ImportWriter.secretsDirectoryName(for: output)
        let (text, files) = ImportedInventoryWriter.render(inventory, format: format, secretsDirectory: directoryName, source: request.source)
        try readable(text, format: format, inventory)
        do {
            try ImportWriter.write(text: text, files: files, output: output, force: request.force)
        } catch {
            throw InputFailure([error.description], warnings: inventory.notes)
        }
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().appendingPathComponent(directoryName).path
        return Outcome(inventory: inventory, printed: nil, files: files.count, secretsDirectory: files.isEmpty ? nil : directory)
    }

    /// A YAML inventory larger than revenant reads whole is refused before anything is written.
    static func readable(_ text: [UInt8], format: ImportedInventoryWriter.Format, _ inventory: ImportedInventory) throws(InputFailure) {
        guard format == .yaml, text.count > ImportedInventoryWriter.maxYAMLBytes else { return }
        throw InputFailure(["\(inventory.credentials.count) credentials make a YAML inventory larger than \(ImportedInventoryWriter.maxYAMLBytes >> 20) MiB, "
            + "which revenant reads whole: write it as JSON (--output FILE.json), read one credential at a time"], warnings: inventory.notes)
    }
}

import ArgumentParser
import Foundation
import RevenantCore
import RevenantFrontend

/// `revenant import SOURCE FILE`: an inventory from where credentials are already listed.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an inventory from a secret scanner's report, the IAM credential report or Kubernetes Secrets.",
        discussion: """
        Sources: trufflehog (its --json output), gitleaks (its JSON report), aws-credential-report \
        (the IAM credential report CSV), kubernetes (`kubectl get secrets -A -o json` or manifests). \
        Pages: docs/import/.

        No secret is ever written into the inventory: each goes to its own file (mode 0600) in \
        INVENTORY-NAME.secrets/ (mode 0700) beside --output, referenced as {"file": …}. Without \
        --output the inventory is printed only when it holds no secret (else exit 2). An existing \
        --output or secrets directory is not overwritten unless --force (which replaces both).
        Detectors, rules and key names with no probe are listed on stderr with their counts and \
        written without a probe. Then: `revenant inventory lint` and `revenant verify --dry-run`.

        Examples:
          revenant import trufflehog trufflehog.jsonl --output leaked.yaml --state revoked
          revenant import gitleaks gitleaks-report.json --output leaked.yaml --owner security-team
          revenant import aws-credential-report credential-report.csv > aws.yaml
          revenant import aws-credential-report credential-report.csv --keys keys.csv --output aws.yaml
          revenant import kubernetes secrets.json --output cluster.yaml --force
          kubectl get secrets -A -o json | revenant import kubernetes /dev/stdin --output cluster.json
        """
    )

    @Argument(help: "trufflehog, gitleaks, aws-credential-report or kubernetes.")
    var source: ImportSource

    @Argument(help: "The source's file.")
    var file: String

    @Option(name: .long, help: "The state of every imported credential (default: active; aws-credential-report: from each key's active flag).")
    var state: LifecycleState?

    @Option(name: .long, help: "The owner of every imported credential (default: the author's email, the IAM user, or the Secret's owner annotation).")
    var owner: String?

    @Option(name: .long, help: "Write the inventory here (.yaml or .json); secrets go to a .secrets directory beside it.")
    var output: String?

    @Flag(name: .long, help: "Replace an existing --output file and its secrets directory.")
    var force = false

    @Option(name: .long, help: "Extra mapping of detector/rule/key names to probes (JSON, as Probes/import/*.json); repeat for several.")
    var mapping: [String] = []

    @Option(name: .long, help: "aws-credential-report: CSV with user,slot,access_key_id,secret_file to probe those keys with aws-sts.")
    var keys: String?

    func validate() throws {
        if let owner, owner.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--owner needs a name") }
    }

    func run() throws {
        let outcome: ImportFrontend.Outcome
        do {
            outcome = try ImportFrontend.run(.init(source: source, file: file, state: state, owner: owner, mappings: mapping,
                                                   keys: keys, output: output, force: force))
        } catch {
            for w in error.warnings { warn("note: \(w)") }
            throw failInput(error.lines)
        }
        let inventory = outcome.inventory
        for note in inventory.notes { warn("note: \(note)") }
        if !inventory.unmapped.isEmpty {
            let total = inventory.unmapped.values.reduce(0, +)
            warn("\(total) credential\(total == 1 ? "" : "s") written without a probe (none mapped; add one with --mapping):")
            for (name, n) in inventory.unmapped.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                warn("  \(name)  \(n)")
            }
        }
        if let printed = outcome.printed {
            FileHandle.standardOutput.write(Data(printed))
        } else if let output {
            let where_ = outcome.secretsDirectory.map { ", \(outcome.files) file\(outcome.files == 1 ? "" : "s") in \($0)" } ?? ""
            warn("wrote \(inventory.credentials.count) credential\(inventory.credentials.count == 1 ? "" : "s") to \(output)\(where_)")
        }
    }
}

extension ImportSource: ExpressibleByArgument {}
extension LifecycleState: ExpressibleByArgument {}

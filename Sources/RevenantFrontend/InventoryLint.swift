import Foundation
import RevenantCore
import RevenantCrypto
import RevenantFiles
import RevenantFiles
import RevenantEngine
import RevenantProbes

/// `revenant inventory lint`: every problem of inventories against the probes, in one pass, by
/// the planner's own rules; no secret is read and nothing is sent.
public enum InventoryLint {
    public struct Result: Sendable {
        public var errors: [String]
        public var warnings: [String]
        public var credentials: Int
        public var controls: Int
    }

    /// Throws when a configuration or inventory cannot be read at all (its errors).
    public static func check(files: [String], probeDirectories: [String], configurationFile: String?) throws(InputFailure) -> Result {
        var cfg = Configuration()
        if let path = configurationFile {
            do { cfg = try Configuration.load(file: path) } catch { throw InputFailure(error.errors.map(\.description)) }
        }
        let inventory: Inventory
        do { inventory = try InventoryLoader.load(files: files) } catch { throw InputFailure(error.errors.map(\.description)) }
        let (definitions, _) = ShippedProbes.load(extra: probeDirectories, config: cfg)
        // The planner's own rules, as `verify` plans (a should-be-dead credential in every region of
        // its probe, the pins of ssh.known_hosts), with placeholders where secrets would be read.
        // As verify: a known_hosts file that cannot be read is an error, not "no pins".
        var knownHosts: KnownHosts?
        var unreadable: [String] = []
        do { knownHosts = try VerifyFrontend.knownHosts(cfg) } catch { unreadable = error.lines }
        let plan = VerifyPlanner.plan(inventory: inventory, probes: definitions, configuration: cfg, resolver: Placeholders(),
                                      fingerprinter: Fingerprinter(), certificates: X509CertificateSource(), knownHosts: knownHosts,
                                      lintOnly: true)
        var errors = unreadable + plan.inputErrors
        var warnings = plan.warnings
        for (c, checks) in zip(inventory.credentials, plan.checks) {
            if c.targets.isEmpty && c.state.shouldBeDead {
                warnings.append("\(c.location): `\(c.id)` is \(c.state.rawValue) but names no probe: nothing can prove it dead")
            }
            for check in checks {
                // Named once: some reasons name the credential themselves.
                if let reason = check.skipReason { errors.append("\(c.location): " + (reason.contains("`\(c.id)`") ? reason : "`\(c.id)`: \(reason)")) }
            }
        }
        // A credential tried in several regions would repeat a per-probe error once per region.
        var seen: Set<String> = []
        errors = errors.filter { seen.insert($0).inserted }
        return Result(errors: errors, warnings: warnings, credentials: inventory.credentials.count, controls: inventory.controls.count)
    }
}

/// Lint reads no secret: every source gives the same placeholder, so no rule stops at the secret.
struct Placeholders: SecretReader {
    func resolve(_ source: SecretSource) -> Result<Secret, SecretError> { .success(Secret("revenant-lint-placeholder")) }
}

import Foundation
import RevenantCore
import RevenantFiles
import RevenantEngine
import RevenantProbes

/// `revenant inventory lint`: every problem of inventories against the probes, in one pass, as
/// `verify` would plan them; no secret is read and nothing is sent.
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
        let probes = probeDirectories
        let (definitions, _) = ShippedProbes.load(extra: probes, config: cfg)
        var errors: [String] = []
        var warnings = inventory.warnings
        let regionBases = VerifyPlanner.regionBases(definitions)
        for c in inventory.credentials {
            if c.targets.isEmpty && c.state.shouldBeDead {
                warnings.append("\(c.location): `\(c.id)` is \(c.state.rawValue) but names no probe: nothing can prove it dead")
            }
            // As verify plans them: a should-be-dead credential is tried in every region of its probe.
            for t in VerifyPlanner.targets(of: c, probes: definitions, regionBases: regionBases) {
                guard let probe = definitions[t.probe] else {
                    errors.append("\(c.location): `\(c.id)` names unknown probe `\(t.probe)`")
                    continue
                }
                if case .basic(let user, let secretInUsername) = probe.auth, !secretInUsername, (c.username ?? user ?? "").isEmpty {
                    errors.append("\(c.location): `\(c.id)` uses basic-auth probe `\(probe.id)` but has no `username`: nothing it is tried with could prove anything")
                }
                if !probe.kinds.contains(c.kind) {
                    errors.append("\(c.location): `\(c.id)` is \(c.kind.rawValue) but probe `\(probe.id)` takes \(probe.kinds.map(\.rawValue).joined(separator: ", "))")
                }
                if let format = probe.usernameRefused(VerifyPlanner.loginName(c, probe: probe)) {
                    errors.append("\(c.location): `\(c.id)`: probe `\(probe.id)` needs the username to be \(format.meaning): with another one nothing is sent")
                }
                // A secret that names its own host (Mailchimp) is its target; lint reads no secrets.
                if t.target == nil && probe.hostFromSecret != nil { continue }
                guard let text = t.target ?? probe.defaultTarget else {
                    let regions = probe.regions.isEmpty ? "" : " (name its region: one of \(probe.regions.joined(separator: ", ")))"
                    errors.append("\(c.location): `\(c.id)` has no target and probe `\(probe.id)` has no default_target\(regions)")
                    continue
                }
                if let url = TargetURL(text, schemes: probe.kind.schemes), !probe.allows(host: url.host) {
                    errors.append("\(c.location): `\(c.id)` target host \(url.host) is not in allowed_hosts of `\(probe.id)` (\(probe.allowedHosts.joined(separator: ", ")))")
                }
            }
        }
        // A credential tried in several regions would repeat a per-probe error once per region.
        var seen: Set<String> = []
        errors = errors.filter { seen.insert($0).inserted }
        return Result(errors: errors, warnings: warnings, credentials: inventory.credentials.count, controls: inventory.controls.count)
    }
}

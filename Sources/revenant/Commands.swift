import ArgumentParser
import Foundation
import RevenantCore
import RevenantEngine
import RevenantProbes

struct Probes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and lint probe definitions.",
        subcommands: [List.self, Lint.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every probe: id, title, kinds, protocol, allowed hosts.",
            discussion: "Examples:\n  revenant probes list\n  revenant probes list --probes ./my-probes --format json"
        )

        @Option(name: .long, help: "Extra directory (or file) of probe definitions; repeat for several.")
        var probes: [String] = []

        @Option(name: .long, help: "How to list them.")
        var format: ListFormat = .table

        @Option(name: .long, help: "Configuration file (its probes_dirs are included).")
        var config: String?

        func run() throws {
            var cfg = Configuration()
            if let config { do { cfg = try Configuration.load(file: config) } catch { throw failInput(error.errors.map(\.description)) } }
            let (definitions, problems) = ShippedProbes.load(extra: probes, config: cfg)
            for p in problems { warn(p.description) }
            let sorted = definitions.values.sorted { $0.id < $1.id }
            if format == .json {
                let doc = Tree.array(sorted.map { d in .object([
                    ("id", .string(d.id)), ("title", .string(d.title)), ("kinds", .array(d.kinds.map { .string($0.rawValue) })),
                    ("protocol", .string(d.protocol)), ("allowed_hosts", .array(d.allowedHosts.map(Tree.string))),
                    ("default_target", .optional(d.defaultTarget)), ("docs", .string(d.docs)), ("source", .string(d.source)),
                ]) })
                print(doc.serialized(indent: 2))
            } else {
                let rows = sorted.map { [$0.id, $0.protocol, $0.kinds.map(\.rawValue).joined(separator: ","), $0.allowedHosts.joined(separator: ","), $0.title] }
                let header = ["ID", "PROTOCOL", "KINDS", "ALLOWED HOSTS", "TITLE"]
                var widths = header.map(\.count)
                for r in rows { for i in 0..<4 { widths[i] = max(widths[i], r[i].count) } }
                for r in [header] + rows {
                    print(r.enumerated().map { i, c in i < 4 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : c }.joined(separator: "  "))
                }
                print("\n\(rows.count) probes")
            }
            if problems.contains(where: { $0.level == .error }) { throw Exit.input }
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check probe definitions; every error and warning in one pass (exit 2 on any error).",
            discussion: "Examples:\n  revenant probes lint Probes/\n  revenant probes lint my-probes/acme.json"
        )

        @Argument(help: "Probe files or directories (default: the shipped Probes/).")
        var paths: [String] = []

        func run() throws {
            var targets = paths
            if targets.isEmpty {
                guard let shipped = ShippedProbes.directory() else { throw failInput(["no path given and no shipped Probes/ directory found"]) }
                targets = [shipped]
            }
            let (files, missing) = ProbeLoader.files(in: targets)
            var problems = missing
            for file in files { problems += ProbeLoader.load(file: file).1 }
            for p in problems { print(p.description) }
            let errors = problems.filter { $0.level == .error }.count
            let warnings = problems.count - errors
            print("\(files.count) probe files: \(errors) errors, \(warnings) warnings")
            if errors > 0 { throw Exit.input }
        }
    }
}

struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Check inventories.",
        subcommands: [Lint.self]
    )

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check schema, duplicate ids, unknown probes, kinds, targets and usernames against the probes, and inline secrets; every problem in one pass (exit 2 on any error).",
            discussion: "Examples:\n  revenant inventory lint inventory.yaml\n  revenant inventory lint a.json b.csv --probes ./my-probes"
        )

        @Argument(help: "Inventory files (JSON, YAML or CSV).")
        var files: [String]

        @Option(name: .long, help: "Extra directory (or file) of probe definitions; repeat for several.")
        var probes: [String] = []

        @Option(name: .long, help: "Configuration file (its probes_dirs are included).")
        var config: String?

        func run() throws {
            var cfg = Configuration()
            if let config { do { cfg = try Configuration.load(file: config) } catch { throw failInput(error.errors.map(\.description)) } }
            let inventory: Inventory
            do { inventory = try InventoryLoader.load(files: files) } catch {
                for e in error.errors { print("error: \(e)") }
                print("\(error.errors.count) errors")
                throw Exit.input
            }
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
            for w in warnings { print("warning: \(w)") }
            for e in errors { print("error: \(e)") }
            print("\(inventory.credentials.count) credentials, \(inventory.controls.count) controls: \(errors.count) errors, \(warnings.count) warnings")
            if !errors.isEmpty { throw Exit.input }
        }
    }
}

struct Evidence: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the evidence ledger.",
        subcommands: [VerifyLedger.self]
    )

    struct VerifyLedger: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute the ledger's hash chain; exit 0 only if it is intact, else name the first broken record.",
            discussion: "Example:\n  revenant evidence verify evidence.jsonl"
        )

        @Argument(help: "The ledger (JSON Lines) file.")
        var ledger: String

        func run() throws {
            switch EvidenceLedger.verify(path: ledger) {
            case .intact(let records, let head):
                print("\(ledger): intact, \(records) records, head \(head)")
            case .broken(let line, let seq, let reason):
                print("\(ledger): BROKEN at line \(line)\(seq.map { " (seq \($0))" } ?? ""): \(reason)")
                throw ExitCode(1)
            case .unreadable(let why):
                throw failInput([why])
            }
        }
    }
}

/// `probes list --format`.
enum ListFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json
}

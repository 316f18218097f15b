import ArgumentParser
import Foundation
import RevenantCore
import RevenantFiles
import RevenantFrontend
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
            // Shipped probes must list their sources (an error); one's own get a warning (ProbeSources.lint).
            let shippedDir = ShippedProbes.directory().map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
            for file in files {
                let (definition, found) = ProbeLoader.load(file: file)
                problems += found
                let shipped = URL(fileURLWithPath: file).resolvingSymlinksInPath().deletingLastPathComponent().path == shippedDir
                if let definition, let missing = ProbeSources.lint(definition, shipped: shipped) { problems.append(missing) }
            }
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
            let result: InventoryLint.Result
            do { result = try InventoryLint.check(files: files, probeDirectories: probes, configurationFile: config) } catch {
                printCapped("error", error.lines)
                // An inventory read no further says so in its last line; the count is then a floor.
                print(error.lines.count > InventoryLoader.maxErrors ? "more than \(InventoryLoader.maxErrors) errors" : "\(error.lines.count) errors")
                throw Exit.input
            }
            printCapped("warning", result.warnings)
            printCapped("error", result.errors)
            print("\(result.credentials) credentials, \(result.controls) controls: \(result.errors.count) errors, \(result.warnings.count) warnings")
            if !result.errors.isEmpty { throw Exit.input }
        }
    }
}

struct Evidence: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the evidence ledger.",
        subcommands: [VerifyLedger.self, Seal.self]
    )

    struct VerifyLedger: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute the ledger's hash chain; exit 0 only if it is intact, else name the first broken record.",
            discussion: """
            An empty ledger is no evidence (exit 1). Records removed from the end of a ledger leave a \
            shorter chain that is still whole: pin the head a report gave (`run.ledger_head`) with \
            --head, or check the ledger's seal with --public-key, to notice them.

            With --public-key the seal (LEDGER.seal and LEDGER.seal.sig, written by `revenant \
            evidence seal` or `verify --seal-key`) must also hold: signed by that key, of this ledger, \
            and stating exactly its records. A chain rewritten with its hashes recomputed, records \
            removed, a seal of another ledger or by another key, and a missing or garbled seal exit 1. \
            Records appended after the seal exit 1 too, unless --allow-appended. With --tsa-ca the \
            seal's RFC 3161 time-stamp (LEDGER.seal.tsr, from `evidence seal --tsa`) must also hold: \
            of the seal's signature, signed by a time-stamping authority that chains to that CA.

            Examples:
              revenant evidence verify evidence.jsonl
              revenant evidence verify evidence.jsonl --head sha256:0123…
              revenant evidence verify evidence.jsonl --public-key seal-public.pem
              revenant evidence verify evidence.jsonl --public-key seal-public.pem --tsa-ca tsa-ca.pem
            """
        )

        @Argument(help: "The ledger (JSON Lines) file.")
        var ledger: String

        @Option(name: .long, help: "The chain must end at this hash (sha256: and 64 hex digits), e.g. a report's run.ledger_head.")
        var head: String?

        @Option(name: .customLong("public-key"), help: "Check the ledger's seal too, with this Ed25519 public key (PEM).")
        var publicKey: String?

        @Flag(name: .customLong("allow-appended"), help: "With --public-key: accept records appended after the seal (they are counted, not covered).")
        var allowAppended = false

        @Option(name: .customLong("tsa-ca"), help: "With --public-key: check the seal's RFC 3161 time-stamp too, trusting the CA certificates (PEM) in this file.")
        var tsaCA: String?

        func validate() throws {
            if let head, !(head.hasPrefix("sha256:") && head.count == 71 && head.dropFirst(7).allSatisfy(\.isHexDigit)) {
                throw ValidationError("--head takes sha256: and 64 hex digits, as a report's run.ledger_head")
            }
            if allowAppended && publicKey == nil { throw ValidationError("--allow-appended goes with --public-key") }
            if tsaCA != nil && publicKey == nil { throw ValidationError("--tsa-ca goes with --public-key: the time-stamp is over the seal") }
        }

        func run() throws {
            guard let publicKey else {
                switch EvidenceLedger.verify(path: ledger, head: head?.lowercased()) {
                case .intact(let records, let head):
                    print("\(ledger): intact, \(records) records, head \(head)")
                case let broken:
                    throw Self.fail(ledger, broken)
                }
                return
            }
            let check: SealCheck
            do {
                let key = try EvidenceSeal.verifyingKey(file: publicKey)
                let trusted = try tsaCA.map { file throws(InputFailure) in (pem: try EvidenceSeal.caBytes(file), file: file) }
                check = EvidenceSeal.check(ledger: ledger, head: head?.lowercased(), key: key, keyFile: publicKey, allowAppended: allowAppended,
                                           tsaCA: trusted)
            } catch { throw failInput(error.lines) }
            switch check {
            case .sealed(let statement, let records, let head, let timestamp):
                let covered = records == statement.records
                    ? "all \(records) records"
                    : "records 1 to \(statement.records); \(records - statement.records) records after the seal are not covered by it"
                let stamped = timestamp.map { "; time-stamped \(Timestamp.format($0.time)) (serial \($0.serial), by a TSA of \(tsaCA ?? ""))" } ?? ""
                print("\(ledger): intact, \(records) records, head \(head); seal good (signed by the key in \(publicKey)): \(covered)\(stamped)")
            case .broken(let verification):
                throw Self.fail(ledger, verification)
            case .unsealed(let why):
                print("\(ledger): SEAL BROKEN: \(why)")
                throw ExitCode(1)
            case .unreadable(let why):
                throw failInput([why])
            }
        }

        /// A broken chain: the first broken record (exit 1); a ledger that cannot be read (exit 2).
        static func fail(_ ledger: String, _ verification: LedgerVerification) -> ExitCode {
            switch verification {
            case .broken(let line, let seq, let reason):
                print("\(ledger): BROKEN at line \(line)\(seq.map { " (seq \($0))" } ?? ""): \(reason)")
                return ExitCode(1)
            case .unreadable(let why):
                return failInput([why])
            case .intact:
                return ExitCode(0)
            }
        }
    }

    struct Seal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the ledger's head with an Ed25519 key: LEDGER.seal (the statement) and LEDGER.seal.sig (its signature).",
            discussion: """
            The statement names the ledger's file, its record count, head hash, the SHA-256 of its \
            bytes, its first and last record times and its run ids; LEDGER.seal.sig is the raw \
            64-byte Ed25519 signature of LEDGER.seal as stored, so anyone with the public key checks \
            it with stock OpenSSL (docs/evidence.md "Sealing"). A broken chain is not sealed (exit 1); \
            a key that is not an unencrypted Ed25519 private key in PEM is refused (exit 2). Sealing \
            again replaces the seal.

            Examples:
              openssl genpkey -algorithm ed25519 -out seal-key.pem
              openssl pkey -in seal-key.pem -pubout -out seal-public.pem
              revenant evidence seal evidence.jsonl --key seal-key.pem
              revenant evidence verify evidence.jsonl --public-key seal-public.pem
              revenant evidence seal evidence.jsonl --key seal-key.pem --tsa http://tsa.example/
            """
        )

        @Argument(help: "The ledger (JSON Lines) file.")
        var ledger: String

        @Option(name: .long, help: "The Ed25519 private key (PKCS#8 PEM, e.g. from `openssl genpkey -algorithm ed25519`).")
        var key: String

        @Option(name: .long, help: "Also get an RFC 3161 time-stamp of the seal's signature from this time-stamping authority (http or https URL): LEDGER.seal.tsr.")
        var tsa: String?

        func validate() throws {
            if let tsa { try RunOptions.validateTSA(tsa) }
        }

        func run() throws {
            let result: SealResult
            do { result = EvidenceSeal.seal(ledger: ledger, key: try EvidenceSeal.signingKey(file: key), tsa: tsa) } catch { throw failInput(error.lines) }
            switch result {
            case .sealed(let statement):
                print("\(ledger): sealed \(statement.records) records, head \(statement.head), "
                      + "in \(EvidenceSeal.statementPath(ledger: ledger)) and \(EvidenceSeal.signaturePath(ledger: ledger))"
                      + (tsa == nil ? "" : "; time-stamped in \(EvidenceSeal.timestampPath(ledger: ledger))"))
            case .sealedWithoutTimestamp(let statement, let why):
                print("\(ledger): sealed \(statement.records) records, head \(statement.head), but NOT time-stamped: \(why)")
                throw ExitCode(3)
            case .broken(let verification):
                _ = VerifyLedger.fail(ledger, verification)
                throw ExitCode(1)
            case .failed(let why):
                throw failInput([why])
            }
        }
    }
}

/// `probes list --format`.
enum ListFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json
}

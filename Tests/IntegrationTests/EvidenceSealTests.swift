import Foundation
import RevenantCore
import RevenantFiles
import Testing

/// Sealed evidence (docs/evidence.md "Sealing"), through the built binary and stock OpenSSL: a good
/// seal verifies, every way of tampering with the ledger or the seal fails, and the outsider's
/// commands of the manual run exactly as written. Keys are made by `openssl genpkey` at test time.
@Suite struct EvidenceSealTests {
    // MARK: Fixtures

    /// A directory with `evidence.jsonl` (`records` records over two runs), keys `seal-key.pem` /
    /// `seal-public.pem` and another pair `other-key.pem` / `other-public.pem`, and the ledger sealed.
    static func sealedLedger(_ label: String, records: Int = 6) async throws -> WorkDirectory {
        let work = try WorkDirectory(label)
        try appendRecords(records, to: work.file("evidence.jsonl").path)
        for name in ["seal", "other"] {
            let key = work.file("\(name)-key.pem").path
            let made = try await run("/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", key])
            let pub = try await run("/usr/bin/openssl", ["pkey", "-in", key, "-pubout", "-out", work.file("\(name)-public.pem").path])
            guard made.ok, pub.ok else { throw CommandError(description: "openssl could not make a key: \(made)\n\(pub)") }
        }
        let sealed = try await revenant(["evidence", "seal", work.file("evidence.jsonl").path, "--key", work.file("seal-key.pem").path])
        guard sealed.ok else { throw CommandError(description: "evidence seal failed: \(sealed)") }
        return work
    }

    /// Appends records as a run does (time, run, outcome), through the ledger itself.
    static func appendRecords(_ count: Int, to path: String, run: String = "") throws {
        let ledger = try EvidenceLedger(path: path)
        for i in 0..<count {
            let id = run.isEmpty ? "run-\(i < count / 2 ? 1 : 2)" : run
            ledger.append([("time", .string("2026-12-06T10:00:\(String(format: "%02d", i)).000Z")), ("run", .string(id)),
                           ("credential", .string("cred-\(i)")), ("outcome", .string("rejected"))])
        }
        ledger.flush()
    }

    /// Writes the ledger again end to end with record `index`'s outcome changed and every hash
    /// recomputed: the chain is whole again, and only the seal can tell.
    static func rewrite(_ path: String, changing index: Int) throws {
        let lines = try #require(FileManager.default.contents(atPath: path)).split(separator: 0x0A)
        let fresh = path + ".rewritten"
        let ledger = try EvidenceLedger(path: fresh)
        for (i, line) in lines.enumerated() {
            let members = try #require(try JSONTreeParser.parse(Array(line), file: path).objectValue)
            var fields = members.filter { !["seq", "prev", "hash"].contains($0.key) }.map { ($0.key, $0.value) }
            if i == index { fields = fields.map { $0.0 == "outcome" ? ("outcome", .string("authenticated")) : $0 } }
            ledger.append(fields)
        }
        ledger.flush()
        _ = rename(fresh, path)
    }

    /// Puts the seal of the ledger at `ledger` in place of the seal of `work`'s evidence.jsonl.
    static func copySeal(of ledger: String, to work: WorkDirectory) throws {
        for suffix in [".seal", ".seal.sig"] {
            try? FileManager.default.removeItem(at: work.file("evidence.jsonl" + suffix))
            try FileManager.default.copyItem(atPath: ledger + suffix, toPath: work.file("evidence.jsonl" + suffix).path)
        }
    }

    /// Cuts `work`'s evidence.jsonl to its first `count` lines.
    static func keepFirst(_ count: Int, of work: WorkDirectory) throws {
        _ = try work.write("evidence.jsonl", lines(work).prefix(count).joined(separator: "\n") + "\n")
    }

    static func lines(_ work: WorkDirectory, _ name: String = "evidence.jsonl") -> [String] {
        work.read(name).split(separator: "\n").map(String.init)
    }

    static func verify(_ work: WorkDirectory, key: String = "seal-public.pem", _ extra: [String] = []) async throws -> CommandResult {
        try await revenant(["evidence", "verify", work.file("evidence.jsonl").path, "--public-key", work.file(key).path] + extra)
    }

    /// `evidence verify --public-key` exited 1 and said the seal is broken, and why.
    static func expectSealBroken(_ r: CommandResult, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.exited && r.status == 1, "\(r)", sourceLocation: sourceLocation)
        #expect(r.stdout.contains("SEAL BROKEN: ") && r.stdout.contains(reason), "expected \(reason): \(r)", sourceLocation: sourceLocation)
    }

    // MARK: revenant evidence verify --public-key

    @Test func aGoodSealVerifiesAndSaysWhatItCovers() async throws {
        let work = try await Self.sealedLedger("seal-good")
        defer { work.remove() }
        let r = try await Self.verify(work)
        #expect(r.ok, "\(r)")
        #expect(r.stdout.contains("intact, 6 records") && r.stdout.contains("seal good") && r.stdout.contains("all 6 records"), "\(r)")
        let statement = work.read("evidence.jsonl.seal")
        #expect(statement.hasPrefix("revenant-seal v1\nledger: evidence.jsonl\nrecords: 6\n"), "\(statement)")
        #expect(statement.hasSuffix("runs: 2\nrun: run-1\nrun: run-2\n"), "\(statement)")
        #expect(FileManager.default.contents(atPath: work.file("evidence.jsonl.seal.sig").path)?.count == 64)
        #expect(!r.stdout.contains("PRIVATE") && !r.stderr.contains("PRIVATE"))
    }

    @Test func aChainRewrittenWithRecomputedHashesPassesTheChainButNotTheSeal() async throws {
        let work = try await Self.sealedLedger("seal-rewritten")
        defer { work.remove() }
        try Self.rewrite(work.file("evidence.jsonl").path, changing: 2)
        let chainOnly = try await revenant(["evidence", "verify", work.file("evidence.jsonl").path])
        #expect(chainOnly.ok, "the rewrite is a whole chain: \(chainOnly)")
        let r = try await Self.verify(work)
        Self.expectSealBroken(r, "the ledger was rewritten")
    }

    @Test func aTruncatedChainFails() async throws {
        let work = try await Self.sealedLedger("seal-truncated")
        defer { work.remove() }
        try Self.keepFirst(4, of: work)
        let r = try await Self.verify(work)
        Self.expectSealBroken(r, "holds 4 records, the seal covers 6: records were removed from its end")
    }

    @Test func recordsAppendedAfterTheSealFailUnlessAllowedAndAreCountedEitherWay() async throws {
        let work = try await Self.sealedLedger("seal-appended")
        defer { work.remove() }
        try Self.appendRecords(2, to: work.file("evidence.jsonl").path, run: "run-3")
        let r = try await Self.verify(work)
        Self.expectSealBroken(r, "2 records after the seal")
        let allowed = try await Self.verify(work, ["--allow-appended"])
        #expect(allowed.ok, "\(allowed)")
        #expect(allowed.stdout.contains("intact, 8 records") && allowed.stdout.contains("records 1 to 6; 2 records after the seal are not covered"),
                "\(allowed)")
        // Sealed again, the seal covers them all.
        let again = try await revenant(["evidence", "seal", work.file("evidence.jsonl").path, "--key", work.file("seal-key.pem").path])
        #expect(again.ok && again.stdout.contains("sealed 8 records"), "\(again)")
        let now = try await Self.verify(work)
        #expect(now.ok && now.stdout.contains("all 8 records"), "\(now)")
    }

    @Test func aSealOfAnotherLedgerFails() async throws {
        let work = try await Self.sealedLedger("seal-other-ledger")
        defer { work.remove() }
        // Another ledger of the same name, sealed with the same key: its seal put beside this one.
        let elsewhere = try WorkDirectory("seal-other-ledger-b")
        defer { elsewhere.remove() }
        try Self.appendRecords(6, to: elsewhere.file("evidence.jsonl").path, run: "run-b")
        let sealed = try await revenant(["evidence", "seal", elsewhere.file("evidence.jsonl").path, "--key", work.file("seal-key.pem").path])
        #expect(sealed.ok, "\(sealed)")
        try Self.copySeal(of: elsewhere.file("evidence.jsonl").path, to: work)
        let r = try await Self.verify(work)
        Self.expectSealBroken(r, "or the seal is of another ledger")

        // The seal of a ledger named otherwise, renamed to sit beside this one.
        let renamed = try WorkDirectory("seal-other-name")
        defer { renamed.remove() }
        let other = renamed.file("other.jsonl").path
        try Self.appendRecords(6, to: other)
        let otherSeal = try await revenant(["evidence", "seal", other, "--key", work.file("seal-key.pem").path])
        #expect(otherSeal.ok, "\(otherSeal)")
        try Self.copySeal(of: other, to: work)
        let named = try await Self.verify(work)
        Self.expectSealBroken(named, "the seal is of the ledger `other.jsonl`, not of `evidence.jsonl`")
    }

    @Test func aSealSignedByAnotherKeyFails() async throws {
        let work = try await Self.sealedLedger("seal-other-key")
        defer { work.remove() }
        let r = try await Self.verify(work, key: "other-public.pem")
        Self.expectSealBroken(r, "signed by another key")
        // Sealed again by the other key: the first key no longer verifies it either.
        let resealed = try await revenant(["evidence", "seal", work.file("evidence.jsonl").path, "--key", work.file("other-key.pem").path])
        #expect(resealed.ok, "\(resealed)")
        let mine = try await Self.verify(work)
        Self.expectSealBroken(mine, "signed by another key")
    }

    @Test func aStatementEditedToFitTheLedgerNoLongerVerifies() async throws {
        let work = try await Self.sealedLedger("seal-forged")
        defer { work.remove() }
        // Truncate the ledger, and edit the statement to say 4 records: the signature no longer holds.
        try Self.keepFirst(4, of: work)
        _ = try work.write("evidence.jsonl.seal", work.read("evidence.jsonl.seal").replacingOccurrences(of: "records: 6", with: "records: 4"))
        let r = try await Self.verify(work)
        Self.expectSealBroken(r, "does not verify with the key in")
    }

    @Test func aRecordWrittenAgainInAnotherFormBreaksTheChain() async throws {
        let work = try await Self.sealedLedger("seal-reformatted")
        defer { work.remove() }
        var lines = Self.lines(work)
        lines[1] = lines[1].replacingOccurrences(of: "{\"", with: "{ \"")
        _ = try work.write("evidence.jsonl", lines.joined(separator: "\n") + "\n")
        // The record still hashes the same, but its bytes are not as revenant wrote them: the chain
        // says so on its own, and the seal's check does not get as far as the seal.
        let chainOnly = try await revenant(["evidence", "verify", work.file("evidence.jsonl").path])
        #expect(chainOnly.exited && chainOnly.status == 1 && chainOnly.stdout.contains("BROKEN at line 2")
                && chainOnly.stdout.contains("not as revenant wrote them"), "\(chainOnly)")
        let r = try await Self.verify(work)
        #expect(r.exited && r.status == 1 && r.stdout.contains("BROKEN at line 2"), "\(r)")
    }

    /// A missing or garbled seal is no seal: exit 1, naming the file and what is wrong.
    @Test(arguments: [
        ("no statement", "evidence.jsonl.seal", nil, "no seal: "),
        ("no signature", "evidence.jsonl.seal.sig", nil, "no seal: "),
        ("a garbled statement", "evidence.jsonl.seal", "revenant-seal v1\nrecords: many\n", "not a seal statement revenant writes"),
        ("an empty statement", "evidence.jsonl.seal", "", "not a seal statement revenant writes"),
        ("a short signature", "evidence.jsonl.seal.sig", String(repeating: "x", count: 63), "63 bytes, an Ed25519 signature is 64"),
        ("a garbled signature", "evidence.jsonl.seal.sig", String(repeating: "x", count: 64), "does not verify"),
    ] as [(String, String, String?, String)])
    func aMissingOrGarbledSealFails(change: String, file: String, content: String?, reason: String) async throws {
        let work = try await Self.sealedLedger("seal-garbled")
        defer { work.remove() }
        if let content { _ = try work.write(file, content) } else { try FileManager.default.removeItem(at: work.file(file)) }
        let r = try await Self.verify(work)
        Self.expectSealBroken(r, reason)
    }

    // MARK: Input errors

    @Test func keysOfTheWrongKindAreInputErrorsNamingTheFile() async throws {
        let work = try await Self.sealedLedger("seal-keys")
        defer { work.remove() }
        let rsa = work.file("rsa.pem").path
        let made = try await run("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", rsa])
        #expect(made.ok, "\(made)")
        let ledger = work.file("evidence.jsonl").path
        let before = work.read("evidence.jsonl.seal")

        let rsaSeal = try await revenant(["evidence", "seal", ledger, "--key", rsa])
        #expect(rsaSeal.exited && rsaSeal.status == 2 && rsaSeal.stderr.contains("\(rsa): holds a key of type RSA"), "\(rsaSeal)")
        let publicAsPrivate = try await revenant(["evidence", "seal", ledger, "--key", work.file("seal-public.pem").path])
        #expect(publicAsPrivate.exited && publicAsPrivate.status == 2 && publicAsPrivate.stderr.contains("holds a public key"), "\(publicAsPrivate)")
        let privateAsPublic = try await Self.verify(work, key: "seal-key.pem")
        #expect(privateAsPublic.exited && privateAsPublic.status == 2 && privateAsPublic.stderr.contains("holds a private key"), "\(privateAsPublic)")
        #expect(!privateAsPublic.stderr.contains(work.read("seal-key.pem").split(separator: "\n")[1]), "no key material in messages")
        let missing = try await revenant(["evidence", "seal", ledger, "--key", work.file("nope.pem").path])
        #expect(missing.exited && missing.status == 2 && missing.stderr.contains("nope.pem"), "\(missing)")
        let allowAlone = try await revenant(["evidence", "verify", ledger, "--allow-appended"])
        #expect(allowAlone.exited && allowAlone.status == 2 && allowAlone.stderr.contains("--allow-appended goes with --public-key"), "\(allowAlone)")
        #expect(work.read("evidence.jsonl.seal") == before, "a refused key leaves the seal as it was")
    }

    @Test func aBrokenChainIsNotSealed() async throws {
        let work = try await Self.sealedLedger("seal-broken")
        defer { work.remove() }
        var lines = Self.lines(work)
        lines[2] = lines[2].replacingOccurrences(of: "rejected", with: "authenticated")
        _ = try work.write("evidence.jsonl", lines.joined(separator: "\n") + "\n")
        let before = work.read("evidence.jsonl.seal")
        let r = try await revenant(["evidence", "seal", work.file("evidence.jsonl").path, "--key", work.file("seal-key.pem").path])
        #expect(r.exited && r.status == 1 && r.stdout.contains("BROKEN at line 3"), "\(r)")
        #expect(work.read("evidence.jsonl.seal") == before)
        let missing = try await revenant(["evidence", "seal", work.file("absent.jsonl").path, "--key", work.file("seal-key.pem").path])
        #expect(missing.exited && missing.status == 2 && missing.stderr.contains("absent.jsonl"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: work.file("absent.jsonl").path), "sealing does not create a ledger")
    }

    // MARK: verify --seal-key

    static func unreachableRun(_ work: WorkDirectory) throws -> [String] {
        let probes = try Scenario.writeProbes(into: work)
        let inventory = try work.writeJSON("inventory.json", ["credentials": [
            Scenario.credential("old-token", state: "revoked", secret: ["env": "SEAL_TEST_TOKEN"], probe: "t-bearer", target: "http://127.0.0.1:9"),
        ]])
        return ["verify", "--inventory", inventory, "--probes", probes, "--format", "json", "--no-progress"]
    }

    @Test func aVerifyRunSealsItsLedgerAtTheEnd() async throws {
        let work = try await Self.sealedLedger("seal-run", records: 2)
        defer { work.remove() }
        let base = try Self.unreachableRun(work)
        let env = ["SEAL_TEST_TOKEN": "dead-0000000000000000"]
        let r = try await revenant(base + ["--ledger", work.file("evidence.jsonl").path, "--seal-key", work.file("seal-key.pem").path],
                                   environment: env)
        #expect(r.exited && (r.status == 0 || r.status == 1), "\(r)")
        let report = try jsonObject(r.stdout)
        let run = try #require(report["run"] as? [String: Any])
        #expect(run["complete"] as? Bool == true, "\(run)")
        let checked = try await Self.verify(work)
        #expect(checked.ok && checked.stdout.contains("seal good"), "\(checked)")
        #expect(checked.stdout.contains("head \(run["ledger_head"] as? String ?? "?")"), "the seal covers the head the report pins: \(checked)")
        #expect(work.read("evidence.jsonl.seal").contains("run: \(run["id"] as? String ?? "?")"), "\(work.read("evidence.jsonl.seal"))")
    }

    @Test func aSealKeyIsCheckedBeforeAnythingIsSent() async throws {
        let work = try await Self.sealedLedger("seal-run-key", records: 2)
        defer { work.remove() }
        let base = try Self.unreachableRun(work)
        let env = ["SEAL_TEST_TOKEN": "dead-0000000000000000"]
        let fresh = work.file("fresh.jsonl").path
        let withoutLedger = try await revenant(base + ["--seal-key", work.file("seal-key.pem").path], environment: env)
        #expect(withoutLedger.exited && withoutLedger.status == 2 && withoutLedger.stderr.contains("--seal-key goes with --ledger"), "\(withoutLedger)")
        let publicKey = try await revenant(base + ["--ledger", fresh, "--seal-key", work.file("seal-public.pem").path], environment: env)
        #expect(publicKey.exited && publicKey.status == 2 && publicKey.stderr.contains("seal-public.pem: holds a public key"), "\(publicKey)")
        #expect(!FileManager.default.fileExists(atPath: fresh), "nothing was sent, no ledger was written")
    }

    @Test func aSealThatCannotBeWrittenMakesTheRunIncomplete() async throws {
        let work = try await Self.sealedLedger("seal-run-fails", records: 2)
        defer { work.remove() }
        let base = try Self.unreachableRun(work)
        // A directory where the statement goes: the rename over it fails.
        try FileManager.default.removeItem(at: work.file("evidence.jsonl.seal"))
        try FileManager.default.createDirectory(at: work.file("evidence.jsonl.seal"), withIntermediateDirectories: false)
        let r = try await revenant(base + ["--ledger", work.file("evidence.jsonl").path, "--seal-key", work.file("seal-key.pem").path],
                                   environment: ["SEAL_TEST_TOKEN": "dead-0000000000000000"])
        #expect(r.exited && r.status == 3, "\(r)")
        #expect(r.stderr.contains("not sealed") && r.stderr.contains("evidence.jsonl.seal: cannot write the seal"), "\(r)")
        let run = try #require(try jsonObject(r.stdout)["run"] as? [String: Any])
        #expect(run["complete"] as? Bool == false && (run["incomplete_reason"] as? String ?? "").contains("not sealed"), "\(run)")
    }

    // MARK: The manual's commands

    /// The ```bash blocks of docs/evidence.md's "Sealing" section: making the keys and sealing, then the outsider's check.
    static func manualBlocks(_ heading: String = "## Sealing") throws -> [String] {
        let text = try String(contentsOf: Package.root.appendingPathComponent("docs/evidence.md"), encoding: .utf8)
        let section = try #require(text.range(of: heading)).upperBound
        let end = text[section...].range(of: "\n## ")?.lowerBound ?? text.endIndex
        var blocks: [String] = []
        var current: [String]?
        for line in text[section..<end].split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```bash" { current = [] } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(String(line))
            }
        }
        return blocks
    }

    /// Runs a block as a script (stopping at the first command that fails) in `work`, with the built revenant first on PATH.
    static func runBlock(_ block: String, in work: WorkDirectory) async throws -> CommandResult {
        let path = Package.binary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return try await run("/bin/bash", ["-c", "set -e\n" + block], cwd: work.url, environment: ["PATH": path])
    }

    @Test func theManualsCommandsSealAndStockOpenSSLChecksTheSeal() async throws {
        let blocks = try Self.manualBlocks()
        try #require(blocks.count == 2, "docs/evidence.md \"Sealing\" has two ```bash blocks (keys and seal; the outsider's check): \(blocks)")
        #expect(blocks[1].contains("openssl pkeyutl -verify -pubin -inkey seal-public.pem -rawin -in evidence.jsonl.seal -sigfile evidence.jsonl.seal.sig"))
        #expect(!blocks[1].contains("revenant"), "the outsider's check needs no revenant")
        let work = try WorkDirectory("seal-manual")
        defer { work.remove() }
        try Self.appendRecords(6, to: work.file("evidence.jsonl").path)
        let sealed = try await Self.runBlock(blocks[0], in: work)
        #expect(sealed.ok && sealed.stdout.contains("seal good"), "\(sealed)")
        let checked = try await Self.runBlock(blocks[1], in: work)
        #expect(checked.ok && checked.stdout.contains("Signature Verified Successfully"), "a good seal passes the outsider's check: \(checked)")
    }

    /// Each tampering, made in a fresh copy, fails the outsider's check (with no revenant).
    @Test(arguments: ["rewritten", "truncated", "appended", "statement edited", "signature flipped", "other key", "other ledger's seal", "no seal"])
    func theOutsidersCheckFailsOnATamperedLedgerOrSeal(tampering: String) async throws {
        let blocks = try Self.manualBlocks()
        try #require(blocks.count == 2)
        let work = try await Self.sealedLedger("seal-outsider")
        defer { work.remove() }
        let ledger = work.file("evidence.jsonl").path
        switch tampering {
        case "rewritten": try Self.rewrite(ledger, changing: 1)
        case "truncated": try Self.keepFirst(5, of: work)
        case "appended": try Self.appendRecords(1, to: ledger, run: "run-3")
        case "statement edited":
            _ = try work.write("evidence.jsonl.seal", work.read("evidence.jsonl.seal").replacingOccurrences(of: "run: run-2", with: "run: run-9"))
        case "signature flipped":
            var signature = try #require(FileManager.default.contents(atPath: ledger + ".seal.sig"))
            signature[0] ^= 0x01
            try signature.write(to: work.file("evidence.jsonl.seal.sig"))
        case "other key":
            // The outsider holds seal-public.pem; the seal is remade with another key.
            let resealed = try await revenant(["evidence", "seal", ledger, "--key", work.file("other-key.pem").path])
            #expect(resealed.ok, "\(resealed)")
        case "other ledger's seal":
            // Another ledger of the same name, sealed by the same key: only the ledger differs.
            let other = try WorkDirectory("seal-outsider-other")
            defer { other.remove() }
            try Self.appendRecords(6, to: other.file("evidence.jsonl").path, run: "run-b")
            let sealedOther = try await revenant(["evidence", "seal", other.file("evidence.jsonl").path, "--key", work.file("seal-key.pem").path])
            #expect(sealedOther.ok, "\(sealedOther)")
            try Self.copySeal(of: other.file("evidence.jsonl").path, to: work)
        default:
            try FileManager.default.removeItem(at: work.file("evidence.jsonl.seal.sig"))
        }
        let checked = try await Self.runBlock(blocks[1], in: work)
        #expect(checked.exited && checked.status != 0, "\(tampering): the outsider's check passed: \(checked)")
        // revenant agrees.
        let r = try await Self.verify(work)
        #expect(r.exited && r.status == 1, "\(tampering): \(r)")
    }
}

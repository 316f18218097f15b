import Foundation
import Testing

/// RFC 3161 time-stamps over a seal (docs/evidence.md, "A time-stamp over the seal"), against a
/// real TSA: `openssl ts -reply` behind scripts/servers/tsa.py, with its own throwaway CA. Checked
/// by revenant and by stock `openssl ts -verify`. Serialized: one test makes the shared TSA refuse.
@Suite(.serialized) struct TimestampSealTests {
    static func tsa() async throws -> Server { try await SharedServers.get("tsa") }

    /// A sealed ledger (EvidenceSealTests' fixture) with the TSA's CA beside it as `tsa-ca.pem`.
    static func ledger(_ label: String, tsa: Server) async throws -> WorkDirectory {
        let work = try await EvidenceSealTests.sealedLedger(label)
        try FileManager.default.copyItem(atPath: try tsa.value("TSA_CA"), toPath: work.file("tsa-ca.pem").path)
        return work
    }

    static func seal(_ work: WorkDirectory, _ extra: [String]) async throws -> CommandResult {
        try await revenant(["evidence", "seal", work.file("evidence.jsonl").path, "--key", work.file("seal-key.pem").path] + extra)
    }

    static func verify(_ work: WorkDirectory, ca: String = "tsa-ca.pem") async throws -> CommandResult {
        try await EvidenceSealTests.verify(work, ["--tsa-ca", work.file(ca).path])
    }

    /// The outsider's commands of the manual, run as written in `work` (no revenant on PATH needed).
    static func outsiderCheck(_ work: WorkDirectory) async throws -> CommandResult {
        let blocks = try EvidenceSealTests.manualBlocks("## A time-stamp over the seal")
        try #require(blocks.count == 1, "the time-stamp section has one ```bash block: \(blocks)")
        #expect(!blocks[0].contains("revenant"))
        return try await EvidenceSealTests.runBlock(blocks[0], in: work)
    }

    var tsaFile: String { "evidence.jsonl.seal.tsr" }

    @Test func aStampFromARealTSAVerifiesWithRevenantAndWithStockOpenSSL() async throws {
        let tsa = try await Self.tsa()
        let work = try await Self.ledger("tsa-good", tsa: tsa)
        defer { work.remove() }
        let sealed = try await Self.seal(work, ["--tsa", try tsa.value("TSA_URL")])
        #expect(sealed.ok && sealed.stdout.contains("time-stamped in"), "\(sealed)")
        let stamp = try #require(FileManager.default.contents(atPath: work.file(tsaFile).path))
        #expect(stamp.count > 100 && stamp.count < 64 << 10)
        let checked = try await Self.verify(work)
        #expect(checked.ok && checked.stdout.contains("seal good") && checked.stdout.contains("; time-stamped 20"), "\(checked)")
        let outsider = try await Self.outsiderCheck(work)
        #expect(outsider.ok && outsider.stdout.contains("Verification: OK") && outsider.stdout.contains("Time stamp:"), "\(outsider)")
        // The TSA really was asked: its log has the POST.
        let log = (try? String(contentsOfFile: try tsa.value("TSA_LOG"), encoding: .utf8)) ?? ""
        #expect(log.contains("\"POST / HTTP/1.1\" 200"), "\(log.suffix(500))")
    }

    @Test func aStampUnderAnotherCAOfAnotherSealOrMissingIsBrokenForRevenantAndOpenSSL() async throws {
        let tsa = try await Self.tsa()
        let work = try await Self.ledger("tsa-tampered", tsa: tsa)
        defer { work.remove() }
        #expect(try await Self.seal(work, ["--tsa", try tsa.value("TSA_URL")]).ok)
        let stamp = try #require(FileManager.default.contents(atPath: work.file(tsaFile).path))

        // A CA that did not issue the TSA's certificate.
        let other = try await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                       "-days", "1", "-subj", "/CN=not the TSA's CA", "-keyout", work.file("other-ca.key").path,
                                                       "-out", work.file("other-ca.pem").path])
        try #require(other.ok, "\(other)")
        EvidenceSealTests.expectSealBroken(try await Self.verify(work, ca: "other-ca.pem"), "the time-stamp does not verify")

        // Records appended and sealed again without --tsa: the old stamp is removed...
        try EvidenceSealTests.appendRecords(2, to: work.file("evidence.jsonl").path, run: "run-3")
        let resealed = try await Self.seal(work, [])
        #expect(resealed.ok && !FileManager.default.fileExists(atPath: work.file(tsaFile).path), "\(resealed)")
        EvidenceSealTests.expectSealBroken(try await Self.verify(work), "no time-stamp")
        // ...and put back, it is the stamp of another signature: revenant and OpenSSL both refuse it.
        try stamp.write(to: work.file(tsaFile))
        EvidenceSealTests.expectSealBroken(try await Self.verify(work), "the time-stamp does not verify")
        let outsider = try await Self.outsiderCheck(work)
        #expect(outsider.exited && outsider.status != 0 && !outsider.stdout.contains("Verification: OK"), "\(outsider)")

        // Garbage in the stamp's place.
        try Data("not a time-stamp".utf8).write(to: work.file(tsaFile))
        EvidenceSealTests.expectSealBroken(try await Self.verify(work), "not an RFC 3161 time-stamp response")
    }

    @Test func aTSAThatRefusesOrCannotBeReachedLeavesTheSealUnstampedExit3() async throws {
        let tsa = try await Self.tsa()
        let work = try await Self.ledger("tsa-refuses", tsa: tsa)
        defer { work.remove() }
        let flag = try tsa.value("TSA_REFUSE_FLAG")
        FileManager.default.createFile(atPath: flag, contents: Data())
        let refused = try await Self.seal(work, ["--tsa", try tsa.value("TSA_URL")])
        try FileManager.default.removeItem(atPath: flag)
        #expect(refused.exited && refused.status == 3, "\(refused)")
        #expect(refused.stdout.contains("NOT time-stamped") && refused.stdout.contains("refused the request (PKIStatus 2)"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: work.file(tsaFile).path))
        #expect(try await EvidenceSealTests.verify(work).ok, "the seal itself was written")

        let unreachable = try await Self.seal(work, ["--tsa", "http://127.0.0.1:9/"])
        #expect(unreachable.exited && unreachable.status == 3 && unreachable.stdout.contains("NOT time-stamped"), "\(unreachable)")
        #expect(!FileManager.default.fileExists(atPath: work.file(tsaFile).path))
    }

    @Test func aVerifyRunStampsItsSealOrEndsIncomplete() async throws {
        let tsa = try await Self.tsa()
        let work = try await Self.ledger("tsa-run", tsa: tsa)
        defer { work.remove() }
        let base = try EvidenceSealTests.unreachableRun(work) + ["--ledger", work.file("evidence.jsonl").path,
                                                                  "--seal-key", work.file("seal-key.pem").path]
        let env = ["SEAL_TEST_TOKEN": "dead-0000000000000000"]
        let r = try await revenant(base + ["--tsa", try tsa.value("TSA_URL")], environment: env)
        #expect(r.exited && (r.status == 0 || r.status == 1), "\(r)")
        let run = try #require(try jsonObject(r.stdout)["run"] as? [String: Any])
        #expect(run["complete"] as? Bool == true, "\(run)")
        let checked = try await Self.verify(work)
        #expect(checked.ok && checked.stdout.contains("time-stamped") && checked.stdout.contains("head \(run["ledger_head"] as? String ?? "?")"), "\(checked)")

        let down = try await revenant(base + ["--tsa", "http://127.0.0.1:9/"], environment: env)
        #expect(down.exited && down.status == 3, "\(down)")
        let downRun = try #require(try jsonObject(down.stdout)["run"] as? [String: Any])
        #expect((downRun["incomplete_reason"] as? String ?? "").contains("not time-stamped"), "\(downRun)")
    }

    @Test func misusedFlagsAreInputErrors() async throws {
        let tsa = try await Self.tsa()
        let work = try await Self.ledger("tsa-flags", tsa: tsa)
        defer { work.remove() }
        let base = try EvidenceSealTests.unreachableRun(work)
        for (extra, message) in [
            (["--ledger", work.file("e.jsonl").path, "--tsa", "http://127.0.0.1:9/"], "--tsa goes with --seal-key"),
            (["--ledger", work.file("e.jsonl").path, "--seal-key", work.file("seal-key.pem").path, "--tsa", "ftp://127.0.0.1/"], "http or https URL"),
            (["--ledger", work.file("e.jsonl").path, "--seal-key", work.file("seal-key.pem").path, "--tsa", "http://u:p@127.0.0.1/"], "no user name or password"),
        ] {
            let r = try await revenant(base + extra)
            #expect(r.exited && r.status == 2 && r.stderr.contains(message), "\(extra): \(r)")
        }
        let noKey = try await revenant(["evidence", "verify", work.file("evidence.jsonl").path, "--tsa-ca", work.file("tsa-ca.pem").path])
        #expect(noKey.exited && noKey.status == 2 && noKey.stderr.contains("--tsa-ca goes with --public-key"), "\(noKey)")
        let notCA = try await Self.verify(work, ca: "seal-public.pem")
        #expect(notCA.exited && notCA.status == 2 && notCA.stderr.contains("no PEM certificate"), "\(notCA)")
    }
}

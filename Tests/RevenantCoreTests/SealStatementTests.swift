import Foundation
import RevenantCore
import RevenantCrypto
import RevenantFiles
import Testing
import TestSupport

/// The statement a ledger seal signs (docs/evidence.md "Sealing"): one canonical text, read strictly,
/// and built from a ledger's records as they are read.
@Suite struct SealStatementTests {
    static let sample = SealStatement(
        ledger: "evidence.jsonl", records: 30, head: "sha256:" + String(repeating: "ab", count: 32),
        ledgerSHA256: String(repeating: "0f", count: 32), firstTime: "2026-12-06T10:00:00.000Z", lastTime: "2026-12-06T10:00:03.250Z",
        key: "sha256:" + String(repeating: "7c", count: 32), runs: ["6f1c2b9e-0000-4000-8000-000000000001", "run-2"])

    @Test func textIsTheDocumentedLinesAndParsesBackToTheSameStatement() throws {
        let text = Self.sample.text
        #expect(text == """
            revenant-seal v1
            ledger: evidence.jsonl
            records: 30
            head: sha256:\(String(repeating: "ab", count: 32))
            ledger-sha256: \(String(repeating: "0f", count: 32))
            first-time: 2026-12-06T10:00:00.000Z
            last-time: 2026-12-06T10:00:03.250Z
            key: sha256:\(String(repeating: "7c", count: 32))
            runs: 2
            run: 6f1c2b9e-0000-4000-8000-000000000001
            run: run-2

            """)
        #expect(try SealStatement.parse(Array(text.utf8), file: "x.seal") == Self.sample)
    }

    /// Each of these changes the canonical text (every `find` becomes `replace`): the statement is refused, naming the file.
    @Test(arguments: [
        ("CRLF line ends", "\n", "\r\n"),
        ("no final newline", "run: run-2\n", "run: run-2"),
        ("a blank line at the end", "run: run-2\n", "run: run-2\n\n"),
        ("another version", "revenant-seal v1", "revenant-seal v2"),
        ("a leading zero", "records: 30", "records: 030"),
        ("zero records", "records: 30", "records: 0"),
        ("a negative count", "records: 30", "records: -30"),
        ("upper-case hex", "ledger-sha256: 0f", "ledger-sha256: 0F"),
        ("a short head", "head: sha256:ab", "head: sha256:"),
        ("a trailing space", "records: 30", "records: 30 "),
        ("fields swapped", "first-time: 2026-12-06T10:00:00.000Z\nlast-time: 2026-12-06T10:00:03.250Z",
         "last-time: 2026-12-06T10:00:03.250Z\nfirst-time: 2026-12-06T10:00:00.000Z"),
        ("an unknown field", "runs: 2", "note: hi\nruns: 2"),
        ("a missing field", "ledger: evidence.jsonl\n", ""),
        ("more runs than counted", "run: run-2\n", "run: run-2\nrun: run-3\n"),
        ("fewer runs than counted", "run: run-2\n", ""),
        ("a run named twice", "run: run-2", "run: 6f1c2b9e-0000-4000-8000-000000000001"),
        ("a run id with a space", "run: run-2", "run: run 2"),
        ("a directory in the ledger name", "ledger: evidence.jsonl", "ledger: ../evidence.jsonl"),
        ("a time with a space", "2026-12-06T10:00:00.000Z", "2026-12-06 10:00:00"),
    ])
    func alteredTextIsRefused(change: String, find: String, replace: String) {
        let altered = Self.sample.text.replacingOccurrences(of: find, with: replace)
        #expect(altered != Self.sample.text, "the case \(change) must change the text")
        do {
            let parsed = try SealStatement.parse(Array(altered.utf8), file: "x.seal")
            Issue.record("\(change): read as \(parsed)")
        } catch {
            #expect(error.code == .statement && error.message.hasPrefix("x.seal: "), "\(change): \(error.message)")
        }
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        var bytes = Array(Self.sample.text.utf8)
        bytes[30] = 0xFF
        #expect(throws: SealError.self) { try SealStatement.parse(bytes, file: "x.seal") }
    }

    @Test func differencesNameTheFieldsThatDiffer() {
        var other = Self.sample
        other.head = "sha256:" + String(repeating: "cd", count: 32)
        other.runs = ["run-9"]
        #expect(Self.sample.differences(from: other) == ["head", "runs"])
        #expect(Self.sample.differences(from: Self.sample).isEmpty)
    }

    @Test func builderStatesCountHeadBytesTimesAndRunsInOrder() throws {
        let lines = ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"].map { Array($0.utf8) }
        let builder = SealStatement.Builder()
        builder.add(line: lines[0], lineNumber: 1, hash: "sha256:" + String(repeating: "1", count: 64), time: "2026-01-01T00:00:00Z", run: "r-a")
        builder.add(line: lines[1], lineNumber: 2, hash: "sha256:" + String(repeating: "2", count: 64), time: "2026-01-01T00:00:01Z", run: "r-b")
        builder.add(line: lines[2], lineNumber: 3, hash: "sha256:" + String(repeating: "3", count: 64), time: "2026-01-01T00:00:02Z", run: "r-a")
        let statement = try builder.statement(ledger: "e.jsonl", key: "sha256:" + String(repeating: "9", count: 64))
        #expect(statement.records == 3)
        #expect(statement.head == "sha256:" + String(repeating: "3", count: 64))
        #expect(statement.firstTime == "2026-01-01T00:00:00Z" && statement.lastTime == "2026-01-01T00:00:02Z")
        #expect(statement.runs == ["r-a", "r-b"])
        // What `sha256sum` prints for the file's bytes: every line with its newline.
        #expect(statement.ledgerSHA256 == Digest.hex(Digest.sha256(lines.flatMap { $0 + [0x0A] })))
        // Asking twice gives the same statement (the digest is not used up).
        #expect(try builder.statement(ledger: "e.jsonl", key: statement.key) == statement)
    }

    @Test func aRecordWithoutTimeOrRunCannotBeStated() {
        let builder = SealStatement.Builder()
        builder.add(line: Array("{}".utf8), lineNumber: 1, hash: "sha256:" + String(repeating: "1", count: 64), time: "2026-01-01T00:00:00Z", run: "r")
        builder.add(line: Array("{}".utf8), lineNumber: 2, hash: "sha256:" + String(repeating: "2", count: 64), time: nil, run: "r")
        #expect(throws: SealError(.ledger, "line 2: the record has no `time` and `run` of the forms revenant writes, so no seal can state it")) {
            try builder.statement(ledger: "e.jsonl", key: "sha256:" + String(repeating: "9", count: 64))
        }
    }

    @Test func aLedgerNamingMoreRunsThanAStatementHoldsCannotBeStated() {
        let builder = SealStatement.Builder()
        let hash = "sha256:" + String(repeating: "1", count: 64)
        // 128-byte run ids: about 31,000 of them fill the 4 MiB a statement may take.
        let runs = SealStatement.sizeLimit / 134 + 2
        for i in 0..<runs {
            let id = String(format: "%08d", i) + String(repeating: "r", count: 120)
            builder.add(line: [0x7B, 0x7D], lineNumber: i + 1, hash: hash, time: "2026-01-01T00:00:00Z", run: id)
        }
        #expect(throws: SealError.self) { try builder.statement(ledger: "e.jsonl", key: hash) }
        do { _ = try builder.statement(ledger: "e.jsonl", key: hash) } catch {
            #expect(error.message.contains("more runs than a statement"), "\(error.message)")
        }
    }

    @Test func noRecordsNoStatement() {
        #expect(throws: SealError.self) { try SealStatement.Builder().statement(ledger: "e.jsonl", key: "sha256:" + String(repeating: "9", count: 64)) }
    }

    @Test func surveyStatesTheLedgersFirstRecordsAndCountsTheRest() throws {
        let dir = TemporaryDirectory()
        let path = (dir.path as NSString).appendingPathComponent("evidence.jsonl")
        let ledger = try EvidenceLedger(path: path)
        let hashes = (1...4).map { i in
            ledger.append([("time", .string("2026-12-06T10:00:0\(i).000Z")), ("run", .string(i < 3 ? "run-1" : "run-2")), ("outcome", .string("rejected"))])
        }
        ledger.flush()
        let file = try #require(FileManager.default.contents(atPath: path))
        let firstTwo: [UInt8] = Array(file).split(separator: 0x0A).prefix(2).flatMap { Array($0) + [0x0A] }

        let (verification, builder) = EvidenceLedger.survey(path: path, records: 2)
        #expect(verification == .intact(records: 4, head: hashes[3]))
        let statement = try #require(builder).statement(ledger: "evidence.jsonl", key: "sha256:" + String(repeating: "9", count: 64))
        #expect(statement.records == 2 && statement.head == hashes[1] && statement.runs == ["run-1"])
        #expect(statement.ledgerSHA256 == Digest.hex(Digest.sha256(firstTwo)))

        let whole = try #require(EvidenceLedger.survey(path: path).sealed).statement(ledger: "evidence.jsonl", key: statement.key)
        #expect(whole.records == 4 && whole.head == hashes[3] && whole.runs == ["run-1", "run-2"])
        #expect(whole.ledgerSHA256 == Digest.hex(Digest.sha256(Array(file))))
    }

    @Test func aBrokenChainIsNotSurveyed() throws {
        let dir = TemporaryDirectory()
        let path = (dir.path as NSString).appendingPathComponent("evidence.jsonl")
        let ledger = try EvidenceLedger(path: path)
        for i in 1...3 { ledger.append([("time", .string("2026-12-06T10:00:0\(i)Z")), ("run", .string("r")), ("n", .int(i))]) }
        ledger.flush()
        let text = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self)
        try Data(text.replacingOccurrences(of: "\"n\":2", with: "\"n\":5").utf8).write(to: URL(fileURLWithPath: path))
        let (verification, builder) = EvidenceLedger.survey(path: path)
        guard case .broken(let line, _, _) = verification else { Issue.record("a changed record passed: \(verification)"); return }
        #expect(line == 2)
        #expect(builder == nil)
    }
}

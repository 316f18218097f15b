import Foundation
import RevenantCore
import RevenantFiles
import RevenantEngine
import Testing

/// The hash-chained evidence ledger (DESIGN.md §8): appends, reopening, and every kind of tampering.
@Suite struct EvidenceLedgerTests {
    static func record(_ i: Int) -> [(String, Tree)] {
        [("time", .string("2026-11-29T10:00:0\(i % 10).000Z")), ("run", .string("run-1")), ("credential", .string("cred-\(i)")),
         ("fingerprint", .string("sha256:00112233445566\(String(format: "%02d", i))")), ("outcome", .string("rejected")),
         ("http_status", .int(401)), ("attempt", .int(1))]
    }

    static func withLedgerFile(_ body: (String) throws -> Void) throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir.appendingPathComponent("evidence.jsonl").path)
    }

    /// Opens a ledger this test closed a moment ago. Tests run in parallel with others that start
    /// processes, and a child between fork and exec holds a copy of every descriptor, the ledger's
    /// locked one too, so the lock can outlive `close` for that moment (seen once in CI under load:
    /// "another run is appending"). Only that refusal is retried, for at most two seconds.
    static func reopen(_ path: String) throws -> EvidenceLedger {
        for _ in 0..<100 {
            do { return try EvidenceLedger(path: path) } catch {
                guard "\(error)".hasSuffix("another run is appending to this evidence ledger") else { throw error }
                usleep(20_000)
            }
        }
        return try EvidenceLedger(path: path)
    }

    static func lines(_ path: String) -> [String] {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
            .split(separator: "\n").map(String.init)
    }

    static func write(_ lines: [String], to path: String) {
        FileManager.default.createFile(atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    static func writeRecords(_ count: Int, to path: String) throws -> [String] {
        let ledger = try EvidenceLedger(path: path)
        let hashes = (1...count).map { ledger.append(record($0)) }
        ledger.flush()
        return hashes
    }

    @Test func appendedRecordsFormAnIntactChain() throws {
        try Self.withLedgerFile { path in
            let hashes = try Self.writeRecords(5, to: path)
            #expect(EvidenceLedger.verify(path: path) == .intact(records: 5, head: hashes.last!))
            let lines = Self.lines(path)
            #expect(lines.count == 5)
            #expect(lines[0].contains("\"prev\":\"\(EvidenceLedger.genesis)\""))
            #expect(lines[0].contains("\"seq\":1"))
            for i in 1..<5 {
                #expect(lines[i].contains("\"prev\":\"\(hashes[i - 1])\""))
                #expect(lines[i].contains("\"hash\":\"\(hashes[i])\""))
            }
        }
    }

    @Test func anEmptyLedgerIsNoEvidence() throws {
        try Self.withLedgerFile { path in
            FileManager.default.createFile(atPath: path, contents: Data())
            guard case .broken(_, _, let reason) = EvidenceLedger.verify(path: path) else { Issue.record("an empty ledger passed"); return }
            #expect(reason.contains("no record"))
            // It is still a place to start a chain.
            let ledger = try Self.reopen(path)
            #expect(ledger.head == EvidenceLedger.genesis)
        }
    }

    @Test func blankLinesAndBytesThatAreNotUTF8BreakTheChain() throws {
        try Self.withLedgerFile { path in
            _ = try Self.writeRecords(3, to: path)
            var lines = Self.lines(path)
            lines.insert("", at: 1)
            Self.write(lines, to: path)
            guard case .broken(let line, _, let reason) = EvidenceLedger.verify(path: path) else { Issue.record("a blank line passed"); return }
            #expect(line == 2 && reason.contains("empty line"))
        }
        try Self.withLedgerFile { path in
            _ = try Self.writeRecords(3, to: path)
            var bytes = Array(FileManager.default.contents(atPath: path)!)
            // A character inside the first record's fingerprint becomes a byte that is not UTF-8
            // (a lossy reader would see U+FFFD and could be fooled by a crafted replacement).
            let at = bytes.firstIndex(of: UInt8(ascii: "s"))!
            bytes[at] = 0xFF
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            guard case .broken(let line, _, let reason) = EvidenceLedger.verify(path: path) else { Issue.record("bad bytes passed"); return }
            #expect(line == 1 && reason.contains("not UTF-8"))
        }
    }

    /// Changes to the bytes that leave the content alone: each is a change to the evidence file
    /// (an adversarial run found the first two read as intact, even with the head pinned).
    static func edit(_ change: String, _ line: String, _ i: Int) -> String {
        switch change {
        case "a byte order mark before the first record": i == 0 ? "\u{FEFF}" + line : line
        case "CRLF line endings": line + "\r"
        case "a space after a colon": i == 1 ? line.replacingOccurrences(of: "\"run\":", with: "\"run\": ") : line
        case "a character escaped": i == 2 ? line.replacingOccurrences(of: "\"rejected\"", with: "\"rej\\u0065cted\"") : line
        default: i == 2 ? line + " " : line  // a trailing space
        }
    }

    @Test(arguments: ["a byte order mark before the first record", "CRLF line endings", "a space after a colon",
                      "a character escaped", "a trailing space"])
    func bytesChangedWithTheContentKeptBreakTheChain(change: String) throws {
        try Self.withLedgerFile { path in
            let hashes = try Self.writeRecords(3, to: path)
            Self.write(Self.lines(path).enumerated().map { Self.edit(change, $0.element, $0.offset) }, to: path)
            #expect(FileManager.default.contents(atPath: path)!.filter { $0 == 0x0A }.count == 3)
            guard case .broken(_, _, let reason) = EvidenceLedger.verify(path: path, head: hashes.last!) else {
                Issue.record("\(change): read as intact"); return
            }
            #expect(reason.contains("altered"), "\(change): \(reason)")
        }
    }

    @Test func aSecondWriterOfTheSameNewLedgerIsRefused() throws {
        try Self.withLedgerFile { path in
            let first = try EvidenceLedger(path: path)
            #expect(throws: LedgerError.self) { try EvidenceLedger(path: path) }
            first.append(Self.record(1))
            first.flush()
            #expect(EvidenceLedger.verify(path: path) == .intact(records: 1, head: first.head))
        }
    }

    @Test func openingReadsOnlyTheTail() throws {
        try Self.withLedgerFile { path in
            let hashes = try Self.writeRecords(3, to: path)
            // A long last record (past the first 4 KiB read from the end) is still found whole.
            var long = Self.record(4)
            long.append(("note", .string(String(repeating: "x", count: 20_000))))
            let last = try {
                let ledger = try Self.reopen(path)
                defer { ledger.flush() }
                return ledger.append(long)
            }()
            #expect(try Self.reopen(path).head == last)
            #expect(hashes.count == 3)
        }
    }

    @Test func missingLedgerIsUnreadable() {
        guard case .unreadable(let why) = EvidenceLedger.verify(path: "/nonexistent/revenant/ledger.jsonl") else {
            Issue.record("expected .unreadable")
            return
        }
        #expect(why.contains("/nonexistent/revenant/ledger.jsonl"))
    }

    @Test func reopeningContinuesTheChain() throws {
        try Self.withLedgerFile { path in
            let first = try Self.writeRecords(3, to: path)
            let reopened = try Self.reopen(path)
            #expect(reopened.head == first.last!)
            let next = reopened.append(Self.record(4))
            reopened.flush()
            #expect(EvidenceLedger.verify(path: path) == .intact(records: 4, head: next))
            let lines = Self.lines(path)
            #expect(lines[3].contains("\"seq\":4"))
            #expect(lines[3].contains("\"prev\":\"\(first.last!)\""))
        }
    }

    @Test func ledgerWhoseLastLineIsNotARecordRefusesToAppend() throws {
        try Self.withLedgerFile { path in
            _ = try Self.writeRecords(2, to: path)
            Self.write(Self.lines(path) + ["not json"], to: path)
            #expect(throws: LedgerError.self) { _ = try EvidenceLedger(path: path) }
        }
    }

    @Test func alteredFieldBreaksTheChainAtThatLine() throws {
        try Self.withLedgerFile { path in
            _ = try Self.writeRecords(5, to: path)
            var lines = Self.lines(path)
            #expect(lines[2].contains("\"outcome\":\"rejected\""))
            lines[2] = lines[2].replacingOccurrences(of: "\"outcome\":\"rejected\"", with: "\"outcome\":\"authenticated\"")
            Self.write(lines, to: path)
            guard case .broken(let line, let seq, let reason) = EvidenceLedger.verify(path: path) else {
                Issue.record("tampering not detected")
                return
            }
            #expect(line == 3)
            #expect(seq == 3)
            #expect(reason.contains("altered"))
        }
    }

    @Test func alteredHashBreaksTheChain() throws {
        try Self.withLedgerFile { path in
            let hashes = try Self.writeRecords(3, to: path)
            var lines = Self.lines(path)
            let forged = "sha256:" + String(repeating: "f", count: 64)
            lines[1] = lines[1].replacingOccurrences(of: hashes[1], with: forged)
            Self.write(lines, to: path)
            guard case .broken(let line, _, _) = EvidenceLedger.verify(path: path) else {
                Issue.record("forged hash not detected")
                return
            }
            #expect(line == 2)
        }
    }

    @Test func deletedLineBreaksTheChain() throws {
        try Self.withLedgerFile { path in
            _ = try Self.writeRecords(5, to: path)
            var lines = Self.lines(path)
            lines.remove(at: 1)
            Self.write(lines, to: path)
            guard case .broken(let line, let seq, _) = EvidenceLedger.verify(path: path) else {
                Issue.record("deletion not detected")
                return
            }
            #expect(line == 2)
            #expect(seq == 3)
        }
    }

    @Test func deletedLastLineIsDetectedOnlyByTheReportsHead() throws {
        // Truncating the tail leaves a valid shorter chain: the report's ledger_head is what pins it.
        try Self.withLedgerFile { path in
            let hashes = try Self.writeRecords(4, to: path)
            Self.write(Array(Self.lines(path).dropLast()), to: path)
            guard case .intact(let records, let head) = EvidenceLedger.verify(path: path) else {
                Issue.record("a truncated ledger is still a valid chain")
                return
            }
            #expect(records == 3)
            #expect(head != hashes.last!)
            // Pinned to the head a report gave, the missing tail shows.
            guard case .broken(_, _, let reason) = EvidenceLedger.verify(path: path, head: hashes.last!) else {
                Issue.record("a truncated ledger passed with its head pinned")
                return
            }
            #expect(reason.contains("pinned head"))
        }
    }

    @Test func reorderedLinesBreakTheChain() throws {
        try Self.withLedgerFile { path in
            _ = try Self.writeRecords(5, to: path)
            var lines = Self.lines(path)
            lines.swapAt(2, 3)
            Self.write(lines, to: path)
            guard case .broken(let line, _, let reason) = EvidenceLedger.verify(path: path) else {
                Issue.record("reordering not detected")
                return
            }
            #expect(line == 3)
            #expect(reason.contains("reordered"))
        }
    }

    @Test func insertedForeignRecordBreaksTheChain() throws {
        try Self.withLedgerFile { path in
            _ = try Self.writeRecords(3, to: path)
            var lines = Self.lines(path)
            lines.insert(lines[0], at: 2)
            Self.write(lines, to: path)
            guard case .broken(let line, _, _) = EvidenceLedger.verify(path: path) else {
                Issue.record("insertion not detected")
                return
            }
            #expect(line == 3)
        }
    }

    @Test func nonJSONLineBreaksTheChain() throws {
        try Self.withLedgerFile { path in
            _ = try Self.writeRecords(3, to: path)
            var lines = Self.lines(path)
            lines[1] = "{" + lines[1]
            Self.write(lines, to: path)
            #expect(EvidenceLedger.verify(path: path) == .broken(line: 2, seq: nil, reason: "not a JSON object"))
        }
    }
}

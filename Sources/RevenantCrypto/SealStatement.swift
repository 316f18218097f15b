import Foundation
import RevenantCore

/// What a seal signs: the head of an evidence ledger as one small canonical text (DESIGN.md §11,
/// docs/evidence.md "Sealing"). Stored as `LEDGER.seal` and signed byte for byte as stored, so
/// `openssl pkeyutl -verify -rawin` checks it with no revenant; its lines are easy to compare with
/// the ledger by `sha256sum`, `head -n` and `sed`:
///
///     revenant-seal v1
///     ledger: evidence.jsonl
///     records: 30
///     head: sha256:<hash of record 30>
///     ledger-sha256: <SHA-256 of the ledger's first 30 lines, bytes as stored>
///     first-time: <time of record 1>
///     last-time: <time of record 30>
///     key: sha256:<SHA-256 of the signing key's public key, DER SubjectPublicKeyInfo>
///     runs: 2
///     run: <run id, in the order the ledger first names it>
///     run: …
///
/// There is one way to write a statement: parsing renders what it read again and insists on the same bytes.
public struct SealStatement: Sendable, Equatable {
    public static let magic = "revenant-seal v1"
    /// A statement is read whole: this bounds it (about 90,000 run ids).
    public static let sizeLimit = 4 << 20

    /// The ledger's file name (no directory): a seal moved beside another ledger names the one it is of.
    public var ledger: String
    public var records: Int
    /// The `hash` of the last record sealed.
    public var head: String
    /// Hex SHA-256 of the first `records` lines of the ledger, newlines included, as `sha256sum` prints it.
    public var ledgerSHA256: String
    public var firstTime: String
    public var lastTime: String
    /// `sha256:` and the hex SHA-256 of the signing key's public key (DER SubjectPublicKeyInfo).
    public var key: String
    /// Every run id of the sealed records, in the order they first appear.
    public var runs: [String]

    public init(ledger: String, records: Int, head: String, ledgerSHA256: String, firstTime: String, lastTime: String,
                key: String, runs: [String]) {
        (self.ledger, self.records, self.head, self.ledgerSHA256) = (ledger, records, head, ledgerSHA256)
        (self.firstTime, self.lastTime, self.key, self.runs) = (firstTime, lastTime, key, runs)
    }

    /// The canonical text: the bytes that are stored and signed.
    public var text: String {
        var lines = [Self.magic, "ledger: \(ledger)", "records: \(records)", "head: \(head)", "ledger-sha256: \(ledgerSHA256)",
                     "first-time: \(firstTime)", "last-time: \(lastTime)", "key: \(key)", "runs: \(runs.count)"]
        lines += runs.map { "run: \($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The fields that differ between two statements, by their names in the text (for saying why a seal does not fit).
    public func differences(from other: SealStatement) -> [String] {
        let pairs: [(String, Bool)] = [
            ("ledger", ledger == other.ledger), ("records", records == other.records), ("head", head == other.head),
            ("ledger-sha256", ledgerSHA256 == other.ledgerSHA256), ("first-time", firstTime == other.firstTime),
            ("last-time", lastTime == other.lastTime), ("key", key == other.key), ("runs", runs == other.runs),
        ]
        return pairs.filter { !$0.1 }.map(\.0)
    }

    /// Reads a stored statement strictly: the fields in their order, each value of its form, nothing
    /// more, and exactly the canonical bytes (no `\r`, no leading zero, no trailing space).
    public static func parse(_ bytes: [UInt8], file: String) throws(SealError) -> SealStatement {
        func fail(_ what: String) -> SealError { SealError(.statement, "\(file): \(what): not a seal statement revenant writes") }
        guard bytes.count <= sizeLimit else { throw fail("larger than \(sizeLimit >> 20) MiB") }
        guard UTF8Validation.firstInvalid(bytes) == nil, let text = String(bytes: bytes, encoding: .utf8) else {
            throw fail("bytes that are not UTF-8")
        }
        guard text.hasSuffix("\n") else { throw fail("no newline at its end (cut short?)") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == magic else { throw fail("line 1 is not `\(magic)`") }
        let names = ["ledger", "records", "head", "ledger-sha256", "first-time", "last-time", "key", "runs"]
        guard lines.count > names.count else { throw fail("\(lines.count) lines, expected at least \(names.count + 2)") }
        var values: [String] = []
        for (offset, name) in names.enumerated() {
            guard let value = value(of: lines[offset + 1], named: name) else {
                throw fail("line \(offset + 2): expected `\(name): …`")
            }
            values.append(value)
        }
        let runLines = lines[(names.count + 1)...]
        var runs: [String] = []
        for (offset, line) in runLines.enumerated() {
            guard let run = value(of: line, named: "run") else { throw fail("line \(names.count + 2 + offset): expected `run: …`") }
            runs.append(run)
        }
        guard let records = wholeNumber(values[1]), records > 0 else { throw fail("`records` is not a whole number above 0") }
        guard let runCount = wholeNumber(values[7]), runCount == runs.count else {
            throw fail("`runs` says \(values[7].prefix(20)), \(runs.count) `run` lines follow")
        }
        let statement = SealStatement(ledger: values[0], records: records, head: values[2], ledgerSHA256: values[3],
                                      firstTime: values[4], lastTime: values[5], key: values[6], runs: runs)
        if let problem = statement.problem { throw fail(problem) }
        guard Array(statement.text.utf8) == bytes else { throw fail("not in canonical form") }
        return statement
    }

    /// What in this statement is not of the form a seal states, or nil.
    var problem: String? {
        if !Self.isFileName(ledger) { return "`ledger` is not a file name (1 to 255 bytes, no `/`, no control character)" }
        if !Self.isHash(head) { return "`head` is not sha256: and 64 hex digits" }
        if !Self.isHex64(ledgerSHA256) { return "`ledger-sha256` is not 64 hex digits" }
        if !Self.isTime(firstTime) || !Self.isTime(lastTime) { return "`first-time` or `last-time` is not a time" }
        if !Self.isHash(key) { return "`key` is not sha256: and 64 hex digits" }
        if runs.isEmpty { return "no run is named" }
        if let bad = runs.firstIndex(where: { !Self.isRunID($0) }) { return "run \(bad + 1) is not a run id" }
        if Set(runs).count != runs.count { return "a run is named twice" }
        return nil
    }

    static func value(of line: String, named name: String) -> String? {
        let prefix = name + ": "
        return line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : nil
    }

    /// Decimal digits with no sign and no leading zero, as `text` writes a count.
    static func wholeNumber(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 15, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              text == "0" || !text.hasPrefix("0") else { return nil }
        return Int(text)
    }

    static func isHex64(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func isHash(_ text: String) -> Bool { text.hasPrefix("sha256:") && isHex64(String(text.dropFirst(7))) }

    /// A ledger's `time` as revenant writes it (RFC 3339, UTC): digits, letters and `:.+-`, at most 64.
    public static func isTime(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { isAlphanumeric($0) || ":.+-".utf8.contains($0) }
    }

    /// A ledger's `run` as revenant writes it (a UUID): letters, digits and `._:-`, at most 128.
    public static func isRunID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { isAlphanumeric($0) || "._:-".utf8.contains($0) }
    }

    /// A file name a line of text can carry: no directory, no control character.
    public static func isFileName(_ text: String) -> Bool {
        (1...255).contains(text.utf8.count) && text != "." && text != ".."
            && text.unicodeScalars.allSatisfy { $0 != "/" && $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) && $0 != "\u{2028}" && $0 != "\u{2029}" }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}

extension SealStatement {
    /// Collects what a statement says while a ledger's records are read in order, one line at a time.
    public final class Builder {
        public private(set) var records = 0
        private var head: String?
        private let digest = SHA256Stream()
        private var firstTime: String?
        private var lastTime: String?
        private var runs: [String] = []
        private var seen: Set<String> = []
        /// The bytes the `run` lines take so far: a hostile ledger of endless run ids is refused, not held.
        private var runBytes = 0
        /// The first record a seal cannot state (no `time` or `run` of the forms revenant writes).
        private var problem: String?

        public init() {}

        /// One record: its line's bytes (without the newline), where it is, its `hash`, `time` and `run`.
        public func add(line: [UInt8], lineNumber: Int, hash: String, time: String?, run: String?) {
            records += 1
            digest.update(line + [0x0A])
            head = hash
            if problem == nil {
                if let time, SealStatement.isTime(time), let run, SealStatement.isRunID(run) {
                    if firstTime == nil { firstTime = time }
                    lastTime = time
                    if seen.insert(run).inserted {
                        runs.append(run)
                        runBytes += run.utf8.count + 6
                        if runBytes > SealStatement.sizeLimit {
                            problem = "the ledger names more runs than a statement of \(SealStatement.sizeLimit >> 20) MiB holds: start a new ledger"
                            (runs, seen) = ([], [])
                        }
                    }
                } else {
                    problem = "line \(lineNumber): the record has no `time` and `run` of the forms revenant writes, so no seal can state it"
                }
            }
        }

        /// The statement of the records added so far, for the ledger named `ledger` and the signing key `key`.
        public func statement(ledger: String, key: String) throws(SealError) -> SealStatement {
            if let problem { throw SealError(.ledger, problem) }
            guard let head, let firstTime, let lastTime, records > 0 else {
                throw SealError(.ledger, "the ledger holds no record: there is nothing to seal")
            }
            guard SealStatement.isFileName(ledger) else {
                throw SealError(.ledger, "the ledger's file name is not one a seal can state (1 to 255 bytes, no control character)")
            }
            let statement = SealStatement(ledger: ledger, records: records, head: head, ledgerSHA256: Digest.hex(digest.digest()),
                                          firstTime: firstTime, lastTime: lastTime, key: key, runs: runs)
            if let problem = statement.problem { throw SealError(.ledger, problem) }
            guard statement.text.utf8.count <= SealStatement.sizeLimit else {
                throw SealError(.ledger, "the ledger names \(runs.count) runs, more than a statement of \(SealStatement.sizeLimit >> 20) MiB holds: start a new ledger")
            }
            return statement
        }
    }
}

/// A seal key, a stored statement or a ledger a seal cannot be made of or checked with, and why.
public struct SealError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// A key file that is not an Ed25519 key of the kind expected.
        case key
        /// A stored statement that is not one revenant writes.
        case statement
        /// A ledger a seal cannot state (no record, a record without time or run).
        case ledger
    }

    public var code: Code
    public var message: String
    public var description: String { message }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

import Foundation
import RevenantCore
import RevenantCrypto

/// The append-only evidence ledger (DESIGN.md §8): one JSON line per attempt, hash-chained:
/// `hash = sha256(prev ‖ canonical JSON of the record without hash)`. Canonical JSON = keys sorted
/// by UTF-8 bytes, no insignificant whitespace, strings escaped as `JSONText.quote` does.
public final class EvidenceLedger: EvidenceSink, @unchecked Sendable {
    // @unchecked: a run appends from one task only (the engine's driver loop), never concurrently.
    public static let genesis = "sha256:" + String(repeating: "0", count: 64)

    public let path: String
    let fd: Int32
    public private(set) var head: String
    private(set) var seq: Int
    private var buffer: [UInt8] = []
    /// The size of the file up to its last whole record: a failed write is cut back to it.
    private var written: off_t
    /// Why records could not be written (a full disk): the run's evidence is then incomplete.
    public private(set) var failure: String?
    /// The hash of the last record that reached the file (`head` counts records still buffered).
    public private(set) var writtenHead: String

    /// Opens (creating if needed) a ledger and continues its chain. Only its last record is read:
    /// opening costs the same for ten records and for ten million.
    public init(path: String) throws(LedgerError) {
        self.path = path
        // Created and opened in one step (no exists-then-create window), then locked: two runs
        // starting at once get one file, and the second is refused instead of writing beside it.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LedgerError(message: "\(path): cannot open the evidence ledger for writing (\(String(cString: strerror(errno))))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw LedgerError(message: "\(path): another run is appending to this evidence ledger")
        }
        // Still the file at `path` once locked (not one replaced meanwhile).
        var mine = stat(), there = stat()
        guard fstat(fd, &mine) == 0, stat(path, &there) == 0, mine.st_ino == there.st_ino, mine.st_dev == there.st_dev,
              (mine.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw LedgerError(message: "\(path): the evidence ledger changed while it was opened, or is not a regular file")
        }
        self.fd = fd
        written = mine.st_size
        do {
            (head, seq) = try EvidenceLedger.lastRecord(fd: fd, size: mine.st_size, path: path)
        } catch {
            close(fd)
            throw error
        }
        writtenHead = head
    }

    deinit {
        flush()
        close(fd)
    }

    /// The hash and seq of the file's last record (genesis and 0 when empty), read from its end.
    static func lastRecord(fd: Int32, size: off_t, path: String) throws(LedgerError) -> (String, Int) {
        guard size > 0 else { return (genesis, 0) }
        var chunk = 4096
        while true {
            let start = max(0, size - off_t(chunk))
            var tail = [UInt8](repeating: 0, count: Int(size - start))
            let n = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, start) }
            guard n == tail.count else { throw LedgerError(message: "\(path): cannot read the evidence ledger") }
            // A last line without its newline (a crash mid-write) would glue the next record onto it.
            guard tail.last == 0x0A else {
                throw LedgerError(message: "\(path): the last record is incomplete (no newline at the end); refusing to append (run `revenant evidence verify`)")
            }
            let body = tail.dropLast()
            if let newline = body.lastIndex(of: 0x0A) ?? (start == 0 ? body.startIndex - 1 : nil) {
                let line = Array(body[(newline + 1)...])
                guard let tree = try? JSONTreeParser.parse(line, file: path),
                      let hash = tree["hash"]?.stringValue, case .number(let n)? = tree["seq"]?.value, let s = Int(n) else {
                    throw LedgerError(message: "\(path): the last record is not a ledger record; refusing to append (run `revenant evidence verify`)")
                }
                return (hash, s)
            }
            chunk *= 4
        }
    }

    /// Appends one record (fields in any order; `seq`, `prev` and `hash` are added) and returns its hash.
    @discardableResult
    public func append(_ fields: [(String, Tree)]) -> String {
        seq += 1
        var members = fields
        members.append(("seq", .int(seq)))
        members.append(("prev", .string(head)))
        let hash = EvidenceLedger.hash(prev: head, canonical: Tree.object(members).serialized(sortedKeys: true))
        members.append(("hash", .string(hash)))
        buffer += Array(Tree.object(members).serialized(sortedKeys: true).utf8)
        buffer.append(0x0A)
        head = hash
        // Small batches: a crash or SIGKILL loses at most a few records, and the chain stays valid.
        if buffer.count > 8 * 1024 { flush() }
        return hash
    }

    /// Writes the records appended so far. A write that fails (a full disk) is cut back to the last
    /// whole record, so the file never ends in half a record; nothing more is written and `failure` says why.
    public func flush() {
        guard !buffer.isEmpty, failure == nil else { buffer = []; return }
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, buffer.count - done, written + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                failure = "\(path): records could not be written (\(String(cString: strerror(errno)))): the evidence of this run is incomplete"
                _ = ftruncate(fd, written)
                buffer = []
                return
            }
            done += n
        }
        written += off_t(buffer.count)
        writtenHead = head
        buffer = []
    }

    static func hash(prev: String, canonical: String) -> String {
        "sha256:" + Digest.hex(Digest.sha256(Array(prev.utf8) + Array(canonical.utf8)))
    }

    /// Recomputes the whole chain, one line at a time (a ledger of any size in little memory);
    /// returns the number of records and the head, or the first broken record. The bytes are read
    /// strictly: a line that is not UTF-8, an empty line between records and an empty ledger are
    /// broken. With `head`, the chain must also end there: the only way to notice records removed
    /// from its end (pin the head of a report, `run.ledger_head`).
    public static func verify(path: String, head expectedHead: String? = nil) -> LedgerVerification {
        verify(path: path, head: expectedHead) { _, _, _ in }
    }

    /// `verify`, showing `record` each record of the chain as it is read: its line number, its bytes
    /// (without the newline) and its object. Records after a broken one are not shown.
    static func verify(path: String, head expectedHead: String?, record: (Int, [UInt8], Tree) -> Void) -> LedgerVerification {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .unreadable("\(path): cannot read the ledger") }
        defer { close(fd) }
        var prev = genesis
        var count = 0
        var expectedSeq: Int?
        var reader = LineReader(fd: fd)
        var lineNumber = 0
        while let line = reader.next() {
            lineNumber += 1
            guard case .line(let raw) = line else {
                if case .unreadable = line { return .unreadable("\(path): cannot read the ledger") }
                return .broken(line: lineNumber, seq: nil, reason: "the last record has no newline at its end (cut short)")
            }
            if raw.isEmpty { return .broken(line: lineNumber, seq: nil, reason: "an empty line: records follow one another with nothing between") }
            if UTF8Validation.firstInvalid(raw) != nil { return .broken(line: lineNumber, seq: nil, reason: "bytes that are not UTF-8: the record was altered") }
            guard let tree = try? JSONTreeParser.parse(raw, file: path), let members = tree.objectValue else {
                return .broken(line: lineNumber, seq: nil, reason: "not a JSON object")
            }
            // Every key once: a second `hash` would be dropped here but read by other JSON tools.
            if Set(members.map(\.key)).count != members.count {
                return .broken(line: lineNumber, seq: nil, reason: "a key appears twice in the record")
            }
            guard let hash = tree["hash"]?.stringValue, let recordPrev = tree["prev"]?.stringValue,
                  case .number(let n)? = tree["seq"]?.value, let seq = Int(n) else {
                return .broken(line: lineNumber, seq: nil, reason: "missing seq, prev or hash")
            }
            if let expectedSeq, seq != expectedSeq {
                return .broken(line: lineNumber, seq: seq, reason: "seq \(seq) follows seq \(expectedSeq - 1): a record was removed, added or reordered")
            }
            if recordPrev != prev {
                return .broken(line: lineNumber, seq: seq, reason: "prev does not match the hash of the record before it: a record was removed, added or reordered")
            }
            let canonical = Tree.object(members.filter { $0.key != "hash" }.map { ($0.key, $0.value) }).serialized(sortedKeys: true)
            guard EvidenceLedger.hash(prev: prev, canonical: canonical) == hash else {
                return .broken(line: lineNumber, seq: seq, reason: "hash does not match the record's content: the record was altered")
            }
            // The bytes too, not only what they mean: a record is written as its keys sorted, with
            // nothing else on its line, so a byte order mark, a `\r`, spaces or a re-encoded
            // character (`\u00e9` for `é`) are changes to the file even where the content hashes
            // the same (an adversarial run found those read as intact).
            guard Array(tree.serialized(sortedKeys: true).utf8) == raw else {
                return .broken(line: lineNumber, seq: seq, reason: "the record's bytes are not as revenant wrote them "
                    + "(a byte order mark, a carriage return, spacing or an escape was changed): the file was altered")
            }
            prev = hash
            expectedSeq = seq + 1
            count += 1
            record(lineNumber, raw, tree)
        }
        if count == 0 { return .broken(line: 0, seq: nil, reason: "the ledger holds no record: an empty file is no evidence") }
        if let expectedHead, expectedHead != prev {
            return .broken(line: lineNumber, seq: expectedSeq.map { $0 - 1 }, reason: "the chain ends at \(prev), not at the pinned head \(expectedHead): "
                + "records were removed from its end, or it is another ledger")
        }
        return .intact(records: count, head: prev)
    }
}

extension EvidenceLedger {
    /// Recomputes the chain as `verify` does and collects what a seal states of its first `records`
    /// records (all of them when nil; fewer when the ledger holds fewer). The builder is nil when
    /// the chain is broken or unreadable.
    public static func survey(path: String, head expectedHead: String? = nil, records: Int? = nil)
        -> (verification: LedgerVerification, sealed: SealStatement.Builder?) {
        let builder = SealStatement.Builder()
        let verification = verify(path: path, head: expectedHead) { line, raw, tree in
            guard records.map({ builder.records < $0 }) ?? true else { return }
            builder.add(line: raw, lineNumber: line, hash: tree["hash"]?.stringValue ?? "", time: tree["time"]?.stringValue,
                        run: tree["run"]?.stringValue)
        }
        guard case .intact = verification else { return (verification, nil) }
        return (verification, builder)
    }

    /// Runs `body` while holding the ledger's append lock, so no run appends meanwhile (a run
    /// appending now is refused, not waited for). The ledger must exist; it is not created.
    public static func whileLocked<T>(path: String, _ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError(message: "\(path): cannot read the ledger (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            throw LedgerError(message: "\(path): a run is appending to this evidence ledger; seal it when the run has ended")
        }
        return try body()
    }
}

/// Lines of a file read in 64 KiB chunks: at most one line and one chunk held at a time.
struct LineReader {
    enum Line { case line([UInt8]), unterminated, unreadable }

    let fd: Int32
    var buffer: [UInt8] = []
    var start = 0
    var atEnd = false

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> Line? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                return .line(line)
            }
            if atEnd { return start < buffer.count ? { start = buffer.count; return .unterminated }() : nil }
            buffer.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return .unreadable }
            if n == 0 { atEnd = true } else { buffer += chunk[..<n] }
        }
    }
}

/// What `evidence verify` found.
public enum LedgerVerification: Sendable, Equatable {
    case intact(records: Int, head: String)
    case broken(line: Int, seq: Int?, reason: String)
    case unreadable(String)
}

/// The ledger could not be opened or written.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

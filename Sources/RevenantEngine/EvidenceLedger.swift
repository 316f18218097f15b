import Foundation
import RevenantCore
import RevenantCrypto

/// The append-only evidence ledger (DESIGN.md §8): one JSON line per attempt, hash-chained:
/// `hash = sha256(prev ‖ canonical JSON of the record without hash)`. Canonical JSON = keys sorted
/// by UTF-8 bytes, no insignificant whitespace, strings escaped as `JSONText.quote` does.
public final class EvidenceLedger: @unchecked Sendable {
    // @unchecked: a run appends from one task only (the engine's driver loop), never concurrently.
    public static let genesis = "sha256:" + String(repeating: "0", count: 64)

    let path: String
    let handle: FileHandle
    public private(set) var head: String
    private(set) var seq: Int
    private var buffer = ""

    /// Opens (creating if needed) a ledger and continues its chain.
    public init(path: String) throws(LedgerError) {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw LedgerError(message: "\(path): cannot create the evidence ledger")
            }
        }
        guard let h = FileHandle(forUpdatingAtPath: path) else {
            throw LedgerError(message: "\(path): cannot open the evidence ledger for writing")
        }
        handle = h
        // One writer at a time: two runs appending at once would both chain onto the same record.
        guard flock(h.fileDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw LedgerError(message: "\(path): another run is appending to this evidence ledger")
        }
        let data = (try? h.readToEnd()) ?? Data()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        // A last line without its newline (a crash mid-write) would glue the next record onto it.
        if let end = data.last, end != UInt8(ascii: "\n") {
            throw LedgerError(message: "\(path): the last record is incomplete (no newline at the end); refusing to append (run `revenant evidence verify`)")
        }
        if let last = lines.last {
            guard let tree = try? JSONTreeParser.parse(Array(last.utf8), file: path),
                  let hash = tree["hash"]?.stringValue, case .number(let n)? = tree["seq"]?.value, let s = Int(n) else {
                throw LedgerError(message: "\(path): line \(lines.count): the last record is not a ledger record; refusing to append (run `revenant evidence verify`)")
            }
            head = hash
            seq = s
        } else {
            head = EvidenceLedger.genesis
            seq = 0
        }
        _ = try? h.seekToEnd()
    }

    deinit {
        flush()
        try? handle.close()
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
        buffer += Tree.object(members).serialized(sortedKeys: true)
        buffer += "\n"
        head = hash
        // Small batches: a crash or SIGKILL loses at most a few records, and the chain stays valid.
        if buffer.utf8.count > 8 * 1024 { flush() }
        return hash
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer.utf8))
        buffer = ""
    }

    static func hash(prev: String, canonical: String) -> String {
        "sha256:" + Digest.hex(Digest.sha256(Array(prev.utf8) + Array(canonical.utf8)))
    }

    /// Recomputes the whole chain; returns the number of records and the head, or the first broken record.
    public static func verify(path: String) -> LedgerVerification {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .unreadable("\(path): cannot read the ledger")
        }
        var prev = genesis
        var count = 0
        var expectedSeq: Int?
        for (i, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = i + 1
            if raw.isEmpty { continue }
            guard let tree = try? JSONTreeParser.parse(Array(raw.utf8), file: path), let members = tree.objectValue else {
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
            prev = hash
            expectedSeq = seq + 1
            count += 1
        }
        return .intact(records: count, head: prev)
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

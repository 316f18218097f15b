import CSQLite
import Foundation

/// The embedded store: one SQLite file in WAL mode, writers queued by SQLite's own lock.
final class SQLiteConnection: SQLConnection {
    private var db: OpaquePointer?
    let path: String

    /// SQLITE_TRANSIENT: SQLite copies bound text before the call returns (the macro is a cast Swift cannot import).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Opens (with `create`, creating it 0600: it names owners and targets) and sets the connection up.
    init(path: String, create: Bool) throws(HistoryError) {
        self.path = path
        if create, !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { Foundation.close(fd) } else if errno != EEXIST {
                throw HistoryError("history \(path): cannot create: \(String(cString: strerror(errno)))")
            }
        }
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK else {
            let why = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close(db)
            db = nil
            throw HistoryError("history \(path): cannot open: \(why)")
        }
        // Another run writing waits its turn for up to a minute rather than failing.
        sqlite3_busy_timeout(db, Int32(Self.busyTimeout * 1000))
        // The switch to WAL takes the file's exclusive lock, and SQLite answers SQLITE_BUSY at once
        // (without its busy handler) to a run that opens a new store while another run switches it:
        // two first runs at once. That run waits its turn too (three processes opening a new file
        // at once, 200 times: 81 of the 600 opens refused without the wait, none with it).
        try waitingOutBusy { () throws(HistoryError) in try execute("PRAGMA journal_mode = WAL") }
        try execute("PRAGMA synchronous = FULL")
        try execute("PRAGMA foreign_keys = ON")
    }

    /// How long a run waits for another run's lock on the store.
    static let busyTimeout = 60.0

    deinit { close() }

    /// Runs `body` again while SQLite answers SQLITE_BUSY, for up to `busyTimeout`, then throws its error.
    private func waitingOutBusy(_ body: () throws(HistoryError) -> Void) throws(HistoryError) {
        let deadline = Date().addingTimeInterval(Self.busyTimeout)
        while true {
            do throws(HistoryError) {
                return try body()
            } catch {
                guard let db, sqlite3_errcode(db) == SQLITE_BUSY, Date() < deadline else { throw error }
                usleep(10_000)
            }
        }
    }

    func close() {
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    private func failure(_ what: String) -> HistoryError {
        HistoryError("history \(path): \(what): \(db.map { String(cString: sqlite3_errmsg($0)) } ?? "closed")")
    }

    func execute(_ sql: String, _ parameters: [SQLValue], row: ([SQLValue]) throws(HistoryError) -> Void) throws(HistoryError) {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw failure("cannot prepare a statement") }
        defer { sqlite3_finalize(statement) }
        for (i, p) in parameters.enumerated() {
            let index = Int32(i + 1)
            let status: Int32 = switch p {
            case .text(let s): sqlite3_bind_text(statement, index, s, -1, Self.transient)
            case .int(let n): sqlite3_bind_int64(statement, index, Int64(n))
            case .null: sqlite3_bind_null(statement, index)
            }
            guard status == SQLITE_OK else { throw failure("cannot bind a value") }
        }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure("statement failed") }
            var values: [SQLValue] = []
            for c in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, c) {
                case SQLITE_NULL: values.append(.null)
                case SQLITE_INTEGER: values.append(.int(Int(sqlite3_column_int64(statement, c))))
                default:
                    let count = Int(sqlite3_column_bytes(statement, c))
                    if let text = sqlite3_column_text(statement, c) {
                        values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)))
                    } else {
                        values.append(.text(""))
                    }
                }
            }
            try row(values)
        }
    }

    func beginWrite() throws(HistoryError) { try execute("BEGIN IMMEDIATE") }
    func lockForMigration() throws(HistoryError) {}  // BEGIN IMMEDIATE already holds the only write lock.
    func commit() throws(HistoryError) { try execute("COMMIT") }
    func rollback() { try? execute("ROLLBACK") }
}

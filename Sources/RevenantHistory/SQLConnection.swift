import Foundation

/// A failure of the history store: what was being done, where, and the database's words.
public struct HistoryError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A value bound to or read from a statement. History stores text and integers only.
enum SQLValue: Sendable, Equatable {
    case text(String)
    case int(Int)
    case null

    init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }

    var text: String? {
        switch self {
        case .text(let s): s
        case .int(let n): String(n)
        case .null: nil
        }
    }

    var int: Int? {
        switch self {
        case .int(let n): n
        case .text(let s): Int(s)
        case .null: nil
        }
    }
}

/// The few things the store asks of a database: run a statement with `?` parameters, row by row,
/// inside a transaction. SQLite and PostgreSQL each implement it once.
protocol SQLConnection: AnyObject {
    /// Runs one statement; `row` sees each result row.
    func execute(_ sql: String, _ parameters: [SQLValue], row: ([SQLValue]) throws(HistoryError) -> Void) throws(HistoryError)
    /// Starts a transaction that writes (SQLite takes the write lock now, so two runs queue instead of failing half way).
    func beginWrite() throws(HistoryError)
    /// Serialises schema migrations between processes (inside a write transaction).
    func lockForMigration() throws(HistoryError)
    func commit() throws(HistoryError)
    func rollback()
    func close()
}

extension SQLConnection {
    func execute(_ sql: String, _ parameters: [SQLValue] = []) throws(HistoryError) {
        try execute(sql, parameters) { (_: [SQLValue]) throws(HistoryError) in }
    }

    func rows(_ sql: String, _ parameters: [SQLValue] = []) throws(HistoryError) -> [[SQLValue]] {
        var out: [[SQLValue]] = []
        try execute(sql, parameters) { (r: [SQLValue]) throws(HistoryError) in out.append(r) }
        return out
    }

    /// Runs `body` in one write transaction: all of it lands, or none of it.
    func writing<T>(_ body: () throws(HistoryError) -> T) throws(HistoryError) -> T {
        try beginWrite()
        do {
            let value = try body()
            try commit()
            return value
        } catch {
            rollback()
            throw error
        }
    }
}

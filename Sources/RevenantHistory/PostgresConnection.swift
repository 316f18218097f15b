import CLibPQ
import Foundation

/// A shared store for a team or several machines: PostgreSQL through libpq, one connection.
final class PostgresConnection: SQLConnection {
    private var connection: OpaquePointer?
    /// The URL without its password, for messages.
    let location: String

    init(url: String) throws(HistoryError) {
        guard let shown = PostgresConnection.withoutPassword(url) else {
            // libpq's own complaint may quote the URL, password and all: not repeated.
            throw HistoryError("history: a postgresql:// URL libpq cannot read (not shown: it may hold a password); "
                + "expected postgresql://user@host[:port]/database")
        }
        location = shown
        // connect_timeout before the URL: a URL that sets its own wins (libpq's expand_dbname order).
        let keys = ["connect_timeout", "application_name", "dbname"]
        let values = ["10", "revenant", url]
        let cKeys = keys.map { strdup($0) }
        let cValues = values.map { strdup($0) }
        defer { (cKeys + cValues).forEach { free($0) } }
        var keyPointers = cKeys.map { UnsafePointer($0) } + [nil]
        var valuePointers = cValues.map { UnsafePointer($0) } + [nil]
        connection = PQconnectdbParams(&keyPointers, &valuePointers, 1)
        guard PQstatus(connection) == CONNECTION_OK else {
            let why = Self.message(PQerrorMessage(connection))
            PQfinish(connection)
            connection = nil
            throw HistoryError("history \(location): cannot connect: \(why)")
        }
        // Our own messages only: the server's notices would go to stderr unasked.
        try execute("SET client_min_messages = warning")
    }

    deinit { close() }

    func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ")
    }

    /// The URL as libpq reads it, rebuilt from its user, host, port and database only:
    /// `postgresql://user:secret@host/db?sslpassword=…` → `postgresql://user@host/db`. A password,
    /// wherever the URL puts it (user info, `?password=`), never reaches a message; nil when libpq
    /// cannot read the URL (found by an adversarial run: `?password=` was printed).
    static func withoutPassword(_ url: String) -> String? {
        var problem: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &problem) else {
            if let problem { PQfreemem(problem) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        let user = values["user"].map { $0 + "@" } ?? ""
        let host = values["host"] ?? values["hostaddr"] ?? ""
        let port = values["port"].map { ":" + $0 } ?? ""
        let database = values["dbname"].map { "/" + $0 } ?? ""
        return "postgresql://\(user)\(host)\(port)\(database)"
    }

    /// `?` placeholders become `$1`, `$2`, … (the store's SQL has no `?` in literals).
    static func numbered(_ sql: String) -> String {
        var out = ""
        var n = 0
        for ch in sql {
            if ch == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }

    func execute(_ sql: String, _ parameters: [SQLValue], row: ([SQLValue]) throws(HistoryError) -> Void) throws(HistoryError) {
        guard let connection else { throw HistoryError("history \(location): connection closed") }
        let texts = parameters.map { $0.text.map { strdup($0) } ?? nil }
        defer { texts.forEach { free($0) } }
        var pointers = texts.map { $0.map { UnsafePointer($0) } }
        let result = PQexecParams(connection, Self.numbered(sql), Int32(parameters.count), nil, &pointers, nil, nil, 0)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw HistoryError("history \(location): \(Self.message(PQresultErrorMessage(result)))")
        }
        guard status == PGRES_TUPLES_OK else { return }
        let columns = PQnfields(result)
        for r in 0..<PQntuples(result) {
            var values: [SQLValue] = []
            for c in 0..<columns {
                values.append(PQgetisnull(result, r, c) == 1 ? .null : .text(String(cString: PQgetvalue(result, r, c))))
            }
            try row(values)
        }
    }

    func beginWrite() throws(HistoryError) { try execute("BEGIN") }
    // Two first runs creating the schema at once would collide in the catalog: one waits for the other.
    func lockForMigration() throws(HistoryError) { try execute("SELECT pg_advisory_xact_lock(7262016901)") }
    func commit() throws(HistoryError) { try execute("COMMIT") }
    func rollback() { try? execute("ROLLBACK") }
}

import Foundation
import RevenantCore

/// PostgreSQL startup and password (docs/protocols/postgresql.md): libpq's FATAL text is all there is to read.
public struct PostgreSQLProtocol: LoginShaped {
    var name: String { "postgresql" }
    public var schemes: [String: Int] { ["postgresql": 5432] }
    public var usernameMeaning: String { "the role" }

    /// libpq exposes no SQLSTATE for a failed connection (there is no result to ask), so the
    /// server's FATAL text is all there is: only PostgreSQL's English wording of the role's own
    /// "wrong credentials" (28P01, and the 28000 cases about the role) counts as a rejection;
    /// anything unrecognised (another language, another server) stays inconclusive.
    /// `verifying`: sslmode was verify-ca or verify-full, so a failed certificate check came
    /// before any authentication message.
    public static func classifyFailure(_ message: String, timeout: Timeout, verifying: Bool = false) -> TransportFailure {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        let untrusted = Self.untrustedServer.contains(where: lower.contains)
        // First: under verify-full libpq's own words quote the server certificate's name, which
        // its owner chose (`server certificate for "FATAL: password authentication failed…"`);
        // nothing the server said is in them, and no password was sent (found by an adversarial run).
        if verifying && untrusted {
            return TransportFailure(kind: .tls, message: "PostgreSQL server not trusted, nothing was sent: \(ServerText.quote(oneLine(text)))")
        }
        if let fatal = lower.range(of: "fatal:") {
            let said = lower[fatal.upperBound...]
            // sslmode=prefer: libpq retries without TLS after any failure and reports both attempts
            // in one message. An answer that proves nothing (or that the password was accepted, as
            // 3D000 does) in either attempt wins over a refusal in the other.
            if said.contains("database \"") && said.contains("\" does not exist") {
                // PostgreSQL looks the database up after authentication: the credentials may be good.
                return TransportFailure(kind: .other, message: "the target's database does not exist (SQLSTATE 3D000); the server checks it after the password, so this proves nothing: fix the target")
            }
            if said.contains("pg_hba.conf") {
                // Refused by address/database rules before any password was asked for.
                return TransportFailure(kind: .other, message: "refused by pg_hba.conf before the password was checked (SQLSTATE 28000): proves nothing about the password")
            }
            if said.contains("too many") { return TransportFailure(kind: .other, message: "the server has too many connections (SQLSTATE 53300)") }
            if said.contains("password authentication failed for user") {
                return TransportFailure(kind: .loginDenied, message: "password authentication failed (SQLSTATE 28P01)")
            }
            if said.contains("is not permitted to log in") {
                return TransportFailure(kind: .loginDenied, message: "the role may not log in (SQLSTATE 28000)")
            }
            if said.contains("role \"") && said.contains("\" does not exist") {
                return TransportFailure(kind: .loginDenied, message: "the role does not exist (SQLSTATE 28000)")
            }
        }
        if untrusted || lower.contains("ssl") {
            // Under prefer/require libpq may have retried without TLS, and a TLS error after the
            // handshake may follow the login: nothing is claimed about what was sent.
            return TransportFailure(kind: .tls, message: "PostgreSQL TLS failed, which proves nothing: \(ServerText.quote(oneLine(text)))")
        }
        if lower.contains("timeout expired") {
            return TransportFailure(kind: .timeout, message: "no PostgreSQL answer within \(max(2, timeout.wholeSeconds)) s")
        }
        if lower.contains("connection refused") || lower.contains("no route to host") || lower.contains("network is unreachable") {
            return TransportFailure(kind: .connect, message: "PostgreSQL connection failed: \(ServerText.quote(oneLine(text)))")
        }
        return TransportFailure(kind: .other, message: "PostgreSQL login failed for a reason that proves nothing: \(ServerText.quote(oneLine(text)))")
    }

    /// libpq's words when a `verify-*` sslmode stopped the connection before authentication: no TLS
    /// offered, a certificate that does not chain to the CA file, one for another host name, or
    /// an unreadable CA file.
    static let untrustedServer = ["server does not support ssl", "certificate verify failed", "does not match host name",
                                  "root certificate file"]

    /// libpq's message on one line (it puts a hint on a line of its own).
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}

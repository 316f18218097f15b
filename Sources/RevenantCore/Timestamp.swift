import Foundation

/// ISO-8601 UTC timestamps as the inventory, report and ledger write them.
public enum Timestamp {
    /// Parses `2026-11-01T09:30:00Z`, with optional fractional seconds or offset, or a bare date `2026-11-01`.
    public static func parse(_ text: String) -> Date? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.count == 10 {
            return parseFull(s + "T00:00:00Z")
        }
        return parseFull(s)
    }

    private static func parseFull(_ s: String) -> Date? {
        if let d = try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: false)) { return d }
        if let d = try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return nil
    }

    /// Whole seconds, UTC, `Z`.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    /// Milliseconds, UTC, `Z`: for ledger times.
    public static func formatPrecise(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

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
        guard fieldsAreValid(s) else { return nil }
        if let d = try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: false)) { return d }
        if let d = try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return nil
    }

    /// The parser rolls impossible dates over (2026-02-30 → 2026-03-02): check the written fields.
    static func fieldsAreValid(_ s: String) -> Bool {
        let digits = Array(s.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= digits.count else { return nil }
            var n = 0
            for b in digits[from..<from + count] {
                guard (48...57).contains(b) else { return nil }
                n = n * 10 + Int(b - 48)
            }
            return n
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains(month) && day >= 1 && day <= days[month - 1] && hour < 24 && minute < 60 && second < 61
    }

    /// Whole seconds, UTC, `Z`.
    public static func format(_ date: Date) -> String {
        // Certificate and inventory times are whole seconds: counted without Foundation's calendar
        // (`CivilTime`). Fractions (a run's start) and years before the Gregorian calendar's start
        // (Foundation counts those in the Julian calendar) are left to Foundation.
        let t = date.timeIntervalSince1970
        if t >= gregorianSince, t < 253_402_300_800, t == t.rounded(.down), let text = CivilTime.iso8601(seconds: Int(t)) {
            return String(decoding: text, as: UTF8.self)
        }
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    /// 1583-01-01T00:00:00Z: the first whole year of the Gregorian calendar.
    static let gregorianSince: Double = -12_212_553_600

    /// Milliseconds, UTC, `Z`: for ledger times.
    public static func formatPrecise(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

import Foundation

/// Durations as people write them on a command line (`30s`, `5m`, `2h`, `7d`, or plain seconds)
/// and as reports show them.
public enum DurationText {
    static let unitSeconds: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]

    /// Seconds, or nil for anything else (negative, not a number, an unknown unit, over 100 years).
    public static func seconds(_ text: String) -> Double? {
        guard let last = text.last else { return nil }
        let (number, unit) = last.isLetter ? (String(text.dropLast()), unitSeconds[last]) : (text, 1.0)
        guard let unit, let n = Double(number), n.isFinite, n >= 0 else { return nil }
        let s = n * unit
        return s <= 36_500 * 86_400 ? s : nil
    }

    /// `45s`, `3m05s`, `2h10m`, `1d04h`.
    public static func text(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        if s < 86_400 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
        return String(format: "%dd%02dh", s / 86_400, s % 86_400 / 3600)
    }
}

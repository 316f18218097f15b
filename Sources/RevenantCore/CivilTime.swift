/// Proleptic Gregorian dates and times of day in UTC ↔ seconds since 1970-01-01T00:00:00Z, in
/// integer arithmetic: what a certificate scan needs per date, where Foundation's calendar costs
/// microseconds each (10,000 certificates carry 50,000 dates between facts, tags and messages).
///
/// Day counting follows the usual era method: years start on 1 March, so the leap day ends the
/// year, and 400 Gregorian years are exactly 146,097 days.
public enum CivilTime {
    /// Days from 0000-03-01 to 1970-01-01.
    static let epochShift = 719_468
    static let daysPerEra = 146_097

    /// Days since 1970-01-01 of a Gregorian date (month 1...12, day 1...31; not checked).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthFromMarch = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * daysPerEra + dayOfEra - epochShift
    }

    /// The Gregorian date `days` after 1970-01-01 (negative: before).
    public static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + epochShift
        let era = (shifted >= 0 ? shifted : shifted - (daysPerEra - 1)) / daysPerEra
        let dayOfEra = shifted - era * daysPerEra
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / (daysPerEra - 1)) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Seconds since 1970 of a UTC date and time of day (a leap second 60 counts as the next second's
    /// start, as `timegm` counts it).
    public static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// `2026-11-01T09:30:00Z` for whole seconds since 1970 in years 0000...9999 (nil outside).
    public static func iso8601(seconds: Int) -> [UInt8]? {
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (day, second) = secondOfDay < 0 ? (days - 1, secondOfDay + 86_400) : (days, secondOfDay)
        let date = date(days: day)
        guard (0...9999).contains(date.year) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(20)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        digits(date.year, 4)
        out.append(UInt8(ascii: "-"))
        digits(date.month, 2)
        out.append(UInt8(ascii: "-"))
        digits(date.day, 2)
        out.append(UInt8(ascii: "T"))
        digits(second / 3_600, 2)
        out.append(UInt8(ascii: ":"))
        digits(second / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        digits(second % 60, 2)
        out.append(UInt8(ascii: "Z"))
        return out
    }
}

import Foundation
import Testing
@testable import RevenantCore

/// `CivilTime` and `Timestamp.format` against Foundation's Gregorian calendar and glibc's `timegm`,
/// over the ranges certificates use: UTCTime (1950–2049), GeneralizedTime (to 9999), leap years and
/// century years, the epoch, and the 32-bit rollover.
@Suite struct CivilTimeTests {
    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    /// (year, month, day, hour, minute, second)
    typealias Civil = (Int, Int, Int, Int, Int, Int)

    static let edges: [Civil] = [
        (1583, 1, 1, 0, 0, 0), (1600, 2, 29, 12, 0, 0), (1700, 2, 28, 23, 59, 59), (1700, 3, 1, 0, 0, 0),
        (1899, 12, 31, 23, 59, 59), (1900, 2, 28, 0, 0, 0), (1900, 3, 1, 0, 0, 0),
        (1950, 1, 1, 0, 0, 0), (1969, 12, 31, 23, 59, 59), (1970, 1, 1, 0, 0, 0), (1970, 1, 1, 0, 0, 1),
        (1999, 12, 31, 23, 59, 59), (2000, 2, 29, 0, 0, 0), (2000, 3, 1, 0, 0, 0), (2024, 2, 29, 23, 59, 59),
        (2038, 1, 19, 3, 14, 7), (2038, 1, 19, 3, 14, 8), (2049, 12, 31, 23, 59, 59), (2050, 1, 1, 0, 0, 0),
        (2100, 2, 28, 23, 59, 59), (2100, 3, 1, 0, 0, 0), (2400, 2, 29, 6, 30, 0), (9999, 12, 31, 23, 59, 59),
    ]

    static func foundation(_ c: Civil) -> Date {
        calendar.date(from: DateComponents(year: c.0, month: c.1, day: c.2, hour: c.3, minute: c.4, second: c.5))!
    }

    static func text(_ c: Civil) -> String {
        String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", c.0, c.1, c.2, c.3, c.4, c.5)
    }

    @Test(arguments: 0..<edges.count)
    func edgeDatesCountAsFoundationAndTimegmCount(_ i: Int) {
        let c = Self.edges[i]
        let seconds = CivilTime.seconds(year: c.0, month: c.1, day: c.2, hour: c.3, minute: c.4, second: c.5)
        #expect(Double(seconds) == Self.foundation(c).timeIntervalSince1970)
        var parts = tm()
        (parts.tm_year, parts.tm_mon, parts.tm_mday) = (Int32(c.0 - 1900), Int32(c.1 - 1), Int32(c.2))
        (parts.tm_hour, parts.tm_min, parts.tm_sec) = (Int32(c.3), Int32(c.4), Int32(c.5))
        #expect(seconds == Int(timegm(&parts)))
        let date = Date(timeIntervalSince1970: Double(seconds))
        #expect(Timestamp.format(date) == Self.text(c))
        #expect(Timestamp.format(date) == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false)))
    }

    @Test func everyDayFrom1900To2100RoundTripsAndAgreesWithFoundation() {
        let first = CivilTime.days(year: 1900, month: 1, day: 1)
        let last = CivilTime.days(year: 2100, month: 12, day: 31)
        #expect(first == -25_567 && last == 47_846)
        var mismatches: [Int] = []
        for day in first...last {
            let (y, m, d) = CivilTime.date(days: day)
            let components = Self.calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
            if CivilTime.days(year: y, month: m, day: d) != day || components.year != y || components.month != m || components.day != d {
                mismatches.append(day)
            }
        }
        #expect(mismatches.isEmpty, "first days that disagree: \(mismatches.prefix(5))")
    }

    @Test func wholeSecondsAcrossTheGregorianRangeFormatAsFoundationDoes() {
        var generator = SystemRandomNumberGenerator()
        let range = -12_212_553_600...253_402_300_799  // 1583-01-01 … 9999-12-31T23:59:59Z
        for _ in 0..<2_000 {
            let date = Date(timeIntervalSince1970: Double(Int.random(in: range, using: &generator)))
            #expect(Timestamp.format(date) == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false)))
        }
    }

    /// Fractions, years before 1583 (Foundation counts them in the Julian calendar) and after 9999
    /// are Foundation's to format: the text stays what it was.
    @Test(arguments: [0.9, -0.1, 59.9999999999, 1e9 + 0.5, -12_212_553_601, -12_219_292_801, -62_135_596_800, 253_402_300_800])
    func timesOutsideTheFastPathAreFoundations(_ t: Double) {
        let date = Date(timeIntervalSince1970: t)
        #expect(Timestamp.format(date) == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false)))
    }

    @Test func iso8601RefusesYearsBeyondFourDigits() {
        #expect(CivilTime.iso8601(seconds: 253_402_300_800) == nil)
        #expect(CivilTime.iso8601(seconds: 0).map { String(decoding: $0, as: UTF8.self) } == "1970-01-01T00:00:00Z")
        #expect(CivilTime.iso8601(seconds: -1).map { String(decoding: $0, as: UTF8.self) } == "1969-12-31T23:59:59Z")
    }
}

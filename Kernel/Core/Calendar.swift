// Turning the real-time clock's calendar reading into seconds since 1970,
// which is what the `tod` server hands out. The CMOS clock reports BCD or
// binary fields and a two-digit year; both decodings are here, checked, so
// a garbage reading gives nil rather than a wild date.

public struct CalendarTime: Equatable, Sendable {
    public var year: Int, month: Int, day: Int
    public var hour: Int, minute: Int, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second
    }

    public var isValid: Bool {
        (1970...2199).contains(year) && (1...12).contains(month) && (1...31).contains(day)
            && (0...23).contains(hour) && (0...59).contains(minute) && (0...60).contains(second)
    }

    /// Seconds since 1970-01-01 00:00 UTC; nil when the fields are out of range.
    public var unixSeconds: Int64? {
        guard isValid else { return nil }
        // Days from civil date (proleptic Gregorian), counting from 1970.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = y / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return days * 86400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
    }

    /// A BCD byte (0x59 -> 59); nil when a nibble is not a decimal digit.
    public static func fromBCD(_ b: UInt8) -> Int? {
        let hi = Int(b >> 4), lo = Int(b & 0xF)
        guard hi < 10, lo < 10 else { return nil }
        return hi * 10 + lo
    }
}

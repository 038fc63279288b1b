// The CMOS real-time clock: the wall-clock time at boot, for `tod`. The
// reading is taken twice until two agree, so an update in the middle of
// the read cannot give a time that never was.
import KernelCore

enum RTC {
    private static func register(_ r: UInt8) -> UInt8 {
        outb(0x70, r)
        return inb(0x71)
    }

    private static func raw() -> [UInt8] {
        while register(0x0A) & 0x80 != 0 { cpu_pause() }
        return [register(0x00), register(0x02), register(0x04), register(0x07),
                register(0x08), register(0x09), register(0x32)]
    }

    /// The calendar time now, nil when the clock reads nonsense.
    static func read() -> CalendarTime? {
        var a = raw()
        var b = raw()
        var tries = 0
        while a != b && tries < 5 { a = b; b = raw(); tries += 1 }
        let statusB = register(0x0B)
        let binary = statusB & 0x04 != 0
        let twentyFour = statusB & 0x02 != 0
        func decode(_ v: UInt8) -> Int? { binary ? Int(v) : CalendarTime.fromBCD(v) }
        let pm = b[2] & 0x80 != 0
        guard let s = decode(b[0]), let m = decode(b[1]), var h = decode(b[2] & 0x7F),
              let d = decode(b[3]), let mo = decode(b[4]), let y = decode(b[5]) else { return nil }
        if !twentyFour { h = h % 12 + (pm ? 12 : 0) }
        var century = decode(b[6]) ?? 20
        if century < 19 || century > 21 { century = 20 }
        let t = CalendarTime(year: century * 100 + y, month: mo, day: d, hour: h, minute: m, second: s)
        return t.isValid ? t : nil
    }
}

// The kernel command line and the RTC's calendar arithmetic.
import Testing
@testable import KernelCore

@Test func commandLineWordsAndValues() {
    let c = BootCommandLine(".build-kernel/kernel.elf  scenario=timers\tquiet key=a=b")
    #expect(c.words.count == 4)
    #expect(c.value(of: "scenario") == "timers")
    #expect(c.value(of: "key") == "a=b")
    #expect(c.value(of: "quiet") == nil)
    #expect(c.has("quiet"))
    #expect(BootCommandLine("").words.isEmpty)
}

@Test func calendarToUnixSeconds() {
    #expect(CalendarTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0).unixSeconds == 0)
    #expect(CalendarTime(year: 2000, month: 3, day: 1, hour: 0, minute: 0, second: 0).unixSeconds == 951_868_800)
    #expect(CalendarTime(year: 2024, month: 2, day: 29, hour: 12, minute: 34, second: 56).unixSeconds == 1_709_210_096)
    #expect(CalendarTime(year: 2024, month: 13, day: 1, hour: 0, minute: 0, second: 0).unixSeconds == nil)
}

@Test func bcdDecoding() {
    #expect(CalendarTime.fromBCD(0x59) == 59)
    #expect(CalendarTime.fromBCD(0x00) == 0)
    #expect(CalendarTime.fromBCD(0x5A) == nil)
    #expect(CalendarTime.fromBCD(0xA0) == nil)
}

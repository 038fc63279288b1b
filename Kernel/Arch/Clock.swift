// Time for the kernel: a monotonic microsecond clock from the time-stamp
// counter, calibrated at boot against the PIT, and the one-shot timer the
// tickless timer queue programs.
//
// The PIT's channel 0 in mode 0 (interrupt on terminal count) is the
// one-shot: it counts down at 1.193182 MHz (0.84 µs per count) and raises
// IRQ 0 once. Its 16-bit counter reaches 54.9 ms at most, so a deadline
// further off is reached in hops: the interrupt finds nothing due and the
// next hop is programmed. There is no periodic tick at all.
import AmoebaCore

enum Clock {
    static let pitHz: UInt64 = 1_193_182
    static var bootTSC: UInt64 = 0
    /// Microseconds per TSC count, as a 32.32 fixed-point fraction.
    static var microsPerCount: UInt64 = 0
    static var tscHz: UInt64 = 0

    /// Measures the TSC against 10 ms of PIT channel 2 (gated, polled).
    static func calibrate() {
        let counts: UInt64 = 11932             // 10 ms
        outb(0x61, (inb(0x61) & 0xFC) | 0x01)  // gate on, speaker off
        outb(0x43, 0xB0)                       // channel 2, lo/hi, mode 0
        outb(0x42, UInt8(counts & 0xFF))
        outb(0x42, UInt8(counts >> 8))
        let start = cpu_rdtsc()
        while inb(0x61) & 0x20 == 0 { cpu_pause() }
        let elapsed = cpu_rdtsc() &- start
        tscHz = max(elapsed &* pitHz / counts, 1_000_000)
        microsPerCount = (1_000_000 << 32) / tscHz
        bootTSC = start
    }

    static func counts() -> UInt64 { cpu_rdtsc() }

    /// Microseconds since the calibration at boot.
    static func now() -> Instant {
        Instant(microseconds: Int64(microseconds(ofCounts: cpu_rdtsc() &- bootTSC)))
    }

    static func microseconds(ofCounts d: UInt64) -> UInt64 {
        (d >> 32) &* microsPerCount &+ (((d & 0xFFFF_FFFF) &* microsPerCount) >> 32)
    }

    /// Arms the one-shot for `interval` from now (clamped to the PIT's range).
    static func armOneShot(after interval: Interval) {
        let us = UInt64(max(interval.microseconds, 1))
        let ticks = min(max(us &* pitHz / 1_000_000, 1), 0xFFFF)
        outb(0x43, 0x30)                       // channel 0, lo/hi, mode 0
        outb(0x40, UInt8(ticks & 0xFF))
        outb(0x40, UInt8(ticks >> 8))
    }
}

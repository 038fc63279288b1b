// Interrupts for user-mode drivers: a thread awaits an IRQ line and is
// woken when it fires. The kernel adds one notifier per line to that
// line's (shared) handler list; the notifier counts and wakes but does not
// claim the interrupt, so the device's own handler still runs and says
// whether it was its device. Interrupts that arrive while nobody waits are
// counted, so none is lost between two awaits.
//
// Lines a user driver may await: 3 and 5-15, except 8 is the RTC, which
// the kernel drives and lends out as a demonstration device (1024/16 Hz
// periodic interrupt, acknowledged by the kernel's own handler).
import AmoebaCore
import KernelCore

enum InterruptAwait {
    static var pending = [UInt32](repeating: 0, count: 16)
    static var hooked = [Bool](repeating: false, count: 16)
    static var rtcEnabled = false

    static func allowed(_ line: UInt32) -> Bool {
        line < 16 && line != 0 && line != 1 && line != 2 && line != 4
    }

    /// Waits for an interrupt on `line`; false when `timeout` passed first.
    static func await(line: Int, timeout: Interval) -> Bool {
        Interrupts.withDisabled {
            hook(line)
            if pending[line] > 0 { pending[line] -= 1; return true }
            guard Events.await(UInt(0x1_0000 + line), timeout: timeout) else { return false }
            if pending[line] > 0 { pending[line] -= 1 }
            return true
        }
    }

    private static func hook(_ line: Int) {
        guard !hooked[line] else { return }
        hooked[line] = true
        if line == 8 { enableRTCPeriodic() }
        Interrupts.register(line: line) {
            InterruptAwait.pending[line] &+= 1
            Events.wakeup(UInt(0x1_0000 + line))
            return false   // a notifier, not the device's driver
        }
    }

    /// The RTC's periodic interrupt at 64 Hz, acknowledged by the kernel.
    private static func enableRTCPeriodic() {
        guard !rtcEnabled else { return }
        rtcEnabled = true
        Interrupts.register(line: 8) {
            outb(0x70, 0x0C)
            return inb(0x71) & 0x40 != 0   // periodic flag: it was the RTC
        }
        outb(0x70, 0x8A); let a = inb(0x71)
        outb(0x70, 0x8A); outb(0x71, (a & 0xF0) | 0x0A)      // rate 10: 64 Hz
        outb(0x70, 0x8B); let b = inb(0x71)
        outb(0x70, 0x8B); outb(0x71, b | 0x40)                // periodic interrupt on
        outb(0x70, 0x0C); _ = inb(0x71)
    }
}

// The serial console on COM1: the kernel's only output device, and the
// channel the test runner reads. Polled transmit keeps it usable from an
// exception handler with interrupts off; the receive side raises IRQ 4 and
// feeds the tty server's input buffer.

enum Serial {
    static let base: UInt16 = 0x3F8

    static func initialize() {
        outb(base + 1, 0x00)        // no interrupts while configuring
        outb(base + 3, 0x80)        // divisor latch
        outb(base + 0, 0x01)        // 115200 baud
        outb(base + 1, 0x00)
        outb(base + 3, 0x03)        // 8N1
        outb(base + 2, 0xC7)        // FIFO on, cleared
        outb(base + 4, 0x0B)        // DTR, RTS, OUT2 (routes the IRQ)
    }

    static func enableReceiveInterrupt() { outb(base + 1, 0x01) }

    static func write(_ byte: UInt8) {
        ConsoleLog.record(byte)
        if byte == 10 { transmit(13) }
        transmit(byte)
    }

    private static func transmit(_ byte: UInt8) {
        while inb(base + 5) & 0x20 == 0 { cpu_pause() }
        outb(base, byte)
    }

    static func write(_ s: StaticString) {
        s.withUTF8Buffer { for b in $0 { write(b) } }
    }

    static func write(_ s: String) {
        for b in s.utf8 { write(b) }
    }

    /// A received byte, if one is waiting.
    static func read() -> UInt8? {
        inb(base + 5) & 1 != 0 ? inb(base) : nil
    }
}

/// The last 8 KiB the console printed, for sys PRINTBUF. A static ring
/// (in entry.S's bss), so it records from the first byte of boot on,
/// before the heap exists.
enum ConsoleLog {
    static let capacity = 8192
    static var written = 0

    static func record(_ byte: UInt8) {
        console_ring_bytes()![written % capacity] = byte
        written &+= 1
    }

    static func contents() -> [UInt8] {
        let ring = console_ring_bytes()!
        let n = min(written, capacity)
        var out = [UInt8]()
        out.reserveCapacity(n)
        for i in (written - n)..<written { out.append(ring[i % capacity]) }
        return out
    }
}

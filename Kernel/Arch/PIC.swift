// The two 8259 interrupt controllers, remapped so IRQ 0-15 arrive on
// vectors 32-47, clear of the CPU's exceptions. Lines start masked and are
// opened when the first handler registers; the end-of-interrupt goes to
// the slave as well for lines 8-15.

enum PIC {
    static let vectorBase = 32

    static func initialize() {
        outb(0x20, 0x11); outb(0xA0, 0x11)          // ICW1: init, expect ICW4
        outb(0x21, UInt8(vectorBase)); outb(0xA1, UInt8(vectorBase + 8))
        outb(0x21, 0x04); outb(0xA1, 0x02)          // cascade on line 2
        outb(0x21, 0x01); outb(0xA1, 0x01)          // 8086 mode
        outb(0x21, 0xFB); outb(0xA1, 0xFF)          // all masked but the cascade
    }

    static func unmask(_ line: Int) {
        if line < 8 {
            outb(0x21, inb(0x21) & ~UInt8(1 << line))
        } else {
            outb(0xA1, inb(0xA1) & ~UInt8(1 << (line - 8)))
        }
    }

    static func endOfInterrupt(_ line: Int) {
        if line >= 8 { outb(0xA0, 0x20) }
        outb(0x20, 0x20)
    }

    /// True when the line's interrupt is a spurious one (7 or 15, not in service).
    static func isSpurious(_ line: Int) -> Bool {
        guard line == 7 || line == 15 else { return false }
        let port: UInt16 = line == 7 ? 0x20 : 0xA0
        outb(port, 0x0B)
        return inb(port) & 0x80 == 0
    }
}

// The FPU and SSE units. The i686 target's code uses SSE2 registers for
// ordinary copies and arithmetic, so they must work from the first Swift
// instruction after boot: CR0.EM off, CR0.MP on, CR4.OSFXSR and
// OSXMMEXCPT on. Each thread then carries its own 512-byte FXSAVE image.

enum FPU {
    static let stateSize = 512

    static func enable() {
        var cr0 = cpu_cr0()
        cr0 &= ~UInt32(1 << 2)   // EM: no emulation
        cr0 |= 1 << 1            // MP
        cr0 &= ~UInt32(1 << 3)   // TS: no lazy switching trap
        cpu_set_cr0(cr0)
        cpu_set_cr4(cpu_cr4() | (1 << 9) | (1 << 10))  // OSFXSR, OSXMMEXCPT
        cpu_fninit()
        cpu_ldmxcsr(0x1F80)
    }
}

// The protected-mode tables: GDT with flat kernel and user segments and
// the TSS, and the IDT pointing every vector at the entry stubs.
//
// Segmentation is flat (base 0, 4 GiB) — protection between processes
// comes from paging — but the privilege levels come from here: ring 0
// selectors for the kernel, ring 3 ones for user code, and the TSS holding
// the kernel stack the CPU switches to when user code traps. Only the
// syscall vector is callable from ring 3.

enum Selector {
    static let kernelCode: UInt16 = 0x08
    static let kernelData: UInt16 = 0x10
    static let userCode: UInt16 = 0x1B
    static let userData: UInt16 = 0x23
    static let tss: UInt16 = 0x28
}

enum Descriptors {
    static let syscallVector = 128

    static func install() {
        let gdt = UnsafeMutablePointer<UInt64>(bitPattern: UInt(addr_gdt()))!
        gdt[0] = 0
        gdt[1] = 0x00CF_9A00_0000_FFFF   // kernel code
        gdt[2] = 0x00CF_9200_0000_FFFF   // kernel data
        gdt[3] = 0x00CF_FA00_0000_FFFF   // user code
        gdt[4] = 0x00CF_F200_0000_FFFF   // user data
        let tss = UInt64(addr_tss())
        let limit: UInt64 = 103
        gdt[5] = (limit & 0xFFFF) | ((tss & 0xFF_FFFF) << 16) | (0x89 << 40)
            | (((limit >> 16) & 0xF) << 48) | (((tss >> 24) & 0xFF) << 56)
        let t = UnsafeMutableRawPointer(bitPattern: UInt(addr_tss()))!
        for i in 0..<104 { t.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        t.storeBytes(of: UInt32(Selector.kernelData), toByteOffset: 8, as: UInt32.self)
        t.storeBytes(of: UInt16(104), toByteOffset: 102, as: UInt16.self)
        setKernelStack(addr_boot_stack_top())
        cpu_lgdt(addr_gdt(), 6 * 8 - 1)
        cpu_reload_segments()
        cpu_ltr(Selector.tss)

        for v in 0..<48 { setGate(v, stub: isr_stub(Int32(v)), userCallable: false) }
        setGate(syscallVector, stub: isr_stub(48), userCallable: true)
        cpu_lidt(addr_idt(), 256 * 8 - 1)
    }

    /// The stack the CPU loads when user code traps into the kernel.
    static func setKernelStack(_ top: UInt32) {
        UnsafeMutableRawPointer(bitPattern: UInt(addr_tss()))!
            .storeBytes(of: top, toByteOffset: 4, as: UInt32.self)
    }

    private static func setGate(_ vector: Int, stub: UInt32, userCallable: Bool) {
        let idt = UnsafeMutablePointer<UInt64>(bitPattern: UInt(addr_idt()))!
        let off = UInt64(stub)
        let attributes: UInt64 = userCallable ? 0xEE : 0x8E
        idt[vector] = (off & 0xFFFF) | (UInt64(Selector.kernelCode) << 16)
            | (attributes << 40) | ((off >> 16) << 48)
    }
}

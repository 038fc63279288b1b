// Where every interrupt, exception and trap lands after entry.S has saved
// the machine state: `isr_dispatch` sorts the vector into an exception, a
// device interrupt or the syscall, and on the way out gives the scheduler
// its chance to preempt.
//
// IRQ lines may be shared (PCI devices routinely are), so each line keeps a
// list of handlers and every one is asked; a handler says whether its
// device was the one that interrupted. An interrupt nobody claims is
// counted, not fatal.

import AmoebaCore

typealias IRQHandler = () -> Bool

enum Interrupts {
    static var handlers: [[IRQHandler]] = []
    static var counts: [UInt32] = []
    static var unclaimed: UInt32 = 0
    /// How many interrupt handlers are active (0 in thread context).
    static var depth = 0
    static var syscallHandler: ((UnsafeMutablePointer<InterruptFrame>) -> Void)? = nil
    static var userFaultHandler: ((UnsafeMutablePointer<InterruptFrame>) -> Void)? = nil
    /// Called on the way out of every device interrupt: the preemption point.
    static var exitHook: (() -> Void)? = nil
    /// Then, with the interrupted frame: the kernel's chance to stop or
    /// signal a user thread before it goes back to user mode.
    static var returnToUserHook: ((UnsafeMutablePointer<InterruptFrame>) -> Void)? = nil

    static func initialize() {
        handlers = [[IRQHandler]](repeating: [], count: 16)
        counts = [UInt32](repeating: 0, count: 16)
        PIC.initialize()
    }

    /// Adds a handler to an IRQ line (sharing it with any already there).
    static func register(line: Int, _ handler: @escaping IRQHandler) {
        let flags = cpu_flags(); cpu_cli()
        handlers[line].append(handler)
        PIC.unmask(line)
        cpu_set_flags(flags)
    }

    static func enable() { cpu_sti() }

    /// Runs `body` with interrupts off, restoring the previous state after.
    @inline(__always)
    static func withDisabled<T>(_ body: () -> T) -> T {
        let flags = cpu_flags(); cpu_cli()
        defer { cpu_set_flags(flags) }
        return body()
    }

    /// The same for a body that throws.
    @inline(__always)
    static func withDisabled<T, E: Error>(throwing body: () throws(E) -> T) throws(E) -> T {
        let flags = cpu_flags(); cpu_cli()
        defer { cpu_set_flags(flags) }
        return try body()
    }
}

@_cdecl("isr_dispatch")
func isr_dispatch(_ raw: UnsafeMutableRawPointer) {
    let frame = raw.assumingMemoryBound(to: InterruptFrame.self)
    let vector = Int(frame.pointee.vector)
    if vector < 32 {
        Exceptions.handle(frame)
    } else if vector < 48 {
        let line = vector - PIC.vectorBase
        if PIC.isSpurious(line) {
            if line == 15 { outb(0x20, 0x20) }
            return
        }
        Interrupts.counts[line] &+= 1
        Interrupts.depth += 1
        var claimed = false
        for h in Interrupts.handlers[line] where h() { claimed = true }
        if !claimed { Interrupts.unclaimed &+= 1 }
        PIC.endOfInterrupt(line)
        Interrupts.depth -= 1
        Interrupts.exitHook?()
        Interrupts.returnToUserHook?(frame)
    } else if vector == Descriptors.syscallVector {
        if let h = Interrupts.syscallHandler { h(frame) } else { frame.pointee.eax = UInt32(bitPattern: -1) }
    }
}

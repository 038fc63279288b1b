// Signal delivery's pure parts: catcher tables, the frame layout on the
// user stack, and the filter applied to a context a process hands back.
import Testing
@testable import KernelCore

@Test func catchersAreOnePerSignalAndCanBeRemoved() {
    var c = SignalCatchers()
    #expect(c.isEmpty && c.catcher(for: 5) == nil)
    c.set(5, handler: 0x4000_1000, extra: 1)
    c.set(6, handler: 0x4000_2000, extra: 2)
    c.set(5, handler: 0x4000_3000, extra: 3)   // replaces
    #expect(c.catchers.count == 2)
    #expect(c.catcher(for: 5) == .init(signal: 5, handler: 0x4000_3000, extra: 3))
    c.set(5, handler: 0, extra: 0)             // stops catching
    #expect(c.catcher(for: 5) == nil && c.catcher(for: 6)?.extra == 2)
    c.set(6, handler: 0, extra: 0)
    #expect(c.isEmpty)
    #expect(!SignalCatchers.isCatchable(0) && !SignalCatchers.isCatchable(-3))
    #expect(SignalCatchers.isCatchable(SignalCatchers.trans) && SignalCatchers.isCatchable(2) && SignalCatchers.isCatchable(1 << 20))
    #expect(!SignalCatchers.isRaisable(SignalCatchers.trans) && !SignalCatchers.isRaisable(0) && !SignalCatchers.isRaisable(-8))
    #expect(SignalCatchers.isRaisable(2))
}

@Test func frameLayoutIsAlignedAndBelowTheStack() throws {
    for esp: UInt32 in [0x7FFF_0000, 0x7FFE_FFF4, 0x4009_1234, 0x4000_0641] {
        let l = try #require(SignalFrameLayout(userStack: esp))
        #expect(l.context % 16 == 0 && l.arguments % 16 == 0)
        #expect(l.context + SignalFrameLayout.contextSize <= esp)          // the context does not touch the interrupted stack
        #expect(esp - l.context - SignalFrameLayout.contextSize < 16)    // and wastes less than an alignment step
        #expect(l.arguments == l.context - 16 && l.stackPointer == l.arguments - 4)
        #expect(l.length(below: esp) == esp - l.stackPointer && l.length(below: esp) <= 612)
    }
    #expect(SignalFrameLayout(userStack: 100) == nil)
    #expect(SignalFrameLayout(userStack: 0) == nil)
}

@Test func savedRegistersRoundTripAndRefuseForeignContexts() {
    let r = SavedRegisters(signal: 13, eip: 0x4000_1234, eflags: 0x246, esp: 0x7FFE_FF00, eax: 1, ebx: 2,
                           ecx: 3, edx: 4, esi: 5, edi: 6, ebp: 7)
    #expect(r.words.count == 12)
    #expect(SavedRegisters(words: r.words) == r)
    var forged = r.words
    forged[0] ^= 1
    #expect(SavedRegisters(words: forged) == nil)
    #expect(SavedRegisters(words: Array(r.words.prefix(11))) == nil)
}

@Test func resumingTakesOnlyArithmeticFlagsAndLegalMXCSR() {
    var r = SavedRegisters(signal: 2, eip: 0, eflags: 0, esp: 0, eax: 0, ebx: 0, ecx: 0, edx: 0, esi: 0, edi: 0, ebp: 0)
    r.eflags = 0xFFFF_FFFF   // a process asking for IOPL 3, TF, NT, VM, AC, ...
    let current: UInt32 = 0x0000_0202   // IF on, reserved bit 1
    let resumed = r.resumedFlags(current: current)
    #expect(resumed & 0x200 != 0)                // interrupts stay on
    #expect(resumed & 0x3000 == 0)               // no IOPL
    #expect(resumed & 0x100 == 0 && resumed & 0x20000 == 0 && resumed & 0x4000 == 0)   // no TF, VM, NT
    #expect(resumed & 0xCD5 == 0xCD5)            // the arithmetic flags and DF come back
    r.eflags = 0
    #expect(r.resumedFlags(current: current) == current & ~0xCD5)
    #expect(SavedRegisters.sanitizedMXCSR(0xFFFF_FFFF, mask: 0xFFFF) == 0xFFFF)
    #expect(SavedRegisters.sanitizedMXCSR(0xFFFF_FFFF, mask: 0) == 0xFFBF)   // DAZ unsupported by default
    #expect(SavedRegisters.sanitizedMXCSR(0x1F80, mask: 0xFFFF) == 0x1F80)
}

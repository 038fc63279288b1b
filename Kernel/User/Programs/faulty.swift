// A user program that misbehaves on purpose, one way per argument, so the
// tests can check that each kind of fault aborts only this process.
import AmoebaCore
import KernelCore

@inline(never)
func recurse(_ n: UInt32) -> UInt32 {
    var local: (UInt32, UInt32, UInt32, UInt32) = (n, n, n, n)
    return withUnsafeMutablePointer(to: &local) { p in
        user_poke(UInt32(UInt(bitPattern: p)), n)
        return recurse(n &+ 1) &+ user_peek(UInt32(UInt(bitPattern: p)))
    }
}

@_cdecl("overflowing_thread")
func overflowingThread(_ argument: UInt32) {
    print("faulty: a second thread recursing on its own 16 KiB stack")
    _ = recurse(argument)
}

func programMain(_ argument: UInt32) -> Int32 {
    print("faulty: misbehaving in way \(argument)")
    switch argument {
    case 1: user_poke(0, 1)                                  // null pointer write
    case 2: _ = user_peek(0x0010_0000)                        // read kernel memory
    case 3: _ = user_divide(1, Int32(argument) - 3)           // divide by zero
    case 4: user_illegal_instruction()                        // ud2
    case 5: _ = recurse(0)                                    // stack overflow
    case 6: _ = sys_call(99, 0, 0, 0, 0, 0)                   // no such system call
    case 7: _ = systemCall(.trans, 0x0010_0000, 0, 0, 0, 0)          // trans with a kernel pointer
    case 8: user_poke(0x4000_0000, 0x90909090)                // write its own text
    case 9: _ = user_privileged()                             // privileged instruction
    case 10:                                                  // a thread's stack overflows into its guard page
        _ = Amoeba.startThread(overflowingThread, argument: 0)
        while true { Amoeba.sleep(microseconds: 1000) }
    case 11:                                                  // sig return with no signal context
        var junk = [UInt32](repeating: 7, count: 160)
        junk.withUnsafeMutableBytes { b in _ = systemCall(.returnFromSignal, Amoeba.address(b), 0, 0, 0, 0) }
    case 12: _ = systemCall(.mapSegment, 0x0010_0000, 0, 0, 0, 0)        // seg map with a kernel pointer as its capability
    default: return 0
    }
    print("faulty: still running after way \(argument): the kernel let it through")
    return 1
}

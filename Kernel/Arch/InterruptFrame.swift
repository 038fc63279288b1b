// The registers an interrupt or trap left on the stack, in the order
// entry.S pushed them. Handlers read and change them through this view:
// a syscall returns its result in `eax`, a fault dump prints them all.

struct InterruptFrame {
    var gs, fs, es, ds: UInt32
    var edi, esi, ebp, espAtPush, ebx, edx, ecx, eax: UInt32
    var vector, errorCode: UInt32
    var eip, cs, eflags: UInt32
    // Present only when the CPU came from ring 3.
    var userESP, userSS: UInt32

    var fromUserMode: Bool { cs & 3 == 3 }
}

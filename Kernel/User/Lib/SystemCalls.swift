// The one way user code enters the kernel: `int 0x80` with a SystemCall
// (KernelCore, the same enum the kernel dispatches on) and up to five
// arguments. A negative result is an Amoeba error code; a fault of the
// caller never returns (the process is aborted).
import KernelCore

@inline(__always)
func systemCall(_ call: SystemCall, _ a: UInt32 = 0, _ b: UInt32 = 0, _ c: UInt32 = 0, _ d: UInt32 = 0, _ e: UInt32 = 0) -> Int32 {
    sys_call(call.rawValue, a, b, c, d, e)
}

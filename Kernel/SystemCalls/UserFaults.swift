// A CPU exception in user mode: the process is aborted, with what happened
// and where, and its owner (if a proc server started it) is sent the
// checkpoint. The kernel carries on; only a fault in ring 0 stops it.
import AmoebaCore
import KernelCore

enum UserFaults {
    static func abort(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        record(frame)
        Scheduler.exit()
    }

    // Recorded in a function that returns before the thread leaves, so the
    // message (a heap string) is not held by a frame that never returns.
    @inline(never)
    private static func record(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        ProcessServer.noteException(frame.pointee, faultAddress: frame.pointee.vector == 14 ? cpu_cr2() : 0)
        Process.recordEnd(.aborted(describe(frame.pointee)))
    }

    @inline(never)
    private static func describe(_ f: InterruptFrame) -> String {
        var what = "\(Exceptions.name(Int(f.vector)))"
        if f.vector == 14 {
            let address = cpu_cr2()
            if let meaning = SharedSegments.describeFault(Scheduler.current?.process, address: address, errorCode: f.errorCode) {
                what = meaning
            } else {
                let kind = f.errorCode & 1 != 0 ? "protection" : "not present"
                let access = f.errorCode & 2 != 0 ? "write" : "read"
                what = "page fault (\(access), \(kind)) at \(hex(address))\(address < 0x1000 ? " (null pointer)" : "")"
            }
        }
        return "\(what), eip \(hex(f.eip))"
    }
}

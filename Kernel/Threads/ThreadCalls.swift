// The thread system calls: create a thread in the caller's process,
// yield, sleep, and await a device interrupt (SystemCall.createThread,
// .yield, .sleep, .awaitInterrupt; exit and thread exit are endings the
// dispatcher carries out itself).
import AmoebaCore
import KernelCore

enum ThreadCalls {
    static func yield(_ c: SystemCallContext) -> SystemCallOutcome {
        Scheduler.yield()
        return .returns(0)
    }

    static func sleep(_ c: SystemCallContext) -> SystemCallOutcome {
        Signals.sleep(.microseconds(Int64(min(c.ebx, 60_000_000))))
        return .returns(0)   // STD_INTR instead when a signal cut it short (Signals.afterCall)
    }

    static func awaitInterrupt(_ c: SystemCallContext) -> SystemCallOutcome {
        guard InterruptAwait.allowed(c.ebx) else { return .refused(.argumentBad) }
        let fired = InterruptAwait.await(line: Int(c.ebx), timeout: .microseconds(Int64(min(c.ecx, 60_000_000))))
        return fired ? .returns(0) : .refused(.notNow)
    }

    /// A user thread at `ebx` on the stack below `ecx`, called as a C
    /// function with `edx` as its argument and no return address.
    static func createThread(_ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        let frame = try c.buffer(c.ecx &- 8, length: 8, write: true)
        _ = try c.buffer(c.ebx, length: 1, write: false)
        let process = c.process
        guard process.liveThreads < Limits.threadsPerProcess else { return .refused(.noSpace) }
        guard let t = KThread(name: process.name, priority: Priority(process: process.priority, thread: .normal),
                              preemptible: true, body: {})
        else { return .refused(.noMemory) }
        frame.storeBytes(of: UInt32(0), toByteOffset: 0, as: UInt32.self)       // no return address
        frame.storeBytes(of: c.edx, toByteOffset: 4, as: UInt32.self)           // the argument
        t.body = nil
        t.userEntry = (c.ebx, c.ecx &- 8)
        t.process = process
        process.threads.append(t)
        process.liveThreads += 1
        Scheduler.start(t)
        return .returns(Int32(t.id))
    }
}

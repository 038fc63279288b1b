// The system call entry (int 0x80): one shape for every call.
//
// entry.S saves the caller's registers in an InterruptFrame and lands in
// `syscall_entry`. The number in eax names a `SystemCall` (Kernel/Core,
// shared with the user library, where each call's registers are listed);
// every call is served by a handler of one signature,
//
//     (SystemCallContext) throws(CallerFault) -> SystemCallOutcome
//
// and that signature is the error model. What a handler returns is for the
// caller: a result, a recoverable error code it can act on, or the end of
// its thread or process. What it throws is the caller's own fault (a
// pointer naming memory it does not have, a number no call has): the
// process is aborted with the fault's message, as a CPU exception would
// abort it, and the kernel carries on. Nothing else leaves a handler.
//
// The handlers live with the concept they serve: transactions in IPC/,
// threads and their synchronisation in Threads/, segments in Memory/,
// signals in Processes/.
import AmoebaCore
import KernelCore

enum SystemCalls {
    static var calls: UInt64 = 0

    static func install() {
        Interrupts.syscallHandler = { frame in SystemCalls.handle(frame) }
        Interrupts.userFaultHandler = { frame in UserFaults.abort(frame) }
        Interrupts.returnToUserHook = { frame in
            SystemCalls.reapIfProcessEnded(frame)
            if SystemCalls.signalEndsThread(frame) { Scheduler.exit() }
        }
    }

    static func handle(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        // A call that ends the thread never returns here, so nothing may be
        // retained in this frame: the work is done in `dispatch`, which
        // returns the ending instead of carrying it out.
        let call = frame.pointee.eax
        if dispatch(frame) { Scheduler.exit() }
        reapIfProcessEnded(frame, call: call)
        if Scheduler.current?.signals != nil, signalEndsThread(frame, call: call) { Scheduler.exit() }
    }

    @inline(never)
    private static func dispatch(_ frame: UnsafeMutablePointer<InterruptFrame>) -> Bool {
        guard let process = Scheduler.running?._withUnsafeGuaranteedRef({ $0.processRef }) else {
            frame.pointee.eax = UInt32(bitPattern: -1)
            return false
        }
        calls &+= 1
        let outcome: SystemCallOutcome
        do throws(CallerFault) {
            guard let call = SystemCall(rawValue: frame.pointee.eax) else { throw .unknownCall(frame.pointee.eax) }
            outcome = try serve(call, SystemCallContext(processRef: process, frame: frame))
        } catch {
            return end(.aborted(error.reason))
        }
        switch outcome {
        case let .returns(value): frame.pointee.eax = UInt32(bitPattern: value)
        case let .refused(code): frame.pointee.eax = UInt32(bitPattern: Int32(code.rawValue))
        case .resumes: break
        case let .ends(leaving): return end(leaving.ending)
        }
        return false
    }

    /// The one table from call to handler.
    @inline(__always)
    private static func serve(_ call: SystemCall, _ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        switch call {
        case .exit: return .ends(.exit(status: Int32(bitPattern: c.ebx)))
        case .trans: return try TransactionCalls.trans(c)
        case .getRequest: return try TransactionCalls.getRequest(c)
        case .putReply: return try TransactionCalls.putReply(c)
        case .replyAndReceive: return try TransactionCalls.replyAndReceive(c)
        case .yield: return ThreadCalls.yield(c)
        case .sleep: return ThreadCalls.sleep(c)
        case .createThread: return try ThreadCalls.createThread(c)
        case .exitThread: return .ends(.threadExit)
        case .awaitInterrupt: return ThreadCalls.awaitInterrupt(c)
        case .allocateSegment: return SegmentCalls.allocateSegment(c)
        case .allocateStack: return SegmentCalls.allocateStack(c)
        case .createSegment: return try SegmentCalls.createSegment(c)
        case .mapSegment: return try SegmentCalls.mapSegment(c)
        case .unmapSegment: return SegmentCalls.unmapSegment(c)
        case .catchSignal: return SignalCalls.catchSignal(c)
        case .raiseSignal: return SignalCalls.raiseSignal(c)
        case .returnFromSignal: return try SignalCalls.returnFromSignal(c)
        case .createSync: return SyncCalls.createSync(c)
        case .waitSync: return SyncCalls.waitSync(c)
        case .postSync: return SyncCalls.postSync(c)
        case .destroySync: return SyncCalls.destroySync(c)
        }
    }

    /// Records the caller's end (see `handle`): true, the thread leaves.
    private static func end(_ ending: Process.Ending) -> Bool {
        Process.recordEnd(ending)
        return true
    }

    // The ending (and an abort's message, a heap string) must be released
    // before the thread exits, since its stack frame never returns: each
    // is recorded (`Process.recordEnd`) in a function that returns first,
    // and only then does the thread leave.

    @inline(never)
    private static func signalEndsThread(_ frame: UnsafeMutablePointer<InterruptFrame>, call: UInt32) -> Bool {
        guard let reason = Signals.afterCall(frame, call: call) else { return false }
        Process.recordEnd(.aborted(reason))
        return true
    }

    /// The same on the way out of an interrupt that came from user mode.
    @inline(never)
    private static func signalEndsThread(_ frame: UnsafeMutablePointer<InterruptFrame>) -> Bool {
        guard let reason = Signals.deliver(frame) else { return false }
        Process.recordEnd(.aborted(reason))
        return true
    }

    /// A thread whose process has ended (another thread exited or faulted)
    /// stops the next time it passes through the kernel on its way to user mode.
    /// A stunned process's thread stops here too, its registers kept
    /// (`call`: the system call it comes back from, if any; see Stun).
    static func reapIfProcessEnded(_ frame: UnsafeMutablePointer<InterruptFrame>, call: UInt32? = nil) {
        guard frame.pointee.fromUserMode, mustStop(frame, call: call) else { return }
        Process.endCurrentThread(.threadExited)
    }

    /// Whether the running thread leaves now; a stopping one's registers
    /// are kept first. Its own function, so nothing it touches stays
    /// retained in the frame that never returns.
    @inline(never)
    private static func mustStop(_ frame: UnsafeMutablePointer<InterruptFrame>, call: UInt32?) -> Bool {
        guard let me = Scheduler.current else { return false }
        // Its process's end marked every other thread of it killed (see
        // `Process.recordEnd`), so one flag answers without reaching the process.
        if me.stopping {
            Stun.capture(frame, call: call)
            return true
        }
        return me.killed
    }
}

/// Where entry.S's int 0x80 stub lands, with the caller's registers.
@_cdecl("syscall_entry")
func syscall_entry(_ raw: UnsafeMutableRawPointer) {
    SystemCalls.handle(raw.assumingMemoryBound(to: InterruptFrame.self))
}

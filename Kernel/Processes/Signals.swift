// Signals, in the Amoeba sense: asynchronous notices between the threads
// of a process. A thread names a catcher for a signal number; a signal
// raised in the process goes to every thread that catches it, and only to
// those. A caught signal cuts short the call its thread is blocked in —
// getreq and a trans whose request no server has taken yet return
// RPC_ABORTED, sleep returns STD_INTR; a trans already being served carries
// on, as Amoeba's does, and the server thread serving it gets the
// client-to-server signal SIG_TRANS (1) if it catches that — and then the
// catcher runs on the thread's own user
// stack, and when it returns the thread goes on where it was, registers
// and floating-point state as they were. A signal no thread of the process
// catches ends the process, the way an uncaught fault does.
//
// The calls are SystemCall.catchSignal, .raiseSignal and .returnFromSignal
// (served by SignalCalls). SIG_TRANS (1) only the kernel raises.
//
// The catcher is called as a C function `catcher(signal, extra)` with the
// trampoline as its return address; the trampoline makes the sig return
// call with the context, which sits 16 bytes above the stack pointer the
// catcher returned with. The context is user memory and so untrusted: the
// kernel takes back from it only the general registers, the arithmetic
// flags and a floating-point image with its MXCSR masked to legal bits.
import AmoebaCore
import KernelCore

/// One thread's signal state (KThread.signals), created by its first sig catch.
final class SignalState {
    var catchers = SignalCatchers()
    var trampoline: UInt32 = 0
    var pending: [Int32] = []
    /// In an interruptible sleep right now.
    var sleeping = false
    /// Its blocking call was cut short by a signal (cleared on the way out).
    var interrupted = false
}

enum Signals {
    /// Threads with at least one catcher: the ones a raise looks at.
    static var catching: [KThread] = []
    /// Handed to a thread in getreq in place of a request when a signal cuts it short.
    static let interruptedRequest = Transaction()
    static var delivered: UInt64 = 0
    static var raised: UInt64 = 0
    static var transSignals: UInt64 = 0


    static func catchSignal(_ signal: Int32, handler: UInt32, extra: UInt32, trampoline: UInt32) {
        let me = Scheduler.current!
        let state = me.signals ?? SignalState()
        me.signals = state
        state.catchers.set(signal, handler: handler, extra: extra)
        if handler != 0 { state.trampoline = trampoline }
        let listed = catching.contains { $0 === me }
        if state.catchers.isEmpty && listed { catching.removeAll { $0 === me } }
        if !state.catchers.isEmpty && !listed { catching.append(me) }
    }

    /// The kernel raises `signal` in `process` (as its owner would): caught
    /// by the threads that catch it, or else the end of the process.
    static func raise(_ signal: Int32, in process: Process) {
        Interrupts.withDisabled {
            if !deliverToCatchers(signal, in: process) { terminate(process, "uncaught signal \(signal)") }
        }
    }

    /// Makes `signal` pending in every thread of `process` that catches it;
    /// false when none does.
    static func deliverToCatchers(_ signal: Int32, in process: Process) -> Bool {
        Interrupts.withDisabled {
            raised &+= 1
            catching.removeAll { $0.state == .dead }
            var targets: [KThread] = []
            for t in catching where t.process === process && t.signals?.catchers.catcher(for: signal) != nil { targets.append(t) }
            for t in targets {
                t.signals!.pending.append(signal)
                interrupt(t)
            }
            return !targets.isEmpty
        }
    }

    /// Ends `process` from outside (no thread of it is running): all its
    /// threads are stopped at once, blocked ones woken as killed.
    static func terminate(_ process: Process, _ reason: String) {
        guard process.ending == .running else { return }
        process.ending = .aborted(reason)
        print("[kernel] process \(process.id) (\(process.name)) aborted: \(reason)")
        for t in process.threads { Scheduler.kill(t) }
    }

    /// Cuts short the blocking call `t` is in, where a signal may.
    private static func interrupt(_ t: KThread) {
        guard t !== Scheduler.current, t.state == .blocked else { return }
        for l in LocalIPC.listeners {
            if l.isIdle(t) {
                l.removeIdle(t)
                t.transaction = interruptedRequest
                t.signals?.interrupted = true
                Scheduler.wake(t)
                return
            }
            if let i = l.pending.firstIndex(where: { $0.client === t }) {
                let queued = l.pending.remove(at: i)
                queued.reply = .status(.rpcAborted)
                queued.answered = true
                t.signals?.interrupted = true
                Scheduler.wake(t)
                return
            }
        }
        if let s = t.signals, s.sleeping {
            s.interrupted = true
            Scheduler.wake(t)
            return
        }
        if t.waitsInterruptibly {   // a mutex, semaphore or barrier: the wait answers STD_INTR itself
            Scheduler.wake(t, reason: .interrupted)
            return
        }
        // A trans gone to the network ends at once (LocalIPC.abortRemote).
        if let remote = t.clientTransaction, LocalIPC.abortRemote(remote) {
            t.signals?.interrupted = true
            return
        }
        // A trans being served goes on; the user thread serving it hears of
        // the signal through SIG_TRANS, if it catches that.
        if let served = t.clientTransaction, served.client === t, !served.answered {
            for server in catching where server.serving === served
                && server.signals?.catchers.catcher(for: SignalCatchers.trans) != nil {
                server.signals!.pending.append(SignalCatchers.trans)
                transSignals &+= 1
                interrupt(server)
            }
        }
    }

    /// The sleep system call: a signal may end it early.
    static func sleep(_ interval: Interval) {
        let s = Scheduler.current?.signals
        s?.sleeping = true
        Scheduler.sleep(interval)
        s?.sleeping = false
    }

    /// On the way out of system call `call`: the interrupted status, then a
    /// pending signal's catcher. A reason when the process must be aborted.
    static func afterCall(_ frame: UnsafeMutablePointer<InterruptFrame>, call: UInt32) -> String? {
        guard let s = Scheduler.current?.signals else { return nil }
        if s.interrupted {
            s.interrupted = false
            if call == SystemCall.sleep.rawValue { frame.pointee.eax = UInt32(bitPattern: Int32(ErrorCode.interrupted.rawValue)) }
        }
        return deliver(frame)
    }

    /// Runs the catcher of the first pending signal on the way back to user
    /// mode: the interrupted state is saved on the user stack below its stack
    /// pointer, and the thread resumes in the catcher.
    static func deliver(_ frame: UnsafeMutablePointer<InterruptFrame>) -> String? {
        guard frame.pointee.fromUserMode, let me = Scheduler.current, let s = me.signals, !s.pending.isEmpty,
              let process = me.process, process.ending == .running else { return nil }
        let signal = s.pending.removeFirst()
        guard let catcher = s.catchers.catcher(for: signal) else { return nil }   // no longer caught
        let f = frame.pointee
        guard let layout = SignalFrameLayout(userStack: f.userESP) else { return "signal \(signal): no room on the stack for its catcher" }
        let area: UnsafeMutableRawBufferPointer
        do throws(CallerFault) {
            area = try UserBuffer(address: layout.stackPointer, length: layout.length(below: f.userESP)).validated(for: process, write: true)
        } catch { return "signal \(signal): no room on the stack for its catcher" }
        let base = area.baseAddress!
        let c = base + Int(layout.context - layout.stackPointer)
        c.copyMemory(from: fxImage(frame), byteCount: 512)
        let saved = SavedRegisters(signal: signal, eip: f.eip, eflags: f.eflags, esp: f.userESP, eax: f.eax, ebx: f.ebx,
                                   ecx: f.ecx, edx: f.edx, esi: f.esi, edi: f.edi, ebp: f.ebp)
        for (i, w) in saved.words.enumerated() { c.storeBytes(of: w, toByteOffset: 512 + 4 * i, as: UInt32.self) }
        base.storeBytes(of: s.trampoline, as: UInt32.self)                        // return address
        base.storeBytes(of: UInt32(bitPattern: signal), toByteOffset: 4, as: UInt32.self)
        base.storeBytes(of: catcher.extra, toByteOffset: 8, as: UInt32.self)
        frame.pointee.eip = catcher.handler
        frame.pointee.userESP = layout.stackPointer
        delivered &+= 1
        return nil
    }

    /// sig return: the thread resumes as it was when the signal came.
    static func restore(_ process: Process, _ frame: UnsafeMutablePointer<InterruptFrame>) throws(CallerFault) {
        let context = try UserBuffer(address: frame.pointee.ebx, length: SignalFrameLayout.contextSize).validated(for: process, write: false)
        let c = context.baseAddress!
        var words: [UInt32] = []
        for i in 0..<12 { words.append(c.load(fromByteOffset: 512 + 4 * i, as: UInt32.self)) }
        guard let saved = SavedRegisters(words: words) else { throw .noSignalContext(address: frame.pointee.ebx) }
        let fx = fxImage(frame)
        let mask = fx.load(fromByteOffset: 28, as: UInt32.self)
        fx.copyMemory(from: c, byteCount: 512)
        fx.storeBytes(of: SavedRegisters.sanitizedMXCSR(fx.load(fromByteOffset: 24, as: UInt32.self), mask: mask),
                      toByteOffset: 24, as: UInt32.self)
        fx.storeBytes(of: mask, toByteOffset: 28, as: UInt32.self)
        frame.pointee.eip = saved.eip
        frame.pointee.eflags = saved.resumedFlags(current: frame.pointee.eflags)
        frame.pointee.userESP = saved.esp
        frame.pointee.eax = saved.eax; frame.pointee.ebx = saved.ebx; frame.pointee.ecx = saved.ecx
        frame.pointee.edx = saved.edx; frame.pointee.esi = saved.esi; frame.pointee.edi = saved.edi
        frame.pointee.ebp = saved.ebp
    }

    /// Where entry.S saved this trap's floating-point image (below the frame, 16-aligned).
    static func fxImage(_ frame: UnsafeMutablePointer<InterruptFrame>) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: frame) - 512) & ~15)!
    }

    /// A thread is ending: it no longer catches anything.
    static func threadEnded(_ t: KThread) {
        guard t.signals != nil else { return }
        catching.removeAll { $0 === t }
        t.signals = nil
    }
}

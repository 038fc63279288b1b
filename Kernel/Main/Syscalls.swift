// The system call entry (int 0x80): the few calls a process has.
//
//   eax  call                     arguments
//   1    exit                     ebx = status
//   2    trans                    ebx = 32-byte header (in: request, out: reply),
//                                 ecx/edx = request data and length,
//                                 esi/edi = reply buffer and capacity;
//                                 returns the reply length or a negative error
//   3    yield
//   4    sleep                    ebx = microseconds
//   5    segment allocate         ebx = bytes; returns the new segment's address
//   6    getreq                   ebx = 32-byte header (in: get-port in `port`;
//                                 out: the request header), ecx/edx = buffer
//                                 and capacity; returns the request length
//   7    putrep                   ebx = reply header, ecx/edx = reply data
//   8    thread create            ebx = entry, ecx = stack top, edx = argument
//   9    thread exit              (the process exits when its last thread does)
//   10   interrupt await          ebx = IRQ line, ecx = timeout in µs;
//                                 0 when it fired, STD_NOTNOW on timeout,
//                                 STD_ARGBAD for a line drivers may not take
//   20-23 shared segments and stack segments: see SharedSegments.swift
//   30-32 signals: see Signals.swift (sleep returns STD_INTR and getreq
//                                 RPC_ABORTED when a signal cuts them short)
//
// Every pointer goes through UserBuffer. A call number the kernel does not
// know, or an argument naming memory outside the caller's segments, aborts
// the process with a message (as a fault would); the kernel carries on.
import AmoebaCore
import KernelCore

enum Syscalls {
    static var calls: UInt64 = 0

    static func install() {
        Interrupts.syscallHandler = { frame in Syscalls.handle(frame) }
        Interrupts.userFaultHandler = { frame in Syscalls.fault(frame) }
    }

    static func handle(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        // A call that ends the thread never returns here, so nothing may be
        // retained in this frame: the work is done in `dispatch`, which
        // returns the ending instead of carrying it out.
        let call = frame.pointee.eax
        if dispatch(frame) { Scheduler.exit() }
        reapIfProcessEnded(frame)
        if Scheduler.current?.signals != nil, signalEndsThread(frame, call: call) { Scheduler.exit() }
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
    static func signalEndsThread(_ frame: UnsafeMutablePointer<InterruptFrame>) -> Bool {
        guard let reason = Signals.deliver(frame) else { return false }
        Process.recordEnd(.aborted(reason))
        return true
    }

    /// A thread whose process has ended (another thread exited or faulted)
    /// stops the next time it passes through the kernel on its way to user mode.
    static func reapIfProcessEnded(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        guard frame.pointee.fromUserMode, processEnded() else { return }
        Process.endCurrentThread(.threadExited)
    }

    /// Its process's end marks every other thread of it killed (see
    /// `Process.recordEnd`), so one flag answers without reaching the process.
    @inline(__always)
    private static func processEnded() -> Bool {
        Scheduler.current?.killed ?? false
    }

    @inline(never)
    private static func dispatch(_ frame: UnsafeMutablePointer<InterruptFrame>) -> Bool {
        guard let process = Scheduler.current?.process else {
            frame.pointee.eax = UInt32(bitPattern: -1)
            return false
        }
        calls &+= 1
        let f = frame.pointee
        switch f.eax {
        case 1:
            return end(.exited(Int32(bitPattern: f.ebx)))
        case 2:
            guard let n = trans(process, f) else { return end(refusal(process, f)) }
            frame.pointee.eax = UInt32(bitPattern: n)
        case 3:
            Scheduler.yield()
            frame.pointee.eax = 0
        case 4:
            Signals.sleep(.microseconds(Int64(min(f.ebx, 60_000_000))))
            frame.pointee.eax = 0
        case 5:
            frame.pointee.eax = UInt32(bitPattern: allocateSegment(process, size: f.ebx))
        case 6, 7, 8:
            let result: Result<Int32, UserBuffer.Refusal>
            switch f.eax {
            case 6: result = getRequest(process, f)
            case 7: result = putReply(process, f)
            default: result = createThread(process, f)
            }
            switch result {
            case let .success(n): frame.pointee.eax = UInt32(bitPattern: n)
            case let .failure(.outsideSegments(address, length)):
                return end(.aborted("bad system call argument: \(length) bytes at \(hex(address)) outside its segments"))
            }
        case 9:
            return end(.threadExited)
        case 10:
            if !InterruptAwait.allowed(f.ebx) {
                frame.pointee.eax = UInt32(bitPattern: Int32(ErrorCode.argumentBad.rawValue))
            } else {
                let fired = InterruptAwait.await(line: Int(f.ebx), timeout: .microseconds(Int64(min(f.ecx, 60_000_000))))
                frame.pointee.eax = fired ? 0 : UInt32(bitPattern: Int32(ErrorCode.notNow.rawValue))
            }
        case 20, 21, 22, 23:   // shared segments and stack segments (SharedSegments.swift)
            switch SharedSegments.handle(process, f) {
            case let .success(n): frame.pointee.eax = UInt32(bitPattern: n)
            case let .failure(.outsideSegments(address, length)):
                return end(.aborted("bad system call argument: \(length) bytes at \(hex(address)) outside its segments"))
            }
        case 30, 31, 32:       // signals (Signals.swift)
            switch Signals.handle(process, frame) {
            case let .success(n): if let n { frame.pointee.eax = UInt32(bitPattern: n) }
            case let .failure(fault): return end(.aborted(fault.reason))
            }
        default:
            return end(.aborted("bad system call number \(f.eax)"))
        }
        return false
    }

    /// Records the caller's end (see `handle`): true, the thread leaves.
    private static func end(_ ending: Process.Ending) -> Bool {
        Process.recordEnd(ending)
        return true
    }

    /// The transaction every user program makes most: checked, then
    /// header and data moved straight between user memory and the
    /// caller's own transaction record. nil when a pointer is refused.
    @inline(__always)
    private static func trans(_ process: Process, _ f: InterruptFrame) -> Int32? {
        let header: UnsafeMutableRawBufferPointer
        let request: UnsafeMutableRawBufferPointer
        let reply: UnsafeMutableRawBufferPointer
        do throws(UserBuffer.Refusal) {
            header = try UserBuffer(address: f.ebx, length: 32).validated(for: process, write: true)
            request = try UserBuffer(address: f.ecx, length: f.edx).validated(for: process, write: false)
            reply = try UserBuffer(address: f.esi, length: min(f.edi, Limits.messageBytes)).validated(for: process, write: true)
        } catch {
            return nil
        }
        // Both refusals before anything is allocated: the request's copy in
        // the kernel heap is bounded, and so is the number of them.
        guard request.count <= Limits.messageBytes else { return Int32(ErrorCode.argumentBad.rawValue) }
        guard process.transactionsInFlight < Limits.transactionsInFlight else { return Int32(ErrorCode.noSpace.rawValue) }
        let hp = header.baseAddress.unsafelyUnwrapped
        let message = Message(header: RawHeader.load(from: hp), body: request.isEmpty ? [] : Array(request))
        process.transactionsInFlight += 1
        defer { process.transactionsInFlight -= 1 }
        guard let t = LocalIPC.send(message) else {
            RawHeader.store(Message.status(.rpcNotFound).header, to: hp)
            return 0
        }
        return t._withUnsafeGuaranteedRef { t in
            RawHeader.store(t.reply.header, to: hp)
            let n = min(t.reply.body.count, reply.count)
            if n > 0 { t.reply.body.withUnsafeBytes { reply.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) } }
            // The thread keeps its record between calls: it must not keep
            // message bodies alive in the heap too.
            if !t.request.body.isEmpty { t.request.body = [] }
            if !t.reply.body.isEmpty { t.reply.body = [] }
            return Int32(n)
        }
    }

    /// Which argument of a trans was refused, as the abort message.
    @inline(never)
    private static func refusal(_ process: Process, _ f: InterruptFrame) -> Process.Ending {
        for (address, length, write) in [(f.ebx, UInt32(32), true), (f.ecx, f.edx, false), (f.esi, f.edi, true)] {
            do throws(UserBuffer.Refusal) {
                _ = try UserBuffer(address: address, length: length).validated(for: process, write: write)
            } catch {
                return .aborted("bad system call argument: \(length) bytes at \(hex(address)) outside its segments")
            }
        }
        return .aborted("bad system call argument")
    }

    private static func getRequest(_ process: Process, _ f: InterruptFrame) -> Result<Int32, UserBuffer.Refusal> {
        let header: UnsafeMutableRawBufferPointer
        let buffer: UnsafeMutableRawBufferPointer
        do throws(UserBuffer.Refusal) {
            header = try UserBuffer(address: f.ebx, length: 32).validated(for: process, write: true)
            buffer = try UserBuffer(address: f.ecx, length: min(f.edx, Limits.messageBytes)).validated(for: process, write: true)
        } catch { return .failure(error) }
        let h = RawHeader.load(from: header.baseAddress!)
        let me = Scheduler.current!
        if let stale = me.serving {   // a getreq without putrep: the old caller gets a failure
            me.serving = nil
            LocalIPC.putReply(stale, .status(.rpcFailure))
        }
        guard let t = LocalIPC.getRequest(on: h.port, for: process) else {
            return .success(Int32(ErrorCode.rpcFailure.rawValue))   // its process ended; it stops on the way out
        }
        if t === Signals.interruptedRequest { return .success(Int32(ErrorCode.rpcAborted.rawValue)) }
        me.serving = t
        RawHeader.store(t.request.header, to: header.baseAddress!)
        let n = min(t.request.body.count, buffer.count)
        if n > 0 { t.request.body.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) } }
        return .success(Int32(n))
    }

    private static func putReply(_ process: Process, _ f: InterruptFrame) -> Result<Int32, UserBuffer.Refusal> {
        let header: UnsafeMutableRawBufferPointer
        let data: UnsafeMutableRawBufferPointer
        do throws(UserBuffer.Refusal) {
            header = try UserBuffer(address: f.ebx, length: 32).validated(for: process, write: false)
            data = try UserBuffer(address: f.ecx, length: f.edx).validated(for: process, write: false)
        } catch { return .failure(error) }
        guard data.count <= Limits.messageBytes else { return .success(Int32(ErrorCode.argumentBad.rawValue)) }
        let me = Scheduler.current!
        guard let t = me.serving else { return .success(Int32(ErrorCode.notNow.rawValue)) }
        let h = RawHeader.load(from: header.baseAddress!)
        me.serving = nil
        LocalIPC.putReply(t, Message(header: h, body: data.isEmpty ? [] : Array(data)))
        return .success(0)
    }

    private static func createThread(_ process: Process, _ f: InterruptFrame) -> Result<Int32, UserBuffer.Refusal> {
        let frame: UnsafeMutableRawBufferPointer
        do throws(UserBuffer.Refusal) {
            frame = try UserBuffer(address: f.ecx &- 8, length: 8).validated(for: process, write: true)
        } catch { return .failure(error) }
        guard process.check(address: f.ebx, length: 1, write: false) else {
            return .failure(.outsideSegments(address: f.ebx, length: 1))
        }
        guard process.liveThreads < Limits.threadsPerProcess else { return .success(Int32(ErrorCode.noSpace.rawValue)) }
        guard let t = KThread(name: process.name, priority: Priority(process: process.priority, thread: .normal),
                              preemptible: true, body: {})
        else { return .success(Int32(ErrorCode.noMemory.rawValue)) }
        frame.storeBytes(of: UInt32(0), toByteOffset: 0, as: UInt32.self)       // no return address
        frame.storeBytes(of: f.edx, toByteOffset: 4, as: UInt32.self)           // the argument
        t.body = nil
        t.userEntry = (f.ebx, f.ecx &- 8)
        t.process = process
        process.threads.append(t)
        process.liveThreads += 1
        Scheduler.start(t)
        return .success(Int32(t.id))
    }

    private static func allocateSegment(_ process: Process, size: UInt32) -> Int32 {
        guard size > 0, size <= 16 << 20 else { return Int32(ErrorCode.argumentBad.rawValue) }
        do throws(Process.Refusal) {
            return Int32(bitPattern: try process.addFreshSegment(kind: .data, size: (size + 0xFFF) & ~0xFFF))
        } catch {
            return Int32(error.code.rawValue)
        }
    }

    /// A CPU exception in user mode: abort the process, with what happened and where.
    static func fault(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        recordFault(frame)
        Scheduler.exit()
    }

    @inline(never)
    private static func recordFault(_ frame: UnsafeMutablePointer<InterruptFrame>) {
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

/// Where entry.S's int 0x80 stub lands, with the caller's registers.
@_cdecl("syscall_entry")
func syscall_entry(_ raw: UnsafeMutableRawPointer) {
    Syscalls.handle(raw.assumingMemoryBound(to: InterruptFrame.self))
}

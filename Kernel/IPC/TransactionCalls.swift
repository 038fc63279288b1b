// The transaction system calls: trans for clients, getreq and putrep for
// servers, and the two in one for a server's loop (SystemCall.trans,
// .getRequest, .putReply, .replyAndReceive). Each checks its
// buffers, then moves header and data straight between user memory and
// the thread's transaction record; LocalIPC does the rest, and hands a
// request for a port served elsewhere to the network.
import AmoebaCore
import KernelCore

enum TransactionCalls {
    /// The call every user program makes most.
    @inline(__always)
    static func trans(_ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        let header = try c.buffer(c.ebx, length: 32, write: true)
        let reply = try c.buffer(c.esi, length: min(c.edi, Limits.messageBytes), write: true)
        let hp = header.baseAddress.unsafelyUnwrapped
        // A request of a header alone to a server waiting here: the fast
        // path (FastPath.swift), which allocates and queues nothing.
        if c.edx == 0, let t = LocalIPC.fastTrans(RawHeader.load(from: hp)) {
            return deliver(t, header: hp, reply: reply)
        }
        return try generalTrans(c, header: header, reply: reply)
    }

    /// Every other trans: with request data, to a busy or remote server, or
    /// the calling thread's first. Kept out of line so that the fast path's
    /// frame holds no reference to the process.
    @inline(never)
    private static func generalTrans(_ c: SystemCallContext, header: UnsafeMutableRawBufferPointer,
                                     reply: UnsafeMutableRawBufferPointer) throws(CallerFault) -> SystemCallOutcome {
        let hp = header.baseAddress.unsafelyUnwrapped
        let request = try c.buffer(c.ecx, length: c.edx, write: false)
        // Both refusals before anything is allocated: the request's copy in
        // the kernel heap is bounded, and so is the number of them.
        guard request.count <= Limits.messageBytes else { return .refused(.argumentBad) }
        let process = c.process
        guard process.transactionsInFlight < Limits.transactionsInFlight else { return .refused(.noSpace) }
        let message = self.message(header, request)
        process.transactionsInFlight += 1
        defer { process.transactionsInFlight -= 1 }
        guard let t = LocalIPC.send(message) else {
            RawHeader.store(Message.status(.rpcNotFound).header, to: hp)
            return .returns(0)
        }
        return deliver(t, header: hp, reply: reply)
    }

    /// The reply in the caller's transaction record, copied out to its
    /// header and buffer.
    @inline(__always)
    private static func deliver(_ t: Unmanaged<Transaction>, header hp: UnsafeMutableRawPointer,
                                reply: UnsafeMutableRawBufferPointer) -> SystemCallOutcome {
        t._withUnsafeGuaranteedRef { t in
            RawHeader.store(t.reply.header, to: hp)
            let n = min(t.reply.body.count, reply.count)
            if n > 0 { t.reply.body.withUnsafeBytes { reply.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) } }
            // The thread keeps its record between calls: it must not keep
            // message bodies alive in the heap too.
            if !t.request.body.isEmpty { t.request.body = [] }
            if !t.reply.body.isEmpty { t.reply.body = [] }
            return .returns(Int32(n))
        }
    }

    static func getRequest(_ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        let header = try c.buffer(c.ebx, length: 32, write: true)
        let buffer = try c.buffer(c.ecx, length: min(c.edx, Limits.messageBytes), write: true)
        return receive(c.process, header: header, buffer: buffer)
    }

    static func putReply(_ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        let header = try c.buffer(c.ebx, length: 32, write: false)
        let data = try c.buffer(c.ecx, length: c.edx, write: false)
        return reply(header: header, data: data)
    }

    /// A server's loop in one call: the reply to the request it holds (if
    /// any), then the wait for the next, with the CPU handed straight back
    /// to the waiting client. Every buffer is checked before the reply
    /// goes, so a bad one faults the caller without a reply lost.
    static func replyAndReceive(_ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        let replyHeader = try c.buffer(c.ebx, length: 32, write: false)
        let data = try c.buffer(c.ecx, length: c.edx, write: false)
        let requestHeader = try c.buffer(c.ebx &+ 32, length: 32, write: true)
        let buffer = try c.buffer(c.esi, length: min(c.edi, Limits.messageBytes), write: true)
        guard data.count <= Limits.messageBytes else { return .refused(.argumentBad) }
        let port = RawHeader.load(from: requestHeader.baseAddress!).port
        // A header-only reply to a client waiting here: the fast path.
        if data.isEmpty {
            switch LocalIPC.fastReplyAndReceive(RawHeader.load(from: replyHeader.baseAddress!), on: port) {
            case .bailed: break
            case .took(let t): return took(t, header: requestHeader, buffer: buffer)
            case .ended: return .refused(.rpcFailure)   // its process ended; it stops on the way out
            }
        }
        let me = Scheduler.current.unsafelyUnwrapped
        let held = me.serving
        me.serving = nil
        let reply = message(replyHeader, data)
        guard let t = LocalIPC.replyAndGetRequest(held, reply, on: port, for: c.process) else {
            return .refused(.rpcFailure)   // its process ended; it stops on the way out
        }
        return took(t, header: requestHeader, buffer: buffer)
    }

    @inline(__always)
    private static func receive(_ process: Process, header: UnsafeMutableRawBufferPointer,
                                buffer: UnsafeMutableRawBufferPointer) -> SystemCallOutcome {
        let h = RawHeader.load(from: header.baseAddress!)
        let me = Scheduler.current!
        if let stale = me.serving {   // a getreq without putrep: the old caller gets a failure
            me.serving = nil
            LocalIPC.putReply(stale, .status(.rpcFailure))
        }
        guard let t = LocalIPC.getRequest(on: h.port, for: process) else {
            return .refused(.rpcFailure)   // its process ended; it stops on the way out
        }
        return took(t, header: header, buffer: buffer)
    }

    /// The request a server thread took: held by it until it replies, and
    /// its header and data copied out to the thread's buffers.
    @inline(__always)
    private static func took(_ t: Transaction, header: UnsafeMutableRawBufferPointer,
                             buffer: UnsafeMutableRawBufferPointer) -> SystemCallOutcome {
        if t === Signals.interruptedRequest { return .refused(.rpcAborted) }
        Scheduler.current.unsafelyUnwrapped.serving = t
        RawHeader.store(t.request.header, to: header.baseAddress!)
        let n = min(t.request.body.count, buffer.count)
        if n > 0 { t.request.body.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) } }
        return .returns(Int32(n))
    }

    @inline(__always)
    private static func reply(header: UnsafeMutableRawBufferPointer, data: UnsafeMutableRawBufferPointer) -> SystemCallOutcome {
        guard data.count <= Limits.messageBytes else { return .refused(.argumentBad) }
        let me = Scheduler.current!
        guard let t = me.serving else { return .refused(.notNow) }
        me.serving = nil
        LocalIPC.putReply(t, message(header, data))
        return .returns(0)
    }

    /// A request or reply as the caller laid it out: its header, and its data copied
    /// into the kernel (none allocated for an empty one).
    @inline(__always)
    private static func message(_ header: UnsafeMutableRawBufferPointer, _ data: UnsafeMutableRawBufferPointer) -> Message {
        Message(header: RawHeader.load(from: header.baseAddress.unsafelyUnwrapped), body: data.isEmpty ? [] : Array(data))
    }
}

// The null transaction's fast path.
//
// Most transactions on a node are small and find their server already
// waiting: a client asks, an idle server thread answers at once, and the
// client's thread was all the while only blocked. For that case the path
// below is a straight line of guards followed by a few stores and one
// switch, shaped as seL4's IPC fast path: every guard reads state without
// changing it, and any guard that fails bails out before anything has
// changed, to the general path in LocalIPC, which handles every case
// (these included) and is the one that defines what a transaction means.
// The fast path only skips work the general path would find to be a no-op.
//
// What it leaves out is what makes the general path slow on this CPU:
// reference counting. Every reference it follows is read without
// ownership (`Scheduler.running`, `KThread.clientTransactionRef`,
// `LocalIPC.lastFound`, the idle list's links), which is safe because each
// of those objects is owned elsewhere for as long as it is reachable from
// there: a thread by its process or the kernel's server list, a
// transaction record by its client thread, a listener by `listeners`.
//
// Guards for the client side (trans with no request data):
//   - the calling thread has its transaction record, and that record holds
//     no request data from an earlier use;
//   - the port is the one last found and has no queued requests;
//   - a live server thread is parked idle on it.
// Guards for the server side (a header-only reply, from a kernel server's
// loop or a user server's reply-and-receive):
//   - the request came from a local client (not the network) that is
//     blocked waiting for exactly this reply;
//   - the reply record holds no data from an earlier use;
//   - no other request is queued for this port;
//   - for a user server: it waits next on the port it last waited on,
//     which is still listed.
import AmoebaCore
import KernelCore

extension LocalIPC {
    /// Transactions and replies that took the fast path (a test checks
    /// that the null transaction does).
    static var fastTransactions: UInt64 = 0
    static var fastReplies: UInt64 = 0

    /// Client side: a request of `header` alone, handed to a server thread
    /// waiting on its port and run in place of this thread. Returns the
    /// caller's transaction record once the reply is in it, or nil when a
    /// guard failed, with nothing changed.
    @inline(__always)
    static func fastTrans(_ header: Header) -> Unmanaged<Transaction>? {
        let flags = cpu_flags(); cpu_cli()
        defer { cpu_set_flags(flags) }
        guard let me = Scheduler.running,
              let record = me._withUnsafeGuaranteedRef({ $0.clientTransactionRef }),
              record._withUnsafeGuaranteedRef({ $0.request.body.isEmpty }),
              let listener = lastFound,
              let server = listener._withUnsafeGuaranteedRef({ l in
                  l.putPort == header.port && l.pending.isEmpty ? l.firstIdle : nil }),
              !server._withUnsafeGuaranteedRef({ $0.killed })
        else { return nil }
        // Committed: nothing below can fail.
        transactions &+= 1
        fastTransactions &+= 1
        _ = listener._withUnsafeGuaranteedRef { $0.popIdle() }
        record._withUnsafeGuaranteedRef { t in
            t.request.header = header
            t.answered = false
            t.waiting = true
        }
        me._withUnsafeGuaranteedRef { $0.state = .blocked }
        let plan = server._withUnsafeGuaranteedRef { s in
            s.transaction = record.takeUnretainedValue()
            s.generation &+= 1
            return Scheduler.planDirectSwitch(to: s)
        }
        Scheduler.perform(plan)
        awaitReply(record, me, listener)
        return record
    }

    /// The client's wait for its reply, after the request went to a server
    /// or a queue: a client whose process ended stops waiting (interrupts off).
    @inline(__always)
    static func awaitReply(_ record: Unmanaged<Transaction>, _ me: Unmanaged<KThread>,
                           _ listener: Unmanaged<PortListener>) {
        while !record._withUnsafeGuaranteedRef({ $0.answered }) {
            if me._withUnsafeGuaranteedRef({ $0.killed }) {
                abandon(record.takeUnretainedValue(), listener.takeUnretainedValue())
                break
            }
            Scheduler.block()
        }
        record._withUnsafeGuaranteedRef { $0.waiting = false }
    }

    /// Server side (a kernel server's loop): answers `t` with `reply`, a
    /// header alone, gives the CPU straight back to its waiting client,
    /// parks this thread idle on `listener` and returns the next request
    /// once one is handed to it. nil when a guard failed, with nothing
    /// changed: `replyAndWait` takes it.
    @inline(__always)
    static func fastReplyAndWait(_ tu: Unmanaged<Transaction>, _ reply: Header,
                                 on listener: Unmanaged<PortListener>) -> Transaction? {
        let flags = cpu_flags(); cpu_cli()
        defer { cpu_set_flags(flags) }
        guard let me = Scheduler.running,
              let client = tu._withUnsafeGuaranteedRef({ t in
                  t.slot == nil && t.waiting && t.reply.body.isEmpty ? t.clientRef : nil }),
              client._withUnsafeGuaranteedRef({ $0.state == .blocked }),
              listener._withUnsafeGuaranteedRef({ $0.pending.isEmpty })
        else { return nil }
        // Committed.
        fastReplies &+= 1
        tu._withUnsafeGuaranteedRef { t in
            t.reply.header = reply
            t.answered = true
        }
        parkIdle(me, on: listener, switchingTo: client)
        return me._withUnsafeGuaranteedRef { me in
            while me.transaction == nil { Scheduler.block() }
            var next: Transaction? = nil
            swap(&next, &me.transaction)
            return next
        }
    }

    /// What a user server's fast reply-and-receive came to.
    enum ServerStep {
        /// A guard failed and nothing changed: the general path takes it.
        case bailed
        /// Replied, and this request arrived (possibly the signal marker).
        case took(Transaction)
        /// Replied, and the process ended while the thread waited.
        case ended
    }

    /// Server side (a user server's reply-and-receive): answers the request
    /// the calling thread holds with `reply`, a header alone, gives the CPU
    /// straight back to its waiting client, and waits on `getPort` for the
    /// next request.
    @inline(__always)
    static func fastReplyAndReceive(_ reply: Header, on getPort: Port) -> ServerStep {
        let flags = cpu_flags(); cpu_cli()
        defer { cpu_set_flags(flags) }
        guard let me = Scheduler.running,
              let listener = me._withUnsafeGuaranteedRef({ $0.servedListener }),
              listener._withUnsafeGuaranteedRef({ l in l.getPort == getPort && !l.retired && l.pending.isEmpty }),
              let held = me._withUnsafeGuaranteedRef({ $0.serving }),
              held.slot == nil, held.waiting, held.reply.body.isEmpty,
              let client = held.clientRef, client._withUnsafeGuaranteedRef({ $0.state == .blocked })
        else { return .bailed }
        // Committed.
        fastReplies &+= 1
        held.reply.header = reply
        held.answered = true
        me._withUnsafeGuaranteedRef { me in
            me.serving = nil
            me.transaction = nil
        }
        parkIdle(me, on: listener, switchingTo: client)
        let next = me._withUnsafeGuaranteedRef { me in
            listener._withUnsafeGuaranteedRef { awaitRequest(me, idleOn: $0) }
        }
        guard let next else { return .ended }
        return .took(next)
    }

    /// Both server sides' hand-back: parks the server thread `me` idle on
    /// `listener` and switches straight to `client`, woken by the reply.
    @inline(__always)
    private static func parkIdle(_ me: Unmanaged<KThread>, on listener: Unmanaged<PortListener>,
                                 switchingTo client: Unmanaged<KThread>) {
        let plan = me._withUnsafeGuaranteedRef { me in
            listener._withUnsafeGuaranteedRef { $0.pushIdle(me) }
            me.state = .blocked
            return client._withUnsafeGuaranteedRef { c in
                c.wakeReason = .woken
                c.generation &+= 1
                return Scheduler.planDirectSwitch(to: c)
            }
        }
        Scheduler.perform(plan)
    }
}

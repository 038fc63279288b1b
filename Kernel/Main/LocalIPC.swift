// Local transactions: trans/getreq/putrep between threads on this node,
// with the same header and error codes as network RPC.
//
// A server thread listens on its secret get-port; clients address the
// put-port F(get-port), so knowing where to send a request does not let
// anyone receive requests. The fast path is a direct hand-off: when a
// server thread is already waiting in getreq, trans gives it the request
// and blocks, and the scheduler switches straight to the server; putrep
// wakes the client the same way. No copies beyond the message itself, no
// queueing when nobody is late. A request to a port nobody listens on
// fails at once with RPC_NOTFOUND (the network locate comes later).
import AmoebaCore
import KernelCore

/// One request in flight. Each client thread keeps one and reuses it, so a
/// transaction allocates nothing beyond its messages.
final class Transaction {
    var request: Message = .status(.ok)
    var reply: Message = .status(.rpcFailure)
    /// The waiting client. While the request is in flight this is the only
    /// reference keeping the blocked client thread alive; it is cleared when
    /// the client has its reply, which also breaks the thread <-> transaction cycle.
    var client: KThread?
    var answered = false

    init() {}
}

final class PortListener {
    let putPort: Port
    var idleServers: [KThread] = []
    var pending: [Transaction] = []
    init(putPort: Port) { self.putPort = putPort }
}

enum LocalIPC {
    /// Few ports listen on one node: a short list compared by value beats hashing.
    static var listeners: [PortListener] = []
    static var putPortOf: [Port: Port] = [:]   // get-port -> put-port, F computed once
    static var transactions: UInt64 = 0

    /// The listener last found: a client usually talks to one server in a row.
    static var lastFound: PortListener? = nil

    static func listener(forPutPort port: Port) -> PortListener? {
        if let l = lastFound, l.putPort == port { return l }
        for l in listeners where l.putPort == port { lastFound = l; return l }
        return nil
    }

    /// Server side: waits for the next request on `getPort`.
    static func getRequest(on getPort: Port) -> Transaction {
        getRequest(from: Interrupts.withDisabled { listen(getPort) })
    }

    /// The same, for a server that keeps its listener (the kernel servers' loop).
    static func getRequest(from listener: PortListener) -> Transaction {
        Interrupts.withDisabled {
            if !listener.pending.isEmpty { return listener.pending.removeFirst() }
            let me = Scheduler.current!
            me.transaction = nil
            listener.idleServers.append(me)
            while me.transaction == nil { Scheduler.block() }
            let t = me.transaction!
            me.transaction = nil
            return t
        }
    }

    /// Server side: answers a request taken with `getRequest`.
    static func putReply(_ t: Transaction, _ reply: Message) {
        Interrupts.withDisabled {
            t.reply = reply
            t.answered = true
            if let c = t.client { Scheduler.wake(c) }
        }
    }

    /// Client side: sends `request` to the server its header's port names and waits.
    static func trans(_ request: Message) -> Message {
        Interrupts.withDisabled {
            transactions &+= 1
            guard let listener = listener(forPutPort: request.header.port) else { return .status(.rpcNotFound) }
            let t = Scheduler.current!.clientTransaction ?? Transaction()
            // Fast path: a server is waiting, so run it now, in place of this
            // thread, without passing through the run queue.
            if let plan = handOver(t, request, to: listener) { Scheduler.perform(plan) }
            while !t.answered { Scheduler.block() }
            t.client = nil
            return t.reply
        }
    }

    private static func listen(_ getPort: Port) -> PortListener {
        if let put = putPortOf[getPort], let l = listener(forPutPort: put) { return l }
        let put = getPort.putPort
        putPortOf[getPort] = put
        let l = PortListener(putPort: put)
        listeners.append(l)
        return l
    }

    /// Server side: answers `t` and waits for the next request in one step.
    /// When the client is waiting for this very reply, the CPU goes straight
    /// back to it (the other half of the fast path).
    static func replyAndWait(_ t: Transaction, _ reply: Message, on listener: PortListener) -> Transaction {
        Interrupts.withDisabled {
            t.reply = reply
            t.answered = true
            if !listener.pending.isEmpty {
                if let c = t.client { Scheduler.wake(c) }
                return listener.pending.removeFirst()
            }
            let me = Scheduler.current!
            if let plan = handBack(t, idle: listener) { Scheduler.perform(plan) }
            while me.transaction == nil { Scheduler.block() }
            let next = me.transaction!
            me.transaction = nil
            return next
        }
    }

    /// Queues the request, or plans the switch to a waiting server.
    @inline(never)
    private static func handOver(_ t: Transaction, _ request: Message, to listener: PortListener) -> Scheduler.SwitchPlan? {
        let me = Scheduler.current!
        me.clientTransaction = t
        t.client = me
        t.request = request
        t.answered = false
        guard !listener.idleServers.isEmpty else {
            listener.pending.append(t)
            return nil
        }
        let server = listener.idleServers.removeLast()
        server.transaction = t
        server.generation &+= 1
        me.state = .blocked
        return Scheduler.planDirectSwitch(to: server)
    }

    /// Parks the server as idle and plans the switch back to its waiting client.
    @inline(never)
    private static func handBack(_ t: Transaction, idle listener: PortListener) -> Scheduler.SwitchPlan? {
        let me = Scheduler.current!
        me.transaction = nil
        listener.idleServers.append(me)
        guard let client = t.client, client.state == .blocked else { return nil }
        client.wakeReason = .woken
        client.generation &+= 1
        me.state = .blocked
        return Scheduler.planDirectSwitch(to: client)
    }

    /// Starts a thread serving `getPort` with `handler` (a kernel server).
    static func serve(_ name: String, getPort: Port, priority: Priority = Priority(process: .high),
                      _ handler: @escaping (Message) -> Message) {
        let listener = Interrupts.withDisabled { listen(getPort) }
        Scheduler.spawn(name, priority: priority) {
            var t = getRequest(from: listener)
            while true {
                t = replyAndWait(t, handler(t.request), on: listener)
            }
        }
    }
}

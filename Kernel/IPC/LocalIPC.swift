// Local transactions: trans/getreq/putrep between threads on this node,
// with the same header and error codes as network RPC.
//
// A server thread listens on its secret get-port; clients address the
// put-port F(get-port), so knowing where to send a request does not let
// anyone receive requests. The fast path is a direct hand-off: when a
// server thread is already waiting in getreq, trans gives it the request
// and blocks, and the scheduler switches straight to the server; putrep
// wakes the client the same way. No copies beyond the message itself, no
// queueing when nobody is late. A request to a port nobody listens on here
// goes out over the network (Network.swift) when the node has one, and
// fails at once with RPC_NOTFOUND when it has none; requests from the
// network join a port's queue like local ones.
import AmoebaCore
import KernelCore
import RPC

/// One request in flight. Each client thread keeps one and reuses it, so a
/// transaction allocates nothing beyond its messages.
final class Transaction {
    var request: Message = .status(.ok)
    var reply: Message = .status(.rpcFailure)
    /// The client thread this transaction belongs to. Set once when the
    /// thread first calls and kept (a blocked client is owned by nothing
    /// else), so the per-call path does no reference counting for it; the
    /// thread <-> transaction cycle is broken when the thread ends.
    var client: KThread? {
        didSet { clientRef = client.map { Unmanaged.passUnretained($0) } }
    }
    /// The same thread without ownership, for the hand-off back to it.
    private(set) var clientRef: Unmanaged<KThread>? = nil
    /// The client is blocked waiting for this reply.
    var waiting = false
    var answered = false
    /// A request from the network: the node's server slot its reply goes to.
    var slot: ServerSlotID? = nil
    /// The same: the port it came in through, whose slot the network
    /// thread re-opens once this reply is posted (so a port never holds
    /// more network requests than it has slots).
    var listener: PortListener? = nil
    /// Bumped on every use of the record for a remote trans, so a result
    /// arriving for an earlier, abandoned use is told apart.
    var serial: UInt32 = 0
    /// Its client waits for the network (a signal may cut that short).
    var remote = false

    init() {}
}

final class PortListener {
    let putPort: Port
    /// Kept so the network side can open server slots for this port.
    let getPort: Port
    /// Server threads blocked in getreq here. Not owned through this list
    /// (no reference counting on the hand-off): a kernel server is owned by
    /// `LocalIPC.servers`, a user one by its process, and a thread of an
    /// ended process takes itself off the list before it goes.
    private var idleHead: Unmanaged<KThread>? = nil

    var hasIdleServer: Bool { idleHead != nil }

    /// The server `popIdle` would take, left parked (the fast path looks
    /// before it commits).
    var firstIdle: Unmanaged<KThread>? { idleHead }

    /// Parks `t` as idle (a stack threaded through the threads themselves:
    /// no array, no reference counting).
    @inline(__always)
    func pushIdle(_ t: KThread) {
        t.nextIdle = idleHead
        idleHead = Unmanaged.passUnretained(t)
    }

    /// The most recently parked idle server, taken off the list.
    @inline(__always)
    func popIdle() -> Unmanaged<KThread>? {
        guard let head = idleHead else { return nil }
        idleHead = head._withUnsafeGuaranteedRef { $0.nextIdle }
        return head
    }

    /// Whether `t` is parked here (a signal cutting a getreq short asks).
    func isIdle(_ t: KThread) -> Bool {
        let target = Unmanaged.passUnretained(t).toOpaque()
        var cursor = idleHead
        while let c = cursor {
            if c.toOpaque() == target { return true }
            cursor = c._withUnsafeGuaranteedRef { $0.nextIdle }
        }
        return false
    }

    /// Takes `t` off the idle list wherever it is.
    func removeIdle(_ t: KThread) {
        let target = Unmanaged.passUnretained(t).toOpaque()
        var previous: Unmanaged<KThread>? = nil
        var cursor = idleHead
        while let c = cursor {
            let next = c._withUnsafeGuaranteedRef { $0.nextIdle }
            if c.toOpaque() == target {
                if let p = previous { p._withUnsafeGuaranteedRef { $0.nextIdle = next } } else { idleHead = next }
                return
            }
            previous = c
            cursor = next
        }
    }
    var pending: [Transaction] = []
    /// A kernel server's port: listened on for good.
    var kernelServed = false
    /// The handler of a kernel server that answers every request at once,
    /// never blocking (sys, tod, random, the directory): a request from the
    /// network is answered with it by the network thread itself, not
    /// handed to a server thread (Network.swift, `answerAtOnce`).
    var immediateAnswer: ((Message) -> Message)? = nil
    /// Requests from the network taken in through this port and not yet
    /// answered (at most Network.slotsPerPort).
    var networkHeld = 0
    /// No longer listed: its slots are closed and are not re-opened.
    var retired = false
    init(getPort: Port, putPort: Port) {
        self.getPort = getPort
        self.putPort = putPort
    }
}

enum LocalIPC {
    /// Few ports listen on one node: a short list compared by value beats hashing.
    static var listeners: [PortListener] = []
    static var putPortOf: [Port: Port] = [:]   // get-port -> put-port, F computed once
    static var transactions: UInt64 = 0
    /// The kernel's server threads (they never end).
    static var servers: [KThread] = []

    /// The listener last found: a client usually talks to one server in a
    /// row. Not owned here (`listeners` owns it, and a retired listener is
    /// taken off here too), so the fast path reads it without reference counting.
    static var lastFound: Unmanaged<PortListener>? = nil

    @inline(__always)
    static func listener(forPutPort port: Port) -> PortListener? {
        if let l = lastFound, l._withUnsafeGuaranteedRef({ $0.putPort == port }) { return l.takeUnretainedValue() }
        return search(forPutPort: port)
    }

    @inline(never)
    private static func search(forPutPort port: Port) -> PortListener? {
        for l in listeners where l.putPort == port { lastFound = Unmanaged.passUnretained(l); return l }
        return nil
    }

    /// Server side (a user thread): waits for the next request on
    /// `getPort`; nil when its process ended while it waited.
    static func getRequest(on getPort: Port, for process: Process) -> Transaction? {
        let listener = served(getPort, by: process)
        return Interrupts.withDisabled {
            if !listener.pending.isEmpty { return listener.pending.removeFirst() }
            let me = Scheduler.current!
            me.transaction = nil
            listener.pushIdle(me)
            return awaitRequest(me, idleOn: listener)
        }
    }

    /// Waits, parked idle on `listener` already, for the request a client
    /// hands this thread; nil when its process ended meanwhile (it leaves
    /// the idle list, and the port is retired if nobody else serves it).
    /// Interrupts off.
    static func awaitRequest(_ me: KThread, idleOn listener: PortListener) -> Transaction? {
        while me.transaction == nil {
            if me.killed {
                listener.removeIdle(me)
                retireIfUnused(listener)
                return nil
            }
            Scheduler.block()
        }
        let t = me.transaction.unsafelyUnwrapped
        me.transaction = nil
        return t
    }

    /// The listener of `getPort`, noted as served by `process` (so its end
    /// closes it) and as the calling thread's, for the fast path.
    private static func served(_ getPort: Port, by process: Process) -> PortListener {
        Interrupts.withDisabled {
            let l = listen(getPort)
            if !process.served.contains(where: { $0 === l }) { process.served.append(l) }
            Scheduler.current.unsafelyUnwrapped.servedListener = Unmanaged.passUnretained(l)
            return l
        }
    }

    /// A user server's loop in one step: answers `held` (if any) with
    /// `reply` and waits for the next request on `getPort`. When the client
    /// waits for this very reply and nothing is queued, the CPU goes
    /// straight back to it, as for the kernel servers (`replyAndWait`).
    /// nil when the process ended while it waited.
    static func replyAndGetRequest(_ held: Transaction?, _ reply: Message, on getPort: Port,
                                   for process: Process) -> Transaction? {
        let listener = served(getPort, by: process)
        return Interrupts.withDisabled {
            let me = Scheduler.current.unsafelyUnwrapped
            if let t = held {
                t.reply.carry(reply)
                t.answered = true
                if t.slot != nil { Network.post(.reply(t)) }
            }
            if !listener.pending.isEmpty {
                if let t = held, t.waiting, let c = t.client { Scheduler.wake(c) }
                return listener.pending.removeFirst()
            }
            me.transaction = nil
            if let t = held {
                if let plan = handBack(t, idle: listener) { Scheduler.perform(plan) }   // parks this thread idle too
            } else {
                listener.pushIdle(me)
            }
            return awaitRequest(me, idleOn: listener)
        }
    }

    /// The same, for a server that keeps its listener (the kernel servers' loop).
    static func getRequest(from listener: PortListener) -> Transaction {
        Interrupts.withDisabled {
            if !listener.pending.isEmpty { return listener.pending.removeFirst() }
            unowned(unsafe) let me = Scheduler.current.unsafelyUnwrapped
            me.transaction = nil
            listener.pushIdle(me)
            while me.transaction == nil { Scheduler.block() }
            var t: Transaction? = nil
            swap(&t, &me.transaction)
            return t.unsafelyUnwrapped
        }
    }

    /// Server side: answers a request taken with `getRequest`.
    static func putReply(_ t: Transaction, _ reply: Message) {
        let fromNetwork = Interrupts.withDisabled {
            t.reply = reply
            t.answered = true
            if t.slot != nil { return true }
            if t.waiting, let c = t.client { Scheduler.wake(c) }
            return false
        }
        if fromNetwork { Network.reply(t) }
    }

    /// Client side: sends `request` to the server its header's port names and waits.
    static func trans(_ request: Message) -> Message {
        guard let t = send(request) else { return .status(.rpcNotFound) }
        return t.takeUnretainedValue().reply
    }

    /// The same, leaving the reply in the calling thread's own transaction
    /// (which it keeps, so the reference is safe to read until its next
    /// call): the system call copies it out from there. nil when nobody
    /// serves the port.
    @inline(__always)
    static func send(_ request: Message) -> Unmanaged<Transaction>? {
        let flags = cpu_flags(); cpu_cli()
        defer { cpu_set_flags(flags) }
        transactions &+= 1
        let me = Scheduler.current.unsafelyUnwrapped
        guard let listener = listener(forPutPort: request.header.port) else {
            return Network.isUp ? sendRemote(request, from: me) : nil
        }
        let t = Unmanaged.passUnretained(me.clientTransaction ?? newTransaction(for: me))
        // A server is waiting: run it now, in place of this thread, without
        // passing through the run queue.
        if let plan = handOver(t, request, to: listener, from: me) { Scheduler.perform(plan) }
        // Killed while the server had it (or before it blocked): stop waiting.
        awaitReply(t, Unmanaged.passUnretained(me), Unmanaged.passUnretained(listener))
        return t
    }

    /// The slow path: nobody serves the port here, so the network thread
    /// takes the request (the node locates the port) and this thread waits
    /// for the answer, or for its process to end.
    @inline(never)
    private static func sendRemote(_ request: Message, from me: KThread) -> Unmanaged<Transaction> {
        let t = me.clientTransaction ?? newTransaction(for: me)
        t.request = request
        t.answered = false
        t.waiting = true
        t.serial &+= 1
        t.remote = true
        Network.post(.trans(t, serial: t.serial))
        while !t.answered {
            if me.killed {
                t.reply = .status(.rpcFailure)
                Network.post(.forget(t, serial: t.serial))
                break
            }
            Scheduler.block()
        }
        t.waiting = false
        t.remote = false
        return Unmanaged.passUnretained(t)
    }

    /// A signal cuts short the remote trans `t`'s client is blocked in: it
    /// returns RPC_ABORTED at once (the request may or may not have run,
    /// as after RPC_FAILURE), and the node forgets the transaction, so its
    /// late result finds nobody. False when `t` is not such a trans.
    static func abortRemote(_ t: Transaction) -> Bool {
        guard t.remote, t.waiting, !t.answered else { return false }
        t.reply = .status(.rpcAborted)
        t.answered = true
        Network.post(.forget(t, serial: t.serial))
        if let c = t.client { Scheduler.wake(c) }
        return true
    }

    /// The network thread's answer to a remote trans: ignored when the
    /// client gave up on that use of its record.
    static func completeRemote(_ t: Transaction, serial: UInt32, _ reply: Message) {
        Interrupts.withDisabled {
            guard t.serial == serial, t.waiting, !t.answered else { return }
            t.reply = reply
            t.answered = true
            if let c = t.client { Scheduler.wake(c) }
        }
    }

    /// A request from the network for a port served here: handed to a
    /// waiting server at once, or queued like a local client's.
    static func deliverRemote(_ t: Transaction, to listener: PortListener) {
        Interrupts.withDisabled {
            t.answered = false
            var server = listener.popIdle()
            while let s = server, s._withUnsafeGuaranteedRef({ $0.killed }) { server = listener.popIdle() }
            guard let server else {
                listener.pending.append(t)
                return
            }
            let s = server.takeUnretainedValue()
            s.transaction = t
            Scheduler.wake(s)
        }
    }

    /// A client whose process ended stops waiting: its request leaves the
    /// queue if no server took it yet; a server that did finds, when it
    /// replies, nobody waiting (and wakes nobody).
    @inline(never)
    static func abandon(_ t: Transaction, _ listener: PortListener) {
        t.waiting = false
        t.reply = .status(.rpcFailure)
        listener.pending.removeAll { $0 === t }
        retireIfUnused(listener)
    }

    @inline(never)
    private static func newTransaction(for me: KThread) -> Transaction {
        let t = Transaction()
        t.client = me
        me.clientTransaction = t
        return t
    }

    /// A port whose last server thread went with its process, and with no
    /// local client queued, stops being listed: otherwise every port a
    /// user ever listened on would hold kernel heap for good, and with a
    /// network its slots would stay open in the node body, taking in
    /// requests nobody will ever serve. The network thread closes the
    /// slots and refuses the network requests still queued here (their
    /// clients get RPC_FAILURE at once); requests a server thread holds
    /// are answered by it, or with RPC_FAILURE as its process ends.
    private static func retireIfUnused(_ listener: PortListener) {
        guard !listener.retired, !listener.kernelServed, !listener.hasIdleServer,
              listener.pending.allSatisfy({ $0.slot != nil }) else { return }
        listeners.removeAll { $0 === listener }
        putPortOf[listener.getPort] = nil
        if lastFound?.toOpaque() == Unmanaged.passUnretained(listener).toOpaque() { lastFound = nil }
        listener.retired = true
        guard Network.isUp else { return }
        var refused: [Transaction] = []
        swap(&refused, &listener.pending)
        Network.post(.unlisten(listener, refused: refused))
    }

    /// `process` ended: the ports it served that no other thread waits on
    /// now retire (its threads that were not in getreq when it ended did
    /// not pass through getreq's own check on their way out).
    static func processEnded(_ process: Process) {
        Interrupts.withDisabled {
            for l in process.served where !l.kernelServed && !l.hasIdleServer { retireIfUnused(l) }
            process.served = []
        }
    }

    private static func listen(_ getPort: Port) -> PortListener {
        if let put = putPortOf[getPort], let l = listener(forPutPort: put) { return l }
        let put = getPort.putPort
        putPortOf[getPort] = put
        let l = PortListener(getPort: getPort, putPort: put)
        listeners.append(l)
        if Network.isUp { Network.post(.listen(l)) }
        return l
    }

    /// Server side: answers `t` and waits for the next request in one step.
    /// When the client is waiting for this very reply, the CPU goes straight
    /// back to it (the other half of the fast path).
    @inline(__always)
    static func replyAndWait(_ t: Transaction, _ reply: Message, on listener: PortListener) -> Transaction {
        if t.slot != nil {
            // From the network: the node takes the reply (from this thread
            // when it can, Network.reply) and `t` is the network's again.
            t.reply.carry(reply)
            t.answered = true
            Network.reply(t)
            return getRequest(from: listener)
        }
        return Interrupts.withDisabled {
            t.reply.carry(reply)
            t.answered = true
            if !listener.pending.isEmpty {
                if t.waiting, let c = t.client { Scheduler.wake(c) }
                return listener.pending.removeFirst()
            }
            unowned(unsafe) let me = Scheduler.current.unsafelyUnwrapped
            if let plan = handBack(t, idle: listener) { Scheduler.perform(plan) }
            while me.transaction == nil { Scheduler.block() }
            var next: Transaction? = nil
            swap(&next, &me.transaction)
            return next.unsafelyUnwrapped
        }
    }

    /// Queues the request, or plans the switch to a waiting server.
    @inline(__always)
    private static func handOver(_ tu: Unmanaged<Transaction>, _ request: Message, to listener: PortListener,
                                 from me: KThread) -> Scheduler.SwitchPlan? {
        tu._withUnsafeGuaranteedRef { t in
            t.request.carry(request)
            t.answered = false
            t.waiting = true
        }
        // A server of an ended process may still be listed until it runs.
        var server = listener.popIdle()
        while let s = server, s._withUnsafeGuaranteedRef({ $0.killed }) { server = listener.popIdle() }
        guard let server else {
            listener.pending.append(tu.takeUnretainedValue())
            return nil
        }
        me.state = .blocked
        return server._withUnsafeGuaranteedRef { server in
            server.transaction = tu.takeUnretainedValue()
            server.generation &+= 1
            return Scheduler.planDirectSwitch(to: server)
        }
    }

    /// Parks the server as idle and plans the switch back to its waiting client.
    @inline(__always)
    private static func handBack(_ t: Transaction, idle listener: PortListener) -> Scheduler.SwitchPlan? {
        unowned(unsafe) let me = Scheduler.current.unsafelyUnwrapped
        listener.pushIdle(me)
        guard t.waiting, let client = t.clientRef, client._withUnsafeGuaranteedRef({ $0.state == .blocked }) else { return nil }
        me.state = .blocked
        return client._withUnsafeGuaranteedRef { client in
            client.wakeReason = .woken
            client.generation &+= 1
            return Scheduler.planDirectSwitch(to: client)
        }
    }

    /// Starts a thread serving `getPort` with `handler` (a kernel server).
    /// `answersAtOnce`: the handler never blocks (no disk, no transaction,
    /// no sleep), so requests from the network may be answered with it in
    /// the network thread; local requests still go to the thread.
    static func serve(_ name: String, getPort: Port, priority: Priority = Priority(process: .high),
                      answersAtOnce: Bool = false, _ handler: @escaping (Message) -> Message) {
        let listener = Interrupts.withDisabled { listen(getPort) }
        listener.kernelServed = true
        if answersAtOnce { listener.immediateAnswer = handler }
        servers.append(Scheduler.spawn(name, priority: priority) {
            let fast = Unmanaged.passUnretained(listener)   // owned by `listeners` for good
            var t = getRequest(from: listener)
            while true {
                let reply = handler(t.request)
                if reply.body.isEmpty, let next = fastReplyAndWait(Unmanaged.passUnretained(t), reply.header, on: fast) {
                    t = next
                } else {
                    t = replyAndWait(t, reply, on: listener)
                }
            }
        })
    }

    /// Starts a kernel server thread on `getPort` that hands each request
    /// to `handler`, which answers it with `putReply` now or later, from
    /// any thread (the proc server answers an exec from a worker).
    static func serveTransactions(_ name: String, getPort: Port, priority: Priority = Priority(process: .high),
                                  _ handler: @escaping (Transaction) -> Void) {
        let listener = Interrupts.withDisabled { listen(getPort) }
        listener.kernelServed = true
        servers.append(Scheduler.spawn(name, priority: priority) {
            while true { handler(getRequest(from: listener)) }
        })
    }
}

extension Message {
    /// Takes `other`'s contents. A header-only message replacing another
    /// moves just the header: no reference counting of empty bodies on the
    /// path every null transaction takes.
    @inline(__always)
    mutating func carry(_ other: Message) {
        if other.body.isEmpty && body.isEmpty { header = other.header } else { self = other }
    }
}

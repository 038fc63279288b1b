// The kernel node on the network: one kernel thread that owns the node
// body (the FLIP box and RPC machines shared with amunixd) and is the only
// thread that touches it, with one exception below.
//
// Everything else talks to that thread through a small queue: a client
// thread whose trans names a port nobody serves here hands its transaction
// over and blocks; a server thread answering a request that came from the
// network hands the reply over; a port starting to listen asks for server
// slots so the node answers locates for it. The NIC's interrupt only says
// "frames are waiting". The thread wakes for any of these or for the node's
// next protocol deadline, feeds in what arrived, and routes what the node
// says back: frames to the NIC, replies to blocked clients, requests to the
// local servers' queues exactly as if a local client had sent them. So a
// server cannot tell a remote caller from a local one, and a client cannot
// tell a remote server from a local one.
//
// The exception is a kernel server thread's reply (`reply`): when the
// network thread sleeps, the server thread hands the reply to the node and
// sends its frame itself. Kernel threads are never preempted and the
// network thread touches the node only between two of its sleeps, so the
// node still has one user at a time; the reply leaves without two more
// thread switches and a round of the network thread, and the thread's
// wake-up timer is moved earlier when the reply gave the node an earlier
// deadline. A user server's reply (its thread may be preempted) is posted.
//
// A kernel server whose handler never blocks (sys, tod, random, the
// directory: `LocalIPC.serve(answersAtOnce:)`) is not handed a request
// from the network at all: the network thread calls its handler and
// answers in the same round (`answerAtOnce`). Its threads still serve
// local callers. A network transaction to it then costs no thread switch,
// no wake-up and no reply handed between threads, which under TCG was
// about a tenth of the guest's instructions per transaction.
//
// The wake-up only ever moves earlier while the thread sleeps and wakes
// (`wake(by:)`): a timer whose deadline went away is left to fire once for
// nothing rather than cancelled, so a transaction, whose reply deadline the
// client's acknowledgement takes away a round later, no longer sets and
// cancels one. That lets both the round and the direct reply ask the node
// only for the deadlines of what changed since it last asked
// (`Node.earliestNewDeadline`); once the wake-up has passed, the next
// round asks in full.
import AmoebaCore
import FLIP
import KernelCore
import Node
import RPC

/// Who waits on what the node does: a local thread's transaction gone out
/// (with the serial of that use of the reusable record), or a local port
/// that keeps slots open to hear requests from the network.
enum NetworkOwner {
    case client(Transaction, serial: UInt32)
    case server(PortListener)
}

enum Network {
    /// Work handed to the network thread by other threads.
    enum Command {
        case trans(Transaction, serial: UInt32)
        case reply(Transaction)
        case listen(PortListener)
        /// The port's last server went: close its slots; the network
        /// requests still queued for it are answered RPC_FAILURE.
        case unlisten(PortListener, refused: [Transaction])
        /// The client of this remote trans stopped waiting (signal, end).
        case forget(Transaction, serial: UInt32)
    }

    /// Server slots kept open per listening port: requests beyond them wait
    /// in the port's local queue, not in the RPC layer.
    static let slotsPerPort = 8
    static let testEtherType: UInt16 = 0x88B5

    private(set) static var node: Node<NetworkOwner>? = nil
    private(set) static var nic: VirtioNet? = nil
    /// `net=stats`: the NIC's counters go to the console whenever traffic
    /// stops for 200 ms (how host-side tests see what the kernel counted).
    private static var reportWhenQuiet = false
    private static var lastTraffic: Instant? = nil
    private static var thread: KThread? = nil
    /// A ring (moved in once, out once): the network thread swaps it with
    /// its own and consumes each command, with no copy of the transaction
    /// or listener it carries.
    private static var commands = EventQueue<Command>()
    private static var framesWaiting = false
    /// The network thread is in `sleep`, blocked or woken but not yet past
    /// it: it touches no part of the node until it returns.
    private static var asleep = false
    /// The timer that wakes the thread, and when it is due. It stays armed
    /// across sleeps and wake-ups (see `wake(by:)`), so it may be earlier
    /// than anything the node has to do, never later.
    private static var wakeTimer: TimerID? = nil
    private static var wakeAt: Instant? = nil
    /// The wake-up passed (or was never set): the next round asks the node
    /// for its deadline in full, not only what changed since it last asked.
    private static var reckonAll = true
    /// The slots each listening port is to have open, and those the node
    /// refused for now and that are retried until they open.
    private static var slotKeeper = ServerSlotKeeper<PortListener>()
    /// Records of requests from the network whose replies have gone out,
    /// reused once nobody else holds them (ReusePool.swift).
    private static var records = ReusePool<Transaction>(capacity: 8)
    /// A drain answered a request at once: what that made the node say
    /// needs another drain.
    private static var answeredAtOnce = false
    static var statistics = NetworkStatistics()

    static var isUp: Bool { node != nil }

    /// Brings the node onto the network when there is a NIC; the ports
    /// already listening get their slots at once.
    static func start() {
        guard let device = VirtioNet.probe() else { return }
        // A keyed segment's key that is present but malformed keeps the
        // link down rather than sending in clear (LinkSeal.swift).
        guard LinkSeal.start() else { return }
        var random = EntropyGenerator()
        let node = Node<NetworkOwner>(configuration: .kernelNode, using: &random)
        let mac = EthernetAddress(bytes: device.mac)!
        // Trusted or not is the run script's to say (see LinkTrust): it says
        // yes for a tap and for a keyed link (only key holders can put a
        // frame on it), no for a bare socket.
        let (trusted, complaint) = LinkTrust.configured(Kernel.commandLine)
        if let complaint { print("[net] \(complaint)") }
        _ = node.addInterface(mac: mac, trusted: trusted)
        self.node = node
        nic = device
        for l in LocalIPC.listeners { commands.append(.listen(l)) }
        let t = Scheduler.spawn("network", priority: Priority(process: .high)) { Network.loop() }
        thread = t
        device.onReceive = {
            framesWaiting = true
            if let t = thread { Scheduler.wake(t) }
        }
        reportWhenQuiet = Kernel.commandLine.value(of: "net") == "stats"
        print("[net] virtio-net \(Hex.encode(device.mac, separator: ":")) irq \(device.irq), \(trusted ? "trusted" : "untrusted") network")
        print("[net] node up: FLIP \(node.address.hex) (client) \(node.serverAddress.hex) (server)")
    }

    /// Hands `command` to the network thread (any thread; interrupts any).
    static func post(_ command: Command) {
        Interrupts.withDisabled {
            commands.append(command)
            if let t = thread { Scheduler.wake(t) }
        }
    }

    // MARK: the thread

    private static func loop() -> Never {
        let node = self.node!
        let nic = self.nic!
        var pending = EventQueue<Command>()
        while true {
            Interrupts.withDisabled {
                swap(&pending, &commands)
                framesWaiting = false
            }
            let now = Clock.now()
            while !pending.isEmpty { perform(pending.removeFirst(), on: node, now: now) }
            // A reply sent, a transaction ended or a port closed may have
            // freed room in the node's table for the slots still owed.
            retryOwedSlots(on: node)
            var frames = 0
            nic.receiveAll { datagram in
                frames += 1
                LinkSeal.incoming(datagram) { frame in
                    // Drained at once: the node then holds nothing of the
                    // frame, and the driver copies the next one into the
                    // same array instead of a fresh one (VirtioNet.swift).
                    if receive(frame, on: node, nic: nic, now: now) { routeOutputs(of: node, nic: nic) }
                }
            }
            // The node's deadlines are looked at once per round, after its
            // outputs are out: ticking every round asked each machine for
            // its deadline twice (once in tick, once here), about 700
            // instructions of a network transaction's two rounds, to find
            // nothing due nearly every time.
            retryOwedSlots(on: node)
            routeOutputs(of: node, nic: nic)
            let later = Clock.now()
            // Asked in full only when the wake-up passed (see sleep and
            // wakeTimerFired); otherwise the machines nothing changed
            // since the last ask are not asked again (Node+Deadlines.swift):
            // the wake-up is still no later than their deadlines.
            let full = Interrupts.withDisabled {
                defer { reckonAll = false }
                return reckonAll
            }
            var next = full ? node.nextDeadline : node.earliestNewDeadline()
            if let d = next, d <= later {
                node.tick(now: later)
                retryOwedSlots(on: node)
                routeOutputs(of: node, nic: nic)
                next = node.nextDeadline
            }
            let wake = earliest(next, slotKeeper.retryDeadline(now: later))
            sleep(until: earliest(wake, quietReport(traffic: frames > 0, nic: nic)))
        }
    }

    private static func perform(_ command: consuming Command, on node: Node<NetworkOwner>, now: Instant) {
        switch consume command {
        case .trans(let t, let serial):
            statistics.transactionsOut &+= 1
            node.trans(RPCMessage(header: t.request.header, data: t.request.body),
                       owner: .client(t, serial: serial), deadline: nil, now: now)
        case .reply(let t):
            guard answer(t, on: node, now: now) else { return }
            settle(t, on: node)
        case .unlisten(let l, let refused):
            _ = node.cancelGetreqs { if case .server(let o) = $0 { o === l } else { false } }
            slotKeeper.forget(l)
            for t in refused {
                t.reply = .status(.rpcFailure)
                perform(.reply(t), on: node, now: now)
            }
        case .forget(let t, let serial):
            node.abandon(where: { if case .client(let o, let s) = $0 { o === t && s == serial } else { false } }, now: now)
        case .listen(let l):
            guard !l.retired else { return }
            slotKeeper.open(slotsPerPort, for: l) { openSlot(for: $0, on: node) }
        }
    }

    /// Hands the reply `t` carries to the node; false when it has no slot
    /// (answered already).
    private static func answer(_ t: Transaction, on node: Node<NetworkOwner>, now: Instant) -> Bool {
        guard let slot = t.slot else { return false }
        t.slot = nil
        node.putrep(slot, RPCMessage(header: t.reply.header, data: t.reply.body), now: now)
        return true
    }

    /// What follows a reply handed to the node: its record goes back for
    /// the next request, and the slot the request used opens again. Only
    /// now: a port holds at most slotsPerPort network requests; more wait
    /// in the RPC layer's short queue or are refused there, and their
    /// clients retry, as Amoeba's do against a busy server. None of it is
    /// urgent, so a direct reply does it after the reply's frame is out.
    private static func settle(_ t: Transaction, on node: Node<NetworkOwner>) {
        let listener = t.listener
        retire(t)
        guard let l = listener else { return }
        l.networkHeld -= 1
        statistics.requestsHeld -= 1
        reopenSlot(for: l, on: node)
    }

    /// Opens again the slot a request of `l`'s port used, its reply with
    /// the node. Refused while the node's table is full, the slot is owed
    /// and opened later: counted and dropped, it was lost to the port.
    private static func reopenSlot(for l: PortListener, on node: Node<NetworkOwner>) {
        slotKeeper.open(1, for: l) { openSlot(for: $0, on: node) }
    }

    /// Gives a network request's record back for the next request once its
    /// reply is with the node. Its messages are emptied now, so a record
    /// still held somewhere keeps no bodies alive.
    private static func retire(_ t: Transaction) {
        t.request.carry(.status(.ok))
        t.reply.carry(.status(.rpcFailure))
        t.answered = false
        t.waiting = false
        t.slot = nil
        t.listener = nil
        records.give(t)
    }

    /// One server slot for `l`'s port; false if the node's table is full.
    /// A retired port is owed nothing: that counts as done.
    private static func openSlot(for l: PortListener, on node: Node<NetworkOwner>) -> Bool {
        l.retired || node.getreq(port: l.getPort, owner: .server(l)) != nil
    }

    private static func retryOwedSlots(on node: Node<NetworkOwner>) {
        guard !slotKeeper.owed.isEmpty else { return }
        slotKeeper.retry { openSlot(for: $0, on: node) }
    }

    /// Hands `frame` to the node or the reflector; true when the node took it.
    private static func receive(_ frame: [UInt8], on node: Node<NetworkOwner>, nic: VirtioNet, now: Instant) -> Bool {
        guard frame.count >= 14 else { statistics.runts &+= 1; return false }
        let type = UInt16(frame[12]) << 8 | UInt16(frame[13])
        if type == testEtherType {
            if let echo = Reflector.reflect(frame, ownMAC: nic.mac) { _ = LinkSeal.outgoing(echo) { nic.transmit($0) } }
            return false
        }
        node.receive(frame: frame, on: InterfaceID(rawValue: 0), now: now)
        return true
    }

    /// Acts on the node's outputs, oldest first, each moved out of the
    /// node and consumed (`Node.drainOutputs`): its frame or owner changes
    /// hands without a copy, a retain and a release, and no buffer of ours
    /// stands between. `route` calls the node only to answer a request at
    /// once (`answerAtOnce`; a reply it refuses is posted): what that makes
    /// the node say is drained in another pass.
    private static func routeOutputs(of node: Node<NetworkOwner>, nic: VirtioNet) {
        repeat {
            answeredAtOnce = false
            node.drainOutputs { route($0, on: node, nic: nic) }
        } while answeredAtOnce
    }

    /// Acts on one output.
    private static func route(_ output: consuming NodeOutput<NetworkOwner>, on node: Node<NetworkOwner>,
                              nic: VirtioNet) {
        switch consume output {
        case .transmit(_, let frame):
            if !LinkSeal.outgoing(frame, { nic.transmit($0) }) { statistics.transmitRefused &+= 1 }
        case .transactionCompleted(let owner, let result):
            guard case .client(let t, let serial) = owner else { return }
            let reply: Message
            switch result {
            case .success(let m): reply = Message(header: m.header, body: m.data)
            case .failure(let code): reply = .status(code)
            }
            LocalIPC.completeRemote(t, serial: serial, reply)
        case .requestArrived(let owner, let slot, let request):
            guard case .server(let l) = owner else { return }
            if let answer = l.immediateAnswer, !l.retired {
                answerAtOnce(request, in: slot, with: answer, for: l, on: node)
                return
            }
            statistics.requestsIn &+= 1
            let t = records.take() ?? Transaction()
            t.slot = slot
            t.listener = l
            l.networkHeld += 1
            statistics.requestsHeld += 1
            if l.networkHeld > statistics.mostHeldPerPort { statistics.mostHeldPerPort = l.networkHeld }
            t.request = Message(header: request.header, body: request.data)
            if l.retired {
                // Its port closed while this request was on its way:
                // refused through the ordinary reply path.
                t.reply = .status(.rpcFailure)
                post(.reply(t))
                return
            }
            LocalIPC.deliverRemote(t, to: l)
            // The slot is not re-opened here but when the reply is
            // posted (perform(.reply)): re-opening on arrival let a
            // flood of requests pile up in the port's queue without bound.
        case .upperLayerReady:
            break   // no upper layer beside RPC on a kernel node yet
        }
    }

    /// Answers a request for a kernel server whose handler never blocks,
    /// here in the network thread: no record, no server thread woken and
    /// switched to and back, no reply handed over. Its slot opens again at
    /// once, as a thread's reply would open it. What the reply and the
    /// re-opened slot make the node say waits for the next drain
    /// (`routeOutputs` drains again).
    private static func answerAtOnce(_ request: consuming RPCMessage, in slot: ServerSlotID,
                                     with answer: (Message) -> Message, for l: PortListener,
                                     on node: Node<NetworkOwner>) {
        statistics.requestsIn &+= 1
        statistics.answeredAtOnce &+= 1
        // Each body moved on, not copied: a copy here cost a retain and a
        // release per message per transaction.
        let asked = request.header
        let reply = answer(Message(header: asked, body: (consume request).data))
        let told = reply.header
        node.putrep(slot, RPCMessage(header: told, data: (consume reply).body), now: Clock.now())
        reopenSlot(for: l, on: node)
        answeredAtOnce = true
    }

    /// With `net=stats`, prints the counters once traffic has been quiet
    /// for 200 ms; the time to wake for that, while a report is owed.
    private static func quietReport(traffic: Bool, nic: VirtioNet) -> Instant? {
        guard reportWhenQuiet else { return nil }
        let now = Clock.now()
        if traffic { lastTraffic = now }
        guard let last = lastTraffic else { return nil }
        let due = last + .milliseconds(200)
        guard due <= now else { return due }
        lastTraffic = nil
        var line = ""
        for ch in nic.statistics.text {
            if ch == "\n" { line += "; " } else { line.append(ch) }
        }
        // The kernel's own counts after the NIC's: what a frame or a
        // transaction costs beyond its instructions (kernel-net-counts.sh).
        line += "switches \(Scheduler.switches), timer interrupts \(Timers.interrupts), pit rearms \(Timers.rearms), "
            + "replies sent directly \(statistics.directReplies), wake timers set \(statistics.wakeTimersSet), "
            + "answered at once \(statistics.answeredAtOnce)"
        print("[net] statistics: \(line)")
        return nil
    }

    /// Blocks the network thread until there is work or `deadline` passes.
    /// Its timer is its own (not Waiting's), so a server thread's direct
    /// reply can move it earlier.
    private static func sleep(until deadline: Instant?) {
        Interrupts.withDisabled {
            // The wake-up passed since the round asked the node (the timer
            // fired meanwhile): another round first, asking in full.
            guard !reckonAll else { return }
            // Set before looking for work: the deadline came from an ask
            // that took the changes, and is owed a wake-up either way.
            if let deadline {
                guard (deadline - Clock.now()).microseconds > 0 else {
                    reckonAll = true   // due now: the round that ticks it asks in full
                    return
                }
                wake(by: deadline)
            }
            guard commands.isEmpty, !framesWaiting else { return }
            asleep = true
            Scheduler.block()
            asleep = false
        }
    }

    /// Makes the thread wake no later than `deadline` (interrupts off). A
    /// timer already due no later is left as it is, and one whose deadline
    /// went away is not cancelled: each direct reply gives the node a
    /// retransmission deadline that the client's acknowledgement takes
    /// away again one round later, and setting and cancelling the timer
    /// for each cost every transaction two trips through the timer queue.
    /// Left armed, it is set about once per retransmission interval, and
    /// at worst wakes the thread once for nothing (a round that finds no
    /// work, then the true deadline).
    private static func wake(by deadline: Instant) {
        if let at = wakeAt, at <= deadline { return }
        if let old = wakeTimer { Timers.cancel(old) }
        wakeTimer = Timers.at(deadline, .call(wakeTimerFired))
        wakeAt = deadline
        statistics.wakeTimersSet &+= 1
    }

    /// The wake timer's action (timer interrupt): the thread wakes if it
    /// sleeps; if it is running, its round ends with its next deadline.
    private static func wakeTimerFired() {
        wakeTimer = nil
        wakeAt = nil
        reckonAll = true
        if let t = thread { Scheduler.wake(t, reason: .timedOut) }
    }

    /// Answers a request from the network that `t` carries (its reply set):
    /// at once from the calling thread when that is a kernel thread and the
    /// network thread sleeps (see the top of this file), else posted to the
    /// network thread. Call with interrupts on or off; the node's work is
    /// done with them as they are.
    static func reply(_ t: Transaction) {
        guard asleep, let node, let nic, let me = Scheduler.running,
              me._withUnsafeGuaranteedRef({ !$0.preemptible }) else {
            post(.reply(t))
            return
        }
        statistics.directReplies &+= 1
        guard answer(t, on: node, now: Clock.now()) else { return }
        // The reply's frame leaves first; the record and the slot after.
        routeOutputs(of: node, nic: nic)
        settle(t, on: node)
        retryOwedSlots(on: node)
        // Re-opening the slot may have handed the node a request it held.
        routeOutputs(of: node, nic: nic)
        // The reply may have given the node an earlier deadline (its
        // retransmission) than the one the network thread sleeps until.
        // Only what the reply and the slot changed is asked (Node+Deadlines.swift).
        let now = Clock.now()
        let due = earliest(node.earliestNewDeadline(), slotKeeper.retryDeadline(now: now))
        // Set even when the thread was woken meanwhile (it has not run: a
        // kernel thread is not preempted): this ask took the changes, so
        // its own round will not see them.
        if let due { Interrupts.withDisabled { wake(by: due) } }
    }
}

/// What sys KSTAT shows for the node's traffic beyond the NIC's own counts.
struct NetworkStatistics {
    var transactionsOut: UInt64 = 0
    var requestsIn: UInt64 = 0
    var runts: UInt64 = 0
    var transmitRefused: UInt64 = 0
    /// Replies a kernel server thread handed to the node itself while the
    /// network thread slept (`Network.reply`).
    var directReplies: UInt64 = 0
    /// Times the network thread's wake timer was set (`wake(by:)`): about
    /// once per retransmission interval under steady traffic, not once per
    /// transaction.
    var wakeTimersSet: UInt64 = 0
    /// Requests from the network answered in the network thread by a
    /// kernel server's handler (`answerAtOnce`), of `requestsIn`.
    var answeredAtOnce: UInt64 = 0
    /// Requests from the network handed to local servers and not yet answered.
    var requestsHeld = 0
    /// The most any one port held at once (bounded by slotsPerPort).
    var mostHeldPerPort = 0
}

/// The kernel's entropy as a RandomNumberGenerator, for the node's kernel
/// id and FLIP addresses (drawn at boot, as Amoeba draws them).
struct EntropyGenerator: RandomNumberGenerator {
    mutating func next() -> UInt64 {
        Entropy.stir()
        return Entropy.next()
    }
}

extension Network {
    /// The sys server's KSTAT `n` text: the NIC, the node body, the glue.
    static func report() -> String {
        guard let node, let nic else { return "no network interface\n" }
        let s = node.statistics
        var r = "virtio-net \(Hex.encode(nic.mac, separator: ":")) irq \(nic.irq) flip \(node.address.hex)\n"
        r += nic.statistics.text
        r += LinkSeal.report()
        r += "flip frames in \(s.flip.framesIn) out \(s.flip.framesOut) dropped \(s.flip.totalDropped)\n"
        r += "rpc transactions out \(statistics.transactionsOut) requests in \(statistics.requestsIn) executions \(statistics.requestsIn) duplicates refused \(s.server.duplicatesRefused)\n"
        r += "runts \(statistics.runts) transmit refused \(statistics.transmitRefused) slots refused \(slotKeeper.refusals) owed \(slotKeeper.owed.count)\n"
        r += "requests held \(statistics.requestsHeld) most held per port \(statistics.mostHeldPerPort) slots waiting \(s.slotsWaiting) serving \(s.requestsBeingServed)\n"
        r += "request records reused \(records.reused) made \(records.missed)\n"
        r += "replies sent directly by server threads \(statistics.directReplies) wake timers set \(statistics.wakeTimersSet)\n"
        r += "requests answered at once by the network thread \(statistics.answeredAtOnce)\n"
        return r
    }
}

// A program's own FLIP endpoint: the shared node body, run inside the
// program over a link of its own, with no daemon between it and the wire.
//
// Through amunixd a null transaction crosses four processes: the client,
// its host's daemon, the server host's daemon and the server, a dozen
// context switches where a frame ping-pong has two. Amoeba put FLIP where
// every packet already passes, in the kernel, and gave each process its own
// FLIP endpoint. On Linux the nearest place is the program itself: with a
// packet socket of its own (pcap:, which needs root or CAP_NET_RAW) or a
// segment of its own (udp:, mcast:), a call wakes exactly the two processes
// a ping-pong wakes. amunixd stays for the host's own servers and for
// programs without the right to open a raw socket.
//
// There is no thread of the endpoint's own in the path. The thread making a
// call drives the node itself while it waits (ProcessEndpoint+Drive.swift):
// it polls the link, feeds what arrives, and returns the moment its own
// result is there. Threads that call at the same time wait for the driver
// to hand them their result or, when it leaves, the driving. Between calls
// a keeper thread wakes only at the node's timers, so a reply still gets
// acknowledged and a locate of this endpoint answered while the program is
// busy elsewhere.
//
// A pcap: endpoint is a station of its own on the wire, with a random
// local MAC: amunixd or other endpoints on the same card take only their
// own frames. Linux does not hand one packet socket's outgoing frames to
// another, though, so stations sharing a card cannot reach each other:
// programs that must, share an mcast: segment or go through amunixd.

import AmoebaCore
import Amunix
import AmunixDaemon
import FLIP
import Foundation
import Node
import RPC
#if canImport(Glibc)
import Glibc
#endif

/// A request handed out by `getreq`; give it back to `putrep`.
public struct EndpointRequest: Sendable {
    public let header: Header
    public let data: [UInt8]
    let slot: ServerSlotID
}

public final class ProcessEndpoint: @unchecked Sendable {
    /// Names a call while the node works on it.
    typealias Ticket = UInt32

    /// How a call ended, left for its thread by whoever drove the node.
    enum Outcome {
        case reply(Result<RPCMessage, ErrorCode>)
        case request(ServerSlotID, RPCMessage)

        /// A call's outcome as trans and a pipeline hand it back.
        var reply: Result<(header: Header, data: [UInt8]), ErrorCode> {
            switch self {
            case .reply(.success(let m)): return .success((m.header, m.data))
            case .reply(.failure(let code)): return .failure(code)
            case .request: return .failure(.rpcFailure)
            }
        }

        /// A getreq's outcome as getreq and a listener hand it back.
        func request() throws(ErrorCode) -> EndpointRequest {
            switch self {
            case .request(let slot, let m): return EndpointRequest(header: m.header, data: m.data, slot: slot)
            case .reply(.failure(let code)): throw code
            case .reply(.success): throw .rpcFailure
            }
        }
    }

    let node: Node<Ticket>
    let link: any Link
    let interface: InterfaceID
    /// Guards everything below; waiting threads sleep in it, each on a
    /// condition of its own (Amunix's WaitRoom).
    let room = WaitRoom()
    /// Outcomes not yet taken by their calls: a few at most (one per
    /// thread calling), so a list scanned beats hashing every ticket.
    var outcomes: [(ticket: Ticket, outcome: Outcome)] = []
    /// The calls of pipelines and the getreqs of listeners
    /// (ProcessEndpoint+Pipeline.swift, +Listener.swift), each with the
    /// ticket its thread waits under; empty in a program that only calls
    /// trans and getreq.
    var pipelined: [Ticket: Ticket] = [:]
    private var lastTicket: Ticket = 0
    /// A thread is in the driver's seat (polling, or feeding the node).
    var driving = false
    /// The call whose sleeping thread was rung to drive next, until it
    /// takes the seat.
    var seatHandedTo: Ticket?
    /// Times a waiting thread woke to find neither its outcome nor a free
    /// seat: the wakeups a shared condition wastes.
    var idleWakeups = 0
    /// When the driver's wait ends by itself; a call that needs the node
    /// sooner (an earlier timer) nudges it.
    var pollingUntil: Instant?
    /// The driver's wait was nudged since it began.
    var nudged = false
    /// What the driver sleeps in (AmunixDaemon's DriverSleep.swift): a
    /// blocking receive on a pcap: link, which a signal cuts short; the
    /// link and a wake pipe in a LinkWait on the others.
    let sleeper: any DriverSleep
    var closed = false
    /// The last call's timeout and its microseconds (`microseconds(_:)`).
    private var lastTimeout: (timeout: Duration, microseconds: Int64)?
    /// Frames queued on the link and not yet flushed: a call that ends
    /// leaves its last frames (the ACK of a reply) to leave with the next
    /// call's first, one system call and one wakeup of the peer for both.
    var held = false
    /// When the keeper next wakes by itself, and when a call last ended.
    var keeperWakes = Instant.zero
    var lastCallEnded = Instant.zero
    /// The latest time a call or the driver read from the clock.
    var lastClockRead = Instant.zero
    /// Rung to wake the keeper early (frames held while it sleeps long).
    let keeperBell = NSCondition()
    var bellRung = false
    let keeperDone = DispatchSemaphore(value: 0)

    /// Opens `link` and starts a node of fresh identities on it. The link
    /// gets a random local MAC, a pcap: link too (see LinkOpening.swift).
    public init(link spec: LinkSpec) throws(LinkError) {
        var random = SystemRandomNumberGenerator()
        link = try spec.openForEndpoint(mac: randomLocalMAC(using: &random))
        // A Linux socket's buffers: the wider window, as amunixd grants.
        // Fragments as long as the link's frames allow (LinkMTU.swift).
        node = Node<Ticket>(configuration: NodeConfiguration(flip: LinkSpec.flip(DaemonConfiguration.hostFLIP, on: [spec])),
                            using: &random)
        interface = node.addInterface(mac: link.mac, weight: spec.weight, trusted: spec.trusted)
        do throws(LinkError) {
            sleeper = try driverSleep(for: link)
        } catch {
            link.close()
            throw error
        }
        // The keeper holds the endpoint until `close`; a program that just
        // exits needs no close.
        Thread { [self] in keep() }.start()
    }

    /// The FLIP address this endpoint's transactions leave from.
    public var address: FLIPAddress { node.address }
    /// The FLIP address requests for its ports arrive at.
    public var serverAddress: FLIPAddress { node.serverAddress }

    /// The node's counters (frames, locates, transactions, retransmissions).
    public var statistics: NodeStatistics {
        room.lock()
        defer { room.unlock() }
        return node.statistics
    }

    /// Reads the endpoint's own state under its lock (for tests).
    func sharedState<T>(_ read: () -> T) -> T {
        room.lock()
        defer { room.unlock() }
        return read()
    }

    // MARK: the three calls

    /// Sends a request to the object in `header.port` and waits for the
    /// reply. A timeout ends the wait with RPC_FAILURE; nil leaves it to
    /// the RPC layer, which gives up on a dead or absent server itself.
    public func trans(_ header: Header, _ data: [UInt8] = [],
                      timeout: Duration? = nil) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        room.lock()
        defer { room.unlock() }
        guard !closed else { throw .rpcAborted }
        let ticket = takeTicket()
        startCall(RPCMessage(header: header, data: data), as: ticket, timeout: timeout)
        flush()
        return try wait(for: ticket).reply.get()
    }

    /// Waits for one request to the put-port of `getPort`. Fails with
    /// RPC_FAILURE when the node's server table is full.
    public func getreq(_ getPort: AmoebaCore.Port) throws(ErrorCode) -> EndpointRequest {
        guard !getPort.isNull else { throw .rpcBadPort }
        room.lock()
        defer { room.unlock() }
        guard !closed else { throw .rpcAborted }
        let ticket = takeTicket()
        guard node.getreq(port: getPort, owner: ticket) != nil else { throw .rpcFailure }
        pump()
        flush()
        return try wait(for: ticket).request()
    }

    /// Sends the reply to `request`; the RPC layer delivers it, resending
    /// until the client has it. A request answered already is ignored.
    public func putrep(_ request: EndpointRequest, _ header: Header, _ data: [UInt8] = []) {
        room.lock()
        defer { room.unlock() }
        guard !closed else { return }
        let now = MonotonicClock.now
        lastClockRead = now
        node.putrep(request.slot, RPCMessage(header: header, data: data), now: now)
        pump()
        flush()
        // The thread's next getreq is usually a moment away: the keeper
        // leaves the link to it (`keep`).
        lastCallEnded = now
    }

    /// Stops the endpoint: calls still waiting end with RPC_ABORTED, and
    /// the requests being served are answered RPC_FAILURE by the node.
    /// `exiting`: the program ends next, and its packet sockets are let go
    /// without waiting for the kernel (PacketSocketLink.closesDetached).
    public func close(exiting: Bool = false) {
        room.lock()
        if exiting, let p = link as? PacketSocketLink { p.closesDetached = true }
        guard !closed else {
            room.unlock()
            return
        }
        closed = true
        room.wakeEveryone()
        // A driving thread is in its wait (the turn's other work holds the
        // lock): cut it short while it is known to be there.
        if driving { nudge() }
        room.unlock()
        ringKeeper()
        keeperDone.wait()
        room.lock()
        // The driver may still be leaving its poll: let it go first.
        // (Ticket 0 is no call's: the driver wakes everyone as it leaves.)
        while driving { room.wait(for: 0) }
        room.leave(0)
        node.abandon(where: { _ in true }, now: MonotonicClock.now)
        pump()
        flush()
        node.shutdown()
        sleeper.closeSleep()
        link.close()
        room.unlock()
    }

    // MARK: helpers

    /// Starts a call owned by `ticket`, ending with RPC_FAILURE `timeout`
    /// from now if given, and routes what the node made of it; its frames
    /// are queued, not flushed. Under the room's lock.
    @inline(__always)
    func startCall(_ message: consuming RPCMessage, as ticket: Ticket, timeout: Duration?) {
        let now = MonotonicClock.now
        lastClockRead = now
        let deadline = timeout.map { now + .microseconds(microseconds($0)) }
        node.trans(message, owner: ticket, deadline: deadline, now: now)
        pump()
    }

    func takeTicket() -> Ticket {
        lastTicket &+= 1
        if lastTicket == 0 { lastTicket = 1 }
        return lastTicket
    }

    static func microseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return max(1, s * 1_000_000 + atto / 1_000_000_000_000)
    }

    /// `timeout` in microseconds, under the room's lock. A program passes
    /// the same timeout call after call, so the last one's value is kept:
    /// `components` divides a 128-bit count, some 190 instructions, a
    /// tenth of the endpoint's own work in a null transaction.
    private func microseconds(_ timeout: Duration) -> Int64 {
        if let known = lastTimeout, known.timeout == timeout { return known.microseconds }
        let us = ProcessEndpoint.microseconds(timeout)
        lastTimeout = (timeout, us)
        return us
    }
}

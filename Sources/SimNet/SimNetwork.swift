// The simulated network and its event loop.
//
// The simulator owns time. It keeps frames in flight in a queue ordered by
// arrival time, asks every node for its next deadline, and jumps the clock
// straight to whichever comes first: nothing happens between events, so a
// simulated minute costs what its events cost. After every call into a
// node it drains the node's outputs: frames go onto the interface's
// segment (through the fault injector) and reach every other live node
// there after the latency; everything else goes to the node's `onOutput`.
// A segment hands a unicast frame only to the interface with its
// destination address, as the network card's filter would, so a frame
// costs its one receiver, not every node on the segment: without that the
// simulation of K clients of one server cost K times more per transaction
// at K than at 1. Broadcast and multicast frames reach every node there,
// and the box filters multicast by group as before.
//
// Node deadlines are kept in a heap too (NodeDeadlines), refreshed when the
// simulator drives a node and rescanned whenever a run starts: asking every
// node for its deadline at every step made each event cost the whole
// network, so K busy clients cost K times more per transaction.

import AmoebaCore
import FLIP
import Node
import RPC

struct InFlight: Scheduled {
    var time: Instant
    var sequence: Int
    var node: Int
    var interface: InterfaceID
    var frame: [UInt8]
}

/// A driver's action set with `SimNetwork.schedule`.
struct DriverTimer: Scheduled {
    var time: Instant
    var sequence: Int
    var action: () -> Void
}

typealias FrameQueue = EventHeap<InFlight>
typealias TimerQueue = EventHeap<DriverTimer>

struct Segment {
    var faults: FaultProfile
    var trusted: Bool
    var attached: [(node: Int, interface: InterfaceID)] = []
    /// Which of `attached` answer to each unicast address.
    var byAddress: [EthernetAddress: [Int]] = [:]

    /// The attachments a frame to `destination` reaches: all for a group
    /// address (or a frame too short to have one), else the owner's.
    func receivers(of frame: [UInt8]) -> [Int]? {
        guard frame.count >= EthernetAddress.size, frame[0] & 1 == 0,
              let destination = EthernetAddress(bytes: frame[0..<EthernetAddress.size]) else { return nil }
        return byAddress[destination] ?? []
    }
}

public final class SimNetwork {
    public private(set) var now = Instant.zero
    public let latency: Interval
    public private(set) var nodes: [SimNode] = []

    public private(set) var framesSent = 0
    public private(set) var framesDelivered = 0
    public private(set) var framesDropped = 0
    public private(set) var framesDuplicated = 0
    public private(set) var framesReordered = 0
    public private(set) var framesCorrupted = 0
    public private(set) var framesTruncated = 0
    public private(set) var framesDelayed = 0

    /// Called for every frame a node puts on a segment, before faults.
    public var onTransmit: ((SimNode, InterfaceID, [UInt8]) -> Void)?

    var segments: [Segment] = []
    var random: SimRandom
    var queue = FrameQueue()
    var sequence = 0
    var timers = TimerQueue()
    var deadlines = NodeDeadlines()

    let seed: UInt64

    public init(seed: UInt64, latency: Interval = .microseconds(50)) {
        random = SimRandom(seed: seed)
        self.seed = seed
        self.latency = latency
    }

    /// A new Ethernet segment. Interfaces on a `trusted` segment are
    /// trusted FLIP networks (the SECURITY flag may cross them).
    public func addSegment(faults: FaultProfile = .none, trusted: Bool = false) -> SegmentID {
        segments.append(Segment(faults: faults, trusted: trusted))
        return SegmentID(rawValue: segments.count - 1)
    }

    public func setFaults(_ faults: FaultProfile, on segment: SegmentID) {
        segments[segment.rawValue].faults = faults
    }

    /// A node with one interface on each of `segments`; two or more make it
    /// a FLIP gateway. Interfaces get distinct locally administered MACs.
    /// The node's kids and addresses come from `seed` (by default derived
    /// from the network's seed and the node's number), not from the fault
    /// injector's generator, so adding a node does not change the faults.
    public func addNode(name: String, on segments: [SegmentID],
                        configuration: FLIPConfiguration = .init(), rpc: RPCConfiguration = .init(),
                        seed: UInt64? = nil) -> SimNode {
        let index = nodes.count
        var g = SimRandom(seed: seed ?? (self.seed &* 0x9E37_79B9 &+ UInt64(index) &+ 1))
        let body = Node<SimOwner>(configuration: NodeConfiguration(flip: configuration, rpc: rpc), using: &g)
        var ids = [InterfaceID]()
        for (k, s) in segments.enumerated() {
            let mac = EthernetAddress(bytes: [0x02, 0, UInt8(truncatingIfNeeded: index >> 8),
                                              UInt8(truncatingIfNeeded: index), 0, UInt8(truncatingIfNeeded: k)])!
            let id = body.addInterface(mac: mac, trusted: self.segments[s.rawValue].trusted)
            ids.append(id)
            self.segments[s.rawValue].byAddress[mac, default: []].append(self.segments[s.rawValue].attached.count)
            self.segments[s.rawValue].attached.append((node: index, interface: id))
        }
        let node = SimNode(name: name, node: body, interfaces: ids, segments: segments, index: index)
        nodes.append(node)
        deadlines.refresh(node)
        return node
    }

    /// The node stops sending and receiving at once, as in a crash.
    public func kill(_ node: SimNode) {
        node.isAlive = false
        deadlines.refresh(node)
    }

    /// Splits the network: a frame reaches a node only when sender and
    /// receiver are on the same side. Nodes not named share one more side.
    /// Frames already in flight still arrive, as on a real cut.
    public func partition(_ sides: [[SimNode]]) {
        for n in nodes { n.side = -1 }
        for (k, side) in sides.enumerated() { for n in side { n.side = k } }
    }

    /// Joins the sides again.
    public func heal() {
        for n in nodes { n.side = 0 }
    }

    /// A frame from a stranger on `segment` (an attacker's forgery): every
    /// live node on it receives it after the usual latency, without faults.
    public func inject(_ frame: [UInt8], on segment: SegmentID) {
        for a in segments[segment.rawValue].attached where nodes[a.node].isAlive {
            sequence += 1
            queue.push(InFlight(time: now + latency, sequence: sequence, node: a.node,
                                interface: a.interface, frame: frame))
        }
    }

    /// Runs `action` when the clock reaches `time` (now, if that has
    /// passed): a driver's own work in virtual time, such as a server that
    /// takes a while to answer. Timers due at one instant run in the order
    /// they were set, after the frames due then and before node timers.
    /// The action flushes the nodes it pokes.
    public func schedule(at time: Instant, _ action: @escaping () -> Void) {
        sequence += 1
        timers.push(DriverTimer(time: max(time, now), sequence: sequence, action: action))
    }

    /// Processes what a test produced by poking a node, its box or an upper
    /// layer, and files the node's next deadline. A driver that pokes a
    /// node from inside a run (an `onOutput` handler, a timer) flushes it.
    public func flush(_ node: SimNode) {
        process(node)
    }

    @discardableResult
    public func run(until condition: () -> Bool, limit: Interval) -> Bool {
        let end = now + limit
        deadlines.rescan(nodes)
        while true {
            if condition() { return true }
            if !step(until: end) {
                now = end
                return condition()
            }
        }
    }

    public func run(for duration: Interval) {
        let end = now + duration
        deadlines.rescan(nodes)
        while step(until: end) {}
        if now < end { now = end }
    }

    // MARK: The loop

    /// Advances to the next event not after `end` and handles everything
    /// due then. Returns false when there is none.
    func step(until end: Instant) -> Bool {
        let next = earliest(earliest(queue.peek?.time, timers.peek?.time), deadlines.earliest)
        guard var t = next, t <= end else { return false }
        // A deadline in the past is due now; the clock never runs backwards.
        if t < now { t = now }
        if t == now {
            stalled += 1
            if stalled > 100_000 {   // something keeps asking for "now": move on
                t = now + .microseconds(1)
                stalled = 0
            }
        } else {
            stalled = 0
        }
        now = t
        while let f = queue.peek, f.time <= now {
            _ = queue.pop()
            let node = nodes[f.node]
            guard node.isAlive else { continue }
            framesDelivered += 1
            node.node.receive(frame: f.frame, on: f.interface, now: now)
            process(node)
        }
        while let t = timers.peek, t.time <= now {
            _ = timers.pop()
            t.action()
        }
        // In node order, as when every node was asked in turn; a node whose
        // deadline moved since it was filed is filed again instead.
        for i in deadlines.due(at: now) {
            let n = nodes[i]
            if n.isAlive, let d = n.node.nextDeadline, d <= now {
                n.node.tick(now: now)
                process(n)
            } else {
                deadlines.refresh(n)
            }
        }
        return true
    }

    var stalled = 0

    func process(_ node: SimNode) {
        guard node.isAlive else { return }
        defer { deadlines.refresh(node) }
        // A handler may poke the node again (answer a request, start the
        // next transaction): what that produces is drained in turn.
        while node.node.drainOutputs({ (o: consuming NodeOutput<SimOwner>) in
            if case .transmit(let interface, let frame) = o {
                transmit(frame, from: node, on: interface)
            } else {
                node.onOutput?(o)
            }
        }) > 0 {}
    }

    func transmit(_ frame: [UInt8], from node: SimNode, on interface: InterfaceID) {
        guard let k = node.interfaces.firstIndex(of: interface) else { return }
        let segment = segments[node.segments[k].rawValue]
        framesSent += 1
        onTransmit?(node, interface, frame)
        let faults = segment.faults
        if random.chance(faults.drop) {
            framesDropped += 1
            return
        }
        var copies = 1
        if random.chance(faults.duplicate) {
            copies = 2
            framesDuplicated += 1
        }
        for _ in 0..<copies {
            var f = frame
            if random.chance(faults.corrupt), !f.isEmpty {
                let i = random.below(f.count)
                f[i] ^= UInt8(truncatingIfNeeded: random.below(255) + 1)
                framesCorrupted += 1
            }
            if random.chance(faults.truncate), !f.isEmpty {
                f = Array(f.prefix(random.below(f.count)))
                framesTruncated += 1
            }
            var delay = latency
            let spread = Int(max(faults.maxDelay.microseconds, 1))
            if random.chance(faults.delay) {
                delay = delay + .microseconds(Int64(random.below(spread + 1)))
                framesDelayed += 1
            }
            if random.chance(faults.reorder) {
                delay = delay + .microseconds(Int64(random.below(spread + 1)))
                framesReordered += 1
            }
            let time = now + delay
            func deliver(_ a: (node: Int, interface: InterfaceID)) {
                guard a.node != node.index, nodes[a.node].isAlive, nodes[a.node].side == node.side else { return }
                sequence += 1
                queue.push(InFlight(time: time, sequence: sequence, node: a.node, interface: a.interface, frame: f))
            }
            if let some = segment.receivers(of: f) {
                for k in some { deliver(segment.attached[k]) }
            } else {
                for a in segment.attached { deliver(a) }
            }
        }
    }
}

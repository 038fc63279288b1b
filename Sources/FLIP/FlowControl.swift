// Credit flow control between neighbouring boxes, both sides.
//
// A sender may have only so many frames of a multi-frame UNIDATA message
// in flight to one Ethernet neighbour (a "peer": interface plus Ethernet
// address) before the peer says it has drained them. It starts with
// `initialCredit`, spends one per such frame, and queues the rest. The
// receiver counts frames it has drained and returns credit in a CREDIT
// frame once `creditThreshold` have accumulated, or piggybacks it in the
// count byte of a data frame it sends that way anyway. A receiver with
// room may widen a sender's window once (`creditGrant`), within the
// protocol: the extra credit rides on the first credit it returns. A sender stalled
// for long asks with REQCREDIT and is answered with ABSCREDIT, the
// absolute credit it now has; after enough unanswered asks it drops what it
// queued, as Amoeba does (the RPC layer above will retransmit). A peer that
// answers "no credit yet" is alive and busy: the sender keeps waiting.
//
// Only UNIDATA frames of messages longer than one frame cost credit, like
// Amoeba; other frames to a peer with a queue wait behind it so that a
// peer sees frames in the order they were sent.

import AmoebaCore

struct PeerKey: Hashable {
    var interface: Int
    var location: EthernetAddress

    /// A fixed order for walking peers: dictionary order changes from
    /// process to process, and what the box sends must not.
    static func inOrder(_ a: PeerKey, _ b: PeerKey) -> Bool {
        a.interface != b.interface ? a.interface < b.interface
            : a.location.bytes.lexicographicallyPrecedes(b.location.bytes)
    }
}

struct QueuedFrame {
    var header: FLIPHeader
    /// A fragment: a view of the message, not a copy; `tail` a view of
    /// the rest of it when the message is in two buffers (headers, data).
    var data: ArraySlice<UInt8>
    var tail: ArraySlice<UInt8>
    var costsCredit: Bool

    /// What a queue slot holds once its frame has been taken out.
    static let spent = QueuedFrame(header: FLIPHeader(type: .unidata, maximumHops: 0, destination: .null, source: .null,
                                                      messageID: 0, length: 0, total: 0),
                                   data: [], tail: [], costsCredit: false)
}

struct PeerFlow {
    // Sending side.
    var credit: Int
    var queue: [QueuedFrame] = []
    var queueHead = 0
    /// Credit asks sent since the peer last answered or drained.
    var requests = 0
    /// An ask for credit is scheduled (`askDeadlines` holds the peer): read
    /// here for each frame queued behind a stall, where looking in the
    /// dictionary hashed the peer's key every time.
    var asking = false
    // Receiving side.
    /// Frames drained whose credit the peer has not been given back yet.
    var owed = 0
    /// Frames received but not yet drained (credit withheld).
    var held = 0
    /// The peer has had `creditGrant`, the extra window, from us.
    var granted = false
    /// When the table last touched this peer (a counter, not a clock).
    var lastUsed: UInt64 = 0

    var queued: Int { queue.count - queueHead }

    /// The oldest queued frame, moved out of the queue: a copy retained
    /// the message's buffers once more, for the queue to release them
    /// when its sent frames are removed. (Emptying a drained queue at once,
    /// keeping its storage, cost more than it saved: measured.)
    mutating func popFront() -> QueuedFrame {
        var f = QueuedFrame.spent
        swap(&f, &queue[queueHead])
        queueHead += 1
        if queueHead > 64 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return f
    }

    mutating func clearQueue() -> Int {
        let n = queued
        queue.removeAll()
        queueHead = 0
        return n
    }
}

/// A frame ready to go out, produced by the flow-control layer: its wire
/// bytes, built once.
struct OutgoingFrame {
    var interface: Int
    var bytes: [UInt8]

    init(interface: Int, frame: EthernetFrame) {
        self.interface = interface
        self.bytes = frame.encoded()
    }

    init(interface: Int, bytes: [UInt8]) {
        self.interface = interface
        self.bytes = bytes
    }
}

struct FlowControl {
    /// Each peer's state, changed in place in its slot (KeyedSlots.swift):
    /// reading a counter of a peer must not copy its queue.
    var peers = KeyedSlots<PeerKey, PeerFlow>()
    /// When each stalled peer is next asked for credit. Kept apart from
    /// `peers` so that finding the next deadline walks the few stalled
    /// peers, not every peer a busy server talks to.
    private(set) var askDeadlines: [PeerKey: Instant] = [:]
    let configuration: FLIPConfiguration
    /// While true, arriving frames are held: no credit goes back.
    var withholding = false
    /// Frames handed back, for the fragments of the next messages.
    var pool: FramePool

    init(configuration: FLIPConfiguration) {
        self.configuration = configuration
        pool = FramePool(configuration: configuration)
    }

    private func fresh() -> PeerFlow { PeerFlow(credit: Int(configuration.initialCredit)) }

    /// Counts uses of the table, to find the peer left alone longest.
    private var useClock: UInt64 = 0

    private mutating func index(of peer: PeerKey) -> Int? { peers.slot(of: peer) }

    /// The state for `peer`, or a fresh one. A full table first forgets
    /// every peer with nothing queued or held and no ask pending: credit it
    /// is owed is dropped with it (the peer will ask, and ABSCREDIT puts
    /// it right), so a stranger's one-frame "messages" leave nothing that
    /// blocks. If every peer still has a queue, the one left alone longest
    /// goes with its queue (RPC retransmits). A newcomer always gets state:
    /// a full table never stops us talking to a real peer.
    private mutating func stateIndex(for peer: PeerKey) -> Int {
        useClock += 1
        if let i = index(of: peer) {
            peers.values[i].lastUsed = useClock
            return i
        }
        if peers.count >= configuration.maxPeers {
            peers.removeAll { _, p in p.queued == 0 && p.held == 0 && !p.asking }
            if peers.count >= configuration.maxPeers {
                var oldest: Int?
                for s in 0..<peers.count {
                    guard let o = oldest else { oldest = s; continue }
                    let (used, best) = (peers.values[s].lastUsed, peers.values[o].lastUsed)
                    if used < best || (used == best && PeerKey.inOrder(peers.keys[s], peers.keys[o])) { oldest = s }
                }
                if let o = oldest {
                    askDeadlines[peers.keys[o]] = nil
                    var p = peers.remove(at: o)
                    evicted += p.clearQueue()
                }
            }
        }
        var p = fresh()
        p.lastUsed = useClock
        return peers.insert(p, for: peer)
    }

    /// Frames dropped with the queues of evicted peers, for statistics.
    var evicted = 0

    func costsCredit(_ h: FLIPHeader) -> Bool {
        h.type == FLIPPacketType.unidata.rawValue && UInt64(h.total) > UInt64(configuration.maxFragmentData)
    }

    /// Whether `send` would put this frame straight out, touching no
    /// state: it costs no credit and nothing waits for the peer.
    mutating func sendsDirect(_ header: FLIPHeader, to peer: PeerKey) -> Bool {
        !costsCredit(header) && nothingQueued(for: peer)
    }

    /// Whether no frame waits for `peer`: a frame that costs no credit
    /// then goes straight out.
    mutating func nothingQueued(for peer: PeerKey) -> Bool {
        peers.isEmpty || index(of: peer).map({ peers.values[$0].queued }) ?? 0 == 0
    }

    /// Sends or queues a data frame to `peer`: its data is `data` then
    /// `tail`. `source` is our Ethernet address on that interface.
    mutating func send(_ header: FLIPHeader, data: ArraySlice<UInt8>, then tail: ArraySlice<UInt8> = [],
                       to peer: PeerKey, from source: EthernetAddress,
                       now: Instant, statistics: inout FLIPStatistics, out: inout [OutgoingFrame]) {
        // The common frame (a message of one frame) costs no credit and, with
        // nothing queued for the peer, goes straight out: no state is made
        // or touched for it, so a null transaction hashes no peer key here.
        if sendsDirect(header, to: peer) {
            out.append(FlowControl.dataFrame(header, data: data, tail: tail, control: FragmentControl(type: .data),
                                             to: peer, from: source))
            return
        }
        let costs = costsCredit(header)
        // Changed in place through its index: one hash of the key, and no
        // copy of the queue (a copy out of the table would share it).
        let i = stateIndex(for: peer)
        if peers.values[i].queued > 0 || (costs && peers.values[i].credit <= 0) {
            if peers.values[i].queued >= configuration.maxQueuedFrames {
                statistics.drop(.queueFull)
            } else {
                peers.values[i].queue.append(QueuedFrame(header: header, data: data, tail: tail, costsCredit: costs))
                statistics.framesStalled += 1
            }
            if peers.values[i].credit <= 0 && !peers.values[i].asking {
                askDeadlines[peer] = now + configuration.creditRequestInterval
                peers.values[i].asking = true
            }
            return
        }
        FlowControl.emit(header, data: data, tail: tail, costs: costs, peer: peer, flow: &peers.values[i],
                         pool: &pool, from: source, statistics: &statistics, out: &out)
    }

    private static func emit(_ header: FLIPHeader, data: ArraySlice<UInt8>, tail: ArraySlice<UInt8>, costs: Bool,
                             peer: PeerKey, flow p: inout PeerFlow, pool: inout FramePool,
                      from source: EthernetAddress, statistics: inout FLIPStatistics, out: inout [OutgoingFrame]) {
        var control = FragmentControl(type: .data)
        if costs {
            p.credit -= 1
            // Amoeba piggybacks credit only on frames that themselves take part
            // in flow control, and only those are read for it on arrival.
            if p.owed > 0 {
                control.count = UInt8(min(p.owed, 255))
                p.owed -= Int(control.count)
                statistics.creditPiggybacked += 1
            }
        }
        // A frame that costs credit is a fragment of a long message: built
        // in a spare frame if one was handed back. (A message of one frame
        // is often kept by its sender to send again, so its frame seldom
        // comes back alone: it is not given a spare.)
        let storage = costs ? pool.take(count: FLIPBox.headroom + data.count + tail.count) : []
        out.append(dataFrame(header, data: data, tail: tail, control: control, to: peer, from: source, in: consume storage))
    }

    /// A data frame to `peer`, ready to go out.
    private static func dataFrame(_ header: FLIPHeader, data: ArraySlice<UInt8>, tail: ArraySlice<UInt8>,
                                  control: FragmentControl, to peer: PeerKey,
                                  from source: EthernetAddress, in storage: consuming [UInt8] = []) -> OutgoingFrame {
        OutgoingFrame(interface: peer.interface,
                      bytes: EthernetFrame.encode(destination: peer.location, source: source,
                                                  control: control, flip: header, data: data, then: tail,
                                                  in: consume storage))
    }

    /// Sends what the queue for `peer` may now send.
    private mutating func drain(_ peer: PeerKey, from source: EthernetAddress, now: Instant,
                                statistics: inout FLIPStatistics, out: inout [OutgoingFrame]) {
        guard let i = index(of: peer) else { return }
        // In place through the index: no copy of the queue, no rehash.
        FlowControl.sendQueued(peer, flow: &peers.values[i], pool: &pool, from: source, statistics: &statistics,
                               out: &out)
        if peers.values[i].queued == 0 || peers.values[i].credit > 0 {
            if peers.values[i].asking {
                askDeadlines[peer] = nil
                peers.values[i].asking = false
            }
            peers.values[i].requests = 0
        } else if !peers.values[i].asking {
            askDeadlines[peer] = now + configuration.creditRequestInterval
            peers.values[i].asking = true
        }
    }

    private static func sendQueued(_ peer: PeerKey, flow p: inout PeerFlow, pool: inout FramePool,
                                   from source: EthernetAddress,
                                   statistics: inout FLIPStatistics, out: inout [OutgoingFrame]) {
        while p.queued > 0 {
            if p.queue[p.queueHead].costsCredit && p.credit <= 0 { break }
            let front = p.popFront()
            FlowControl.emit(front.header, data: front.data, tail: front.tail, costs: front.costsCredit, peer: peer,
                             flow: &p, pool: &pool, from: source, statistics: &statistics, out: &out)
        }
    }

    /// Credit arrived from `peer`: added (CREDIT, piggyback) or absolute.
    mutating func receiveCredit(_ count: UInt8, absolute: Bool, from peer: PeerKey, source: EthernetAddress,
                                now: Instant, statistics: inout FLIPStatistics, out: inout [OutgoingFrame]) {
        let i = stateIndex(for: peer)
        if absolute {
            // An answer to our asking, even "nothing yet": the peer is alive,
            // so keep waiting rather than give up on it.
            peers.values[i].credit = Int(count)
            peers.values[i].requests = 0
        } else {
            peers.values[i].credit = min(peers.values[i].credit + Int(count), 255)
        }
        drain(peer, from: source, now: now, statistics: &statistics, out: &out)
    }

    /// A flow-controlled frame arrived from `peer`: count it, and return
    /// credit if enough has been drained.
    mutating func arrived(from peer: PeerKey, source: EthernetAddress, statistics: inout FLIPStatistics,
                          out: inout [OutgoingFrame]) {
        let i = stateIndex(for: peer)
        // One access to the peer's state: each `peers.values[i]` was an
        // access of its own, a uniqueness check each, four a frame.
        FlowControl.arrived(peer, flow: &peers.values[i], withholding: withholding, memory: &grantedPeers,
                            configuration: configuration, source: source, statistics: &statistics, out: &out)
    }

    private static func arrived(_ peer: PeerKey, flow p: inout PeerFlow, withholding: Bool,
                                memory grantedPeers: inout Set<PeerKey>, configuration: FLIPConfiguration,
                                source: EthernetAddress, statistics: inout FLIPStatistics,
                                out: inout [OutgoingFrame]) {
        if withholding { p.held += 1 } else { p.owed += 1 }
        if !withholding && !p.granted && configuration.creditGrant > 0 {
            grant(peer, flow: &p, memory: &grantedPeers, configuration: configuration)
        }
        returnCreditIfDue(peer, flow: &p, source: source,
                          threshold: returnThreshold(granted: p.granted, configuration: configuration),
                          statistics: &statistics, out: &out)
    }

    /// Peers given `creditGrant`, remembered apart from `peers`: a full
    /// table forgets a quiet peer, and granting it again when it comes back
    /// would add another 24 to a sender's credit each time (a byte at an
    /// Amoeba sender, which would wrap). A peer is granted once for the
    /// box's life; when this memory is full, newcomers keep Amoeba's window.
    private var grantedPeers: Set<PeerKey> = []

    private static func grant(_ peer: PeerKey, flow p: inout PeerFlow, memory grantedPeers: inout Set<PeerKey>,
                              configuration: FLIPConfiguration) {
        if grantedPeers.contains(peer) {
            p.granted = true
        } else if grantedPeers.count < configuration.maxPeers * 4 {
            grantedPeers.insert(peer)
            p.owed += Int(configuration.creditGrant)
            p.granted = true
        }
    }

    /// Credit goes back `creditThreshold` frames at a time, half of
    /// Amoeba's window; a granted window is returned a quarter at a time,
    /// so a wider window does not mean more CREDIT frames.
    private func returnThreshold(granted: Bool) -> Int {
        FlowControl.returnThreshold(granted: granted, configuration: configuration)
    }

    private static func returnThreshold(granted: Bool, configuration: FLIPConfiguration) -> Int {
        let threshold = Int(configuration.creditThreshold)
        guard granted else { return threshold }
        return max(threshold, (Int(configuration.initialCredit) + Int(configuration.creditGrant)) / 4)
    }

    private mutating func returnCreditIfDue(_ peer: PeerKey, source: EthernetAddress, force: Bool,
                                            statistics: inout FLIPStatistics, out: inout [OutgoingFrame]) {
        guard let i = index(of: peer) else { return }
        let threshold = force ? 1 : returnThreshold(granted: peers.values[i].granted)
        FlowControl.returnCreditIfDue(peer, flow: &peers.values[i], source: source, threshold: threshold,
                                      statistics: &statistics, out: &out)
    }

    /// Sends `p` its owed credit once `threshold` frames of it have built up.
    private static func returnCreditIfDue(_ peer: PeerKey, flow p: inout PeerFlow, source: EthernetAddress,
                                          threshold: Int, statistics: inout FLIPStatistics,
                                          out: inout [OutgoingFrame]) {
        guard p.owed > 0, p.owed >= threshold else { return }
        let n = UInt8(min(p.owed, 255))
        p.owed -= Int(n)
        statistics.creditFramesSent += 1
        out.append(OutgoingFrame(interface: peer.interface,
                                 frame: EthernetFrame(destination: peer.location, source: source,
                                                      control: FragmentControl(type: .credit, count: n))))
    }

    /// The peer asked how much it may send: answer with ABSCREDIT.
    mutating func creditRequested(by peer: PeerKey, source: EthernetAddress, statistics: inout FLIPStatistics,
                                  out: inout [OutgoingFrame]) {
        let i = stateIndex(for: peer)
        let window = Int(configuration.initialCredit) + (peers.values[i].granted ? Int(configuration.creditGrant) : 0)
        let n = max(0, window - peers.values[i].held)
        peers.values[i].owed = 0
        statistics.creditFramesSent += 1
        out.append(OutgoingFrame(interface: peer.interface,
                                 frame: EthernetFrame(destination: peer.location, source: source,
                                                      control: FragmentControl(type: .absoluteCredit,
                                                                               count: UInt8(min(n, 255))))))
    }

    /// Stops withholding: everything held counts as drained and its credit
    /// goes back at once.
    mutating func release(sources: (Int) -> EthernetAddress, statistics: inout FLIPStatistics,
                          out: inout [OutgoingFrame]) {
        for key in peers.keys.sorted(by: PeerKey.inOrder) {
            guard let s = index(of: key), peers.values[s].held > 0 || peers.values[s].owed > 0 else { continue }
            peers.values[s].owed += peers.values[s].held
            peers.values[s].held = 0
            returnCreditIfDue(key, source: sources(key.interface), force: true, statistics: &statistics, out: &out)
        }
    }

    var nextDeadline: Instant? {
        var d: Instant?
        for (_, t) in askDeadlines { d = earliest(d, t) }
        return d
    }

    /// Asks stalled peers for credit; gives up on those that never answer.
    mutating func tick(now: Instant, sources: (Int) -> EthernetAddress, statistics: inout FLIPStatistics,
                       out: inout [OutgoingFrame]) {
        // Only the peers whose ask is due, in a fixed order: a walk of the
        // whole table sorted on every tick would cost a full table dearly.
        var due: [PeerKey] = []
        for (key, d) in askDeadlines where d <= now { due.append(key) }
        for key in due.sorted(by: PeerKey.inOrder) {
            guard let s = index(of: key), let deadline = askDeadlines[key], deadline <= now else {
                askDeadlines[key] = nil  // its peer was forgotten
                continue
            }
            if peers.values[s].requests >= configuration.maxCreditRequests {
                let n = peers.values[s].clearQueue()
                for _ in 0..<n { statistics.drop(.creditTimeout) }
                peers.values[s].credit = Int(configuration.initialCredit)
                peers.values[s].requests = 0
                askDeadlines[key] = nil
                peers.values[s].asking = false
            } else {
                peers.values[s].requests += 1
                askDeadlines[key] = now + configuration.creditRequestInterval
                statistics.creditRequestsSent += 1
                out.append(OutgoingFrame(interface: key.interface,
                                         frame: EthernetFrame(destination: key.location, source: sources(key.interface),
                                                              control: FragmentControl(type: .requestCredit))))
            }
        }
    }
}
